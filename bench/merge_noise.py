"""How much a reply's report changes when its check shares a model pass with other replies (service micro-batching,
``http_batch_exact = off``), against the same reply checked alone.

    .venv/bin/python bench/merge_noise.py [--replies 240] [--per-pass 8] [--variant int8|fp32|dynamic]

Replies: every 37th of bench/mail.py's sources (the committed real and independently written replies). Each is
checked alone, then again in groups of ``--per-pass`` through ``Checker.check_groups`` (what a service worker does
with requests that arrive together), sentence cache off. Prints how many reports differ at all, in verdict, tone
label or findings, and the largest difference of any score. ``dynamic`` is torch's dynamic int8, what shipped
before per-token int8 (bench/int8_rows.py). Nothing asserts.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from mail import reply_texts  # noqa: E402

import tonecheck  # noqa: E402


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar of a report dict with its path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from leaves(item, f"{path}[{i}]")
    else:
        yield path, value


def findings(report: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [(f["rule_id"], f["start"], f["end"]) for f in report["findings"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=240)
    parser.add_argument("--per-pass", type=int, default=8)
    parser.add_argument("--variant", choices=("int8", "fp32", "dynamic"), default="int8")
    args = parser.parse_args()
    if args.variant == "dynamic":
        from int8_rows import dynamic_int8

        import tonecheck.classify as classify

        classify.quantize_int8 = dynamic_int8  # what ToneClassifier.load calls for int8
    variant = "fp32" if args.variant == "fp32" else "int8"
    texts = [t for group in reply_texts().values() for t in group][::37][: args.replies]
    settings = tonecheck.load_settings(use_model=True, tone_cache_size=0, model_variant=variant)
    checker = tonecheck.Checker.load(settings)
    alone = [checker.check(t).to_dict() for t in texts]
    merged: list[dict[str, Any]] = []
    for i in range(0, len(texts), args.per_pass):
        groups = checker.check_groups([[t] for t in texts[i : i + args.per_pass]])
        merged += [group[0].to_dict() for group in groups]
    differ = verdicts = labels = changed = 0
    largest = 0.0
    for a, b in zip(alone, merged, strict=True):
        if a == b:
            continue
        differ += 1
        verdicts += a["verdict"] != b["verdict"]
        labels += (a["tone"] or {}).get("label") != (b["tone"] or {}).get("label")
        changed += findings(a) != findings(b)
        left, right = dict(leaves(a)), dict(leaves(b))
        for key in left.keys() & right.keys():
            if isinstance(left[key], float) and isinstance(right[key], float):
                largest = max(largest, abs(left[key] - right[key]))
    print(f"{args.variant}: {len(texts)} replies, {args.per_pass} per merged pass: {differ} reports differ from the "
          f"lone check; verdict {verdicts}, tone label {labels}, findings {changed}; largest score difference "
          f"{largest:.4f}")


if __name__ == "__main__":
    main()
