"""Cut a reply down to the agent's own words: no quoted history, no signature.

The heavy lifting is mail-parser-reply (see docs/audit.md for why): it knows Gmail's "On ... wrote:",
Apple Mail's "On 2 Mar 2026, at 10:02, ... wrote:", Outlook's "From:/Sent:/To:/Subject:" blocks and
"-----Original Message-----", sign-offs ("Best regards,", "Thanks,") and "Sent from my iPhone" in several
languages. Two gaps are closed here: it keeps interleaved "> " lines in the newest reply, and a crash inside
a third-party regex must not stop an audit, so a small stdlib fallback takes over when it raises.
"""

from __future__ import annotations

import logging
import re

from mailparser_reply.parser import EmailMessage

log = logging.getLogger(__name__)

#: Languages whose reply headers and sign-offs we recognise; English is always included by the library.
LANGUAGES = ("en", "de", "fr", "es", "it", "nl")

#: A sign-off line longer than this ("Best regards, Pat Quinn" is 4) is a sentence, not a signature.
MAX_SIGNOFF_WORDS = 4
#: How many sentence-like sign-off lines we step over before settling for the plain signature markers.
MAX_SIGNOFF_RETRIES = 5

_QUOTED_LINE = re.compile(r"^[ \t]*>")
_SIGNATURE_MARKER = re.compile(r"^(?:-- ?|__)$|^(?:Sent from my|Get Outlook for) ", re.MULTILINE)
_FALLBACK_CUTS = (
    re.compile(r"^On\b.{0,200}?\bwrote:\s*$", re.MULTILINE | re.DOTALL),
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}\s*$", re.MULTILINE | re.IGNORECASE),
    re.compile(r"^_{20,}\s*$", re.MULTILINE),
    re.compile(r"^From:.*\n(?:Sent|Date):", re.MULTILINE),
    re.compile(r"^-- ?$", re.MULTILINE),
)


def strip_reply(text: str) -> str:
    """Return the newest reply's body without quotes or signature; "" when nothing of the agent's is left."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        body = _library_body(text)
    except Exception as exc:  # a parser bug must cost one message's precision, not the audit
        log.warning("reply parser failed (%s); using the fallback cutter", type(exc).__name__)
        body = _fallback_body(text)
    return _drop_quoted_lines(body).strip()


def _library_body(text: str) -> str:
    """Newest reply as mail-parser-reply sees it, with hyphen lists kept (they are often instructions).

    The library takes any line that starts with a sign-off ("Thanks,", "Best,") as the start of the
    signature and drops the rest of the mail. When that line reads as a sentence ("Thanks, I checked your
    account and ...") it is the agent talking: we keep it and look for the real signature after it.
    """
    kept: list[str] = []
    for _ in range(MAX_SIGNOFF_RETRIES):
        message = EmailMessage(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True).read()
        if not message.replies:
            break
        reply = message.replies[0]
        first_line = reply.signatures.split("\n", 1)[0] if reply.signatures else ""
        if len(first_line.split()) <= MAX_SIGNOFF_WORDS:
            kept.append(reply.body)
            break
        full = reply.full_body
        end = full.find(first_line) + len(first_line)
        if end < len(first_line):
            kept.append(_cut_at_signature_marker(full))
            break
        rest = full[end:]
        kept.append(full[:end] + rest[: len(rest) - len(rest.lstrip("\n"))])  # keep the line breaks
        text = rest.lstrip("\n")
    else:
        kept.append(_cut_at_signature_marker(text))
    return "".join(kept)


def _cut_at_signature_marker(text: str) -> str:
    """Cut at a "-- " delimiter line or a "Sent from my ..." line, whichever comes first."""
    match = _SIGNATURE_MARKER.search(text)
    return text[: match.start()] if match else text


def _fallback_body(text: str) -> str:
    """Cut at the earliest well-known separator; used only when the library raises."""
    cut = len(text)
    for pattern in _FALLBACK_CUTS:
        match = pattern.search(text)
        if match and match.start() < cut:
            cut = match.start()
    return text[:cut]


def _drop_quoted_lines(text: str) -> str:
    """Remove "> " lines that survive inside the newest reply (interleaved answers keep their own lines)."""
    lines = [line for line in text.split("\n") if not _QUOTED_LINE.match(line)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
