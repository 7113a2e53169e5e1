"""The rewrite set: the builder rejects items that break the labelling rules, and the committed JSONL is current."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from models.data import build_rewrites
from models.data.build_rewrites import KINDS, SourceError
from models.dataset import row_of


def _write(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def test_build_gives_stable_ids_sources_and_line_breaks(tmp_path: Path) -> None:
    body = "@ ibm-1-2\nR hostile: Go away.\nN: Done.\n@ w-demo-1\nP: Hi Dana,\\n\\nThanks so much!\n"
    _write(tmp_path, "a.txt", body)
    items = build_rewrites.build(tmp_path, groups={"ibm-1-2"})
    assert [(i.id, i.source, i.label, i.kind) for i in items] == [
        ("ibm-1-2.1", "rewrite", "rude", "hostile"),
        ("ibm-1-2.2", "rewrite", "neutral", None),
        ("w-demo-1.1", "written", "polite", None),
    ]
    assert items[2].text == "Hi Dana,\n\nThanks so much!"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("@ w-demo-1\nR: You again.\n", "needs a kind"),
        ("@ w-demo-1\nR rude: You again.\n", "needs a kind"),
        ("@ w-demo-1\nN hostile: Done.\n", "only rude items take a kind"),
        ("N: Done.\n", "before any '@ group'"),
        ("@ demo\nN: Done.\n", "bad group id"),
        ("@ w-demo-1\nX: Done.\n", "expected"),
        ("@ w-demo-1\nN: Ask @SomeUser here.\n", "@handle or a URL"),
        ("@ w-demo-1\nN: See https://example.com now.\n", "@handle or a URL"),
        ("@ w-demo-1\nN: Done.\nP: done.\n", "duplicate text"),
        ("@ ibm-9-9\nN: Done.\n", "no real reply"),
    ],
)
def test_build_rejects_items_that_break_the_rules(tmp_path: Path, body: str, message: str) -> None:
    _write(tmp_path, "bad.txt", body)
    with pytest.raises(SourceError, match=message):
        build_rewrites.build(tmp_path, groups={"ibm-1-2"})


def test_company_addresses_are_not_mistaken_for_handles(tmp_path: Path) -> None:
    _write(tmp_path, "a.txt", "@ w-demo-1\nN: Forward it to abuse@chase.com.\n")
    assert build_rewrites.build(tmp_path, groups=set())[0].text == "Forward it to abuse@chase.com."


def test_committed_jsonl_is_what_the_sources_build() -> None:
    items = build_rewrites.build(groups=build_rewrites.known_groups())
    committed = build_rewrites.OUTPUT.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in committed] == [row_of(item) for item in items]


def test_committed_set_covers_every_kind_and_is_roughly_balanced() -> None:
    rows = [json.loads(line) for line in build_rewrites.OUTPUT.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 2000
    labels = Counter(row["label"] for row in rows)
    assert all(0.25 <= labels[label] / len(rows) <= 0.42 for label in ("polite", "neutral", "rude"))
    kinds = Counter(row["kind"] for row in rows if row["label"] == "rude")
    assert set(kinds) == set(KINDS)
    assert min(kinds.values()) >= 50
