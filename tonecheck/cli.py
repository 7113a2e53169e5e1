"""The ``tonecheck`` command: parses arguments, calls the library, renders; maps errors to exit codes here only.

Streams come in an :class:`Environment`, so tests call ``main([...], env)`` with in-memory streams and need
neither a subprocess nor patching of ``sys``.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import IO, Any

from .errors import InputError, ToneCheckError
from .highlight import highlight
from .report import Finding, Report
from .settings import Settings, load_settings
from .status import ExitStatus, exit_status_for

# Subcommands that live in other modules, each exposing ``add_parser(subparsers)``: name → (module, extra, help).
# A module is imported only when its command is run, so ``check`` never pays for Flask or matplotlib.
_SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "audit": ("tonecheck.audit.command", "audit", "audit sent replies (mbox, .eml, CSV, JSONL) into a report"),
    "serve": ("tonecheck.service.command", "service", "run the HTTP service under gunicorn"),
    "keys": ("tonecheck.service.command", "service", "manage API keys for the HTTP service"),
}

# Options of ``tonecheck`` itself, given before the subcommand; those that take a value must be listed here so
# that finding the subcommand in argv skips their values (``tonecheck --config FILE audit ...``).
_GLOBAL_OPTIONS_WITH_VALUE = ("--config",)

JSONL_BATCH = 32


@dataclass
class Environment:
    """What a command may touch: its streams, whether stdout is a terminal, the environment and the settings.

    ``settings`` left as None are loaded by :func:`main` from ``--config`` and ``environ`` (None: the process's
    environment); a ``--config`` on the command line always loads them afresh.
    """

    stdin: IO[bytes] = field(default_factory=lambda: sys.stdin.buffer)
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    stdout_isatty: bool = field(default_factory=lambda: sys.stdout.isatty())
    settings: Settings | None = None
    environ: Mapping[str, str] | None = None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The full parser for the command in ``argv``; other subcommands appear in ``--help`` by name only."""
    parser = argparse.ArgumentParser(
        prog="tonecheck",
        description="Check the tone of customer-support replies before they are sent.",
        allow_abbrev=False,  # so every spelling of a global option is in _GLOBAL_OPTIONS_WITH_VALUE
    )
    parser.add_argument("--config", metavar="FILE", help="settings file (TOML); default: $TONECHECK_CONFIG")
    parser.add_argument("--traceback", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_check_parser(sub)
    wanted = command_name(argv or [])
    if wanted in _SUBCOMMANDS:
        module, extra, _ = _SUBCOMMANDS[wanted]
        _import_subcommand(module, extra).add_parser(sub)
    for name, (_, _, help_text) in _SUBCOMMANDS.items():
        if name not in sub.choices:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def command_name(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv``: its first word that is neither a global option nor such an option's value."""
    words = iter(argv)
    for word in words:
        if word == "--":
            return next(words, None)
        if word in _GLOBAL_OPTIONS_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _import_subcommand(module: str, extra: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ToneCheckError(
            f"this command needs the {extra!r} extra ({exc.name} is missing): pip install 'tonecheck[{extra}]'"
        ) from None


def _add_check_parser(sub: Any) -> None:
    p = sub.add_parser("check", help="check one draft, or many as JSON lines", description=(
        "Check a draft reply. Exit status: 0 ok, 1 review/block, 2 usage or input error, "
        "3 rule-pack error, 4 model unavailable."
    ))
    p.add_argument("file", nargs="?", default="-", help="draft file, or - for standard input (default)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")
    p.add_argument("--pack", help="rule pack to use (default: the configured default pack)")
    p.add_argument("--jsonl", action="store_true",
                   help='input is JSON lines {"id": ..., "text": ...}; output one JSON report per line')
    p.add_argument("--no-model", action="store_true", help="rules only: skip the tone model (faster)")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    p.set_defaults(func=run_check)


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Entry point: the one place exceptions become exit codes (:mod:`tonecheck.status`) and one-line messages."""
    env = env or Environment()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(argv)
    except ToneCheckError as exc:
        env.stderr.write(f"tonecheck: error: {exc}\n")
        return exit_status_for(exc)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage (status 2) or help (status 0)
        return int(exc.code or 0)
    try:
        if env.settings is None or args.config is not None:
            env.settings = load_settings(args.config, env.environ)
        return int(args.func(args, env))
    except KeyboardInterrupt as exc:
        env.stderr.write("tonecheck: interrupted\n")
        return exit_status_for(exc)
    except ToneCheckError as exc:
        if args.traceback:
            raise
        env.stderr.write(f"tonecheck: error: {exc}\n")
        return exit_status_for(exc)


def make_checker(env: Environment, *, no_model: bool = False) -> Any:
    """The CLI's one Checker, built from the merged settings (``--no-model`` switches the model off)."""
    from dataclasses import replace

    from .api import Checker

    settings = env.settings or load_settings()
    if no_model:
        settings = replace(settings, use_model=False)
    return Checker.load(settings)


def read_input(path: str, stdin: IO[bytes]) -> str:
    """Read a draft as UTF-8; undecodable bytes are an input error that says where."""
    try:
        if path == "-":
            data = stdin.read()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{'standard input' if path == '-' else path} is not UTF-8 text "
            f"(byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def run_check(args: argparse.Namespace, env: Environment) -> int:
    if args.jsonl:
        return _run_jsonl(args, env)
    text = read_input(args.file, env.stdin)
    checker = make_checker(env, no_model=args.no_model)
    report = checker.check(text, pack=args.pack)
    if args.format == "json":
        json.dump(report.to_dict(), env.stdout, ensure_ascii=False, indent=2)
        env.stdout.write("\n")
    else:
        color = args.color == "always" or (args.color == "auto" and env.stdout_isatty)
        env.stdout.write(render_text(text, report, color=color))
    return ExitStatus.OK if report.verdict == "ok" else ExitStatus.FINDINGS


@dataclass(frozen=True)
class _Line:
    """One non-blank line of ``--jsonl`` input: its text to check, or why it cannot be checked."""

    number: int
    id: Any = None
    text: str = ""
    error: str | None = None


def _iter_jsonl(stream: IO[bytes]) -> Iterator[_Line]:
    """One :class:`_Line` per non-blank line; a bad line carries an error, never stops the run."""
    for lineno, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield _Line(lineno, error="line is not UTF-8")
            continue
        except json.JSONDecodeError as exc:
            yield _Line(lineno, error=f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(item, dict):
            yield _Line(lineno, error='expected an object like {"id": ..., "text": ...}')
            continue
        text = item.get("text")
        if not isinstance(text, str):
            yield _Line(lineno, item.get("id"), error="field 'text' must be a string")
            continue
        yield _Line(lineno, item.get("id"), text)


def _run_jsonl(args: argparse.Namespace, env: Environment) -> int:
    """One output line per input line, in order: a report, or ``{"id", "line", "error"}`` for a bad line."""
    checker = make_checker(env, no_model=args.no_model)
    checker.pack(args.pack)  # an unknown pack is a usage error before any line is read
    if args.file == "-":
        stream: IO[bytes] = env.stdin
    else:
        try:
            stream = open(args.file, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputError(f"cannot read {args.file}: {exc.strerror}") from None
    worst = ExitStatus.OK
    try:
        # Runs of readable lines go to the library as one stream (it batches them); an unreadable line is
        # reported between them, so the output keeps the input's order.
        for readable, lines in groupby(_iter_jsonl(stream), key=lambda line: line.error is None):
            for line, outcome in _outcomes(checker, lines, readable, args.pack):
                env.stdout.write(json.dumps(_jsonl_row(line, outcome), ensure_ascii=False) + "\n")
                worst = max(worst, _jsonl_status(outcome))
    finally:
        if stream is not env.stdin:
            stream.close()
    return worst


def _outcomes(
    checker: Any, lines: Iterable[_Line], readable: bool, pack: str | None
) -> Iterable[tuple[_Line, Report | InputError | str]]:
    """(line, report or error) for a run of lines that are all readable (checked) or all not (their errors)."""
    if not readable:
        return ((line, line.error or "") for line in lines)
    return checker.check_items(((line.text, line) for line in lines), pack=pack, batch_size=JSONL_BATCH)


def _jsonl_row(line: _Line, outcome: Report | InputError | str) -> dict[str, Any]:
    """The output object for one line: ``{"id", **report}``, or ``{"id", "line", "error"}``."""
    if isinstance(outcome, Report):
        return {"id": line.id, **outcome.to_dict()}
    return {"id": line.id, "line": line.number, "error": str(outcome)}


def _jsonl_status(outcome: Report | InputError | str) -> ExitStatus:
    """What one line adds to the run's exit status: any bad line makes it 2, else any finding makes it 1."""
    if not isinstance(outcome, Report):
        return ExitStatus.INPUT_ERROR
    return ExitStatus.OK if outcome.verdict == "ok" else ExitStatus.FINDINGS


# ----------------------------------------------------------------------------- text rendering

_SEVERITY_COLOR = {"error": "\x1b[1;41;97m", "warning": "\x1b[1;43;30m", "info": "\x1b[4;36m"}
_RESET = "\x1b[0m"
_VERDICT_COLOR = {"block": "\x1b[1;31m", "review": "\x1b[1;33m", "ok": "\x1b[1;32m"}


def render_text(text: str, report: Report, *, color: bool) -> str:
    """The draft with flagged spans marked, then one line per finding, then tone and verdict."""
    out = io.StringIO()
    out.write(_highlight(text, report, color).rstrip("\n") + "\n\n")
    for f in report.findings:
        line = text.count("\n", 0, f.start) + 1
        col = f.start - (text.rfind("\n", 0, f.start) + 1) + 1
        sev = f"{_SEVERITY_COLOR[f.severity]}{f.severity}{_RESET}" if color else f.severity
        origin = f"  (model, p={f.score:.2f})" if f.source == "model" and f.score is not None else ""
        out.write(f"{line}:{col}  {sev}  {f.category}  {f.rule_id}{origin}  “{f.text}”\n    {f.message}\n")
        if f.suggestions:
            out.write(f"    try: {' | '.join(f.suggestions)}\n")
    if report.tone is not None:
        scores = ", ".join(f"{k} {v:.2f}" for k, v in report.tone.scores.items())
        out.write(f"\ntone: {report.tone.label} ({scores})\n")
        for s in report.sentences:
            if s.tone is not None and s.tone.label == "rude":
                out.write(f"  rude sentence: “{text[s.start:s.end]}” (p={s.tone.scores['rude']:.2f})\n")
    n = len(report.findings)
    verdict = f"{_VERDICT_COLOR[report.verdict]}{report.verdict}{_RESET}" if color else report.verdict
    out.write(f"\n{n} finding{'s' if n != 1 else ''}; verdict: {verdict}\n")
    return out.getvalue()


def _highlight(text: str, report: Report, color: bool) -> str:
    """The draft with each finding's span in its severity's colour, or in ``[[...]]`` without colour."""

    def mark(span: str, f: Finding) -> str:
        return f"{_SEVERITY_COLOR[f.severity]}{span}{_RESET}" if color else f"[[{span}]]"

    return highlight(text, ((f.start, f.end, f) for f in report.findings), mark)
