"""Issue 10, finding 6 (audit parts): a cut-off mbox, spreadsheet formulas in the CSV files, and output files
that a crash mid-write must not leave truncated."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import audit, read_outputs

from tonecheck import load_settings
from tonecheck.audit import AuditStore, InputSpec, write_outputs
from tonecheck.audit.sources import read_inputs
from tonecheck.cli import Environment, main

ROOT = Path(__file__).resolve().parents[2]


def _mail(mid: str, body: bytes) -> bytes:
    return (
        b"From agent@acme.example Tue Mar  3 10:00:00 2026\n"
        b"From: Kim Ode <kim@acme.example>\nTo: customer@example.org\nSubject: Re: Login\n"
        b"Date: Tue, 03 Mar 2026 10:00:00 +0000\nMessage-ID: <" + mid.encode() + b">\n"
        b'MIME-Version: 1.0\nContent-Type: text/plain; charset="utf-8"\n\n' + body
    )


GOOD = _mail("whole@acme.example", b"Hi Bo,\n\nI've reset your password.\n\n")
CUT = _mail("cut@acme.example", b"Hi Al,\n\nThanks for your patience. The parcel is on its wa")


# --- a truncated mbox ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [
        CUT,  # cut in the middle of a line
        CUT + b"y.\n",  # cut at a line end: every earlier message ended with a blank line, this one does not
        _mail("cut@acme.example", b'Hi Al,\n\nThanks for your patience. The parcel is on its wa"\n\n').replace(
            b"Content-Type: text/plain; charset=\"utf-8\"\n\n",
            b"Content-Type: multipart/alternative; boundary=\"XX\"\n\n--XX\nContent-Type: text/plain\n\n",
        ),  # a multipart that never closes
    ],
    ids=["mid-line", "no-final-blank-line", "open-multipart"],
)
def test_mbox_cut_inside_a_body_is_an_error_row(tmp_path: Path, tail: bytes) -> None:
    path = tmp_path / "sent.mbox"
    path.write_bytes(GOOD + tail)
    whole, cut = list(read_inputs(InputSpec((path,))))
    assert whole.error is None and "reset your password" in whole.text
    assert cut.key == "mid:cut@acme.example" and cut.agent == "kim@acme.example"  # headers kept for the row
    assert cut.error is not None and cut.error.startswith("truncated mbox: the last message is cut off")
    assert cut.text == ""


def test_complete_mbox_ends_with_no_error_row(tmp_path: Path) -> None:
    path = tmp_path / "sent.mbox"
    path.write_bytes(GOOD + _mail("two@acme.example", b"All sorted now.\n\n"))
    assert [item.error for item in read_inputs(InputSpec((path,)))] == [None, None]
    single = tmp_path / "one.mbox"
    single.write_bytes(_mail("one@acme.example", b"All sorted now.\n"))  # no convention to judge by: fine
    assert [item.error for item in read_inputs(InputSpec((single,)))] == [None]


def test_cut_mbox_is_counted_as_an_error_in_the_audit(rules_checker: Any, tmp_path: Path) -> None:
    (tmp_path / "sent.mbox").write_bytes(GOOD + CUT)
    result = audit(rules_checker, InputSpec((tmp_path / "sent.mbox",)), tmp_path / "out")
    assert [m["status"] for m in result["messages"]] == ["ok", "error"]
    assert result["summary"]["errors"] == 1


# --- formulas in the CSV files ---------------------------------------------------------------------------------

HOSTILE = [
    {"id": "=1+1", "agent": "=SUM(A1:A9)", "sent_at": "-2026-03-03", "subject": "+cmd|' /C calc'!A0",
     "body": "Honestly, this request is asinine."},
    {"id": "\tTAB", "agent": "@kim", "sent_at": "2026-03-03", "subject": "\r=HYPERLINK(\"x\")",
     "body": "Thanks, it ships today."},
]


def _hostile_export(tmp_path: Path) -> Path:
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in HOSTILE), encoding="utf-8")
    return path


def _formula_cells(rows: list[dict[str, str]]) -> list[str]:
    return [v for row in rows for v in row.values() if v and v[0] in "=+-@\t\r"]


def test_csv_cells_are_neutralised_against_formulas(rules_checker: Any, tmp_path: Path) -> None:
    result = audit(rules_checker, InputSpec((_hostile_export(tmp_path),)), tmp_path / "out")
    assert _formula_cells(result["messages"]) == []
    assert _formula_cells(result["findings"]) == []
    first = result["messages"][0]
    assert (first["message_id"], first["agent"], first["agent_name"], first["sent_at"], first["subject"]) == (
        "'=1+1", "'=sum(a1:a9)", "'=SUM(A1:A9)", "'-2026-03-03", "'+cmd|' /C calc'!A0",
    )
    assert result["messages"][1]["subject"] == "'=HYPERLINK(\"x\")"  # stripped of its CR first
    assert result["messages"][1]["agent"] == "'@kim"
    assert result["findings"][0]["message_id"] == "'=1+1"
    assert result["findings"][0]["text"] == "asinine"  # ordinary cells are untouched
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary["agents"][0]["name"] == "=SUM(A1:A9)"  # only the CSV files are neutralised


def test_neutralise_covers_tab_and_carriage_return_and_leaves_numbers() -> None:
    from tonecheck.audit.report import neutralise

    row = {"a": "\t=1", "b": "\r@x", "c": "a=b", "d": 0.5, "e": None, "f": "", "g": "'=already"}
    assert neutralise(row) == {"a": "'\t=1", "b": "'\r@x", "c": "a=b", "d": 0.5, "e": None, "f": "",
                               "g": "'=already"}


def test_raw_csv_option_writes_cells_as_stored(tmp_path: Path) -> None:
    err = io.StringIO()
    env = Environment(stdin=io.BytesIO(), stdout=io.StringIO(), stderr=err, stdout_isatty=False,
                      settings=load_settings(env={}, use_model=False))
    out = tmp_path / "out"
    assert main(["audit", str(_hostile_export(tmp_path)), "--out", str(out), "--raw-csv"], env) == 0, err.getvalue()
    rows = read_outputs(out)["messages"]
    assert rows[0]["message_id"] == "=1+1" and rows[0]["subject"] == "+cmd|' /C calc'!A0"


# --- atomic output files ---------------------------------------------------------------------------------------

_KILL_MID_WRITE = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from tonecheck.audit import AuditStore, write_outputs

    out = Path(sys.argv[1])
    with AuditStore(out / "audit.sqlite") as store:
        rows = store.messages

        def dying():
            for n, row in enumerate(rows()):
                if n == 3:
                    sys.stdout.flush()
                    os._exit(137)  # as abrupt as kill -9: no cleanup, no flush, no finally
                yield row

        store.messages = dying
        write_outputs(store, out)
    """
)


