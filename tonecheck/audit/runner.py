"""The audit loop: read items, check each batch through ``Checker.check_items``, store each batch.

Resume falls out of the store: keys already stored as ``ok`` are skipped before checking, and every batch is
committed before the next one starts, so a killed run loses at most the batch it was checking. A key stored as an
error row is tried again; its row is replaced only when the new attempt gives another result (ok, or another
reason), so a rerun over unchanged inputs writes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from time import time
from typing import IO, Any

from ..errors import TextTooLong
from .core import check_outcomes
from .sources import InputSpec, Item, check_inputs, count_inputs, read_inputs
from .store import AuditStore, Outcome


@dataclass
class RunStats:
    """What this run did (the stored results are in the database; these numbers are only for the terminal)."""

    seen: int = 0
    audited: int = 0
    errors: int = 0
    skipped: int = 0  # already in the database (resumed) or a duplicate key within the inputs
    batches: int = 0
    retried: int = 0  # error rows of an earlier run tried again (replaced, or skipped when the reason is the same)


@dataclass(frozen=True)
class RunOptions:
    """How to run: the rule pack (None = default), messages per batch (one spaCy and model pass, one store commit),
    and the progress stream."""

    pack: str | None = None
    batch_size: int = 32
    progress: IO[str] | None = None  # a terminal stream shows a progress bar; None keeps quiet


def run_audit(spec: InputSpec, checker: Any, store: AuditStore, options: RunOptions) -> RunStats:
    """Audit every input item not stored as ok in ``store`` (error rows are tried again); returns this run's
    counters."""
    check_inputs(spec)  # a missing path or a CSV without a mapped column: a usage error before any work
    pack_name = checker.pack(options.pack).spec.name  # unknown pack: a usage error before any work
    store.bind({"pack": pack_name, "tone_model": "on" if checker.classifier is not None else "off"})
    max_chars = checker.settings.max_chars
    stored_errors = store.stored_errors()
    known = store.known_keys() - stored_errors.keys()  # ok rows, skipped; then every key seen in this run
    stats = RunStats()
    pending: list[tuple[Item, int]] = []
    errors: list[Outcome] = []
    bar = _progress_bar(spec, options.progress)

    def flush() -> None:
        outcomes = errors + check_outcomes([(ordinal, item) for item, ordinal in pending], checker, options.pack)
        pending.clear()
        errors.clear()
        if not outcomes:
            return
        fresh = [_replacing(o, stored_errors) for o in outcomes if not _same_error(o, stored_errors)]
        if bar is not None:
            bar.skip(len(outcomes) - len(fresh))
        stats.skipped += len(outcomes) - len(fresh)
        if not fresh:
            return
        store.write_batch(sorted(fresh, key=lambda o: o.ordinal), pack_name)
        stats.batches += 1
        stats.audited += sum(1 for o in fresh if o.report is not None)
        stats.errors += sum(1 for o in fresh if o.report is None)
        if bar is not None:
            bar.update(len(fresh))

    try:
        started = time()
        for ordinal, item in enumerate(read_inputs(spec)):
            stats.seen += 1
            if item.key in known:
                stats.skipped += 1
                if bar is not None:
                    bar.skip(1, time() - started)
                started = time()
                continue
            known.add(item.key)
            stats.retried += item.key in stored_errors
            if item.error is None and len(item.text) > max_chars:
                item.error = str(TextTooLong(len(item.text), max_chars))
            if item.error is not None:
                errors.append(Outcome(item, ordinal, error=item.error))
            else:
                pending.append((item, ordinal))
            if len(pending) >= options.batch_size or len(errors) >= options.batch_size:
                flush()
            started = time()
        flush()
    finally:
        if bar is not None:
            bar.close()
    return stats


def _same_error(outcome: Outcome, stored_errors: dict[str, str]) -> bool:
    """A retried error row that failed again for the same reason: nothing to write."""
    return outcome.report is None and stored_errors.get(outcome.item.key) == outcome.error


def _replacing(outcome: Outcome, stored_errors: dict[str, str]) -> Outcome:
    return replace(outcome, replaces_error=True) if outcome.item.key in stored_errors else outcome


DEFAULT_COLUMNS = 80  # the bar's width when the terminal reports none (0x0, as some CI runners and pty wrappers do)


def _progress_bar(spec: InputSpec, stream: IO[str] | None) -> _Progress | None:
    """A tqdm bar (messages/s, ETA) on a terminal; None when quiet, so pipes and logs stay clean."""
    if stream is None:
        return None
    from tqdm import tqdm

    columns = _terminal_columns(stream)
    bar = tqdm(
        total=count_inputs(spec), unit="msg", desc="auditing", file=stream,
        ncols=columns or DEFAULT_COLUMNS, dynamic_ncols=bool(columns), smoothing=0.1,
    )
    return _Progress(bar)


def _terminal_columns(stream: IO[str]) -> int:
    """The terminal's width, or 0 when it has none (not a terminal, or one that reports 0x0)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):  # io.StringIO and friends have no file descriptor
        return 0


class _Progress:
    """The tqdm bar, where skipped messages (stored by an earlier run, or an error row that failed again) move
    the count but not the rate: they and the time spent reading them are taken out of tqdm's rate, so the rate
    and the ETA after a resume are those of new work."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def update(self, done: int) -> None:
        self.bar.update(done)

    def skip(self, count: int, seconds: float = 0.0) -> None:
        """Count ``count`` messages as done without timing them (tqdm's rate is (n - initial) / elapsed, and its
        smoothed rate uses n - last_print_n over the time since the last print)."""
        if count <= 0:
            return
        bar = self.bar
        bar.n += count
        bar.initial += count
        bar.last_print_n += count
        bar.start_t += seconds
        bar.last_print_t += seconds

    def close(self) -> None:
        self.bar.close()
