"""Issue 12, input and run side: Maildir input, usage errors before any work (missing input, wrong CSV mapping),
the JSONL/CSV agent display-name field, error rows retried on a rerun, and the progress bar (0x0 terminal,
resume)."""

from __future__ import annotations

import fcntl
import io
import json
import mailbox
import os
import re
import sqlite3
import struct
import termios
import time
from pathlib import Path

import pytest
from audit_helpers import FIXTURES, audit, read_outputs, spec_for

from tonecheck import Checker, load_settings
from tonecheck.audit import AuditStore, FieldMap, InputSpec, RunOptions, read_inputs, run_audit
from tonecheck.audit.runner import _progress_bar
from tonecheck.audit.sources import count_inputs
from tonecheck.cli import Environment, main


def cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    env = Environment(stdin=io.BytesIO(), stdout=io.StringIO(), stderr=err, stdout_isatty=False,
                      settings=load_settings(env={}, use_model=False))
    return main(argv, env), err.getvalue()


def mail(mid: str, body: str, *, sender: str = "Jamie Lee <jamie.lee@acme.example>") -> bytes:
    return (f"From: {sender}\nTo: ana@example.org\nSubject: Re: Invoice\nMessage-ID: <{mid}>\n"
            f"Date: Thu, 05 Mar 2026 09:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n{body}\n").encode()


BROKEN = (b"From: Kim <kim@acme.example>\nMessage-ID: <md-broken@acme.example>\nSubject: x\n"
          b"Content-Type: multipart/alternative; boundary=\"zzz\"\n\nno boundary in here\n")


def make_maildir(folder: Path) -> Path:
    """A Maildir with two messages in new/, one read one in cur/ (flags in its name) and a broken one."""
    box = mailbox.Maildir(folder, create=True)
    box.add(mail("md-1@acme.example", "As I already told you, the refund went out on Monday."))
    box.add(mail("md-2@acme.example", "Thanks for waiting, your order ships today."))
    seen = mailbox.MaildirMessage(mail("md-3@acme.example", "Calm down, we will fix it this week."))
    seen.set_subdir("cur")
    seen.add_flag("S")
    box.add(seen)
    box.add(BROKEN)
    box.close()
    return folder


# --- Maildir ----------------------------------------------------------------------------------------------


def test_maildir_messages_are_read_like_eml_files(tmp_path: Path) -> None:
    folder = make_maildir(tmp_path / "Sent")
    assert sorted(p.name for p in folder.iterdir()) == ["cur", "new", "tmp"]
    spec = InputSpec((folder,))
    got = {item.key: item for item in read_inputs(spec)}
    assert set(got) == {"mid:md-1@acme.example", "mid:md-2@acme.example", "mid:md-3@acme.example",
                        "mid:md-broken@acme.example"}
    assert got["mid:md-3@acme.example"].text == "Calm down, we will fix it this week."
    assert got["mid:md-1@acme.example"].agent == "jamie.lee@acme.example"
    assert got["mid:md-1@acme.example"].agent_name == "Jamie Lee"
    assert got["mid:md-1@acme.example"].source.startswith(f"{folder}#")
    assert got["mid:md-broken@acme.example"].error == "bad MIME: StartBoundaryNotFoundDefect"
    assert got["mid:md-broken@acme.example"].agent == "kim@acme.example"
    assert count_inputs(spec) == 4
    # the order is stable (by the Maildir's unique names), whatever the directory listing order
    assert [i.key for i in read_inputs(spec)] == [i.key for i in read_inputs(spec)]


def test_a_folder_holds_maildirs_and_eml_files_together(tmp_path: Path) -> None:
    (tmp_path / "archive").mkdir()
    make_maildir(tmp_path / "archive" / "Sent")
    (tmp_path / "archive" / "loose.eml").write_bytes(mail("loose@acme.example", "Your parcel is on its way."))
    keys = [item.key for item in read_inputs(InputSpec((tmp_path / "archive",)))]
    assert keys[-1] == "mid:loose@acme.example"  # sorted paths: archive/Sent before archive/loose.eml
    assert sorted(keys[:-1]) == ["mid:md-1@acme.example", "mid:md-2@acme.example", "mid:md-3@acme.example",
                                 "mid:md-broken@acme.example"]  # the Maildir's files are not taken for .eml files


def test_an_empty_maildir_is_one_error_row(tmp_path: Path) -> None:
    mailbox.Maildir(tmp_path / "Empty", create=True).close()
    [item] = read_inputs(InputSpec((tmp_path / "Empty",)))
    assert item.error == "empty Maildir: no messages in new/ or cur/"


def test_audit_of_a_maildir_goes_on_past_a_broken_message(tmp_path: Path) -> None:
    folder = make_maildir(tmp_path / "Sent")
    code, err = cli(["audit", str(folder), "--out", str(tmp_path / "out")])
    assert code == 0, err
    assert err.startswith("tonecheck audit: 3 audited, 1 errors, 0 skipped")
    by_key = read_outputs(tmp_path / "out")["by_key"]
    assert by_key["mid:md-broken@acme.example"]["status"] == "error"
    assert by_key["mid:md-1@acme.example"]["verdict"] in ("review", "block")
    assert by_key["mid:md-2@acme.example"]["verdict"] == "ok"


