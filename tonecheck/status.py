"""Every exit status of the ``tonecheck`` command, for every subcommand, and the one table from errors to them.

Subcommands (``check``, ``audit``, ``serve``, ``keys``) return an :class:`ExitStatus` for outcomes and raise
:class:`~tonecheck.errors.ToneCheckError` subclasses for errors; only :func:`tonecheck.cli.main` turns an
exception into a status (through :func:`exit_status_for`) and a one-line message.
"""

from __future__ import annotations

from enum import IntEnum

from .errors import InputError, ModelUnavailable, RulePackError, ToneCheckError, UnknownPack


class ExitStatus(IntEnum):
    OK = 0
    FINDINGS = 1  # check: verdict review or block
    INPUT_ERROR = 2  # usage (argparse's own 2 too), settings, unreadable input, unknown pack, refused start
    RULE_PACK_ERROR = 3
    MODEL_UNAVAILABLE = 4
    INTERRUPTED = 130  # Ctrl-C; the audit resumes when run again


# (exception type, exit status): first match wins, so subclasses come first.
ERROR_EXIT: tuple[tuple[type[BaseException], ExitStatus], ...] = (
    (UnknownPack, ExitStatus.INPUT_ERROR),
    (RulePackError, ExitStatus.RULE_PACK_ERROR),
    (ModelUnavailable, ExitStatus.MODEL_UNAVAILABLE),
    (InputError, ExitStatus.INPUT_ERROR),
    (ToneCheckError, ExitStatus.INPUT_ERROR),
    (KeyboardInterrupt, ExitStatus.INTERRUPTED),
)


def exit_status_for(exc: BaseException) -> ExitStatus:
    """The exit status for an error raised by a command."""
    return next(code for kind, code in ERROR_EXIT if isinstance(exc, kind))
