"""From raw RFC 5322 bytes to header fields and the text of the newest reply.

The standard library's ``email`` package (``policy.default``) does the MIME work: multipart walking,
charsets, quoted-printable and base64. We prefer text/plain; an HTML-only mail is turned into text with
inscriptis (layout-aware, no Markdown markup; docs/audit.md says why) after dropping its quoted blocks.
Anything that makes the body untrustworthy raises :class:`BrokenMessage` with a reason for the error row.
"""

from __future__ import annotations

import email
import hashlib
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.utils import parseaddr, parsedate_to_datetime
from functools import lru_cache

from inscriptis import Inscriptis, get_text
from lxml import html as lxml_html
from lxml.etree import ParserError

from ..reply import html_quote_xpath
from .quotes import judge


class BrokenMessage(Exception):
    """A message we cannot audit; the message is the reason stored in its error row."""


@dataclass(frozen=True)
class Parsed:
    """One mail's fields for the audit: ``body`` holds the agent's own words, or ``error`` says why not."""

    message_id: str
    agent: str
    agent_name: str
    sent_at: str
    subject: str
    body: str = ""
    error: str | None = None


_HTML_QUOTE_XPATH = html_quote_xpath()  # the one list clean.py also uses (tonecheck.reply)
_BAD_STRUCTURE = (
    "StartBoundaryNotFoundDefect",
    "NoBoundaryInMultipartDefect",
    "MultipartInvariantViolationDefect",
)
_BAD_BASE64 = ("InvalidBase64CharactersDefect", "InvalidBase64PaddingDefect", "InvalidBase64LengthDefect")


class _MemoPolicy(policy.EmailPolicy):
    """``policy.default``, with the parsed value of the headers that repeat from mail to mail memoised.

    Every ``get_content_type()`` re-parses Content-Type through the header registry, and ``get_body`` asks
    several times per part: header parsing was the largest cost of reading a message (~1 ms of a 2 ms parse).
    The values of these headers repeat across a mailbox (one charset, one mailer, one team of senders), and a
    parsed header is an immutable ``str`` subclass, so one parse per distinct value is shared; a value that
    fails to parse raises as before (failures are not memoised).
    """

    def header_fetch_parse(self, name: str, value: str):  # type: ignore[no-untyped-def]
        if not hasattr(value, "name") and name.lower() in _MEMO_HEADERS:
            return _parse_header(name, value)
        return super().header_fetch_parse(name, value)


_MEMO_HEADERS = frozenset({"content-type", "content-transfer-encoding", "content-disposition", "mime-version",
                           "from"})


@lru_cache(maxsize=2048)
def _parse_header(name: str, value: str):  # type: ignore[no-untyped-def]
    return policy.default.header_fetch_parse(name, value)


MAIL_POLICY = _MemoPolicy()


def parse_bytes(raw: bytes) -> EmailMessage:
    """Parse one message; raise BrokenMessage for input that is not a mail at all."""
    if not raw.strip():
        raise BrokenMessage("empty message")
    try:
        msg = email.message_from_bytes(raw, policy=MAIL_POLICY)
    except Exception as exc:  # the parser is lenient; anything it raises means garbage in
        raise BrokenMessage(f"unparseable message: {type(exc).__name__}") from None
    if not msg.keys():
        raise BrokenMessage("bad MIME: no headers")
    return msg  # type: ignore[return-value]


