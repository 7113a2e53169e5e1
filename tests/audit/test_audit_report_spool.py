"""The report's per-message state kept out of memory: the flagged-reply spool and the tone tally."""

from __future__ import annotations

import random

import numpy as np
import pytest

from tonecheck.audit.report import FlaggedSpool, ToneTally
from tonecheck.audit.report_html import ranked


def test_spool_gives_each_agents_entries_in_rankeds_order() -> None:
    rng = random.Random(7)
    spool = FlaggedSpool()
    added: dict[str, list] = {}
    for i in range(600):
        agent = rng.choice(["a@x", "b@x", "c@x"])
        # few distinct values, so ties on every part of the rank and on the whole rank happen
        rank = (rng.randint(0, 2), rng.randint(0, 1), rng.randint(0, 2), rng.choice([0.0, 0.5, 0.9]),
                -rng.randint(0, 5))
        entry = {"key": f"m{i}", "why": {"p": rng.random()}, "text": "é ✓ \u2028 line"}
        spool.add(agent, rank, entry)
        added.setdefault(agent, []).append((rank, entry))
    try:
        assert spool
        for agent, items in added.items():
            assert spool.count(agent) == len(items)
            assert list(spool.entries(agent)) == ranked(items)
        assert spool.count("nobody@x") == 0
        assert list(spool.entries("nobody@x")) == []
    finally:
        spool.close()


def test_empty_spool_is_false() -> None:
    spool = FlaggedSpool()
    assert not spool
    spool.close()


@pytest.mark.parametrize("seed", [0, 1])
def test_tone_tally_bins_match_numpys_histogram(seed: int) -> None:
    rng = random.Random(seed)
    edges = [i / 20 for i in range(21)]
    scores = [rng.random() for _ in range(500)] + edges + [0.0, 1.0, 0.15, 0.7]  # bin edges are the hard cases
    tally = ToneTally()
    for p in scores:
        tally.add(p)
    counts, _ = np.histogram(scores, bins=edges)
    assert tally.bins == counts.tolist()
    assert tally.scored == len(scores)
    assert tally.mean == pytest.approx(sum(scores) / len(scores), rel=1e-12)
