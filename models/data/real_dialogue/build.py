"""Build agent_turns.jsonl: real human-written agent turns from Taskmaster-4, used as "presumed not rude" negatives.

The tone model needs ordinary replies that nobody wrote to be polite or rude for us, so these texts come straight
from a public corpus (Taskmaster-4, CC BY 4.0, see SOURCE.md) and carry no polite/neutral label. The file is never
edited by hand: this script re-extracts it byte-identically from the corpus files, so anyone who downloads
``TM-4-2024/data/data_*.json`` from google-research-datasets/Taskmaster can check or redo the selection.

    python -m models.data.real_dialogue.build --src PATH/TO/TM-4-2024/data
    python -m models.data.real_dialogue.build --src data_00.json data_01.json ... --out /tmp/agent_turns.jsonl

Selection (deterministic, no random generator): every ``assistant`` turn with at least MIN_WORDS words is a
candidate; candidates are visited in the order of sha256("<conversation id>-<turn index>"), a turn is kept unless
its text (whitespace-collapsed, case-folded) was already kept or its conversation already has MAX_PER_CONVERSATION
turns, until TARGET turns are kept. The hash order spreads the picks over many conversations instead of the first
files. Output lines are sorted by conversation id, then turn index.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "agent_turns.jsonl"

CORPUS = "taskmaster4"
AGENT_SPEAKER = "assistant"
MIN_WORDS = 4
MAX_PER_CONVERSATION = 3
TARGET = 3000

# Turn ids that read as rude on inspection and are dropped on purpose (none found in Taskmaster-4).
DROPPED_AS_RUDE: frozenset[str] = frozenset()

# Self-dialogs invent customers, but mask contact details anyway so nothing personal-looking is stored.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<!\w)(?:\+?1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}(?!\w)")
SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Turn:
    """One agent turn after normalisation, before selection."""

    conversation_id: str
    index: int
    text: str

    @property
    def id(self) -> str:
        """Stable id: corpus, conversation and the turn's index inside the conversation."""
        return f"{CORPUS}-{self.conversation_id}-{self.index}"

    @property
    def group(self) -> str:
        """Turns of one conversation share a group so a train/test split never separates them."""
        return f"{CORPUS}-{self.conversation_id}"

    def record(self) -> dict[str, str]:
        """The JSONL object; no label on purpose: real, presumed not rude."""
        return {"id": self.id, "group": self.group, "source": CORPUS, "writer": CORPUS, "text": self.text}


def normalise(text: str) -> str:
    """Collapse whitespace and mask e-mail addresses and phone numbers."""
    text = SPACES.sub(" ", text).strip()
    text = EMAIL.sub("<email>", text)
    return PHONE.sub("<phone>", text)


def corpus_files(sources: Iterable[Path]) -> list[Path]:
    """Expand directories to their ``*.json`` files; sorted so the read order never depends on the shell."""
    files: list[Path] = []
    for src in sources:
        files.extend(sorted(src.glob("*.json")) if src.is_dir() else [src])
    return sorted(set(files), key=lambda p: p.name)


def read_turns(files: Iterable[Path]) -> Iterator[Turn]:
    """Yield every agent turn of every conversation in the Taskmaster-4 JSON files."""
    seen: set[str] = set()
    for path in files:
        for conv in json.loads(path.read_text(encoding="utf-8")):
            conv_id = conv["conversation_id"]
            if conv_id in seen:  # guard against a file given twice under two names
                continue
            seen.add(conv_id)
            for utt in conv["utterances"]:
                if utt["speaker"] == AGENT_SPEAKER:
                    yield Turn(conv_id, int(utt["index"]), normalise(utt["text"]))


def rank(turn: Turn) -> str:
    """Fixed pseudo-random order that depends only on the turn's identity, not on file order."""
    return hashlib.sha256(f"{turn.conversation_id}-{turn.index}".encode()).hexdigest()


def select(turns: Iterable[Turn], stats: Counter[str]) -> list[Turn]:
    """Apply the length, rudeness, duplicate and per-conversation filters; see the module docstring."""
    candidates: list[Turn] = []
    for turn in turns:
        stats["agent_turns"] += 1
        if len(turn.text.split()) < MIN_WORDS:
            stats["too_short"] += 1
        elif turn.id in DROPPED_AS_RUDE:
            stats["dropped_as_rude"] += 1
        else:
            candidates.append(turn)
    kept: list[Turn] = []
    texts: set[str] = set()
    per_conv: Counter[str] = Counter()
    for turn in sorted(candidates, key=rank):
        if len(kept) == TARGET:
            break
        key = turn.text.casefold()
        if key in texts:
            stats["duplicate"] += 1
        elif per_conv[turn.conversation_id] >= MAX_PER_CONVERSATION:
            stats["conversation_full"] += 1
        else:
            texts.add(key)
            per_conv[turn.conversation_id] += 1
            kept.append(turn)
    stats["kept"] = len(kept)
    stats["conversations"] = len(per_conv)
    return sorted(kept, key=lambda t: (t.conversation_id, t.index))


def render(turns: Iterable[Turn]) -> str:
    """One compact JSON object per line, UTF-8 kept readable, trailing newline."""
    return "".join(json.dumps(t.record(), ensure_ascii=False) + "\n" for t in turns)


def main(argv: list[str] | None = None) -> int:
    """Read the corpus, select, write; print the counts that SOURCE.md quotes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, nargs="+", required=True, help="TM-4-2024/data folder or its files")
    parser.add_argument("--out", type=Path, default=OUTPUT, help=f"output JSONL (default {OUTPUT})")
    args = parser.parse_args(argv)
    files = corpus_files(args.src)
    if not files:
        parser.error("no corpus files found under --src")
    stats: Counter[str] = Counter()
    kept = select(read_turns(files), stats)
    if len(kept) < TARGET:
        print(f"warning: only {len(kept)} turns kept, fewer than {TARGET}", file=sys.stderr)
    args.out.write_bytes(render(kept).encode("utf-8"))
    print(f"files={len(files)} " + " ".join(f"{k}={v}" for k, v in sorted(stats.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
