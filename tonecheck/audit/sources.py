"""Readers: every input (mbox, Maildir, folder of .eml, CSV or JSONL export) becomes a stream of :class:`Item`.

An item is either a reply to check (``text`` is the agent's own words, the exact string findings point into)
or an error row (``error`` says why). Readers never raise for bad content, only for a usage error: a path that
does not exist or a CSV without the columns the field map names (:func:`check_inputs` finds both before any
work), so one broken file or message costs one row and the audit goes on.
"""

from __future__ import annotations

import csv
import json
import mailbox
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import InputError
from .mime import (
    BrokenMessage,
    content_key,
    html_to_text,
    message_id_of,
    normalise_agent,
    parse_bytes,
    parse_message,
)
from .quotes import judge

MBOX_SUFFIXES = (".mbox", ".mbx", ".mbox.txt")
EML_SUFFIXES = (".eml",)
CSV_SUFFIXES = (".csv",)
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]")


@dataclass
class Item:
    """One message to audit, or the reason it cannot be."""

    key: str
    source: str
    message_id: str = ""
    agent: str = ""
    agent_name: str = ""
    sent_at: str = ""
    subject: str = ""
    text: str = ""
    error: str | None = None


@dataclass(frozen=True)
class FieldMap:
    """Column (CSV) or field (JSONL, dotted paths allowed) names of a helpdesk export."""

    id: str = "id"
    agent: str = "agent"
    time: str = "sent_at"
    subject: str = "subject"
    body: str = "body"
    html: str = "html"
    agent_name: str = ""  # display name; "" = the name in the agent field ("Jamie Lee <jamie@acme.example>")

    def named(self) -> dict[str, str]:
        """Field → column for the fields that are not left at their default (the ones a user named)."""
        defaults = FieldMap()
        return {name: getattr(self, name) for name in _FIELD_NAMES if getattr(self, name) != getattr(defaults, name)}


_FIELD_NAMES = ("id", "agent", "agent_name", "time", "subject", "body", "html")


@dataclass(frozen=True)
class InputSpec:
    """What to read and how: paths plus the export field names."""

    paths: tuple[Path, ...]
    csv_fields: FieldMap = field(default_factory=FieldMap)
    jsonl_fields: FieldMap = field(default_factory=FieldMap)


def check_paths(paths: Iterable[Path]) -> None:
    """Fail before any work for a path that does not exist (a usage error, not a broken message)."""
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")


def check_inputs(spec: InputSpec) -> None:
    """Fail before any work on a usage error: a missing path, or a CSV whose header lacks a mapped column.

    Reads only each CSV's header line; a CSV that cannot be read or is empty is left to the reader (an error row).
    """
    check_paths(spec.paths)
    for path in spec.paths:
        for file, kind in _expand(path):
            if kind != "csv":
                continue
            try:
                with file.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
                    header = next(csv.reader(fh), None)
            except (OSError, csv.Error):
                continue
            if header:
                _check_csv_header(file, header, spec.csv_fields)


def _check_csv_header(file: Path, header: list[str], fields: FieldMap) -> None:
    """Every column named in ``fields`` (not left at its default) must be in the header, and a body or HTML
    column must be there; else an InputError naming the missing columns and the ones the file has."""
    missing = [f"{column!r} ({name})" for name, column in fields.named().items() if column not in header]
    if not missing and fields.body not in header and fields.html not in header:
        missing = [f"{fields.body!r} (body) or {fields.html!r} (html)"]
    if missing:
        have = ", ".join(repr(column) for column in header)
        raise InputError(f"{file}: the CSV has no column {', '.join(missing)}; its columns are {have}")


def read_inputs(spec: InputSpec) -> Iterator[Item]:
    """All items of all inputs, in a stable order (the order resume relies on to report progress)."""
    for path in spec.paths:
        yield from _read_path(path, spec)


