"""Scoring shared by ``models.train`` and ``models.evaluate``: replies scored the product's way, and the
rude-kind (category) figures and thresholds.

A reply "has" a kind when any of its sentences reaches that kind's threshold: exactly when the Checker would
report a model finding of that category (before a rule of the same category takes the sentence over).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import torch

from models import dataset
from tonecheck.classify import ToneClassifier, ToneModel, encode
from tonecheck.report import MODEL_CATEGORIES, Tone

DEFAULT_KIND_THRESHOLD = 0.5
# P(rude) thresholds of the verdict sweep (train's validation evidence and evaluate's test table share it).
RUDE_SWEEP = (0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.85, 0.9)
STANFORD_LABELS = ("impolite", "polite")


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
    min_rude_precision: float = 0.0,
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Per category, the threshold of ``grid`` with the best F1 among those that flag at most ``max_real_rate``
    of real replies, keep the category's precision at least ``min_precision``, and keep at least
    ``min_rude_precision`` of the flagged replies rude at all (validation data only).

    Two precisions, because the errors differ in harm: a finding on a reply that is not rude is a false alarm
    (the checker cries wolf and is switched off), while a finding of a neighbouring kind on a rude reply (called
    dismissive where the labeller wrote hostile) still stops a reply that must be stopped; and most support items
    carry one labelled kind though many show two. So the false-alarm precision gets the strict floor.
    """
    chosen: dict[str, float] = {}
    trials: list[dict[str, Any]] = []
    rude = [i.label == "rude" for i in items]
    for kind in MODEL_CATEGORIES:
        rows = []
        for t in grid:
            row = kind_scores(scores, items, {kind: t})[kind]
            flagged = [s[kind] >= t for s in scores]
            rude_precision = sum(f and r for f, r in zip(flagged, rude, strict=True)) / max(1, sum(flagged))
            real_rate = sum(s[kind] >= t for s in real_scores) / max(1, len(real_scores))
            rows.append({"kind": kind, "threshold": t, **row, "rude_precision": rude_precision,
                         "real_rate": real_rate})
        trials += rows
        ok = [r for r in rows if r["precision"] >= min_precision and r["real_rate"] <= max_real_rate
              and r["rude_precision"] >= min_rude_precision]
        best = max(ok, key=lambda r: (r["f1"], -r["threshold"])) if ok else max(rows, key=lambda r: r["threshold"])
        chosen[kind] = best["threshold"]
    return chosen, trials


def rude_sweep(scores: Sequence[dict[str, float]], items: Sequence[dataset.Item]) -> list[dict[str, float]]:
    """Reply-level rude precision / recall and real-reply flag rate when P(rude) >= t, for t in RUDE_SWEEP: the
    evidence behind the verdict thresholds (Settings.review_rude / block_rude)."""
    gold = [i.label == "rude" for i in items]
    out = []
    for t in RUDE_SWEEP:
        flagged = [s["rude"] >= t for s in scores]
        real = [f for f, i in zip(flagged, items, strict=True) if i.source == dataset.REAL_REPLY_SOURCE]
        tp = sum(f and g for f, g in zip(flagged, gold, strict=True))
        out.append({
            "threshold": t,
            "rude_precision": tp / max(1, sum(flagged)),
            "rude_recall": tp / max(1, sum(gold)),
            "real_flag_rate": sum(real) / max(1, len(real)),
        })
    return out


def stanford_accuracy(model: ToneModel, tokenizer: Any, items: Sequence[dataset.Item], temperature: float = 1.0,
                      *, aux: bool = True) -> dict[str, Any]:
    """Polite-vs-impolite accuracy per site and overall: the auxiliary Stanford head when the model has one and
    ``aux``, else the product's head read as polite when P(polite) > P(rude) (what a user of the product gets)."""
    has_aux = aux and getattr(model, "aux_head", None) is not None
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(items), 64):
            chunk = items[start : start + 64]
            ids, mask = encode(tokenizer, [i.text for i in chunk])
            if has_aux:
                pred = [STANFORD_LABELS[k] for k in model.aux_logits(ids, mask).argmax(1).tolist()]
            else:
                probs = torch.softmax(model(ids, mask).float() / temperature, -1).tolist()
                pred = ["polite" if p[0] > p[2] else "impolite" for p in probs]
            for item, p in zip(chunk, pred, strict=True):
                total[item.source] += 1
                correct[item.source] += p == item.label
    out: dict[str, Any] = {site: correct[site] / total[site] for site in sorted(total)}
    out["all"] = sum(correct.values()) / max(1, sum(total.values()))
    out["head"] = "auxiliary Stanford head" if has_aux else "main head, P(polite) > P(rude)"
    return out
