"""Build models/data/support_rewrites.jsonl from the hand-written sources in models/data/rewrites/.

The sources are plain text so that people can write and review them quickly; this script is the only
thing that turns them into the JSONL the trainer reads, and it refuses to write anything that breaks the
labelling rules (unknown label or kind, empty text, duplicate text, a rewrite of a reply that does not
exist, a real @handle or URL left in). Run it with ``python -m models.data.build_rewrites``.

Source format (one item per line, files read in name order)::

    # a comment
    @ ibm-1804-2            <- group of the following items (real reply id, or w-<topic>-<n>)
    R sarcastic: text       <- rude item with its kind
    N: text                 <- neutral item
    P: text                 <- polite item

Inside a text, a literal ``\\n`` stands for a line break (for full emails).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

from models.dataset import Item, row_of  # the one record type: what these write is what training reads

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "rewrites"
OUTPUT = HERE / "support_rewrites.jsonl"
SHARED = HERE.parent.parent.parent / "shared" / "data"
IBM_PATH = SHARED / "ibm_twitter_customer_care" / "dev.json"
ENRON_PATH = SHARED / "politeness_transfer_enron" / "politeness-curated-test.csv"

LABELS = {"R": "rude", "N": "neutral", "P": "polite"}
KINDS = (
    "condescending",
    "dismissive",
    "blaming",
    "sarcastic",
    "passive_aggressive",
    "hostile",
    "isolating",
    "threatening",
)
WRITTEN_GROUP = re.compile(r"^w-[a-z0-9]+(?:-[a-z0-9]+)*-\d+$")
REWRITE_GROUP = re.compile(r"^(?:ibm-\d+-m?\d+|enron-\d+)$")
ITEM_LINE = re.compile(r"^(?P<tag>[RNP])(?: (?P<kind>[a-z_]+))?: (?P<text>.+)$")
# Real users' handles and links must never reach the data set (they identify people).
PRIVATE = re.compile(r"(?<![\w.])@\w|https?://|www\.", re.IGNORECASE)


class SourceError(ValueError):
    """A source line breaks the format or the labelling rules; the message names file and line."""


def known_groups(ibm_path: Path = IBM_PATH, enron_path: Path = ENRON_PATH) -> set[str] | None:
    """Return every real reply's group id, or None when the shared data is not available to check against."""
    if not ibm_path.exists() or not enron_path.exists():
        return None
    groups: set[str] = set()
    for conv in json.loads(ibm_path.read_text(encoding="utf-8")):
        agent = conv["agentURL"]
        groups.add(f"ibm-{agent['doc_id']}-{agent['turn']}")
        for index, turn in enumerate(conv["dialogContent"]):
            if "agent" in turn:
                groups.add(f"ibm-{agent['doc_id']}-m{index}")
    n_lines = len(enron_path.read_text(encoding="utf-8").splitlines())
    groups.update(f"enron-{n}" for n in range(1, n_lines + 1))
    return groups


def parse_file(path: Path) -> list[tuple[str, str, str | None, str, str]]:
    """Parse one source file into (group, label, kind, text, where) tuples."""
    rows = []
    group: str | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path.name}:{number}"
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            group = line[1:].strip()
            if not (WRITTEN_GROUP.match(group) or REWRITE_GROUP.match(group)):
                raise SourceError(f"{where}: bad group id {group!r}")
            continue
        match = ITEM_LINE.match(line)
        if match is None:
            raise SourceError(f"{where}: expected 'R kind: text', 'N: text' or 'P: text', got {line[:60]!r}")
        if group is None:
            raise SourceError(f"{where}: item before any '@ group' line")
        label = LABELS[match["tag"]]
        kind = match["kind"]
        if label == "rude" and kind not in KINDS:
            raise SourceError(f"{where}: rude item needs a kind from {', '.join(KINDS)}, got {kind!r}")
        if label != "rude" and kind is not None:
            raise SourceError(f"{where}: only rude items take a kind")
        text = match["text"].replace("\\n", "\n").strip()
        if not text:
            raise SourceError(f"{where}: empty text")
        if PRIVATE.search(text):
            raise SourceError(f"{where}: text contains an @handle or a URL (use <url>)")
        rows.append((group, label, kind, text, where))
    return rows


def build(sources: Path = SOURCES, groups: set[str] | None = None) -> list[Item]:
    """Read every source file in name order and return validated items with stable ids."""
    items: list[Item] = []
    per_group: Counter[str] = Counter()
    seen_text: dict[str, str] = {}
    for path in sorted(sources.glob("*.txt")):
        for group, label, kind, text, where in parse_file(path):
            source = "written" if group.startswith("w-") else "rewrite"
            if source == "rewrite" and groups is not None and group not in groups:
                raise SourceError(f"{where}: no real reply has group id {group!r}")
            key = " ".join(text.lower().split())
            if key in seen_text:
                raise SourceError(f"{where}: duplicate text (first at {seen_text[key]})")
            seen_text[key] = where
            per_group[group] += 1
            items.append(Item(f"{group}.{per_group[group]}", group, source, text, label, kind))
    return items


def write_jsonl(items: list[Item], path: Path = OUTPUT) -> None:
    """Write one JSON object per line, in source order, so rebuilding gives byte-identical output."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for item in items:
            handle.write(json.dumps(row_of(item), ensure_ascii=False) + "\n")


def summary(items: list[Item]) -> str:
    """Counts per label, kind and source, as quoted in support_rewrites.md."""
    lines = [f"items: {len(items)}  groups: {len({i.group for i in items})}"]
    for field in ("label", "kind", "source"):
        counts = Counter(getattr(i, field) or "-" for i in items)
        lines.append(f"{field}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    by_source = Counter((i.source, i.label) for i in items)
    lines.append("source x label: " + ", ".join(f"{s}/{lb}={n}" for (s, lb), n in sorted(by_source.items())))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Validate the sources, write the JSONL (unless --check) and print the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="validate only, write nothing")
    args = parser.parse_args(argv)
    groups = known_groups()
    if groups is None:
        print("note: ../shared/data not found; rewrite group ids not checked", file=sys.stderr)
    try:
        items = build(groups=groups)
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not args.check:
        write_jsonl(items)
    print(summary(items))
    return 0


if __name__ == "__main__":
    sys.exit(main())
