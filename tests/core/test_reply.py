"""tonecheck.reply on the shapes issue 12 names; the audit and check judge the same words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tonecheck import reply
from tonecheck.audit.quotes import strip_reply
from tonecheck.clean import clean
from tonecheck.reply import extract_reply

OWN = "We have refunded the order today."
CUSTOMER = "You people are useless idiots."

CASES = {
    "zendesk": f"##- Please type your reply above this line -##\n\n{OWN}\n",
    "zoho": f"{OWN}\n\n---- On Wed, 24 Feb 2021 14:02:50 +0530 jo@example.org wrote ----\n\n{CUSTOMER}\n",
    "original-message-3-dashes": f"{OWN}\n\n---Original Message---\nFrom: Jo\n\n{CUSTOMER}\n",
    "outlook-from-wrapped": (f"{OWN}\n\nFrom: Jo Bloggs\n<jo@example.org>\nSent: Monday, March 2, 2026 4:01 PM\n"
                             f"To: Support\nSubject: Order\n\n{CUSTOMER}\n"),
    "wrote-without-colon": f"{OWN}\n\nOn Mon, Mar 2, 2026 at 4:01 PM Jo <jo@example.org> wrote\n\n{CUSTOMER}\n",
    "reply-above-line": f"{OWN}\n\n-- Reply above this line --\n\n{CUSTOMER}\n",
    "german": f"{OWN}\n\nVon: Jo <jo@example.de>\nGesendet: Montag, 2. März 2026 10:00\nAn: Support\n\n{CUSTOMER}\n",
    "french": f"{OWN}\n\nLe lun. 2 mars 2026 à 10:00, Jo <jo@example.fr> a écrit :\n\n{CUSTOMER}\n",
    "italian": f"{OWN}\n\nDa: Jo <jo@example.it>\nInviato: lunedì 2 marzo 2026 10:00\nA: Support\n\n{CUSTOMER}\n",
    "dutch": f"{OWN}\n\nOp ma 2 mrt 2026 om 10:00 schreef Jo <jo@example.nl>:\n\n{CUSTOMER}\n",
    "spanish": f"{OWN}\n\nEl lun, 2 mar 2026 a las 10:00, Jo (<jo@example.es>) escribió:\n\n{CUSTOMER}\n",
    "nested-quote": (f"On Mon, Mar 2, 2026 at 4:01 PM Jo <jo@example.org> wrote:\n> {CUSTOMER}\n>\n"
                     f"> On Sun, Mar 1, 2026 at 9:00 AM Support <s@example.org> wrote:\n>> Earlier.\n\n{OWN}\n"),
    "stars-line-above-outlook-block": (f"{OWN}\n\n**********\n\nDe : Dana <dana@example.fr>\nEnvoyé : vendredi 5 juin\n"
                                       f"À : Support\n\n{CUSTOMER}\n"),
    "gmail-tracking-mark": f"{OWN}\n\n\u1427\n",
    "gmail-iso-date-without-address": f"{OWN}\n\n2019-07-14 09:05 GMT+02:00 Dana Price\n\n{CUSTOMER}\n",
    "gmail-header-across-blank-lines": (f"{OWN}\n\nOn Fri, 5 Jun 2020 at 14:40 Dana Price\n\n<\n"
                                        f"mailto:dana@example.net\n> wrote:\n\n{CUSTOMER}\n"),
    "supercite-initials": f"DP> {CUSTOMER}\nDP>\n\n{OWN}\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_only_the_senders_words_are_kept(name: str) -> None:
    assert extract_reply(CASES[name]).text == OWN


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_and_audit_judge_the_same_words(name: str) -> None:
    text = CASES[name]
    assert clean(text).text.strip() == strip_reply(text) == OWN


def test_spans_point_into_the_callers_text() -> None:
    text = CASES["nested-quote"]
    reply = extract_reply(text)
    assert "".join(text[a:b] for a, b in reply.spans).strip() == OWN
    cleaned = clean(text)
    start = cleaned.text.index("refunded")
    assert cleaned.span(start, start + 8) == (text.index("refunded"), text.index("refunded") + 8)


def test_signature_and_mobile_footer_go_but_a_sentence_starting_with_thanks_stays() -> None:
    text = "Thanks, I checked your account and the fee is gone.\n\nBest regards,\nPat Quinn\n\nSent from my iPhone\n"
    reply = extract_reply(text)
    assert reply.text == "Thanks, I checked your account and the fee is gone."
    assert reply.with_signoff == "Thanks, I checked your account and the fee is gone.\n\nBest regards,\nPat Quinn"
    assert reply.reason == "signature"


def test_a_sentence_that_starts_with_an_iso_date_stays() -> None:
    text = "2019-07-14 09:05 GMT+02:00 is when the refund left our bank.\n"
    assert extract_reply(text).text == text.strip()


def test_with_quotes_keeps_the_quote_answered_but_not_the_history_below() -> None:
    text = f"> Is my order lost?\n\n{OWN}\n\nOn Mon, Mar 2, 2026 at 4:01 PM Jo <jo@example.org> wrote:\n\n{CUSTOMER}\n"
    reply = extract_reply(text)
    assert reply.text == OWN
    assert reply.with_quotes == f"> Is my order lost?\n\n{OWN}"
    assert extract_reply("> Only a quote.\n").with_quotes == "> Only a quote."


HTML_CASES = {
    "gmail": f'<div dir="ltr">{OWN}</div><div class="gmail_quote"><div>On Mon Jo wrote:</div>'
             f'<blockquote class="gmail_quote">{CUSTOMER}</blockquote></div>',
    "apple-mail": f"<div>{OWN}</div><div><blockquote type=\"cite\">{CUSTOMER}</blockquote></div>",
    "outlook-header-div": (f'<div><p class="MsoNormal">{OWN}</p></div><div style="border:none;border-top:solid #E1E1E1 '
                           f'1.0pt;padding:3.0pt 0in 0in 0in"><p class="MsoNormal"><b>From:</b> Jo</p></div>'
                           f'<p class="MsoNormal">{CUSTOMER}</p>'),
    "outlook-web": f'<div>{OWN}</div><hr><div id="divRplyFwdMsg">From: Jo</div><div>{CUSTOMER}</div>',
    "freshdesk": f"<div>{OWN}</div><div class='freshdesk_quote'><blockquote>{CUSTOMER}</blockquote></div>",
    "front": f'<p>{OWN}</p><blockquote type="cite" class="front-blockquote">{CUSTOMER}</blockquote>',
    "intercom": f'<p>{OWN}</p><div class="history"><p>{CUSTOMER}</p></div>',
}


@pytest.mark.parametrize("name", sorted(HTML_CASES))
def test_html_mail_gives_the_same_words_through_check_and_the_audit_mime_path(name: str) -> None:
    from email.message import EmailMessage

    from tonecheck.audit.mime import parse_message

    markup = f"<html><body>{HTML_CASES[name]}</body></html>"
    msg = EmailMessage()
    msg["From"] = "Pat <pat@example.org>"
    msg.set_content(markup, subtype="html")
    audit_words = parse_message(msg).body.split()
    assert " ".join(clean(markup).text.split()) == " ".join(audit_words) == OWN


def _fixture_lines() -> list[str]:
    root = Path(__file__).resolve().parents[1] / "fixtures" / "replies"
    return [line for path in sorted(root.rglob("*")) if path.is_file() and path.suffix in {".txt", ".eml", ""}
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]


@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_the_wrote_verb_test_before_the_header_patterns_never_skips_a_line_they_match(case):
    """reply._has_wrote_verb is a cheap substring test in front of three case-insensitive patterns; a line it
    turns away must be one none of them matches (every verb, every case, and every line of the fixtures)."""
    verbs = reply._WROTE_VERBS.replace("(?:\\(a\\))?", "").replace("(?:\\(а\\))?", "").split("|")
    lines = [case(f"On Mon, 2 Mar 2026 at 10:15, Jo <jo@x.example> {verb}:") for verb in verbs]
    lines += [case(f"Jo Bloggs {verb}:") for verb in verbs] + [case(line) for line in _fixture_lines()]
    matched = 0
    for line in lines:
        hit = any(p.search(line) for p in (reply._WROTE_INSIDE_START, reply._WROTE_INSIDE, reply._WROTE_END))
        matched += hit
        assert not hit or reply._has_wrote_verb(line), line
    assert matched >= 2 * len(verbs)
    assert not reply._has_wrote_verb("Thanks for writing in, I have rewritten the steps below.")


CJK_HEADERS = [
    "2026年3月2日(月) 10:15 山田太郎 <taro@example.jp>:",
    "2026년 3월 2일 (월) 오전 10:15, 김민수 <minsu@example.kr>님이 작성하였습니다:",
    "2026年3月2日 周一 上午10:15 王伟 <wei@example.cn> 写道：",
]


def test_header_patterns_that_need_a_year_sign_run_only_where_one_occurs_and_answer_the_same():
    """reply._library_header runs the Japanese, Korean and Chinese patterns only on lines with 年 or 년; for
    every fixture line and each language's header that must equal running every pattern."""
    from mailparser_reply.constants import MAIL_LANGUAGES

    every = [re.compile(spec["wrote_header"], re.I) for spec in MAIL_LANGUAGES.values() if spec.get("wrote_header")]
    lines = [*CJK_HEADERS, "On Mon, 2 Mar 2026 at 10:15, Jo <jo@x.example> wrote:", *_fixture_lines()]
    for line in lines:
        assert reply._library_header(line) == any(p.match(line) for p in every), line
    assert reply._library_header(CJK_HEADERS[0])  # the library's Korean and Chinese patterns match nothing at all
    assert len(reply._library_patterns()[1]) == 3  # (their lookahead refuses what they match): same here
