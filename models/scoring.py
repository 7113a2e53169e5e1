"""Scoring shared by ``models.train`` and ``models.evaluate``: replies scored the product's way, and the
rude-kind (category) figures and thresholds.

A reply "has" a kind when any of its sentences reaches that kind's threshold: exactly when the Checker would
report a model finding of that category (before a rule of the same category takes the sentence over).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from models import dataset
from tonecheck.classify import ToneClassifier
from tonecheck.report import MODEL_CATEGORIES, Tone

DEFAULT_KIND_THRESHOLD = 0.5


def reply_tones(clf: ToneClassifier, sentences: Sequence[Sequence[str]]) -> tuple[list[Tone], list[list[Tone]]]:
    """Reply-level tones the product way: every sentence in one batched pass, then aggregate per reply."""
    flat = [s for sents in sentences for s in sents]
    tones = clf.predict(flat)
    per_reply, pos = [], 0
    for sents in sentences:
        per_reply.append(tones[pos : pos + len(sents)])
        pos += len(sents)
    return [clf.aggregate(s, t) for s, t in zip(sentences, per_reply, strict=True)], per_reply


def reply_kind_scores(per_sentence: Sequence[Sequence[Tone]]) -> list[dict[str, float]]:
    """Per reply, the largest sentence probability of each model category."""
    return [
        {k: max((t.kinds.get(k, 0.0) for t in tones), default=0.0) for k in MODEL_CATEGORIES}
        for tones in per_sentence
    ]


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def kind_scores(
    scores: Sequence[dict[str, float]], items: Sequence[dataset.Item], thresholds: dict[str, float]
) -> dict[str, Any]:
    """Reply-level precision / recall / F1 per model category, and their mean F1."""
    out: dict[str, Any] = {}
    for kind in MODEL_CATEGORIES:
        t = thresholds.get(kind, DEFAULT_KIND_THRESHOLD)
        flags = [s[kind] >= t for s in scores]
        gold = [kind in i.kinds for i in items]
        out[kind] = prf(
            sum(f and g for f, g in zip(flags, gold, strict=True)),
            sum(f and not g for f, g in zip(flags, gold, strict=True)),
            sum(g and not f for f, g in zip(flags, gold, strict=True)),
        )
    out["mean_f1"] = sum(out[k]["f1"] for k in MODEL_CATEGORIES) / len(MODEL_CATEGORIES)
    return out


def best_kind_f1(scores: Sequence[dict[str, float]], items: Sequence[dataset.Item], grid: Sequence[float]) -> float:
    """Mean over categories of each category's best F1 on ``grid`` (for choosing an epoch, not a threshold)."""
    best = [max(kind_scores(scores, items, {k: t})[k]["f1"] for t in grid) for k in MODEL_CATEGORIES]
    return sum(best) / len(best)


def tune_kind_thresholds(
    scores: Sequence[dict[str, float]],
    items: Sequence[dataset.Item],
    real_scores: Sequence[dict[str, float]],
    grid: Sequence[float],
    max_real_rate: float,
    min_precision: float,
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Per category, the threshold of ``grid`` with the best F1 among those that keep precision at least
    ``min_precision`` and flag at most ``max_real_rate`` of real replies (validation data only). A checker that
    cries wolf is switched off, so precision and the real-reply rate are constraints, recall is the goal."""
    chosen: dict[str, float] = {}
    trials: list[dict[str, Any]] = []
    for kind in MODEL_CATEGORIES:
        rows = []
        for t in grid:
            row = kind_scores(scores, items, {kind: t})[kind]
            real_rate = sum(s[kind] >= t for s in real_scores) / max(1, len(real_scores))
            rows.append({"kind": kind, "threshold": t, **row, "real_rate": real_rate})
        trials += rows
        ok = [r for r in rows if r["precision"] >= min_precision and r["real_rate"] <= max_real_rate]
        best = max(ok, key=lambda r: (r["f1"], -r["threshold"])) if ok else max(rows, key=lambda r: r["threshold"])
        chosen[kind] = best["threshold"]
    return chosen, trials
