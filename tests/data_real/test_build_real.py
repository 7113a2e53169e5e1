"""The real-reply data set: cleaning keeps no user handles or links, and labels cannot drift from texts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.data import build_real
from models.data.build_real import LabelError, RealText

DATA = Path(build_real.__file__).resolve().parent
COMMITTED = DATA / "support_real.jsonl"


def test_clean_tweet_strips_handles_but_keeps_company_addresses() -> None:
    text = build_real.clean_tweet("@Some_User Hi Justin, forward it to abuse@chase.com. Thanks @Other!")
    assert text == "Hi Justin, forward it to abuse@chase.com. Thanks!"


def test_clean_tweet_replaces_links_and_keeps_closing_punctuation() -> None:
    text = build_real.clean_tweet("Head here (https://a.example/x?y=1) or banking:https://b.example/p.\nBye")
    assert text == "Head here (<url>) or banking:<url>.\nBye"


def test_clean_tweet_decodes_entities_and_spaces() -> None:
    cleaned = build_real.clean_tweet("Prohibited &amp; Restricted\u00a0\u00a0items")
    assert cleaned == "Prohibited & Restricted items"


def test_clean_enron_undoes_tokeniser_spacing_only() -> None:
    line = "andy , do n't blow this ( really ) out of proportion - ok ?"
    assert build_real.clean_enron(line) == "andy, don't blow this (really) out of proportion - ok?"


def _labels(tmp_path: Path, body: str) -> dict:
    path = tmp_path / "labels.tsv"
    path.write_text(body, encoding="utf-8")
    return build_real.read_labels(path)


def test_read_labels_requires_a_kind_for_rude_only(tmp_path: Path) -> None:
    assert _labels(tmp_path, "# c\na\trude\thostile\nb\tneutral\t-\n") == {
        "a": ("rude", "hostile"),
        "b": ("neutral", None),
    }
    with pytest.raises(LabelError, match="rude needs a kind"):
        _labels(tmp_path, "a\trude\t-\n")
    with pytest.raises(LabelError, match="only rude items"):
        _labels(tmp_path, "a\tpolite\tsarcastic\n")
    with pytest.raises(LabelError, match="labelled twice"):
        _labels(tmp_path, "a\tpolite\t-\na\tneutral\t-\n")


def test_join_refuses_unlabelled_texts_and_orphan_labels() -> None:
    texts = [RealText("x", "x", "enron", "hi")]
    assert build_real.join(texts, {"x": ("neutral", None)})[0].label == "neutral"
    with pytest.raises(LabelError, match="1 texts unlabelled"):
        build_real.join(texts, {})
    with pytest.raises(LabelError, match="1 labels without text"):
        build_real.join(texts, {"x": ("neutral", None), "y": ("polite", None)})


def test_committed_file_is_clean_and_well_formed() -> None:
    rows = [json.loads(line) for line in COMMITTED.read_text(encoding="utf-8").splitlines()]
    assert len({r["id"] for r in rows}) == len(rows) > 1000
    for row in rows:
        assert row["label"] in build_real.LABELS
        assert (row["kind"] in build_real.KINDS) == (row["label"] == "rude")
        assert not build_real.HANDLE.search(row["text"]), row["id"]
        assert "http" not in row["text"] and "www." not in row["text"], row["id"]


@pytest.mark.skipif(not build_real.IBM_PATH.exists(), reason="../shared/data is not available")
def test_rebuild_from_shared_data_matches_committed_file(tmp_path: Path) -> None:
    out = tmp_path / "rebuilt.jsonl"
    assert build_real.main(["build", str(out)]) == 0
    assert out.read_bytes() == COMMITTED.read_bytes()