# --- usage errors before any work ---------------------------------------------------------------------


def test_wrong_csv_column_mapping_exits_2_naming_the_columns(tmp_path: Path) -> None:
    code, err = cli(["audit", str(FIXTURES / "sent.mbox"), str(FIXTURES / "export.csv"), "--out", str(tmp_path / "o"),
                     "--csv-body", "Body", "--csv-agent", "Agent"])
    assert code == 2
    assert err.count("\n") == 1  # one line
    assert f"{FIXTURES / 'export.csv'}: the CSV has no column 'Body' (body); its columns are 'Ticket ID', 'Agent', " \
           "'Sent', 'Subject', 'Reply', 'Reply HTML'" in err
    assert not (tmp_path / "o").exists()  # nothing checked, nothing stored, not even the mbox before it


def test_csv_with_default_mapping_and_no_body_column_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text("Ticket,Text\n1,Thanks for waiting.\n", encoding="utf-8")
    code, err = cli(["audit", str(path), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "tickets.csv: the CSV has no column 'body' (body) or 'html' (html); its columns are 'Ticket', 'Text'" in err
    assert not (tmp_path / "o").exists()


def test_run_audit_refuses_a_wrong_mapping_before_storing_anything(rules_checker: Checker, tmp_path: Path) -> None:
    from tonecheck.errors import InputError

    spec = InputSpec((FIXTURES / "sent.mbox", FIXTURES / "export.csv"), FieldMap(body="Reply", time="When"))
    with AuditStore(tmp_path / "db.sqlite") as store:
        with pytest.raises(InputError, match=r"no column 'When' \(time\); its columns are 'Ticket ID'"):
            run_audit(spec, rules_checker, store, RunOptions())
        assert store.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0


def test_missing_input_folder_exits_2(tmp_path: Path) -> None:
    code, err = cli(["audit", str(FIXTURES / "eml"), str(tmp_path / "no-such-maildir"), "--out", str(tmp_path / "o")])
    assert code == 2
    assert err.strip().endswith("no-such-maildir: no such file or folder")
    assert not (tmp_path / "o").exists()


# --- agent display name -------------------------------------------------------------------------------


def test_jsonl_and_csv_agent_name_fields(tmp_path: Path) -> None:
    jsonl = tmp_path / "x.jsonl"
    jsonl.write_text(
        json.dumps({"id": "j1", "author": {"email": "Kim.Ode@acme.example", "name": "Kim Ode"},
                    "body": "Your parcel is on its way."}) + "\n"
        + json.dumps({"id": "j2", "author": {"email": "Lee <lee@acme.example>"}, "body": "Sorted, thanks."}) + "\n",
        encoding="utf-8",
    )
    csv_file = tmp_path / "x.csv"
    csv_file.write_text("id,agent,Agent Name,body\nc1,pat@acme.example,Pat Quinn,Your refund is done.\n",
                        encoding="utf-8")
    code, err = cli(["audit", str(jsonl), str(csv_file), "--out", str(tmp_path / "o"), "--jsonl-agent", "author.email",
                     "--jsonl-agent-name", "author.name", "--csv-agent-name", "Agent Name"])
    assert code == 0, err
    by_key = read_outputs(tmp_path / "o")["by_key"]
    assert (by_key["id:j1"]["agent"], by_key["id:j1"]["agent_name"]) == ("kim.ode@acme.example", "Kim Ode")
    # no value in the name field: the name in the agent field still counts
    assert (by_key["id:j2"]["agent"], by_key["id:j2"]["agent_name"]) == ("lee@acme.example", "Lee")
    assert (by_key["id:c1"]["agent"], by_key["id:c1"]["agent_name"]) == ("pat@acme.example", "Pat Quinn")


# --- error rows are retried on a rerun ----------------------------------------------------------------


def stored(out: Path) -> dict[str, tuple[str, str | None, int]]:
    with sqlite3.connect(out / "audit.sqlite") as conn:
        rows = conn.execute("SELECT key, status, error, (SELECT COUNT(*) FROM findings f WHERE f.key = m.key)"
                            " FROM messages m").fetchall()
    return {key: (status, error, n) for key, status, error, n in rows}


def test_a_corrected_rerun_replaces_a_stale_error_row(rules_checker: Checker, tmp_path: Path) -> None:
    folder, out = tmp_path / "mail", tmp_path / "out"
    folder.mkdir()
    (folder / "a.eml").write_bytes(mail("a@acme.example", "> On Monday Ana wrote:\n> where is my refund?"))
    (folder / "b.eml").write_bytes(mail("b@acme.example", "Thanks for waiting, your order ships today."))
    first = audit(rules_checker, InputSpec((folder,)), out)
    assert stored(out)["mid:a@acme.example"] == ("error", "empty body after removing quotes and signature", 0)
    assert (first["stats"].audited, first["stats"].errors) == (1, 1)
    files = {name: (out / name).read_bytes() for name in ("messages.csv", "findings.csv", "summary.json")}

    # the same inputs again: nothing is written, the error row is tried again and left alone, files identical
    again = audit(rules_checker, InputSpec((folder,)), out)
    counts = again["stats"]
    assert (counts.audited, counts.errors, counts.skipped, counts.retried, counts.batches) == (0, 0, 2, 1, 0)
    assert {name: (out / name).read_bytes() for name in files} == files

    # the input is fixed (same Message-ID): the error row is replaced by the checked reply and its findings
    (folder / "a.eml").write_bytes(mail("a@acme.example", "As I already told you, the refund went out on Monday."))
    fixed = audit(rules_checker, InputSpec((folder,)), out)
    assert (fixed["stats"].audited, fixed["stats"].errors, fixed["stats"].skipped) == (1, 0, 1)
    status, error, n_findings = stored(out)["mid:a@acme.example"]
    assert (status, error) == ("ok", None) and n_findings >= 1
    assert fixed["summary"]["errors"] == 0 and fixed["summary"]["messages"] == 2
    assert any(f["key"] == "mid:a@acme.example" and f["rule_id"] == "blaming.already_told" for f in fixed["findings"])
    assert fixed["by_key"]["mid:b@acme.example"] == first["by_key"]["mid:b@acme.example"]

    # an ok row is never replaced, even when its input changed
    (folder / "a.eml").write_bytes(mail("a@acme.example", "> only a quote now"))
    audit(rules_checker, InputSpec((folder,)), out)
    assert stored(out)["mid:a@acme.example"][0] == "ok"


def test_an_error_row_failing_differently_is_replaced(rules_checker: Checker, tmp_path: Path) -> None:
    folder, out = tmp_path / "mail", tmp_path / "out"
    folder.mkdir()
    (folder / "a.eml").write_bytes(mail("a@acme.example", "> On Monday Ana wrote:\n> where is my refund?"))
    audit(rules_checker, InputSpec((folder,)), out)
    (folder / "a.eml").write_bytes(BROKEN.replace(b"md-broken", b"a"))
    result = audit(rules_checker, InputSpec((folder,)), out)
    assert (result["stats"].errors, result["stats"].retried) == (1, 1)
    assert stored(out) == {"mid:a@acme.example": ("error", "bad MIME: StartBoundaryNotFoundDefect", 0)}
    assert [m["error"] for m in result["messages"]] == ["bad MIME: StartBoundaryNotFoundDefect"]


# --- progress bar -------------------------------------------------------------------------------------


def test_progress_bar_draws_on_a_0x0_terminal(rules_checker: Checker, tmp_path: Path) -> None:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
    assert os.get_terminal_size(slave) == (0, 0)
    terminal = os.fdopen(slave, "w")
    try:
        with AuditStore(tmp_path / "db.sqlite") as store:
            run_audit(spec_for("sent.mbox"), rules_checker, store, RunOptions(batch_size=4, progress=terminal))
        terminal.flush()
        os.set_blocking(master, False)
        shown = os.read(master, 65536).decode()
    finally:
        terminal.close()
        os.close(master)
    last = shown.replace("\r\n", "\r").strip("\r").split("\r")[-1]
    assert last.startswith("auditing: 100%|") and "8/8" in last and "msg/s" in last
    assert len(last) <= 80  # drawn at the default width, not at 0 columns


def final_rate(shown: str) -> float:
    rates = re.findall(r"([0-9.]+)msg/s\]", shown)
    assert rates, shown
    return float(rates[-1])


def test_skipped_messages_do_not_count_into_the_rate() -> None:
    stream = io.StringIO()
    bar = _progress_bar(spec_for("sent.mbox"), stream)
    assert bar is not None
    bar.bar.total = 1010  # as if the inputs held 1,010 messages
    time.sleep(0.3)
    bar.skip(1000, seconds=0.3)  # a resume read 1,000 stored messages in 0.3 s
    time.sleep(0.2)
    bar.update(10)  # then checked 10 new ones in 0.2 s: about 50 msg/s
    bar.close()
    shown = stream.getvalue()
    assert "1010/1010" in shown
    assert 10 <= final_rate(shown) <= 60  # 1,000 skipped would read as thousands/s; their 0.3 s as about 20/s


def test_a_resumed_audit_ends_its_bar_at_the_total(rules_checker: Checker, tmp_path: Path) -> None:
    with AuditStore(tmp_path / "db.sqlite") as store:
        first = run_audit(spec_for("sent.mbox"), rules_checker, store, RunOptions(batch_size=4))
        stream = io.StringIO()
        stats = run_audit(spec_for("sent.mbox", "eml"), rules_checker, store, RunOptions(batch_size=4, progress=stream))
    # every stored ok row is skipped, and so is each stored error row that failed again for the same reason
    assert first.errors >= 1 and (stats.skipped, stats.retried) == (8, first.errors)
    shown = stream.getvalue()
    total = count_inputs(spec_for("sent.mbox", "eml"))
    assert f"{total}/{total}" in shown and "msg/s" in shown