def test_killed_while_writing_leaves_the_previous_files_whole(rules_checker: Any, tmp_path: Path) -> None:
    (tmp_path / "sent.mbox").write_bytes(GOOD + _mail("b@acme.example", b"Sorted.\n\n")
                                         + _mail("c@acme.example", b"Sorted too.\n\n")
                                         + _mail("d@acme.example", b"All fine.\n\n")
                                         + _mail("e@acme.example", b"Done.\n\n"))
    out = tmp_path / "out"
    audit(rules_checker, InputSpec((tmp_path / "sent.mbox",)), out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".csv", ".json", ".html")}
    assert len(before) == 5 and before["messages.csv"].count(b"\r\n") == 6  # rows end in CRLF; reply text may hold \n

    proc = subprocess.run([sys.executable, "-c", _KILL_MID_WRITE, str(out)], cwd=ROOT, capture_output=True,
                          timeout=120)
    assert proc.returncode == 137, proc.stderr.decode()
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".csv", ".json", ".html")}
    assert after == before  # findings.csv was replaced whole (same content); messages.csv never half-written


def test_failed_write_removes_its_temporary_file(rules_checker: Any, tmp_path: Path) -> None:
    (tmp_path / "sent.mbox").write_bytes(GOOD)
    out = tmp_path / "out"
    audit(rules_checker, InputSpec((tmp_path / "sent.mbox",)), out)
    before = (out / "messages.csv").read_bytes()
    with AuditStore(out / "audit.sqlite") as store:
        def broken() -> Any:
            raise OSError("disk full")
            yield  # pragma: no cover

        store.messages = broken  # type: ignore[method-assign]
        with pytest.raises(OSError, match="disk full"):
            write_outputs(store, out)
    assert (out / "messages.csv").read_bytes() == before
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith("audit.sqlite")) == [
        "feedback.csv", "findings.csv", "messages.csv", "report.html", "summary.json",
    ]
