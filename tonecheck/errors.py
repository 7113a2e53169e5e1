"""Every error tonecheck raises on purpose.

Front ends map these to exit codes (cli.py) and HTTP statuses (service/errors.py) in one table each, so a new
failure mode is a new class here and one row there. Messages never contain the user's text: they end up in logs.
"""

from __future__ import annotations


class ToneCheckError(Exception):
    """Base class: anything tonecheck raises deliberately."""


class InputError(ToneCheckError, ValueError):
    """The input cannot be checked as given (empty, binary, not text)."""


class TextTooLong(InputError):
    """The input is longer than the configured limit."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"text is {length:,} characters long; the limit is {limit:,}")
        self.length = length
        self.limit = limit


class RulePackError(ToneCheckError):
    """A rule pack is missing or invalid; the message starts with 'path:line:'."""


class UnknownPack(RulePackError, LookupError):
    """A pack name that no rules folder provides."""


class ModelUnavailable(ToneCheckError):
    """The tone model's files are missing or unreadable; the message says how to rebuild them."""
