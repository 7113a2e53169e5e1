"""Classification metrics for the tone model, small and dependency-free so evaluate and train agree exactly."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def confusion(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    """Rows are gold labels, columns predictions, both in ``labels`` order."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred, strict=True):
        matrix[index[g]][index[p]] += 1
    return matrix


def summary(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, object]:
    """Accuracy, macro-F1, per-class precision / recall / F1 and the confusion matrix."""
    matrix = confusion(gold, pred, labels)
    per_class: dict[str, dict[str, float]] = {}
    for i, label in enumerate(labels):
        tp = matrix[i][i]
        predicted = sum(row[i] for row in matrix)
        actual = sum(matrix[i])
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": actual}
    present = [c for c in labels if per_class[c]["support"] > 0]
    total = sum(map(sum, matrix))
    return {
        "n": total,
        "accuracy": sum(matrix[i][i] for i in range(len(labels))) / total if total else 0.0,
        "macro_f1": sum(per_class[c]["f1"] for c in present) / len(present) if present else 0.0,
        "per_class": per_class,
        "confusion": matrix,
    }


def ece(probs: torch.Tensor, gold: torch.Tensor, bins: int = 15) -> float:
    """Expected calibration error of the top label, equal-width confidence bins."""
    if len(gold) == 0:
        return 0.0
    confidence, predicted = probs.max(dim=1)
    correct = (predicted == gold).float()
    edges = torch.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            total += in_bin.float().mean().item() * abs(confidence[in_bin].mean() - correct[in_bin].mean()).item()
    return total


def fit_temperature(logits: torch.Tensor, gold: torch.Tensor) -> float:
    """The temperature that minimises validation NLL, by a log-spaced grid (robust, no optimiser state)."""
    if len(gold) == 0:
        return 1.0
    grid = torch.exp(torch.linspace(torch.log(torch.tensor(0.25)), torch.log(torch.tensor(8.0)), 241))
    losses = [torch.nn.functional.cross_entropy(logits / t, gold).item() for t in grid]
    return float(grid[min(range(len(losses)), key=losses.__getitem__)])
