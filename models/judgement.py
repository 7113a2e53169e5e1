"""Judgement on text nobody here trained on: the headline of ``python -m models.evaluate``.

Everything runs through the product (``Checker.check_many``: cleaning, rules, tone model, model findings), on

* the **held-out writers** (config ``data.test_writers``): independent writers whose every item was kept out of
  training and of every selection (epoch, temperature, aggregation, category thresholds);
* **real replies not used in training**: the IBM agent replies and the dialogue-corpus turns of the test split;
* the Stanford Politeness test split, with the product's own head (P(polite) vs P(rude)).

Per finding category it reports recall and precision of the rules alone, the model alone (its raw sentence
opinion at the shipped thresholds) and both together (the report's findings), at reply level: a reply written
as blaming is found when a finding of category ``blaming`` is on it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from models import dataset, metrics, scoring
from tonecheck.api import Checker
from tonecheck.report import MODEL_CATEGORIES, TONE_LABELS, Report

LAYERS = ("rules", "model", "both")


def run_checker(checker: Checker, items: Sequence[dataset.Item], batch: int = 64) -> list[Report]:
    """Reports for items, in batches, the way the CLI's --jsonl does."""
    out: list[Report] = []
    texts = [i.text for i in items]
    for start in range(0, len(texts), batch):
        out += checker.check_many(texts[start : start + batch])
    return out


def categories_by_layer(report: Report, thresholds: dict[str, float]) -> dict[str, set[str]]:
    """The categories each layer puts on a reply: rule findings, the model's sentence opinion, the report."""
    model = {
        k
        for s in report.sentences
        if s.tone is not None
        for k in MODEL_CATEGORIES
        if s.tone.kinds.get(k, 0.0) >= thresholds.get(k, scoring.DEFAULT_KIND_THRESHOLD)
    }
    return {
        "rules": {f.category for f in report.findings if f.source == "rule"},
        "model": model,
        "both": {f.category for f in report.findings},
    }


def category_table(
    items: Sequence[dataset.Item], reports: Sequence[Report], thresholds: dict[str, float]
) -> dict[str, dict[str, dict[str, float]]]:
    """layer -> category (and "all") -> precision / recall / counts, at reply level."""
    flagged = [categories_by_layer(r, thresholds) for r in reports]
    out: dict[str, dict[str, dict[str, float]]] = {}
    for layer in LAYERS:
        out[layer] = {}
        totals = Counter()
        for kind in MODEL_CATEGORIES:
            tp = sum(kind in f[layer] and kind in i.kinds for f, i in zip(flagged, items, strict=True))
            fp = sum(kind in f[layer] and kind not in i.kinds for f, i in zip(flagged, items, strict=True))
            fn = sum(kind not in f[layer] and kind in i.kinds for f, i in zip(flagged, items, strict=True))
            out[layer][kind] = scoring.prf(tp, fp, fn)
            totals.update(tp=tp, fp=fp, fn=fn)
        out[layer]["all"] = scoring.prf(totals["tp"], totals["fp"], totals["fn"])
    return out


def clean_rates(items: Sequence[dataset.Item], reports: Sequence[Report]) -> dict[str, float]:
    """Among replies that are not rude (by their label): any finding, a finding from the model, verdict not ok,
    and tone labelled rude."""
    pairs = [(i, r) for i, r in zip(items, reports, strict=True) if i.label != "rude"]
    n = max(1, len(pairs))
    return {
        "n": len(pairs),
        "any_finding": sum(bool(r.findings) for _, r in pairs) / n,
        "model_finding": sum(any(f.source == "model" for f in r.findings) for _, r in pairs) / n,
        "flagged": sum(r.verdict != "ok" for _, r in pairs) / n,
        "rude": sum(r.tone is not None and r.tone.label == "rude" for _, r in pairs) / n,
    }


def tone_summary(items: Sequence[dataset.Item], reports: Sequence[Report]) -> dict[str, Any]:
    gold = [i.label for i in items]
    pred = [r.tone.label if r.tone else "neutral" for r in reports]
    return metrics.summary(gold, pred, TONE_LABELS)


