"""Worst-case inputs within the limits: what the slowest text a client may send costs.

    python bench/hostile.py [--chars 20000] [--no-model]

Each case is built to the given length (the service's `http_max_chars` by default; pass 100000 for the CLI and
audit limit) and checked once through `Checker.check` after a warm-up. Prints seconds per case and ms per 1,000
characters, and the worst of them. Target (issue 10): no input within the limits above 0.5 s on the 2-core box.
"""

from __future__ import annotations

import argparse
import time

from tonecheck import Checker, load_settings


def cases(n: int) -> dict[str, str]:
    """Inputs that hit the tokenizer, the cleaner, the sentence splitter or the model hardest."""
    def fill(unit: str) -> str:
        return (unit * (n // len(unit) + 1))[:n]

    nested = "<div>" * 2000 + "You're the only person with this problem." + "</div>" * 2000
    return {
        "punctuation run": fill("!?.,;:"),
        "emoji run": fill("\U0001f600\U0001f64f\U0001f525"),
        "brackets run": fill("(!)[?]{}"),
        "one long word": fill("a"),
        "32-char punctuation words": fill("!?" * 16 + " "),
        "letters and punctuation": fill("a!b?c."),
        "10,000 short lines": fill("ok\n"),
        "sentence soup": fill("Idiot. "),
        "nested HTML": fill(nested) if len(nested) < n else nested[:n],
        "entities": fill("&#x3F;"),
        "zero-width inside words": fill("asi\u200bnine "),
        "quoted history": fill("> you are the only one\n"),
        "ordinary reply text": fill("Thanks for writing in; I've checked your order and it ships today. "),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=20_000)
    parser.add_argument("--no-model", action="store_true", help="rules only")
    args = parser.parse_args()
    checker = Checker.load(load_settings(use_model=not args.no_model, max_chars=max(args.chars, 100_000)))
    checker.warm_up()
    print(f"| case ({args.chars} chars, model {'off' if args.no_model else 'on'}) | seconds | ms per 1,000 chars |")
    print("|---|---|---|")
    worst = ("", 0.0)
    for name, text in cases(args.chars).items():
        started = time.perf_counter()
        checker.check(text)
        seconds = time.perf_counter() - started
        worst = max(worst, (name, seconds), key=lambda w: w[1])
        print(f"| {name} | {seconds:.3f} | {1000 * seconds / len(text) * 1000:.2f} |", flush=True)
    print(f"\nworst: {worst[0]}, {worst[1]:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