def content_key(*parts: str | bytes) -> str:
    """A stable key from content, used when a message has no Message-ID or export id."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return "sha256:" + digest.hexdigest()[:32]


def message_id_of(msg: Message) -> str:
    """The Message-ID without angle brackets, or "" when missing or unreadable."""
    try:
        value = str(msg.get("Message-ID", "") or "")
    except Exception:  # a malformed header value can raise on access under policy.default
        return ""
    return value.strip().strip("<>").strip()


def normalise_agent(value: str) -> tuple[str, str]:
    """(agent id, display name): the lower-cased address when there is one, else the lower-cased name."""
    name, address = parseaddr(value or "")
    if "@" in address:
        return address.strip().lower(), name.strip()
    label = (value or "").strip()
    return (label.lower() or "(unknown)"), label


def iso_date(value: str) -> str:
    """The Date header as ISO 8601 when it parses, else the raw text (an audit never fails on a date)."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return value


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body without quoted blocks; inscriptis keeps paragraphs and lists apart."""
    markup = markup.strip()
    if not markup:
        return ""
    try:
        tree = lxml_html.document_fromstring(markup)  # a whole document: no synthetic wrapper to indent
    except (ParserError, ValueError):
        return get_text(markup)
    quotes = tree.xpath(_HTML_QUOTE_XPATH)
    if quotes:  # as clean.py: the first quote mark in document order and all that follows it go
        _cut_from(min(quotes, key=lambda node: _order(tree, node)))
    text = Inscriptis(tree).get_text()
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _order(tree: object, node: object) -> int:
    return next(i for i, el in enumerate(tree.iter()) if el is node)


def _cut_from(node: object) -> None:
    """Remove ``node``, its tail and everything after it in document order."""
    current = node
    while current.getparent() is not None:
        parent = current.getparent()
        for sibling in list(current.itersiblings()):
            parent.remove(sibling)
        current.tail = None
        current = parent
    node.getparent().remove(node)


def parse_message(msg: EmailMessage) -> Parsed:
    """Header fields and the agent's words of one mail; a bad body keeps the headers for the error row."""
    try:
        sender = str(msg.get("From", "") or "")
        subject = str(msg.get("Subject", "") or "")
        date = str(msg.get("Date", "") or "")
    except Exception as exc:
        raise BrokenMessage(f"bad header: {type(exc).__name__}") from None
    agent, agent_name = normalise_agent(sender)
    try:
        text, error = _reply_text(msg), None
    except BrokenMessage as exc:
        text, error = "", str(exc)
    return Parsed(
        message_id=message_id_of(msg),
        agent=agent,
        agent_name=agent_name,
        sent_at=iso_date(date),
        subject=subject.strip(),
        body=text,
        error=error,
    )


def _reply_text(msg: EmailMessage) -> str:
    """The decoded body (plain preferred), stripped of quotes and signature; empty raises BrokenMessage."""
    _reject_bad_structure(msg)
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        raise BrokenMessage("bad MIME: no text/plain or text/html part")
    text = _decode(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    judged = judge(text)
    if judged.error is not None:
        raise BrokenMessage(judged.error)
    return judged.text


def _reject_bad_structure(msg: EmailMessage) -> None:
    """A multipart without its boundary has no trustworthy parts: the whole mail would be checked as text."""
    for defect in msg.defects:
        name = type(defect).__name__
        if name in _BAD_STRUCTURE:
            raise BrokenMessage(f"bad MIME: {name}")


def _decode(part: EmailMessage) -> str:
    """Decode a text part strictly: wrong or unknown charsets become error rows instead of mojibake."""
    charset = part.get_content_charset() or "us-ascii"
    try:
        payload = part.get_payload(decode=True)
    except Exception as exc:
        raise BrokenMessage(f"bad transfer encoding: {type(exc).__name__}") from None
    for defect in part.defects:
        if type(defect).__name__ in _BAD_BASE64:
            raise BrokenMessage(f"bad base64 body: {type(defect).__name__}")
    if payload is None:
        raise BrokenMessage("bad MIME: body part has no payload")
    if charset in ("us-ascii", "ascii") and not payload.isascii():
        charset = "utf-8"  # mislabelled 8-bit mail is nearly always UTF-8; strict decoding still guards it
    try:
        text = payload.decode(charset, errors="strict")
    except LookupError:
        raise BrokenMessage(f"unknown charset {charset!r}") from None
    except UnicodeDecodeError:
        raise BrokenMessage(f"undecodable bytes for charset {charset!r}") from None
    if "\x00" in text:
        raise BrokenMessage("binary body (NUL characters)")
    return text
