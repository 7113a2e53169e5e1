"""Data for the tone model: the support set, Stanford Politeness, real agent replies, and the fixed split.

Both ``models.train`` and ``models.evaluate`` read data only through this module, so the split cannot drift
between them. The split is by *group* (the real reply an item was written from, or a written topic), from a
salted SHA-256 of the group id: rewrites of one reply never straddle train / validation / test, and the split of
an item does not change when other items are added.
"""

from __future__ import annotations

import csv
import hashlib
import json
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tonecheck.report import RUDE_KINDS, TONE_LABELS

ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = ROOT / "models" / "config.toml"
SPLITS = ("train", "val", "test", "writers")  # "writers": every item of a held-out writer (config test_writers)
REAL_REPLY_SOURCE = "ibm_twitter"  # support_real.jsonl's real agent replies (the rude-rate population)
TEAM_WRITER = "team"  # the rewrites and written items in support_rewrites.jsonl: one team, one voice


@dataclass(frozen=True)
class Item:
    """One labelled text. ``label`` is a tone label, for Stanford 'polite' / 'impolite', and for real dialogue
    turns ``NOT_RUDE`` (real agent words, presumed acceptable, polite or neutral unknown).

    ``kinds`` lists every rude kind that applies (main one first; ``kind`` is that main one); ``writer`` is who
    wrote the text, so evaluation can hold out whole writers.
    """

    id: str
    group: str
    source: str
    text: str
    label: str
    kind: str | None = None
    kinds: tuple[str, ...] = ()
    writer: str = ""


NOT_RUDE = "not_rude"


def load_config(path: Path = CONFIG_PATH) -> dict[str, Any]:
    """The training recipe (models/config.toml) as a dict."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


def resolve(path: str | Path) -> Path:
    """Config paths are relative to the repository root."""
    path = Path(path)
    return path if path.is_absolute() else (ROOT / path).resolve()


def split_of(group: str, salt: str, test_percent: int, val_percent: int) -> str:
    """train / val / test for a group id: a salted SHA-256 bucket in [0, 100), test first, then val."""
    bucket = int(hashlib.sha256(f"{salt}:{group}".encode()).hexdigest()[:8], 16) % 100
    if bucket < test_percent:
        return "test"
    if bucket < test_percent + val_percent:
        return "val"
    return "train"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a data file, recorded in the artefact's metadata."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_support(paths: Iterable[Path]) -> list[Item]:
    """Every labelled support item from the JSONL files that exist (a missing file is skipped, not an error)."""
    items: list[Item] = []
    seen: set[str] = set()
    for path in paths:
        if not path.exists():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["label"] not in TONE_LABELS:
                raise ValueError(f"{path}:{number}: unknown label {row['label']!r}")
            key = f"{path.name}:{row['id']}"
            if key in seen:
                continue
            seen.add(key)
            items.append(item_from_row(row))
    return items


def row_of(item: Item) -> dict[str, Any]:
    """The JSONL row of a team-built file (support_real, support_rewrites): their format predates ``kinds`` and
    ``writer``, which those files imply (one kind; the team or the real source)."""
    return {k: getattr(item, k) for k in ("id", "group", "source", "text", "label", "kind")}


def item_from_row(row: dict[str, Any]) -> Item:
    """An Item from a JSONL row of any of our files (support_real, support_rewrites, voices/*, real_dialogue).

    Rows without ``kinds`` give their single ``kind``; rows without ``group`` are their own group; rows without
    ``writer`` are the team's rewrites or a real source (the source names the writer).
    """
    kinds = tuple(row.get("kinds") or ([row["kind"]] if row.get("kind") else []))
    unknown = [k for k in kinds if k not in RUDE_KINDS]
    if unknown:
        raise ValueError(f"{row['id']}: unknown kind(s) {unknown}")
    source = row.get("source") or ("voices" if row.get("writer") else "")
    writer = row.get("writer") or (TEAM_WRITER if source in ("rewrite", "written") else source)
    return Item(
        row["id"], row.get("group") or row["id"], source, row["text"], row["label"],
        kinds[0] if kinds else None, kinds, writer,
    )


def load_voices(folder: Path) -> list[Item]:
    """Items of the independent writers (models/data/voices/<writer>.jsonl), validated like the support set."""
    items: list[Item] = []
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["label"] not in TONE_LABELS:
                raise ValueError(f"{path}:{number}: unknown label {row['label']!r}")
            if (row["label"] == "rude") != bool(row.get("kinds")):
                raise ValueError(f"{path}:{number}: kinds must be given for rude items and only for them")
            items.append(item_from_row(row))
    return items


def load_dialogue(path: Path) -> list[Item]:
    """Real agent turns of public dialogue corpora: presumed not rude (label NOT_RUDE)."""
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [item_from_row({**row, "label": NOT_RUDE}) for row in rows]


def load_stanford(folder: Path) -> list[Item]:
    """Stanford Politeness requests in the paper's convention: per site, top quartile polite, bottom impolite.

    "Site" is the file (Wikipedia, Stack Exchange), as in the paper; the middle half is dropped.
    """
    items: list[Item] = []
    for name in ("wikipedia", "stack-exchange"):
        with (folder / f"{name}.annotated.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        scores = sorted(float(r["Normalized Score"]) for r in rows)
        low, high = _quantile(scores, 0.25), _quantile(scores, 0.75)
        for row in rows:
            score = float(row["Normalized Score"])
            if low <= score <= high:
                continue
            group = f"stanford-{row['Community']}-{row['Id']}"
            label = "polite" if score > high else "impolite"
            text = " ".join(row["Request"].split())
            items.append(Item(group, group, name, text, label))
    return items


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default), without needing numpy here."""
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def split_items(items: Sequence[Item], data_cfg: dict[str, Any]) -> dict[str, list[Item]]:
    """Partition items into the fixed splits: every item of a held-out writer goes to ``writers`` (never trained
    on, never used for selection); the rest to train / val / test by group."""
    held_out = set(data_cfg.get("test_writers", ()))
    out: dict[str, list[Item]] = {name: [] for name in SPLITS}
    for item in items:
        if item.writer in held_out:
            out["writers"].append(item)
            continue
        name = split_of(item.group, data_cfg["split_salt"], data_cfg["test_percent"], data_cfg["val_percent"])
        out[name].append(item)
    return out


def load_all_support(data_cfg: dict[str, Any]) -> list[Item]:
    """The labelled support set: the team's files plus every independent writer's file."""
    items = load_support(support_paths(data_cfg))
    if data_cfg.get("voices_dir"):
        items += load_voices(resolve(data_cfg["voices_dir"]))
    return items


def support_paths(data_cfg: dict[str, Any]) -> list[Path]:
    """The support JSONL files named in the config, resolved."""
    return [resolve(p) for p in data_cfg["support"]]


def split_sentences(texts: Sequence[str]) -> list[list[str]]:
    """Sentences of each text exactly as the product splits them (tonecheck's cleaning, spaCy pipeline and
    sentence spans), so evaluation and aggregation tuning score what the Checker scores."""
    from tonecheck.api import Checker
    from tonecheck.clean import clean
    from tonecheck.nlp import build_nlp

    nlp = build_nlp()
    cleaned = [clean(t) for t in texts]
    out: list[list[str]] = []
    for c, doc in zip(cleaned, nlp.pipe([c.text for c in cleaned], batch_size=256), strict=True):
        spans = Checker.sentence_spans(c, doc)  # the Checker's own sentence spans (clean-text coordinates)
        out.append([c.text[s:e] for s, e in spans] or [c.text.strip() or "."])
    return out
