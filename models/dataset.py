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

from tonecheck.report import TONE_LABELS

ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = ROOT / "models" / "config.toml"
SPLITS = ("train", "val", "test")
REAL_REPLY_SOURCE = "ibm_twitter"  # support_real.jsonl's real agent replies (the rude-rate population)


@dataclass(frozen=True)
class Item:
    """One labelled text. ``label`` is a tone label, or for Stanford 'polite' / 'impolite'."""

    id: str
    group: str
    source: str
    text: str
    label: str
    kind: str | None = None


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
            items.append(
                Item(row["id"], row["group"], row.get("source", path.stem), row["text"], row["label"], row.get("kind"))
            )
    return items


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
    """Partition items into the fixed train / val / test splits by group."""
    out: dict[str, list[Item]] = {name: [] for name in SPLITS}
    for item in items:
        name = split_of(item.group, data_cfg["split_salt"], data_cfg["test_percent"], data_cfg["val_percent"])
        out[name].append(item)
    return out


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
        spans = Checker._prepare(c, doc).sentences  # the Checker's own sentence spans (clean-text coordinates)
        out.append([c.text[s:e] for s, e in spans] or [c.text.strip() or "."])
    return out