def count_inputs(spec: InputSpec) -> int:
    """A cheap upper bound of the number of items, for the progress bar's ETA."""
    total = 0
    for path in spec.paths:
        for file, kind in _expand(path):
            try:
                total += _count_file(file, kind)
            except OSError:
                total += 1
    return total


def detect_kind(path: Path) -> str:
    """mbox, eml, csv or jsonl: by suffix first, then by sniffing the first bytes."""
    name = path.name.lower()
    for kind, suffixes in (("mbox", MBOX_SUFFIXES), ("eml", EML_SUFFIXES), ("csv", CSV_SUFFIXES),
                           ("jsonl", JSONL_SUFFIXES)):
        if name.endswith(suffixes):
            return kind
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).lstrip()
    except OSError:
        return "mbox"
    if head.startswith(b"From "):
        return "mbox"
    if head.startswith((b"{", b"[")):
        return "jsonl"
    if _HEADER_LINE.match(head):
        return "eml"
    return "csv"


def is_maildir(path: Path) -> bool:
    """A Maildir is a folder with cur/, new/ and tmp/ in it."""
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def _expand(path: Path) -> Iterator[tuple[Path, str]]:
    """A Maildir is read as one; another folder means every .eml and every Maildir under it (recursively, in
    sorted path order); a file is read as its detected kind."""
    if not path.is_dir():
        yield path, detect_kind(path)
        return
    if is_maildir(path):
        yield path, "maildir"
        return
    found: list[tuple[Path, str]] = []
    for folder, subfolders, names in os.walk(path):
        here = Path(folder)
        found += [(here / name, "eml") for name in names if name.lower().endswith(EML_SUFFIXES)]
        for sub in list(subfolders):
            if is_maildir(here / sub):
                found.append((here / sub, "maildir"))
                subfolders.remove(sub)  # its message files are not .eml files of the outer folder
    yield from sorted(found)


def _read_path(path: Path, spec: InputSpec) -> Iterator[Item]:
    files = list(_expand(path))
    if not files:
        yield _input_error(path, "no .eml files in this folder")
    for file, kind in files:
        try:
            if kind == "mbox":
                yield from _read_mbox(file)
            elif kind == "eml":
                yield _mail_item(file.read_bytes(), str(file))
            elif kind == "maildir":
                yield from _read_maildir(file)
            elif kind == "csv":
                yield from _read_csv(file, spec.csv_fields)
            else:
                yield from _read_jsonl(file, spec.jsonl_fields)
        except OSError as exc:
            yield _input_error(file, f"cannot read file: {exc.strerror or type(exc).__name__}")


def _input_error(file: Path, reason: str) -> Item:
    """An error row for a whole input; keyed by path and reason so a rerun does not add it again."""
    return Item(key=content_key("input", str(file.resolve()), reason), source=str(file), error=reason)


def _mail_item(raw: bytes, source: str, *, last_in_mbox: bool = False, cut: str | None = None) -> Item:
    """Parse RFC 5322 bytes into an item; keyed by Message-ID, else by the bytes' hash.

    The last message of an mbox may be cut off (a copy or download that stopped): ``cut`` says why its bytes
    look so (see _mbox_messages), and a multipart without its closing boundary is cut too. Such a message keeps
    its headers but becomes an error row unless it already is one: checking part of a reply would pass it.
    """
    try:
        msg = parse_bytes(raw)
    except BrokenMessage as exc:
        return Item(key=content_key(raw), source=source, error=str(exc))
    try:
        parsed = parse_message(msg)
    except BrokenMessage as exc:
        mid = message_id_of(msg)
        key = f"mid:{mid}" if mid else content_key(raw)
        return Item(key=key, source=source, message_id=mid, error=str(exc))
    key = f"mid:{parsed.message_id}" if parsed.message_id else content_key(raw)
    error = parsed.error
    if error is None and cut is None and last_in_mbox and _open_multipart(msg):
        cut = "a multipart part has no closing boundary"
    if error is None and cut is not None:
        error = f"truncated mbox: the last message is cut off ({cut})"
    return Item(
        key=key,
        source=source,
        message_id=parsed.message_id,
        agent=parsed.agent,
        agent_name=parsed.agent_name,
        sent_at=parsed.sent_at,
        subject=parsed.subject,
        text="" if error else parsed.body,
        error=error,
    )


