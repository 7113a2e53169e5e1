"""Evaluate the shipped tone model on the fixed held-out splits: ``python -m models.evaluate``.

Every figure in models/README.md comes from this command. It loads models/tone/ through the product's own
loader (fp32 and int8), reads the test split defined in models/config.toml (never used for training, model
selection, temperature or aggregation tuning) and prints markdown tables:

- support test split, item level (the whole text as one input) and reply level (sentences scored, then
  ``ToneClassifier.aggregate``, as the product does): accuracy, macro-F1, per-class recall, confusion matrix;
- rude-rate on real agent replies (IBM Twitter) whose group falls in the test split;
- Stanford polite-vs-impolite accuracy on the Stanford test split, per site;
- calibration error before and after temperature scaling; fp32 vs int8 agreement; misclassified examples.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from models import dataset, judgement, metrics, scoring
from models.scoring import reply_tones
from tonecheck.classify import ToneClassifier, label_for
from tonecheck.report import TONE_LABELS


def evaluate_variant(
    clf: ToneClassifier,
    test: Sequence[dataset.Item],
    test_sentences: Sequence[Sequence[str]],
    real: Sequence[dataset.Item],
    real_sentences: Sequence[Sequence[str]],
    stanford: Sequence[dataset.Item],
    thresholds: tuple[float, float],
) -> dict[str, Any]:
    """All metrics for one loaded variant, plus the raw predictions needed for agreement and misses."""
    gold = [i.label for i in test]
    logits = clf.logits([i.text for i in test])
    gold_idx = torch.tensor([TONE_LABELS.index(g) for g in gold], dtype=torch.long)
    probs = torch.softmax(logits / clf.temperature, 1)
    threshold = clf.aggregate_settings.rude_threshold
    item_pred = [label_for(dict(zip(TONE_LABELS, row, strict=True)), threshold) for row in probs.tolist()]
    replies, per_sentence = reply_tones(clf, test_sentences)
    real_replies, _ = reply_tones(clf, real_sentences)
    review, block = thresholds
    real_rude = [r.scores["rude"] for r in real_replies]
    return {
        "item": metrics.summary(gold, item_pred, TONE_LABELS),
        "reply": metrics.summary(gold, [r.label for r in replies], TONE_LABELS),
        "ece_before": metrics.ece(torch.softmax(logits, 1), gold_idx),
        "ece_after": metrics.ece(probs, gold_idx),
        "real": {
            "n": len(real),
            "rude_label": sum(r.label == "rude" for r in real_replies) / max(1, len(real)),
            "review": sum(p >= review for p in real_rude) / max(1, len(real)),
            "block": sum(p >= block for p in real_rude) / max(1, len(real)),
        },
        "stanford": scoring.stanford_accuracy(clf.model, clf.tokenizer, stanford, clf.temperature),
        "_item_pred": item_pred,
        "_reply_pred": [r.label for r in replies],
        "_reply_scores": [r.scores for r in replies],
        "_sentence_pred": [t.label for tones in per_sentence for t in tones],
        "_probs": probs,
        "_real_pred": [r.label for r in real_replies],
    }


def by_group(test: Sequence[dataset.Item], pred: Sequence[str], key: str) -> dict[str, dict[str, float]]:
    """Accuracy per source, or rude recall per rude kind."""
    out: dict[str, dict[str, float]] = {}
    for value in sorted({getattr(i, key) or "-" for i in test}):
        rows = [(i, p) for i, p in zip(test, pred, strict=True) if (getattr(i, key) or "-") == value]
        if key == "kind":
            rows = [(i, p) for i, p in rows if i.label == "rude"]
        if rows:
            out[value] = {"n": len(rows), "accuracy": sum(i.label == p for i, p in rows) / len(rows)}
    return out


def table_metrics(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| variant | level | n | accuracy | macro-F1 | polite R | neutral R | rude R | rude P |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for variant, res in results.items():
        for level in ("reply", "item"):
            s = res[level]
            pc = s["per_class"]
            lines.append(
                f"| {variant} | {level} | {s['n']} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} | "
                f"{pc['polite']['recall']:.3f} | {pc['neutral']['recall']:.3f} | {pc['rude']['recall']:.3f} | "
                f"{pc['rude']['precision']:.3f} |"
            )
    return "\n".join(lines)


def table_confusion(summary: dict[str, Any]) -> str:
    lines = ["| gold \\ predicted | " + " | ".join(TONE_LABELS) + " |", "|---|---|---|---|"]
    for label, row in zip(TONE_LABELS, summary["confusion"], strict=True):
        lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate models/tone/ on the fixed held-out splits.")
    parser.add_argument("--model", type=Path, default=None, help="artefact folder (default: config output.dir)")
    parser.add_argument("--config", type=Path, default=dataset.CONFIG_PATH)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--misses", type=int, default=20, help="misclassified test replies to list")
    parser.add_argument("--json", type=Path, help="also write the metrics as JSON here")
    parser.add_argument("--writers-only", action="store_true", help="print the leave-writers-out section only")
    args = parser.parse_args(argv)

    cfg = dataset.load_config(args.config)
    dc = cfg["data"]
    model_dir = args.model or dataset.resolve(cfg["output"]["dir"])
    from tonecheck.api import Checker
    from tonecheck.settings import load_settings

    checker = Checker.load(load_settings(env={}, model_dir=str(model_dir), threads=args.threads))
    print(f"# Tone model evaluation: {model_dir}\n")
    judged = judgement.evaluate(checker, cfg)
    judgement.print_report(judged, args.misses)
    if args.writers_only:
        return 0
    print("\n# Second line: the team's own test split (one writer's voice plus real replies; flatters the model)\n")
    test = dataset.split_items(dataset.load_support(dataset.support_paths(dc)), dc)["test"]
    stanford = dataset.split_items(dataset.load_stanford(dataset.resolve(dc["stanford_dir"])), dc)["test"]
    real = [i for i in test if i.source == dataset.REAL_REPLY_SOURCE]
    test_sentences = dataset.split_sentences([i.text for i in test])
    real_sentences = dataset.split_sentences([r.text for r in real])
    from tonecheck.settings import Settings

    defaults = Settings()
    thresholds = (defaults.review_rude, defaults.block_rude)

    results: dict[str, dict[str, Any]] = {}
    for variant in ("fp32", "int8"):
        clf = ToneClassifier.load(model_dir, variant=variant, threads=args.threads)
        results[variant] = evaluate_variant(clf, test, test_sentences, real, real_sentences, stanford, thresholds)
    meta = clf.meta
    fp, q = results["fp32"], results["int8"]
    agree = {
        "item": sum(a == b for a, b in zip(fp["_item_pred"], q["_item_pred"], strict=True)) / max(1, len(test)),
        "sentence": sum(a == b for a, b in zip(fp["_sentence_pred"], q["_sentence_pred"], strict=True))
        / max(1, len(fp["_sentence_pred"])),
        "reply": sum(a == b for a, b in zip(fp["_reply_pred"], q["_reply_pred"], strict=True)) / max(1, len(test)),
        "max_abs_prob_diff": float((fp["_probs"] - q["_probs"]).abs().max()) if len(test) else 0.0,
    }

    training = meta.get("training", {})
    print(f"stanford mode: {training.get('stanford_mode')}, best epoch: {training.get('best_epoch')}, "
          f"temperature: {meta['temperature']:.3f}, aggregate: {meta.get('aggregate')}")
    counts = Counter(i.label for i in test)
    print(f"support test split: {len(test)} items ({dict(sorted(counts.items()))}), "
          f"{len({i.group for i in test})} groups, {sum(map(len, test_sentences))} sentences")
    print("\n## Support test split (reply = sentences + aggregate, as the product; item = whole text, one input)\n")
    print(table_metrics({k: v for k, v in results.items()}))
    print("\nConfusion matrix, int8, reply level:\n")
    print(table_confusion(q["reply"]))
    print("\nConfusion matrix, int8, item level:\n")
    print(table_confusion(q["item"]))
    print("\nReply-level accuracy per source (int8): " + ", ".join(
        f"{k} {v['accuracy']:.3f} (n={v['n']})" for k, v in by_group(test, q["_reply_pred"], "source").items()))
    print("Reply-level rude recall per rude kind (int8): " + ", ".join(
        f"{k} {v['accuracy']:.2f} (n={v['n']})" for k, v in by_group(test, q["_reply_pred"], "kind").items()
        if k != "-"))

    hand_rude = sum(r.label == "rude" for r in real)
    print(f"\n## Real agent replies in the test split (IBM Twitter, n={len(real)}, not used in training; "
          f"{hand_rude} labelled rude by hand)\n")
    print("| variant | labelled rude | P(rude) >= review | P(rude) >= block |\n|---|---|---|---|")
    for variant, res in results.items():
        r = res["real"]
        print(f"| {variant} | {r['rude_label']:.1%} | {r['review']:.1%} ({thresholds[0]}) | "
              f"{r['block']:.1%} ({thresholds[1]}) |")

    print("\nReply-level P(rude) thresholds on the test split (int8; the verdict uses Settings.review_rude / "
          "block_rude):\n")
    print("| P(rude) >= | rude precision | rude recall | real replies flagged |\n|---|---|---|---|")
    for row in scoring.rude_sweep(q["_reply_scores"], test):
        print(f"| {row['threshold']} | {row['rude_precision']:.3f} | {row['rude_recall']:.3f} | "
              f"{row['real_flag_rate']:.1%} |")

    print(f"\n## Stanford Politeness test split, polite vs impolite (quartiles per site, n={len(stanford)})\n")
    print("| variant | head | wikipedia | stack-exchange | all |\n|---|---|---|---|---|")
    for variant, res in results.items():
        s = res["stanford"]
        print(f"| {variant} | {s['head']} | {s.get('wikipedia', 0):.3f} | {s.get('stack-exchange', 0):.3f} | "
              f"{s['all']:.3f} |")

    print("\n## Calibration (support test split, item level, 15-bin top-label ECE)\n")
    print("| variant | ECE before (T=1) | ECE after (T={:.2f}) |\n|---|---|---|".format(meta["temperature"]))
    for variant, res in results.items():
        print(f"| {variant} | {res['ece_before']:.3f} | {res['ece_after']:.3f} |")

    print("\n## fp32 vs int8 agreement (support test split)\n")
    print(f"labels agree: items {agree['item']:.1%}, sentences {agree['sentence']:.1%}, replies "
          f"{agree['reply']:.1%}; largest probability difference {agree['max_abs_prob_diff']:.3f}")

    misses = [
        (i, p, s) for i, p, s in zip(test, q["_reply_pred"], q["_reply_scores"], strict=True) if i.label != p
    ]
    print(f"\n## Misclassified test replies (int8, reply level): {len(misses)} of {len(test)}\n")
    for item, pred, scores in misses[: args.misses]:
        text = " ".join(item.text.split())
        text = text if len(text) <= 150 else text[:147] + "..."
        print(f"- [{item.source}] gold {item.label}, predicted {pred} (P(rude)={scores['rude']:.2f}): {text}")
    real_flagged = [r for r, p in zip(real, q["_real_pred"], strict=True) if p == "rude"]
    if real_flagged:
        print("\nReal agent replies (test split) the int8 model labels rude:")
        for r in real_flagged[: args.misses]:
            print(f"- {r.text[:150]}")

    if args.json:
        clean = {v: {k: x for k, x in res.items() if not k.startswith("_")} for v, res in results.items()}
        clean["agreement"] = agree
        clean["leave_writers_out"] = {
            k: v for k, v in judged.items() if not k.startswith("_") and k != "real"
        } | {"real": {k: {x: y for x, y in r.items() if x != "examples"} for k, r in judged["real"].items()}}
        args.json.write_text(json.dumps(clean, indent=1, default=float) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
