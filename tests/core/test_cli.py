"""The CLI as a user drives it: main([...], env) with in-memory streams, no subprocess, no patching."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tonecheck import load_settings
from tonecheck.cli import Environment, command_name, main


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


# ----------------------------------------------------------------------------- global options before the command

AUDIT_FIXTURES = Path(__file__).resolve().parent.parent / "audit" / "fixtures"


def run_with_config(argv, config_text: str, tmp_path: Path, environ=None):
    """main([...]) with settings loaded by main itself: from --config and ``environ`` (never os.environ)."""
    config = tmp_path / "tonecheck.toml"
    config.write_text(config_text, encoding="utf-8")
    argv = [str(config) if a == "CONFIG" else a for a in argv]
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.BytesIO(), stdout=out, stderr=err, stdout_isatty=False, environ=environ or {})
    return main(argv, env), out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["--config", "f.toml", "audit", "x"], "audit"),
        (["--config=f.toml", "serve"], "serve"),
        (["--traceback", "--config", "f.toml", "keys", "list"], "keys"),
        (["--config", "audit", "check"], "check"),  # a settings file that happens to be called "audit"
        (["check", "--pack", "serve"], "check"),
        (["--", "keys"], "keys"),
        (["--traceback"], None),
    ],
)
def test_command_name_skips_global_options_and_their_values(argv, command):
    assert command_name(argv) == command


def test_config_before_audit_is_read(tmp_path):
    config = '[tonecheck]\nuse_model = false\ndefault_pack = "example-team"\n'
    out_dir = tmp_path / "report"
    code, _, err = run_with_config(["--config", "CONFIG", "audit", str(AUDIT_FIXTURES / "sent.mbox"),
                                    "--out", str(out_dir)], config, tmp_path)
    assert code == 0, err
    assert json.loads((out_dir / "summary.json").read_text("utf-8"))["messages"] > 0
    # the file really was read: an unknown pack in it stops the same command
    code, _, err = run_with_config(["--config", "CONFIG", "audit", str(AUDIT_FIXTURES / "sent.mbox"),
                                    "--out", str(tmp_path / "o2")], 'default_pack = "nope"\nuse_model = false\n',
                                   tmp_path)
    assert code == 2 and "unknown rule pack 'nope'" in err


@pytest.mark.parametrize("command", [["check", "--no-model"], ["audit", "x", "--out", "o"], ["serve"],
                                     ["keys", "list"]])
def test_config_before_any_command_reports_its_errors(tmp_path, command):
    code, out, err = run_with_config(["--config", "CONFIG", *command], "colour = 1\n", tmp_path)
    assert code == 2 and out == ""
    assert err.strip() == f"tonecheck: error: {tmp_path / 'tonecheck.toml'}: unknown setting 'colour'"


def test_config_before_check_applies(tmp_path):
    code, out, _ = run_with_config(["--config", "CONFIG", "check", "--format", "json"],
                                   "[tonecheck]\nuse_model = false\n", tmp_path)
    # stdin is empty: an input error, reached only after the settings loaded
    assert code == 2 and out == ""


def test_unknown_environment_variable_fails_naming_it(tmp_path):
    code, out, err = run_with_config(["check", "--no-model"], "", tmp_path,
                                     environ={"TONECHECK_USE_MODLE": "off"})
    assert code == 2 and out == ""
    assert "TONECHECK_USE_MODLE" in err and "TONECHECK_USE_MODEL" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- exit codes in one place


def test_exit_statuses_are_one_enum_mapped_in_cli_only():
    from tonecheck import ModelUnavailable, RulePackError, UnknownPack
    from tonecheck.status import ExitStatus, exit_status_for

    assert exit_status_for(UnknownPack("x")) is ExitStatus.INPUT_ERROR
    assert exit_status_for(RulePackError("x")) is ExitStatus.RULE_PACK_ERROR
    assert exit_status_for(ModelUnavailable("x")) is ExitStatus.MODEL_UNAVAILABLE
    assert exit_status_for(KeyboardInterrupt()) is ExitStatus.INTERRUPTED
    root = Path(__file__).resolve().parents[2]
    for path in [*(root / "tonecheck").rglob("*.py"), *(root / "service").rglob("*.py")]:
        if path.name in ("cli.py", "__main__.py"):  # __main__ only passes main()'s status on
            continue
        source = path.read_text(encoding="utf-8")
        assert "tonecheck: error" not in source, f"{path} prints its own errors; raise a ToneCheckError instead"
        assert "sys.exit(" not in source, f"{path} exits on its own"
