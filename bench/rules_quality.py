"""How well the rule layer separates problem phrasing from normal support writing.

Prints, per category:
  * recall on the held-out ``flag`` sentences (models/data/rules_heldout/, never used for tuning): share with
    at least one finding of that category (any severity);
  * false-positive rate on the held-out ``ok`` near-misses: share with a warning or error of that category;
then the false-positive rate on real text nobody wrote for us: IBM Twitter customer-care agent replies and
Enron email sentences from ../shared/data (share of texts with at least one warning/error finding, overall
and per rule), and every real text that was flagged, so a reader can judge whether it is a true hit.
Where a real text carries a hand label in models/data/support_real.jsonl, the label is printed beside it.

    .venv/bin/python bench/rules_quality.py            # full report
    .venv/bin/python bench/rules_quality.py --quiet    # figures only, no flagged texts
    .venv/bin/python bench/rules_quality.py --heldout-misses   # also list held-out misses and false positives

Listing the held-out misses is for reporting known gaps once tuning is over; tuning on them would spoil the set.

Runs from a fresh clone with the shared folder beside the repository (../shared); exits 2 if it is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.data.build_real import extract_enron, extract_ibm  # noqa: E402
from tonecheck import Checker, Report, load_settings  # noqa: E402
from tonecheck.report import CATEGORIES  # noqa: E402

HELDOUT = ROOT / "models" / "data" / "rules_heldout"
LABELLED = ROOT / "models" / "data" / "support_real.jsonl"
SHARED = ROOT.parent / "shared" / "data"
IBM = SHARED / "ibm_twitter_customer_care" / "dev.json"
ENRON = SHARED / "politeness_transfer_enron" / "politeness-curated-test.csv"
LOUD = ("warning", "error")


def loud(report: Report, category: str | None = None) -> list:
    """Findings that change the verdict (warning/error), optionally of one category."""
    return [f for f in report.findings if f.severity in LOUD and (category is None or f.category == category)]


def heldout_scores(checker: Checker, misses: list[str]) -> list[tuple[str, int, int, int, int]]:
    """(category, flagged, n_flag, false_pos, n_ok) per category; appends each miss / false positive to misses."""
    rows = []
    for category in CATEGORIES:
        data = yaml.safe_load((HELDOUT / f"{category}.yml").read_text(encoding="utf-8"))
        flag_reports = checker.check_many(data["flag"])
        ok_reports = checker.check_many(data["ok"])
        caught = [any(f.category == category for f in r.findings) for r in flag_reports]
        wrong = [bool(loud(r, category)) for r in ok_reports]
        misses += [f"{category} MISS {text!r}" for text, hit in zip(data["flag"], caught) if not hit]
        misses += [f"{category} FP   {text!r}" for text, bad in zip(data["ok"], wrong) if bad]
        hits, fps = sum(caught), sum(wrong)
        rows.append((category, hits, len(data["flag"]), fps, len(data["ok"])))
    return rows


def real_texts() -> dict[str, list[tuple[str, str]]]:
    """(id, text) per real source, cleaned as models/data/build_real.py does (@handles stripped)."""
    missing = [p for p in (IBM, ENRON) if not p.is_file()]
    if missing:
        print(f"error: real data not found: {', '.join(map(str, missing))}", file=sys.stderr)
        print("put the project's shared folder beside the repository (../shared)", file=sys.stderr)
        sys.exit(2)
    return {
        "ibm_twitter": [(t.id, t.text) for t in extract_ibm(IBM)],
        "enron": [(t.id, t.text) for t in extract_enron(ENRON)],
    }


def hand_labels() -> dict[str, str]:
    """id -> 'label' or 'label/kind' from the hand-labelled real set, if present."""
    if not LABELLED.is_file():
        return {}
    labels = {}
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        labels[row["id"]] = row["label"] + (f"/{row['kind']}" if row.get("kind") else "")
    return labels


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}%" if b else "   n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quiet", action="store_true", help="print figures only, not the flagged real texts")
    parser.add_argument("--heldout-misses", action="store_true", help="list held-out misses and false positives")
    args = parser.parse_args(argv)
    sources = real_texts()
    checker = Checker.load(load_settings(env={}, use_model=False))

    print("Held-out sentences (models/data/rules_heldout; never tuned on)")
    print(f"{'category':<15}{'recall':>18}{'false positives':>22}")
    tot = [0, 0, 0, 0]
    misses: list[str] = []
    for category, hits, n_flag, fps, n_ok in heldout_scores(checker, misses):
        print(f"{category:<15}{hits:>5}/{n_flag:<3} {pct(hits, n_flag)}{fps:>9}/{n_ok:<3} {pct(fps, n_ok)}")
        tot = [tot[0] + hits, tot[1] + n_flag, tot[2] + fps, tot[3] + n_ok]
    print(f"{'all':<15}{tot[0]:>5}/{tot[1]:<3} {pct(tot[0], tot[1])}{tot[2]:>9}/{tot[3]:<3} {pct(tot[2], tot[3])}")
    if args.heldout_misses:
        print("\n".join(f"  {line}" for line in misses))

    labels = hand_labels()
    labelled_hits: Counter[str] = Counter()
    for source, rows in sources.items():
        reports = checker.check_many([text for _, text in rows])
        flagged = [(ident, text, r) for (ident, text), r in zip(rows, reports) if loud(r)]
        for ident, _, _ in flagged:
            labelled_hits[labels.get(ident, "unlabelled").split("/")[0]] += 1
        per_rule = Counter(f.rule_id for _, _, r in flagged for f in {f.rule_id: f for f in loud(r)}.values())
        share = pct(len(flagged), len(rows))
        print(f"\nReal text: {source}: {len(flagged)}/{len(rows)} flagged (warning/error) = {share}")
        for rule_id, n in per_rule.most_common():
            print(f"  {rule_id:<40}{n:>4}  {pct(n, len(rows))}")
        if args.quiet:
            continue
        for ident, text, report in flagged:
            marks = ", ".join(f"{f.rule_id}:{f.text!r}" for f in loud(report))
            label = labels.get(ident, "unlabelled")
            print(f"  - [{ident} {label}] {text!r}\n      -> {marks}")
    if labels:
        totals = Counter(label.split("/")[0] for label in labels.values())
        print("\nHand-labelled real texts (models/data/support_real.jsonl) flagged, by label:")
        for label, n in sorted(totals.items()):
            print(f"  {label:<10}{labelled_hits[label]:>4}/{n:<5}{pct(labelled_hits[label], n)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
