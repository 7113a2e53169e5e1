"""Benchmark the whole embedded audit: N replies in an mbox → report files, rules only and with the model.

    .venv/bin/python bench/audit.py --n 5000                              # realistic mail, both modes
    .venv/bin/python bench/audit.py --n 5000 --mail synthetic --rules-only
    .venv/bin/python bench/audit.py --n 5000 --threads 1,2 --code /tmp/before --repeats 3

``--mail realistic`` (default): bench/mail.py, real and independently written replies in team templates, each
text used once before any repeats, its sentence repeat rate printed; ``--mail synthetic``: the 16-fragment
replies of ``tonecheck.audit.synthetic`` (nearly every sentence repeats; a sentence cache makes the model free).

Every run is a fresh process: checker load, then the audit proper (read, MIME, quote stripping, checking,
SQLite) and the report files. Prints messages/s for the audit proper plus report, the load apart, and the peak
memory of the process, in all and until the report files are written.
``--code DIR`` also runs the same audits with the tonecheck package found in DIR (e.g. an older commit unpacked
with ``git archive REV | tar -x -C DIR``), interleaved with this tree's runs round by round, with the same model
folder (``--model-dir``), and prints the ratio of medians. Numbers are for docs; no test asserts on them.
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# Runs in each fresh process, with the code under test first on sys.path; prints one JSON object.
CHILD = """
import json, sys, tempfile, time
from pathlib import Path
mbox, use_model, threads, batch, model_dir = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), int(sys.argv[4]), \\
    sys.argv[5]
started = time.perf_counter()
from tonecheck import Checker, load_settings
from tonecheck.audit import AuditStore, InputSpec, RunOptions, run_audit, write_outputs
options = dict(env={}, use_model=use_model, threads=threads)
if model_dir:
    options["model_dir"] = Path(model_dir)
checker = Checker.load(load_settings(**options))
loaded = time.perf_counter()
with tempfile.TemporaryDirectory() as tmp, AuditStore(Path(tmp) / "audit.sqlite") as store:
    stats = run_audit(InputSpec((Path(mbox),)), checker, store, RunOptions(batch_size=batch))
    audited = time.perf_counter()
    import resource
    checking_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    write_outputs(store, Path(tmp) / "out")
done = time.perf_counter()
print(json.dumps({"n": stats.audited + stats.errors, "load": loaded - started, "audit": audited - loaded,
                  "report": done - audited, "whole": done - loaded, "checking_mb": checking_mb,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_once(code: Path, mbox: Path, use_model: bool, threads: int, batch: int, model_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONECHECK_")}
    env["PYTHONPATH"] = str(code)
    env["OMP_NUM_THREADS"] = str(threads)
    args = [str(mbox), "1" if use_model else "0", str(threads), str(batch), model_dir]
    done = subprocess.run([sys.executable, "-c", CHILD, *args], cwd=code, env=env, capture_output=True,
                          text=True)
    if done.returncode:
        raise SystemExit(f"run failed in {code}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def mode_label(use_model: bool, threads: int) -> str:
    return f"{'rules + model' if use_model else 'rules only'}, {threads} thread{'s' * (threads > 1)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="replies (default: 2000)")
    parser.add_argument("--mail", choices=("realistic", "synthetic"), default="realistic")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", default="1", help="torch threads, comma-separated to compare (default: 1)")
    parser.add_argument("--rules-only", action="store_true", help="skip the runs with the tone model")
    parser.add_argument("--code", type=Path, help="also run the tonecheck package in this folder, interleaved")
    parser.add_argument("--model-dir", default=str(ROOT / "models" / "tone"),
                        help="the model folder for every run (default: this tree's models/tone)")
    parser.add_argument("--repeats", type=int, default=1, help="rounds; medians are printed (default: 1)")
    args = parser.parse_args()
    trees = {"this tree": ROOT, **({"--code": args.code.resolve()} if args.code else {})}
    modes = [False] + ([] if args.rules_only else [True])
    threads = [int(t) for t in args.threads.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        mbox = Path(tmp) / "bench.mbox"
        if args.mail == "realistic":
            from mail import write_realistic_mbox

            _, rate = write_realistic_mbox(mbox, args.n)
            what = f"realistic mail (bench/mail.py), {rate:.0%} of the rep's sentences repeat an earlier one"
        else:
            from tonecheck.audit.synthetic import write_mbox

            write_mbox(mbox, args.n)
            what = "synthetic mail (tonecheck.audit.synthetic)"
        print(f"{args.n} replies, {mbox.stat().st_size / 1e6:.1f} MB mbox, {what}; batch {args.batch_size}; "
              f"{args.repeats} round(s), medians; python {sys.version.split()[0]}")
        results: dict[tuple, list[dict]] = {}
        for _ in range(args.repeats):
            for use_model in modes:
                for t in threads if use_model else threads[:1]:
                    for name, code in trees.items():
                        result = run_once(code, mbox, use_model, t, args.batch_size, args.model_dir)
                        assert result["n"] == args.n, result
                        results.setdefault((use_model, t, name), []).append(result)
    for (use_model, t, name), runs in results.items():
        label = f"{mode_label(use_model, t)}, {name}"
        whole = statistics.median(r["whole"] for r in runs)
        audit = statistics.median(r["audit"] for r in runs)
        load = statistics.median(r["load"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        checking = max(r.get("checking_mb", 0.0) for r in runs)
        print(f"{label:40s} {args.n / whole:7.1f} messages/s whole audit ({args.n / audit:7.1f}/s checking+storing),"
              f" checker load {load:.1f} s, peak {peak:.0f} MB ({checking:.0f} MB until the report)")
    if args.code:
        for use_model in modes:
            for t in threads if use_model else threads[:1]:
                ours = statistics.median(r["whole"] for r in results[(use_model, t, "this tree")])
                theirs = statistics.median(r["whole"] for r in results[(use_model, t, "--code")])
                label = mode_label(use_model, t)
                print(f"{label:40s} this tree / --code: {theirs / ours:.2f}x")


if __name__ == "__main__":
    main()
