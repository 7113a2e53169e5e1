"""Reading one mail: the memoised header parsing must give what ``policy.default`` gives, mail after mail."""

from __future__ import annotations

import email
from email import policy

import pytest

from tonecheck.audit.mime import BrokenMessage, parse_bytes, parse_message


def _mail(charset: str, body: bytes, sender: str = "Pat Quinn <pat@acme.example>", cte: str = "8bit") -> bytes:
    return (f"From: {sender}\r\nSubject: Re: refund\r\nMessage-ID: <m@x>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=\"{charset}\"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
            ).encode() + body


MAILS = [
    _mail("utf-8", "Thanks for waiting, your refund is on its way — it should arrive by Friday.\r\n".encode()),
    _mail("iso-8859-1", "Désolé for the delay, your refund is on its way and arrives Friday.\r\n".encode("latin-1"),
          sender="=?utf-8?q?Ren=C3=A9e_Ode?= <renee@acme.example>"),
    _mail("utf-8", b"VGhhbmtzIGZvciB3YWl0aW5nLCB5b3VyIHJlZnVuZCBpcyBvbiBpdHMgd2F5Lg==\r\n", cte="base64"),
    _mail("utf-8", "Thanks for waiting, your refund is on its way — it should arrive by Friday.\r\n".encode()),
]


def _reference(raw: bytes) -> tuple[str, str, str]:
    msg = email.message_from_bytes(raw, policy=policy.default)
    part = msg.get_body(preferencelist=("plain",))
    return str(msg["From"]), part.get_content_charset(), part.get_content().strip()


def test_headers_and_bodies_equal_policy_default_when_values_repeat_and_differ() -> None:
    for _ in range(2):  # the second round reads every header from the memo
        for raw in MAILS:
            msg = parse_bytes(raw)
            sender, charset, body = _reference(raw)
            assert str(msg["From"]) == sender
            assert msg.get_body(preferencelist=("plain",)).get_content_charset() == charset
            parsed = parse_message(msg)
            assert parsed.error is None
            assert body.split(",")[0] in parsed.body
    assert parse_message(parse_bytes(MAILS[1])).agent_name == "Renée Ode"


def test_a_bad_header_still_fails_after_a_good_one_with_the_same_name() -> None:
    parse_message(parse_bytes(MAILS[0]))
    raw = MAILS[0].replace(b'charset="utf-8"', b'charset="no-such-charset"')
    assert "unknown charset" in parse_message(parse_bytes(raw)).error
    with pytest.raises(BrokenMessage):
        parse_bytes(b"   ")
