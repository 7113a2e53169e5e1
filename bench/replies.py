"""Score reply extraction on the public quoted-reply fixtures (tests/fixtures/replies/, see SOURCE.md).

    python bench/replies.py            # the library extractor every front end uses (tonecheck.reply)
    python bench/replies.py --misses   # also list each miss

A case passes when the extracted reply equals the expected one up to whitespace (runs of spaces and line breaks
count as one space). The sources disagree on what a visible reply holds, so each is compared on its own terms
(CONVENTIONS): talon's test strips quotations only (signatures stay), Crisp's and Discourse's trimmer drop
signatures but disagree on sign-offs ("Thanks,\nPat"), so there the reply matches with or without its sign-off;
the Discourse trimmer also keeps the quotes a sender answers between their own lines (tonecheck drops them from the
judged words but agrees on where the history starts), so there ``Reply.with_quotes`` may match too.
Prints "matched N/M (P%)", and the strict score without that last allowance.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "replies"
sys.path.insert(0, str(ROOT))


def cases() -> list[tuple[str, str, str]]:
    """(case id, mail text, expected reply) for every fixture, sorted by id."""
    out = []
    for expected in sorted(FIXTURES.glob("*/*.expected.txt")):
        mail = expected.with_name(expected.name.replace(".expected.txt", ".txt"))
        case = f"{expected.parent.name}/{mail.stem}"
        out.append((case, mail.read_text(encoding="utf-8"), expected.read_text(encoding="utf-8")))
    return out


#: Which forms of tonecheck.reply.Reply may equal a source's expected reply.
CONVENTIONS = {
    "talon": ("body",),
    "crisp": ("text", "with_signoff"),
    "discourse_trimmer": ("text", "with_signoff", "with_quotes"),
}


def same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def matches(case: str, text: str, expected: str, *, strict: bool = False) -> bool:
    """Whether tonecheck's extractor gets ``expected`` from ``text`` under the case's source convention (strict:
    without the inline-quote allowance)."""
    from tonecheck.reply import extract_reply

    reply = extract_reply(text)
    forms = [f for f in CONVENTIONS[case.split("/")[0]] if not (strict and f == "with_quotes")]
    return any(same(getattr(reply, form), expected) for form in forms)


def extractor(name: str):  # noqa: ANN201 - a callable (case, text, expected) -> bool
    if name == "reply":
        return matches
    if name == "audit-before":  # the audit's old cutter (mail-parser-reply), kept for before/after numbers
        from tonecheck.audit.quotes import strip_reply

        return lambda case, text, expected: same(strip_reply(text), expected)
    raise SystemExit(f"unknown extractor {name!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--extractor", default="reply", choices=("reply", "audit-before"))
    parser.add_argument("--misses", action="store_true", help="list each miss")
    args = parser.parse_args(argv)
    passes = extractor(args.extractor)
    all_cases = cases()
    misses = [case for case, text, expected in all_cases if not passes(case, text, expected)]
    if args.misses:
        for case in misses:
            print("miss:", case)
    matched = len(all_cases) - len(misses)
    print(f"matched {matched}/{len(all_cases)} ({100 * matched / len(all_cases):.1f}%) with {args.extractor}")
    if args.extractor == "reply":
        strict = sum(matches(case, text, expected, strict=True) for case, text, expected in all_cases)
        print(f"strict (inline quotes never count as the reply): {strict}/{len(all_cases)} "
              f"({100 * strict / len(all_cases):.1f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
