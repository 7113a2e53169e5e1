"""The independent writers' data (models/data/voices/) is well-formed and the held-out writers stay out."""

from __future__ import annotations

import json
from collections import Counter

from models import dataset
from tonecheck.report import RUDE_KINDS, TONE_LABELS

CFG = dataset.load_config()
VOICES = dataset.resolve(CFG["data"]["voices_dir"])


def test_every_voice_file_is_valid_and_names_its_writer() -> None:
    files = sorted(VOICES.glob("*.jsonl"))
    assert len(files) >= 7
    ids: Counter[str] = Counter()
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            assert row["writer"] == path.stem and row["id"].startswith(path.stem + "-")
            assert row["label"] in TONE_LABELS
            assert set(row["kinds"]) <= set(RUDE_KINDS)
            assert bool(row["kinds"]) == (row["label"] == "rude"), row["id"]
            assert row["text"].strip()
            ids[row["id"]] += 1
    assert max(ids.values()) == 1


def test_held_out_writers_exist_and_never_reach_train_or_val() -> None:
    held = set(CFG["data"]["test_writers"])
    assert held and all((VOICES / f"{w}.jsonl").is_file() for w in held)
    splits = dataset.split_items(dataset.load_all_support(CFG["data"]), CFG["data"])
    assert {i.writer for i in splits["writers"]} == held
    for name in ("train", "val", "test"):
        assert not held & {i.writer for i in splits[name]}
    assert len(splits["writers"]) >= 1000


def test_load_voices_refuses_kinds_on_a_polite_item(tmp_path) -> None:
    (tmp_path / "w.jsonl").write_text(
        json.dumps({"id": "w-1", "writer": "w", "text": "Thanks!", "label": "polite", "kinds": ["hostile"]}) + "\n"
    )
    try:
        dataset.load_voices(tmp_path)
    except ValueError as exc:
        assert "w.jsonl:1" in str(exc)
    else:
        raise AssertionError("a polite item with kinds was accepted")