def evaluate(checker: Checker, cfg: dict[str, Any]) -> dict[str, Any]:
    """Every headline figure, as a dict (printed by :func:`print_report`)."""
    dc = cfg["data"]
    splits = dataset.split_items(dataset.load_all_support(dc), dc)
    dialogue = dataset.split_items(dataset.load_dialogue(dataset.resolve(dc["dialogue"])), dc)
    stanford = dataset.split_items(dataset.load_stanford(dataset.resolve(dc["stanford_dir"])), dc)["test"]
    clf = checker.classifier
    assert clf is not None
    thresholds = clf.kind_thresholds
    held = splits["writers"]
    held_reports = run_checker(checker, held)
    real = {
        "ibm_twitter (test split)": [i for i in splits["test"] if i.source == dataset.REAL_REPLY_SOURCE],
        "taskmaster-4 agent turns (test split)": dialogue["test"],
    }
    real_out = {}
    for name, items in real.items():
        reports = run_checker(checker, items)
        real_out[name] = {
            "n": len(items),
            "rude": sum(r.tone is not None and r.tone.label == "rude" for r in reports) / max(1, len(items)),
            "any_finding": sum(bool(r.findings) for r in reports) / max(1, len(items)),
            "flagged": sum(r.verdict != "ok" for r in reports) / max(1, len(items)),
            "examples": [(i.text, r) for i, r in zip(items, reports, strict=True) if r.findings or r.verdict != "ok"],
        }
    per_writer = {}
    for writer in sorted({i.writer for i in held}):
        pairs = [(i, r) for i, r in zip(held, held_reports, strict=True) if i.writer == writer]
        its, rps = [p[0] for p in pairs], [p[1] for p in pairs]
        per_writer[writer] = {
            "n": len(its),
            "tone": tone_summary(its, rps),
            "categories": category_table(its, rps, thresholds),
            "clean": clean_rates(its, rps),
        }
    return {
        "writers": sorted({i.writer for i in held}),
        "n": len(held),
        "labels": dict(Counter(i.label for i in held)),
        "tone": tone_summary(held, held_reports),
        "categories": category_table(held, held_reports, thresholds),
        "clean": clean_rates(held, held_reports),
        "per_writer": per_writer,
        "real": real_out,
        "stanford_main_head": scoring.stanford_accuracy(clf.model, clf.tokenizer, stanford, clf.temperature, aux=False),
        "thresholds": thresholds,
        "_items": held,
        "_reports": held_reports,
    }


def print_report(res: dict[str, Any], misses: int) -> None:
    print(f"## Leave-writers-out: {len(res['writers'])} held-out writers ({', '.join(res['writers'])}), "
          f"{res['n']} replies {res['labels']}\n")
    print("Never trained on and never used for any selection; checked through `Checker.check_many` (rules, tone "
          "model, model findings), default pack, int8 model.\n")
    t = res["tone"]
    pc = t["per_class"]
    print(f"Tone: accuracy {t['accuracy']:.3f}, macro-F1 **{t['macro_f1']:.3f}** "
          f"(polite R {pc['polite']['recall']:.3f}, neutral R {pc['neutral']['recall']:.3f}, "
          f"rude R {pc['rude']['recall']:.3f} P {pc['rude']['precision']:.3f})\n")
    print("Findings per category, reply level (recall / precision):\n")
    print("| category | rules alone | model alone | both (the report) | replies of that kind |")
    print("|---|---|---|---|---|")
    cats = res["categories"]
    for kind in (*MODEL_CATEGORIES, "all"):
        cells = [f"{cats[layer][kind]['recall']:.2f} / {cats[layer][kind]['precision']:.2f}" for layer in LAYERS]
        n = cats["both"][kind]["tp"] + cats["both"][kind]["fn"]
        print(f"| {kind} | " + " | ".join(cells) + f" | {n} |")
    c = res["clean"]
    print(f"\nReplies not labelled rude (n={c['n']}): any finding {c['any_finding']:.1%}, a model finding "
          f"{c['model_finding']:.1%}, verdict review/block {c['flagged']:.1%}, tone rude {c['rude']:.1%}\n")
    print("Per held-out writer:\n")
    print("| writer | n | tone macro-F1 | finding recall / precision (both) | clean: any finding | clean: tone rude |")
    print("|---|---|---|---|---|---|")
    for writer, w in res["per_writer"].items():
        a = w["categories"]["both"]["all"]
        print(f"| {writer} | {w['n']} | {w['tone']['macro_f1']:.3f} | {a['recall']:.2f} / {a['precision']:.2f} | "
              f"{w['clean']['any_finding']:.1%} | {w['clean']['rude']:.1%} |")
    print("\n## Real replies not used in training\n")
    print("| population | n | tone rude | any finding | verdict review/block |\n|---|---|---|---|---|")
    for name, r in res["real"].items():
        print(f"| {name} | {r['n']} | {r['rude']:.1%} | {r['any_finding']:.1%} | {r['flagged']:.1%} |")
    s = res["stanford_main_head"]
    print(f"\nStanford Politeness test split, polite vs impolite from the product's head (P(polite) > P(rude)): "
          f"all {s['all']:.3f} (" + ", ".join(f"{k} {v:.3f}" for k, v in s.items() if k not in ("all", "head")) + ")")
    print("\nCategory thresholds (chosen on validation): "
          + ", ".join(f"{k} {v}" for k, v in sorted(res["thresholds"].items())))
    print(f"\nMisses on held-out writers (up to {misses}; gold kinds, what the report found):\n")
    shown = 0
    for item, report in zip(res["_items"], res["_reports"], strict=True):
        found = {f.category for f in report.findings}
        wanted = {k for k in item.kinds if k in MODEL_CATEGORIES}
        if wanted <= found and (item.label == "rude" or not report.findings):
            continue
        text = " ".join(item.text.split())
        text = text if len(text) <= 140 else text[:137] + "..."
        tone = report.tone.label if report.tone else "-"
        print(f"- [{item.writer}] {item.label} {list(item.kinds) or ''} -> findings {sorted(found) or '-'}, "
              f"tone {tone}: {text}")
        shown += 1
        if shown >= misses:
            break
