"""The CLI as a user drives it: main([...], env) with in-memory streams, no subprocess, no patching."""

from __future__ import annotations

import io
import json

import pytest

from tonecheck import load_settings
from tonecheck.cli import Environment, main


def run(argv, stdin: bytes = b"", tty: bool = False):
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.BytesIO(stdin), stdout=out, stderr=err, stdout_isatty=tty,
                      settings=load_settings(env={}))
    code = main(argv, env)
    return code, out.getvalue(), err.getvalue()


def test_json_output_is_the_report_contract():
    text = "Honestly, this is asinine.\nAs I already told you, it ships Monday."
    code, out, err = run(["check", "-", "--format", "json", "--no-model"], text.encode())
    assert code == 1 and err == ""
    data = json.loads(out)
    assert set(data) == {"text_length", "findings", "sentences", "tone", "verdict"}
    assert data["verdict"] == "block" and data["text_length"] == len(text)
    for f in data["findings"]:
        assert set(f) == {
            "rule_id", "category", "severity", "start", "end", "text", "message", "suggestions", "source", "score"
        }
        assert f["source"] == "rule" and f["score"] is None
        assert text[f["start"] : f["end"]] == f["text"]
    assert [s["start"] for s in data["sentences"]] == [0, 27]


def test_clean_draft_exits_zero(tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text("Sorry about the missing items. I'll send them out to you today.", encoding="utf-8")
    code, out, _ = run(["check", str(draft), "--no-model"])
    assert code == 0
    assert "verdict: ok" in out


def test_text_output_marks_spans_and_lists_findings():
    code, out, _ = run(["check", "--no-model"], b"Calm down.")
    assert code == 1
    assert "[[Calm down]]" in out
    assert "1:1  warning  condescending  condescending.calm_down" in out


def test_color_when_tty():
    _, out, _ = run(["check", "--no-model"], b"This is asinine.", tty=True)
    assert "\x1b[" in out


@pytest.mark.parametrize(
    ("stdin", "message"),
    [(b"", "empty"), (b"\xff\xfe\x00bad", "not UTF-8"), (b"caf\xe9 latte", "byte 0xe9 at offset 3")],
)
def test_bad_input_is_exit_2_without_traceback(stdin, message):
    code, out, err = run(["check", "--no-model"], stdin)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_missing_file_is_exit_2():
    code, _, err = run(["check", "/nonexistent/draft.txt", "--no-model"])
    assert code == 2 and "cannot read" in err


def test_unknown_pack_is_exit_2():
    code, _, err = run(["check", "--no-model", "--pack", "nope"], b"Hello there")
    assert code == 2 and "unknown rule pack 'nope'" in err


def test_usage_error_is_exit_2():
    code, _, _ = run(["check", "--format", "yaml"])
    assert code == 2


def test_jsonl_reports_every_line_in_order_with_ids_and_errors():
    lines = [
        json.dumps({"id": "a", "text": "Thanks for waiting, it's fixed."}),
        "{not json",
        json.dumps({"id": 7, "text": "No one else has reported this issue."}),
        json.dumps({"id": "empty", "text": "   "}),
        json.dumps({"id": "notext"}),
        "",
        json.dumps({"id": "z", "text": "This is ASININE"}),
    ]
    code, out, _ = run(["check", "--jsonl", "-", "--no-model"], "\n".join(lines).encode())
    rows = [json.loads(x) for x in out.splitlines()]
    assert [r.get("id") for r in rows] == ["a", None, 7, "empty", "notext", "z"]
    assert rows[0]["verdict"] == "ok"
    assert "invalid JSON" in rows[1]["error"] and rows[1]["line"] == 2
    assert rows[2]["findings"][0]["category"] == "isolating"
    assert "empty" in rows[3]["error"]
    assert "'text'" in rows[4]["error"]
    assert {f["category"] for f in rows[5]["findings"]} == {"banned_word", "shouting"}
    assert code == 2  # some lines were bad: reported, never dropped


def test_jsonl_batches_many_lines():
    lines = [json.dumps({"id": i, "text": f"Reply number {i}: thanks!"}) for i in range(75)]
    code, out, _ = run(["check", "--jsonl", "-", "--no-model"], "\n".join(lines).encode())
    assert code == 0
    assert [json.loads(x)["id"] for x in out.splitlines()] == list(range(75))
