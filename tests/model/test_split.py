"""The fixed data split: by group, deterministic, and disjoint."""

from __future__ import annotations

from models import dataset


def test_split_is_deterministic_and_by_group() -> None:
    cfg = dataset.load_config()["data"]
    items = [dataset.Item(f"g{n}.{k}", f"g{n}", "rewrite", "text", "neutral") for n in range(300) for k in range(3)]
    first = dataset.split_items(items, cfg)
    second = dataset.split_items(list(reversed(items)), cfg)
    for name in dataset.SPLITS:
        assert {i.id for i in first[name]} == {i.id for i in second[name]}
    groups = {name: {i.group for i in first[name]} for name in dataset.SPLITS}
    assert not groups["train"] & groups["val"]
    assert not groups["train"] & groups["test"]
    assert not groups["val"] & groups["test"]
    assert 0.1 < len(first["test"]) / len(items) < 0.3
