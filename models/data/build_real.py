"""Build models/data/support_real.jsonl: real agent replies and Enron sentences, with our hand labels.

The texts are not stored by hand: they are re-extracted from ``../shared/data`` every time, so the
normalisation (handles and links stripped, HTML entities decoded, tokenised spacing tidied) is code that
can be read and re-run. The labels are the only hand-made part; they live in ``support_real_labels.tsv``
(``id<TAB>label<TAB>kind``, kind ``-`` unless rude), and the build refuses to write anything when a text
has no label or a label has no text, so the two can never drift apart silently.

    python -m models.data.build_real                    # extract, join with labels, write the JSONL
    python -m models.data.build_real extract OUT.jsonl  # write the unlabelled intermediate (for labelling)

Ids. A reply's group is ``ibm-{doc_id}-{turn}`` (agentURL reply) or ``ibm-{doc_id}-m{index}`` (agent turn
inside dialogContent), ``enron-{line}`` for Enron. ``doc_id`` names the help page the reply links to, not
the conversation, so several replies share a group (mostly one brand's template sent to many users).
They stay in one group on purpose: near-identical templates must not straddle a train/test split, and the
rewrites (support_rewrites.jsonl) use the same group ids. The id is the group when the group holds one
reply, else ``{group}#{k}`` with k the reply's 1-based position among that group's replies in dev.json.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from models.dataset import Item, row_of  # the one record type: what these write is what training reads

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent.parent / "shared" / "data"
IBM_PATH = SHARED / "ibm_twitter_customer_care" / "dev.json"
ENRON_PATH = SHARED / "politeness_transfer_enron" / "politeness-curated-test.csv"
LABELS_PATH = HERE / "support_real_labels.tsv"
OUTPUT = HERE / "support_real.jsonl"

LABELS = ("polite", "neutral", "rude")
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

# A handle starts a token (so e-mail addresses such as abuse@chase.com survive) and is word characters.
HANDLE = re.compile(r"(?<![\w@.])@\w+")
# Links: scheme links (also glued to a word, "banking:https://...") and bare www. links.
URL = re.compile(r"https?://\S+|(?<![\w.])www\.\S+", re.IGNORECASE)
URL_TRAILING = ".,;:!?)]}\"'’”"
SPACES = re.compile(r"[ \t\u00a0]+")
# spaCy tokenisation of the Enron release: "do n't", "let 's", "this ." -> "don't", "let's", "this."
ENRON_CLITIC = re.compile(r" (n't|'s|'re|'ve|'ll|'m|'d)\b")
ENRON_PUNCT = re.compile(r" ([.,!?;:)])(?= |$)")
ENRON_OPEN = re.compile(r"\( ")


@dataclass(frozen=True)
class RealText:
    """One extracted, normalised text before labelling."""

    id: str
    group: str
    source: str
    text: str


class LabelError(ValueError):
    """The labels file and the extracted texts disagree, or a label line breaks the format."""


def _replace_url(match: re.Match[str]) -> str:
    """Swap a link for ``<url>`` but keep punctuation that closed the sentence or a bracket."""
    link = match.group(0)
    tail = ""
    while link and link[-1] in URL_TRAILING:
        tail = link[-1] + tail
        link = link[:-1]
    return "<url>" + tail


def clean_tweet(text: str) -> str:
    """Strip real users' @handles, replace links by ``<url>``, decode entities and tidy spaces.

    Handles go first so that a handle glued to a link cannot survive; line breaks are kept (they are
    part of how the agent wrote) but spaces around them are tidied.
    """
    text = html.unescape(text)
    text = HANDLE.sub("", text)
    text = URL.sub(_replace_url, text)
    lines = [SPACES.sub(" ", line).strip() for line in text.splitlines()]
    text = "\n".join(line for line in lines if line)
    # A removed handle can leave " ," or " ." behind ("Thanks @x, ..." -> "Thanks , ...").
    return re.sub(r" ([,.!?])", r"\1", text)


def clean_enron(line: str) -> str:
    """Undo only the obvious tokeniser spacing; the text stays lower-cased as it was released.

    Links become ``<url>`` as in the tweets, so the model never learns a source from its link style.
    """
    text = URL.sub(_replace_url, SPACES.sub(" ", line).strip())
    text = ENRON_CLITIC.sub(r"\1", text)
    text = ENRON_PUNCT.sub(r"\1", text)
    return ENRON_OPEN.sub("(", text)


def _ibm_raw(path: Path) -> list[tuple[str, str]]:
    """(group, raw text) for every agent reply, in dev.json order: agentURL first, then dialog turns."""
    rows = []
    for conv in json.loads(path.read_text(encoding="utf-8")):
        agent = conv["agentURL"]
        rows.append((f"ibm-{agent['doc_id']}-{agent['turn']}", agent["url_utterance"]))
        for index, turn in enumerate(conv["dialogContent"]):
            if "agent" in turn:
                rows.append((f"ibm-{agent['doc_id']}-m{index}", turn["message"]))
    return rows


def extract_ibm(path: Path = IBM_PATH) -> list[RealText]:
    """Extract agent replies with unique ids; exact duplicates (after cleaning) keep the first copy."""
    raw = _ibm_raw(path)
    sizes = Counter(group for group, _ in raw)
    seen_in_group: Counter[str] = Counter()
    seen_text: set[str] = set()
    texts = []
    for group, message in raw:
        seen_in_group[group] += 1
        ident = group if sizes[group] == 1 else f"{group}#{seen_in_group[group]}"
        text = clean_tweet(message)
        if not text or text in seen_text:
            continue
        seen_text.add(text)
        texts.append(RealText(ident, group, "ibm_twitter", text))
    return texts


def extract_enron(path: Path = ENRON_PATH) -> list[RealText]:
    """Extract the Enron sentences, id = 1-based line number; exact duplicates keep the first line."""
    texts = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = clean_enron(line)
        if not text or text in seen:
            continue
        seen.add(text)
        texts.append(RealText(f"enron-{number}", f"enron-{number}", "enron", text))
    return texts


def extract(ibm_path: Path = IBM_PATH, enron_path: Path = ENRON_PATH) -> list[RealText]:
    """All real texts, IBM first, in source order."""
    return extract_ibm(ibm_path) + extract_enron(enron_path)


def read_labels(path: Path = LABELS_PATH) -> dict[str, tuple[str, str | None]]:
    """Parse ``id<TAB>label<TAB>kind`` lines (``#`` comments allowed) and validate every value."""
    labels: dict[str, tuple[str, str | None]] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        where = f"{path.name}:{number}"
        parts = raw.split("\t")
        if len(parts) != 3:
            raise LabelError(f"{where}: expected id<TAB>label<TAB>kind, got {raw[:60]!r}")
        ident, label, kind = parts
        if label not in LABELS:
            raise LabelError(f"{where}: unknown label {label!r}")
        if label == "rude" and kind not in KINDS:
            raise LabelError(f"{where}: rude needs a kind from {', '.join(KINDS)}, got {kind!r}")
        if label != "rude" and kind != "-":
            raise LabelError(f"{where}: only rude items take a kind (write '-'), got {kind!r}")
        if ident in labels:
            raise LabelError(f"{where}: {ident} labelled twice")
        labels[ident] = (label, None if kind == "-" else kind)
    return labels


def join(texts: list[RealText], labels: dict[str, tuple[str, str | None]]) -> list[Item]:
    """Attach a label to every text; any text without a label, or label without a text, is an error."""
    missing = [t.id for t in texts if t.id not in labels]
    extra = sorted(set(labels) - {t.id for t in texts})
    if missing or extra:
        raise LabelError(
            f"{len(missing)} texts unlabelled (first: {missing[:5]}); "
            f"{len(extra)} labels without text (first: {extra[:5]})"
        )
    return [Item(t.id, t.group, t.source, t.text, *labels[t.id]) for t in texts]


def write_jsonl(rows: list, path: Path) -> None:
    """One JSON object per line, in source order, so a rebuild gives byte-identical output."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row_of(row), ensure_ascii=False) + "\n")


def summary(items: list[Item]) -> str:
    """Label and kind counts per source, as quoted in support_real.md."""
    lines = [f"items: {len(items)}  groups: {len({i.group for i in items})}"]
    for source in sorted({i.source for i in items}) + ["all"]:
        chosen = [i for i in items if source in ("all", i.source)]
        counts = Counter(i.label for i in chosen)
        lines.append(f"{source}: {len(chosen)}  " + "  ".join(f"{k}={counts[k]}" for k in LABELS))
    kinds = Counter(i.kind for i in items if i.kind)
    lines.append("rude kinds: " + ("  ".join(f"{k}={v}" for k, v in sorted(kinds.items())) or "none"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``build`` (default) or ``extract OUT``."""
    parser = argparse.ArgumentParser(prog="python -m models.data.build_real")
    parser.add_argument("command", nargs="?", choices=("build", "extract"), default="build")
    parser.add_argument("out", nargs="?", type=Path, help="output path (default: next to this script)")
    args = parser.parse_args(argv)
    texts = extract()
    if args.command == "extract":
        out = args.out or HERE / "support_real_unlabelled.jsonl"
        write_jsonl(texts, out)
        print(f"wrote {len(texts)} unlabelled texts to {out}")
        return 0
    try:
        items = join(texts, read_labels())
    except LabelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    write_jsonl(items, args.out or OUTPUT)
    print(summary(items))
    return 0


if __name__ == "__main__":
    sys.exit(main())
