"""Marking flagged spans in a draft: the one highlighter every front end uses.

The terminal (``tonecheck check``, ANSI colours or ``[[...]]``) and the audit's HTML report (``<mark>``) differ
only in how a span is drawn and how the text between spans is written; which spans get marked is decided here
once, so a draft reads the same everywhere: spans are taken in reading order (start, longest first), and a span
that overlaps one already marked, or that runs past the end of the text, is not marked (every finding is still
listed beside the draft by its front end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def _as_is(text: str) -> str:
    return text


def highlight(
    text: str,
    spans: Iterable[tuple[int, int, T]],
    mark: Callable[[str, T], str],
    plain: Callable[[str], str] = _as_is,
) -> str:
    """``text`` with each ``(start, end, payload)`` span drawn by ``mark(text[start:end], payload)``.

    The text outside marked spans goes through ``plain`` (``html.escape`` for HTML; unchanged by default);
    ``mark`` gets the span's raw text and escapes it itself if it needs to. The payload is whatever the caller
    needs to draw the span (a :class:`~tonecheck.report.Finding`, a stored finding row).
    """
    pieces = []
    pos = 0
    for start, end, payload in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < pos or end > len(text):
            continue
        pieces.append(plain(text[pos:start]))
        pieces.append(mark(text[start:end], payload))
        pos = end
    pieces.append(plain(text[pos:]))
    return "".join(pieces)
