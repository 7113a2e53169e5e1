"""Readers and MIME: what each fixture input turns into, before any checking."""

from __future__ import annotations

from pathlib import Path

import pytest
from audit_helpers import FIXTURES, spec_for

from tonecheck.audit.mime import html_to_text, normalise_agent
from tonecheck.audit.sources import FieldMap, InputSpec, Item, count_inputs, detect_kind, read_inputs
from tonecheck.errors import InputError

EMPTY = "empty body after removing quotes and signature"


def items(*names: str) -> list[Item]:
    return list(read_inputs(spec_for(*names)))


def test_mbox_messages_headers_and_bodies() -> None:
    got = {i.key: i for i in items("sent.mbox")}
    assert list(got) == [
        "mid:gmail-1@acme.example", "mid:outlook-1@acme.example", "mid:apple-1@acme.example",
        "mid:latin1-1@acme.example", "mid:gmailhtml-1@acme.example", "mid:onlyquote-1@acme.example",
        "mid:broken-1@acme.example", "mid:badbytes-1@acme.example",
    ]
    gmail = got["mid:gmail-1@acme.example"]
    assert (gmail.agent, gmail.agent_name) == ("jamie.lee@acme.example", "Jamie Lee")
    assert gmail.sent_at == "2026-03-03T10:00:00+00:00" and gmail.subject == "Re: Refund"
    assert gmail.text == (
        "Hi Maria,\n\nAs I already told you, the refund takes 5 business days. It was issued on Monday."
    )
    assert got["mid:outlook-1@acme.example"].agent == "pat.quinn@acme.example"
    assert "already told" not in got["mid:outlook-1@acme.example"].text
    assert got["mid:apple-1@acme.example"].text.endswith("please check the app again.")


def test_non_utf8_quoted_printable_is_decoded() -> None:
    latin1 = {i.key: i for i in items("sent.mbox")}["mid:latin1-1@acme.example"]
    assert latin1.error is None
    assert latin1.text.startswith("Bonjour Renée,\n\nYour order to München has shipped à la livraison")
    assert "Sam" not in latin1.text  # the "-- " signature is gone


def test_html_only_mail_drops_gmail_quote_and_signature() -> None:
    html_mail = {i.key: i for i in items("sent.mbox")}["mid:gmailhtml-1@acme.example"]
    assert html_mail.text == (
        "Hi Omar,\n\nWe've extended your trial by 14 days. You are the only customer complaining about this, "
        "but I fixed it anyway."
    )


def test_broken_messages_are_error_rows_with_reasons_and_headers() -> None:
    got = {i.key: i for i in items("sent.mbox")}
    assert got["mid:onlyquote-1@acme.example"].error == EMPTY
    assert got["mid:broken-1@acme.example"].error == "bad MIME: StartBoundaryNotFoundDefect"
    assert got["mid:broken-1@acme.example"].agent == "jamie.lee@acme.example"
    assert got["mid:badbytes-1@acme.example"].error == "undecodable bytes for charset 'utf-8'"
    assert all(got[k].text == "" for k in got if got[k].error)


def test_truncated_and_garbage_mbox_do_not_stop_reading() -> None:
    got = items("garbage.mbox", "truncated.mbox", "export.jsonl")
    assert got[0].error == "not an mbox file: no 'From ' separator line at the start"
    assert got[1].key == "mid:trunc-good@acme.example"
    assert got[1].text == "Hi Bo,\n\nI've reset your password."
    assert got[2].error is not None and got[2].source.endswith("truncated.mbox#2")
    assert [i.key for i in got[3:5]] == ["id:501", "id:502"]  # the next input is still read


def test_eml_folder_is_recursive_and_ignores_other_files() -> None:
    got = items("eml")
    assert [Path(i.source).name for i in got] == ["outlook-html.eml", "windows-1252.eml"]
    outlook, win = got
    assert outlook.text == (
        "Hello Tom,\n\nYou're the only person who has had this problem with the charger. "
        "I've sent a replacement today."
    )
    assert win.text == "Hi Zoë,\n\nYour café order – the “deluxe” one – ships today."
    assert win.key.startswith("sha256:")  # no Message-ID: keyed by content


def test_csv_export_with_custom_columns() -> None:
    got = items("export.csv")
    assert [(i.key, i.agent, i.sent_at, i.error) for i in got] == [
        ("id:T-1", "jamie.lee@acme.example", "2026-03-05T09:00:00Z", None),
        ("id:T-2", "kim@acme.example", "2026-03-05T10:00:00Z", None),
        ("id:T-3", "kim@acme.example", "2026-03-05T11:00:00Z", EMPTY),
    ]
    assert got[0].text == "Hi Ana,\n\nAs I already told you, the invoice is attached."
    assert got[0].source.endswith("export.csv:row 1")


