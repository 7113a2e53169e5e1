"""Quote and signature stripping on replies shaped like real Gmail, Outlook and Apple Mail output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tonecheck.audit import quotes
from tonecheck.audit.quotes import strip_reply

GMAIL = """Hi Maria,

Your refund was issued today and should arrive within 5 business days.

Thanks,
Jamie Lee
Support Team, Acme

On Tue, Mar 3, 2026 at 9:14 AM Maria Gomez <
maria.gomez@example.org> wrote:

> Hello, where is my refund? You people are useless.
>
> Maria
"""

OUTLOOK_WEB = """Hello Tom,

I've sent a replacement charger today.

Kind Regards,
Pat Quinn
Customer Care | Acme Corp

________________________________
From: Tom Baker <tom@example.com>
Sent: Monday, March 2, 2026 4:01 PM
To: Support <support@acme.example>
Subject: Broken charger

My charger stopped working after two days. This is a scam.
"""

OUTLOOK_DESKTOP = """Hi Sam,

We have reset your password; please try again.

-----Original Message-----
From: Sam <sam@example.com>
Sent: Monday, March 2, 2026 4:01 PM
To: Support
Subject: Locked out

I can't log in, idiots.
"""

OUTLOOK_GERMAN = """Hallo Frau Weber,

Ihre Bestellung ist heute verschickt worden.

Mit freundlichen Grüßen
Kim Ode

Von: Anna Weber <anna@example.de>
Gesendet: Montag, 2. März 2026 10:00
An: Support <support@acme.example>
Betreff: Bestellung

Wo bleibt meine Bestellung?
"""

APPLE_IPHONE = """Hi Lena,

I've restored your notes from last night's backup.

Sent from my iPhone

> On 2 Mar 2026, at 10:02, Lena Fischer <lena@example.de> wrote:
>
> The app deleted all my notes!! Useless.
"""

APPLE_MAIL = """Hi Lena,

Your notes are back.

Kim

> On 2. Mar 2026, at 10:02, Lena Fischer <lena@example.de> wrote:
>
> Where are my notes?
"""

INTERLEAVED = """Hi Ann,

> Can I change my plan?
Yes, from the billing page.

> And get a refund? You people are thieves.
Refunds are possible within 14 days.