# --- mbox ---------------------------------------------------------------------------------------------


def _read_mbox(file: Path) -> Iterator[Item]:
    """Split on "From " lines (mboxo/mboxrd), streaming; a file that is not an mbox is one error row."""
    with file.open("rb") as fh:
        first = _first_nonblank_line(fh)
        if first is None:
            yield _input_error(file, "empty mbox file")
            return
        if not first.startswith(b"From "):
            yield _input_error(file, "not an mbox file: no 'From ' separator line at the start")
            return
        for number, (raw, last, cut) in enumerate(_mbox_messages(fh), start=1):
            yield _mail_item(raw, f"{file}#{number}", last_in_mbox=last, cut=cut)


def _first_nonblank_line(fh: BinaryIO) -> bytes | None:
    """Position the file at its first non-blank line and return that line (without consuming it)."""
    while True:
        pos = fh.tell()
        line = fh.readline()
        if not line:
            return None
        if line.strip():
            fh.seek(pos)
            return line


def _mbox_messages(fh: BinaryIO) -> Iterator[tuple[bytes, bool, str | None]]:
    """Yield (bytes, is the last message, why it looks cut off or None) per message; mboxrd's ">From " escapes
    are undone.

    A file cut off inside the last message shows it in its bytes: the last line has no line end, or every
    earlier message ended with the blank line mbox writers put after each message and the last one does not.
    """
    lines: list[bytes] | None = None
    earlier = blank_ended = 0
    for line in fh:
        if line.startswith(b"From "):
            if lines is not None:
                earlier += 1
                blank_ended += _ends_with_blank_line(lines)
                yield b"".join(lines), False, None
            lines = []
            continue
        if lines is None:
            continue
        if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
            line = line[1:]
        lines.append(line)
    if lines is None:
        return
    cut = None
    if lines and not lines[-1].endswith(b"\n"):
        cut = "the file ends in the middle of a line"
    elif lines and earlier and blank_ended == earlier and not _ends_with_blank_line(lines):
        cut = "it lacks the blank line that ends every other message"
    yield b"".join(lines), True, cut


def _ends_with_blank_line(lines: list[bytes]) -> bool:
    return bool(lines) and not lines[-1].strip()


def _open_multipart(msg: Message) -> bool:
    """A multipart (or a part of one) whose closing boundary never came: the mail stops inside a part."""
    return any(
        type(defect).__name__ == "CloseBoundaryNotFoundDefect" for part in msg.walk() for defect in part.defects
    )


# --- Maildir ------------------------------------------------------------------------------------------


def _read_maildir(folder: Path) -> Iterator[Item]:
    """Each message of new/ and cur/ (by its unique name, so the order is stable) read like an .eml file; a
    message that cannot be read is an error row and the others are still read."""
    box = mailbox.Maildir(folder, factory=None, create=False)
    keys = sorted(box.iterkeys())
    if not keys:
        yield _input_error(folder, "empty Maildir: no messages in new/ or cur/")
        return
    for key in keys:
        source = f"{folder}#{key}"
        try:
            raw = box.get_bytes(key)
        except (OSError, KeyError) as exc:  # vanished since listed, unreadable, a folder where a file should be
            reason = f"cannot read message: {getattr(exc, 'strerror', None) or type(exc).__name__}"
            yield Item(key=content_key("input", str(folder.resolve()), key, reason), source=source, error=reason)
            continue
        yield _mail_item(raw, source)


# --- exports ------------------------------------------------------------------------------------------


