"""Start-up time: what a fresh process pays before its first check (the audit, each `serve` worker, the CLI).

    python bench/startup.py [--repeats 5] [--no-model]

Each run is a fresh Python process that times, in order: ``import tonecheck``; importing the libraries the
checker needs (spaCy, which imports torch through thinc); ``Checker.load()``; and the first check. Runs are
rules only and with the tone model, each with a cold pack cache (an empty ``TONECHECK_CACHE_DIR``) and a warm
one (filled by an untimed run first), interleaved so that load on the machine spreads over all of them. Prints
the median of each column in seconds. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs in each fresh process; prints one JSON object of seconds.
CHILD = """
import json, time
t0 = time.perf_counter()
import tonecheck
t1 = time.perf_counter()
import tonecheck.api
t2 = time.perf_counter()
checker = tonecheck.Checker.load()
t3 = time.perf_counter()
checker.check("Hi Dana, as I already told you, the refund takes five days. Calm down, it WILL arrive.")
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "libraries": t2 - t1, "load": t3 - t2, "first check": t4 - t3,
                  "total": t4 - t0}))
"""
COLUMNS = ("import", "libraries", "load", "first check", "total")


def run_once(cache_dir: Path, use_model: bool) -> dict[str, float]:
    """One fresh process; its environment names only our cache folder and the model switch of tonecheck's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONECHECK_")}
    env.update(TONECHECK_CACHE_DIR=str(cache_dir), TONECHECK_USE_MODEL="on" if use_model else "off")
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(repeats: int, modes: list[bool]) -> dict[tuple[bool, str], list[dict[str, float]]]:
    """Every (model on/off, cold/warm) run ``repeats`` times, interleaved; a new empty folder for each cold run."""
    runs: dict[tuple[bool, str], list[dict[str, float]]] = {(m, c): [] for m in modes for c in ("cold", "warm")}
    with tempfile.TemporaryDirectory(prefix="tonecheck-startup-") as scratch:
        warm = {m: Path(scratch) / f"warm-{m}" for m in modes}
        for use_model in modes:
            run_once(warm[use_model], use_model)  # fills the warm cache; not timed
        for i in range(repeats):
            for use_model in modes:
                runs[(use_model, "cold")].append(run_once(Path(scratch) / f"cold-{use_model}-{i}", use_model))
                runs[(use_model, "warm")].append(run_once(warm[use_model], use_model))
    return runs


def report(runs: dict[tuple[bool, str], list[dict[str, float]]], repeats: int) -> str:
    lines = [f"median of {repeats} fresh processes, seconds", "",
             f"{'':<22}" + "".join(f"{c:>13}" for c in COLUMNS)]
    for (use_model, cache), results in runs.items():
        label = f"{'with model' if use_model else 'rules only'}, {cache} cache"
        lines.append(f"{label:<22}" + "".join(f"{statistics.median(r[c] for r in results):>13.3f}" for c in COLUMNS))
    lines += ["", "import: `import tonecheck`; libraries: spaCy (and torch through thinc); load: Checker.load();",
              "first check: one 20-word reply; total: all four, from the first import to the first report."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-model", action="store_true", help="rules only")
    args = parser.parse_args()
    modes = [False] if args.no_model else [False, True]
    print(report(measure(args.repeats, modes), args.repeats))


if __name__ == "__main__":
    main()