--
Kim
"""


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        (GMAIL, "Your refund was issued today", ["useless", "wrote:", "Jamie Lee", "Thanks,"]),
        (OUTLOOK_WEB, "I've sent a replacement charger today.", ["scam", "From:", "Pat Quinn", "____"]),
        (OUTLOOK_DESKTOP, "We have reset your password", ["idiots", "Original Message", "Sent:"]),
        (OUTLOOK_GERMAN, "Ihre Bestellung ist heute verschickt worden.", ["Von:", "Wo bleibt", "Kim Ode"]),
        (APPLE_IPHONE, "I've restored your notes", ["Sent from my iPhone", "Useless", "wrote:"]),
        (APPLE_MAIL, "Your notes are back.", ["Where are my notes", "wrote:"]),
        (INTERLEAVED, "Refunds are possible within 14 days.", ["thieves", "Can I change", "Kim"]),
    ],
    ids=["gmail", "outlook-web", "outlook-original-message", "outlook-german", "apple-iphone", "apple-mail",
         "interleaved"],
)
def test_keeps_only_the_agents_words(text: str, kept: str, gone: list[str]) -> None:
    body = strip_reply(text)
    assert kept in body
    for fragment in gone:
        assert fragment not in body
    assert body == body.strip()


def test_interleaved_answers_are_all_kept() -> None:
    body = strip_reply(INTERLEAVED)
    assert body.startswith("Hi Ann,")
    assert "Yes, from the billing page." in body
    assert ">" not in body


def test_hyphen_lists_are_not_mistaken_for_a_signature() -> None:
    text = "Hi,\n\nTo fix it:\n- open Settings\n- tap Reset\n\nBest regards,\nKim\n"
    assert strip_reply(text) == "Hi,\n\nTo fix it:\n- open Settings\n- tap Reset"


def test_a_reply_that_is_only_quote_is_empty() -> None:
    assert strip_reply("On Tue, Mar 3, 2026 at 9:14 AM Maria <m@example.org> wrote:\n> Hello?\n") == ""


def test_windows_line_endings() -> None:
    assert strip_reply("Hi,\r\n\r\nDone.\r\n\r\n-----Original Message-----\r\nFrom: x\r\n") == "Hi,\n\nDone."


def test_near_empty_reply_is_a_partial_row_not_a_silent_ok() -> None:
    quoted = "\n".join(f"> The customer said thing number {n} at great length." for n in range(12))
    judged = quotes.judge(f"Hello.\n\nOn Mon, Jan 5, 2026 at 9:00 AM Jo <jo@example.org> wrote:\n{quoted}\n")
    assert judged.text == ""
    assert judged.error is not None and judged.error.startswith("partial: only 1 of ")
    assert "quoted history" in judged.error


def test_empty_reply_stays_an_empty_body_error() -> None:
    judged = quotes.judge("On Tue, Mar 3, 2026 at 9:14 AM Maria <m@example.org> wrote:\n> Hello?\n")
    assert (judged.text, judged.error) == ("", quotes.EMPTY_REASON)


def test_a_short_reply_that_is_the_whole_mail_is_judged() -> None:
    assert quotes.judge("Done, thanks!") == quotes.Judged("Done, thanks!")


def test_non_english_reply_is_a_skipped_language_row() -> None:
    judged = quotes.judge("Buongiorno, la sua richiesta è stata elaborata e riceverà il rimborso entro cinque giorni.")
    assert judged.text == ""
    assert judged.error == "skipped language: the reply reads as Italian (it), not English; not judged"


def test_english_reply_is_not_skipped() -> None:
    judged = quotes.judge("Your refund was issued today and should arrive within 5 business days.")
    assert judged.error is None


def test_a_sentence_starting_with_a_signoff_word_is_kept() -> None:
    text = (
        "Hi Jo,\n\nThanks, I checked your account. As I already told you, the fee stays.\n"
        "You can appeal within 30 days.\n\nBest regards,\nKim\n\n"
        "On Mon, Jan 5, 2026 at 9:00 AM Jo <jo@example.org> wrote:\n> Why was I charged?\n"
    )
    assert strip_reply(text) == (
        "Hi Jo,\n\nThanks, I checked your account. As I already told you, the fee stays.\n"
        "You can appeal within 30 days."
    )
    twice = "Hi,\n\nThanks, I checked your account.\n\nThanks, we also refunded the fee.\n\nThanks,\nKim"
    assert strip_reply(twice) == "Hi,\n\nThanks, I checked your account.\n\nThanks, we also refunded the fee."


def test_a_signoff_with_the_name_on_one_line_is_still_a_signature() -> None:
    assert strip_reply("Hi Jo,\n\nDone.\n\nBest regards, Pat Quinn\nAcme Corp\n") == "Hi Jo,\n\nDone."


FOREIGN = Path(__file__).resolve().parent / "fixtures" / "foreign_replies.jsonl"


def _foreign_replies() -> list[dict]:
    return [json.loads(line) for line in FOREIGN.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_no_reply_in_another_detected_language_reads_as_english_without_the_detector() -> None:
    """quotes.reads_as_english lets an English reply skip the language detector; a reply in German, French,
    Spanish, Italian, Dutch or Portuguese, code-switched with English product words as agents write, must never
    reach its share, or the audit would judge it as English."""
    rows = _foreign_replies()
    assert {row["lang"] for row in rows} == {"de", "fr", "es", "it", "nl", "pt"} and len(rows) >= 60
    assert [row["text"] for row in rows if quotes.reads_as_english(row["text"])] == []
    skipped = [quotes.judge(row["text"]).error for row in rows]
    assert sum(bool(e and e.startswith("skipped language")) for e in skipped) >= 0.8 * len(rows)


def test_an_english_reply_does_not_ask_the_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_detector() -> None:
        raise AssertionError("the detector was asked")

    monkeypatch.setattr(quotes, "_detector", no_detector)
    text = "Thanks for your patience. We have checked the order and the parcel is with the courier."
    assert quotes.reads_as_english(text)
    assert quotes.judge(text) == quotes.Judged(text)
    with pytest.raises(AssertionError, match="detector was asked"):
        quotes.judge("Merci pour votre patience, le colis est chez le transporteur depuis lundi.")
