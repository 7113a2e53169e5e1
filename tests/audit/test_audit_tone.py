"""With the real tone model: per-agent mean P(rude) and label mix agree with the rows, and the tone chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audit_helpers import audit

from tonecheck import Checker
from tonecheck.audit import InputSpec

REPLIES = [
    ("p1", "kim@acme.example", "Thank you so much for your patience. I've refunded the order and I'm sorry "
                               "for the trouble."),
    ("p2", "kim@acme.example", "Thanks for getting in touch! Your replacement ships today; happy to help further."),
    ("r1", "pat@acme.example", "Stop emailing us. This is your own fault and frankly we don't care. Deal with it."),
    ("r2", "pat@acme.example", "Are you stupid? Read the manual before wasting my time again."),
]


def test_tone_is_aggregated_per_agent(checker: Checker, tmp_path: Path) -> None:
    export = tmp_path / "replies.jsonl"
    export.write_text(
        "".join(f'{{"id": "{i}", "agent": "{a}", "body": "{b}"}}\n' for i, a, b in REPLIES), encoding="utf-8"
    )
    result = audit(checker, InputSpec((export,)), tmp_path / "out", batch_size=3)
    summary = result["summary"]
    agents: dict[str, Any] = {a["agent"]: a for a in summary["agents"]}
    polite, rude = agents["kim@acme.example"], agents["pat@acme.example"]

    assert summary["tone"]["scored"] == 4
    assert sum(summary["tone"]["labels"].values()) == 4
    assert polite["mean_p_rude"] < rude["mean_p_rude"]  # the model ranks the rude agent ruder
    for agent in (polite, rude):
        rows = [m for m in result["messages"] if m["agent"] == agent["agent"]]
        assert agent["mean_p_rude"] == round(sum(float(m["p_rude"]) for m in rows) / 2, 4)
        assert sum(agent["tone_labels"].values()) == 2
        assert agent["tone_labels"] == {k: sum(m["tone_label"] == k for m in rows) for k in agent["tone_labels"]}
    for row in result["messages"]:
        scores = [float(row[k]) for k in ("p_polite", "p_neutral", "p_rude")]
        assert abs(sum(scores) - 1) < 0.01
    assert "Tone distribution" in result["html"]  # the histogram, not the rules-only fallback chart
    assert "Verdicts (tone model was off" not in result["html"]


def test_model_findings_reach_findings_csv_marked_as_model(checker: Checker, tmp_path: Path) -> None:
    text = "Thanks for the photos. Keep emailing the CEO and watch how fast your warranty claim moves."
    export = tmp_path / "threat.jsonl"
    export.write_text(f'{{"id": "t1", "agent": "sam@acme.example", "body": "{text}"}}\n', encoding="utf-8")
    result = audit(checker, InputSpec((export,)), tmp_path / "out")
    model = [f for f in result["findings"] if f["finding_source"] == "model"]
    assert model, result["findings"]
    for row in model:
        assert row["rule_id"] == f"model.{row['category']}"
        assert 0 < float(row["score"]) <= 1
        assert text[int(row["start"]) : int(row["end"])] == row["text"]
    assert all(f["score"] == "" for f in result["findings"] if f["finding_source"] == "rule")
