"""The audit loop: read items, check each batch through ``Checker.check_items``, store each batch.

Resume falls out of the store: keys already in the database are skipped before checking, and every batch is
committed before the next one starts, so a killed run loses at most the batch it was checking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from ..errors import InputError, TextTooLong
from ..report import Report
from .sources import InputSpec, Item, count_inputs, read_inputs
from .store import AuditStore, Outcome


@dataclass
class RunStats:
    """What this run did (the stored results are in the database; these numbers are only for the terminal)."""

    seen: int = 0
    audited: int = 0
    errors: int = 0
    skipped: int = 0  # already in the database (resumed) or a duplicate key within the inputs
    batches: int = 0


@dataclass(frozen=True)
class RunOptions:
    """How to run: the rule pack (None = default), messages per batch (one spaCy and model pass, one store commit),
    and the progress stream."""

    pack: str | None = None
    batch_size: int = 32
    progress: IO[str] | None = None  # a terminal stream shows a progress bar; None keeps quiet


def run_audit(spec: InputSpec, checker: Any, store: AuditStore, options: RunOptions) -> RunStats:
    """Audit every input item not yet in ``store``; returns this run's counters."""
    pack_name = checker.pack(options.pack).spec.name  # unknown pack: a usage error before any work
    store.bind({"pack": pack_name, "tone_model": "on" if checker.classifier is not None else "off"})
    max_chars = checker.settings.max_chars
    known = store.known_keys()
    stats = RunStats()
    pending: list[tuple[Item, int]] = []
    errors: list[Outcome] = []
    bar = _progress_bar(spec, options.progress, initial=0)

    def flush() -> None:
        outcomes = errors + _check_batch(checker, pending, options.pack)
        if not outcomes:
            return
        store.write_batch(sorted(outcomes, key=lambda o: o.ordinal), pack_name)
        stats.batches += 1
        stats.audited += sum(1 for o in outcomes if o.report is not None)
        stats.errors += sum(1 for o in outcomes if o.report is None)
        if bar is not None:
            bar.update(len(outcomes))
        pending.clear()
        errors.clear()

    try:
        for ordinal, item in enumerate(read_inputs(spec)):
            stats.seen += 1
            if item.key in known:
                stats.skipped += 1
                if bar is not None:
                    bar.update(1)
                continue
            known.add(item.key)
            if item.error is None and len(item.text) > max_chars:
                item.error = str(TextTooLong(len(item.text), max_chars))
            if item.error is not None:
                errors.append(Outcome(item, ordinal, error=item.error))
            else:
                pending.append((item, ordinal))
            if len(pending) >= options.batch_size or len(errors) >= options.batch_size:
                flush()
        flush()
    finally:
        if bar is not None:
            bar.close()
    return stats


def _check_batch(checker: Any, pending: Sequence[tuple[Item, int]], pack: str | None) -> list[Outcome]:
    """The batch as one :meth:`~tonecheck.Checker.check_items` batch: a text the checker rejects becomes an error
    row and costs only itself."""
    items = ((item.text, (item, ordinal)) for item, ordinal in pending)
    return [_outcome(item, ordinal, result) for (item, ordinal), result in
            checker.check_items(items, pack=pack, batch_size=max(1, len(pending)))]


def _outcome(item: Item, ordinal: int, result: Report | InputError) -> Outcome:
    if isinstance(result, Report):
        return Outcome(item, ordinal, report=result)
    return Outcome(item, ordinal, error=f"rejected by checker: {result}")


def _progress_bar(spec: InputSpec, stream: IO[str] | None, initial: int) -> Any:
    """A tqdm bar (messages/s, ETA) on a terminal; None when quiet, so pipes and logs stay clean."""
    if stream is None:
        return None
    from tqdm import tqdm

    return tqdm(
        total=count_inputs(spec), initial=initial, unit="msg", desc="auditing", file=stream,
        dynamic_ncols=True, smoothing=0.1,
    )