def test_jsonl_export_with_dotted_fields_and_a_bad_line() -> None:
    got = items("export.jsonl")
    assert got[0].agent == "alex@acme.example" and got[0].message_id == "501"
    assert got[0].text == "Hi Dee,\n\nYour plan is upgraded. You are the only one who asked twice."
    assert got[1].text == "Hi Eve,\n\nGlad it works now. Have a nice day!"
    assert got[2].error is not None and got[2].error.startswith("bad JSON")


def test_csv_default_columns_and_non_utf8_row(tmp_path: Path) -> None:
    path = tmp_path / "helpdesk.csv"
    path.write_bytes(
        b"id,agent,sent_at,subject,body\n"
        b"1,Kim <kim@acme.example>,2026-03-01,Hi,Thanks for waiting.\n"
        b"2,Kim <kim@acme.example>,2026-03-01,Hi,Caf\xe9 is closed.\n"
    )
    got = list(read_inputs(InputSpec((path,))))
    assert got[0].text == "Thanks for waiting." and got[0].error is None
    assert got[1].error == "undecodable bytes (not UTF-8) in the reply text"


def test_csv_without_body_column_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.csv: the CSV has no column 'body' \(body\) or 'html' \(html\); "
                                         r"its columns are 'a', 'b'$"):
        list(read_inputs(InputSpec((path,), FieldMap())))


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("a.txt", b"From me Tue Mar  3 10:00:00 2026\nFrom: x\n", "mbox"),
        ("b.dat", b'{"body": "hi"}\n', "jsonl"),
        ("c", b"From: a@b.c\nSubject: x\n\nhi\n", "eml"),
        ("d.export", b"id,body\n1,hi\n", "csv"),
        ("e.MBOX", b"", "mbox"),
    ],
)
def test_detect_kind(tmp_path: Path, name: str, content: bytes, kind: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_kind(path) == kind


def test_count_inputs_bounds_the_items() -> None:
    spec = spec_for("sent.mbox", "eml", "export.csv", "export.jsonl")
    assert count_inputs(spec) == len(list(read_inputs(spec))) == 8 + 2 + 3 + 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"Lee, Jamie" <Jamie.Lee@ACME.example>', ("jamie.lee@acme.example", "Lee, Jamie")),
        ("KIM@ACME.EXAMPLE", ("kim@acme.example", "")),
        ("Support Bot", ("support bot", "Support Bot")),
        ("", ("(unknown)", "")),
    ],
)
def test_normalise_agent(value: str, expected: tuple[str, str]) -> None:
    assert normalise_agent(value) == expected


def test_html_to_text_keeps_paragraphs_and_drops_blockquotes() -> None:
    markup = (
        "<p>Hi <b>Jo</b>,</p><p>Steps:</p><ul><li>open Settings</li><li>tap Reset</li></ul>"
        "<blockquote type='cite'>you idiots</blockquote><p>Fish &amp; chips</p>"
    )
    text = html_to_text(markup)
    assert "idiots" not in text
    assert text.split("\n")[0] == "Hi Jo,"
    assert "* open Settings" in text
    assert "Fish & chips" not in text  # everything from the first quote mark on is history, as for `check`


def test_fixture_folder_exists() -> None:
    assert (FIXTURES / "sent.mbox").is_file()


def test_a_folder_without_eml_files_is_one_error_row(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("nothing here", encoding="utf-8")
    [item] = read_inputs(InputSpec((tmp_path,)))
    assert item.error == "no .eml files in this folder"


def test_text_plain_is_preferred_over_html() -> None:
    from email.message import EmailMessage

    from tonecheck.audit.mime import parse_bytes, parse_message

    msg = EmailMessage()
    msg["From"] = "Kim <kim@acme.example>"
    msg.set_content("Plain words.\n")
    msg.add_alternative("<p>HTML words.</p>", subtype="html")
    assert parse_message(parse_bytes(bytes(msg))).body == "Plain words."


def test_unknown_charset_is_an_error() -> None:
    from tonecheck.audit.mime import parse_bytes, parse_message

    raw = b"From: a@b.c\nContent-Type: text/plain; charset=x-klingon\n\nHello\n"
    assert parse_message(parse_bytes(raw)).error == "unknown charset 'x-klingon'"