def _read_csv(file: Path, fields: FieldMap) -> Iterator[Item]:
    """One item per row; bytes that are not UTF-8 make that row an error, not the file."""
    with file.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            yield _input_error(file, "empty CSV file")
            return
        _check_csv_header(file, list(reader.fieldnames), fields)  # a wrong mapping is a usage error
        row_number = 0
        while True:
            row_number += 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield _input_error(file, f"row {row_number}: bad CSV: {exc}")
                continue
            yield _export_item(row, fields, f"{file}:row {row_number}")


def _read_jsonl(file: Path, fields: FieldMap) -> Iterator[Item]:
    """One item per non-blank line; a line that is not a JSON object is an error row."""
    with file.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            source = f"{file}:line {number}"
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield Item(key=content_key(raw), source=source, error="undecodable bytes (not UTF-8)")
                continue
            except json.JSONDecodeError as exc:
                yield Item(key=content_key(raw), source=source, error=f"bad JSON: {exc.msg}")
                continue
            if not isinstance(record, dict):
                yield Item(key=content_key(raw), source=source, error="JSON line is not an object")
                continue
            yield _export_item(record, fields, source)


def _lookup(record: dict[str, Any], name: str) -> str:
    """A field by exact name or dotted path; missing or null is ""."""
    if name in record:
        value: Any = record[name]
    else:
        value = record
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _export_item(record: dict[str, Any], fields: FieldMap, source: str) -> Item:
    """An export row or record as an item; keyed by its id, else by the hash of its content."""
    values = {name: _lookup(record, getattr(fields, name)) if getattr(fields, name) else ""
              for name in _FIELD_NAMES}
    undecodable = [name for name, value in values.items() if _has_undecodable(value)]
    for name in ("id", "agent", "agent_name", "time", "subject"):  # stored whatever its bytes (SQLite wants UTF-8)
        values[name] = _legacy_decode(values[name])
    agent, agent_name = normalise_agent(values["agent"])
    agent_name = values["agent_name"].strip() or agent_name
    export_id = values["id"].strip()
    key = f"id:{export_id}" if export_id else content_key(values["agent"], values["time"], values["subject"],
                                                           values["body"], values["html"])
    item = Item(key=key, source=source, message_id=export_id, agent=agent, agent_name=agent_name,
                sent_at=values["time"].strip(), subject=values["subject"].strip())
    if "body" in undecodable or "html" in undecodable:
        item.error = "undecodable bytes (not UTF-8) in the reply text"
        return item
    raw_text = values["body"] if values["body"].strip() else html_to_text(values["html"])
    if "\x00" in raw_text:
        item.error = "binary body (NUL characters)"
        return item
    judged = judge(raw_text)
    item.text, item.error = judged.text, judged.error
    return item


def _legacy_decode(value: str) -> str:
    """A metadata value read with surrogateescape, with its non-UTF-8 bytes read as Windows-1252 (what a
    non-UTF-8 helpdesk export almost always is: "José Peña"), any byte cp1252 lacks becoming U+FFFD."""
    return "".join(
        bytes([ord(ch) - 0xDC00]).decode("cp1252", "replace") if "\udc80" <= ch <= "\udcff" else ch for ch in value
    ) if _has_undecodable(value) else value


def _has_undecodable(value: str) -> bool:
    """surrogateescape turns each non-UTF-8 byte into a lone surrogate; find one."""
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _count_file(file: Path, kind: str) -> int:
    if kind == "eml":
        return 1
    if kind == "maildir":
        return max(1, sum(1 for sub in ("new", "cur") for entry in os.scandir(file / sub)
                          if not entry.name.startswith(".")))
    if kind == "csv":
        with file.open("r", encoding="utf-8", errors="replace", newline="") as text:
            try:
                return max(1, sum(1 for _ in csv.reader(text)) - 1)
            except csv.Error:
                return 1
    with file.open("rb") as fh:
        if kind == "mbox":
            return max(1, sum(1 for line in fh if line.startswith(b"From ")))
        return max(1, sum(1 for line in fh if line.strip()))
