"""The ``tonecheck audit`` command through cli.main (in process) and its exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

from audit_helpers import CLI_FIELD_ARGS, FIXTURES

from tonecheck import load_settings
from tonecheck.cli import Environment, main


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.BytesIO(), stdout=out, stderr=err, stdout_isatty=False,
                      settings=load_settings(env={}, use_model=False))
    return main(argv, env), out.getvalue(), err.getvalue()


def test_audit_writes_the_four_files_quietly(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere" / "results.db"
    code, out, err = run(["audit", str(FIXTURES / "sent.mbox"), str(FIXTURES / "export.csv"),
                          "--out", str(tmp_path / "report"), "--db", str(db), "--batch-size", "3", *CLI_FIELD_ARGS])
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "report").iterdir()) == [
        "feedback.csv", "findings.csv", "messages.csv", "report.html", "summary.json",
    ]
    assert db.is_file()  # --db moves the store out of --out
    summary = json.loads((tmp_path / "report" / "summary.json").read_text("utf-8"))
    assert (summary["messages"], summary["audited"], summary["errors"]) == (11, 7, 4)
    assert out == ""
    assert "\r" not in err and "msg/s" not in err  # no progress bar when stderr is not a terminal
    assert err.startswith("tonecheck audit: 7 audited, 4 errors, 0 skipped")


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run(["audit", str(tmp_path / "nope.mbox"), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "nope.mbox: no such file or folder" in err
    assert not (tmp_path / "o").exists()


def test_unknown_pack_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run(["audit", str(FIXTURES / "eml"), "--out", str(tmp_path / "o"), "--pack", "no-such-pack"])
    assert code == 2
    assert "unknown rule pack 'no-such-pack'" in err


def test_bad_batch_size_is_rejected(tmp_path: Path) -> None:
    code, _, _ = run(["audit", str(FIXTURES / "eml"), "--out", str(tmp_path), "--batch-size", "0"])
    assert code == 2
