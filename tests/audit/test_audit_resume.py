"""Kill a real ``python -m tonecheck audit`` process after its first committed batch, interrupt the restart
with Ctrl-C (SIGINT), restart again, and compare everything written with an uninterrupted run."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tonecheck.audit.synthetic import write_mbox

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 240


def command(mbox: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "tonecheck", "audit", str(mbox), "--out", str(out), "--batch-size", "8"]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["TONECHECK_USE_MODEL"] = "off"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def stored(db: Path) -> int:
    """Committed message rows, read through a separate connection; 0 while the database does not exist."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    except sqlite3.OperationalError:  # created but the schema is not committed yet
        return 0


def interrupt(cmd: list[str], db: Path, sig: signal.Signals) -> tuple[int, int, str]:
    """Start the audit, send ``sig`` once it has committed a new batch; return (exit code, rows stored, stderr)."""
    before = stored(db)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while stored(db) <= before:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "audit exited early"
            assert time.monotonic() < deadline, "no batch committed within 120 s"
            time.sleep(0.01)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, stored(db), err.decode()


def test_killed_audit_resumes_to_the_same_result(tmp_path: Path) -> None:
    mbox = write_mbox(tmp_path / "sent.mbox", MESSAGES)
    killed_out, clean_out = tmp_path / "killed", tmp_path / "clean"

    db = killed_out / "audit.sqlite"
    code, at_kill, _ = interrupt(command(mbox, killed_out), db, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert 0 < at_kill < MESSAGES, "the kill must land mid-audit"
    assert not (killed_out / "summary.json").exists()

    code, at_interrupt, err = interrupt(command(mbox, killed_out), db, signal.SIGINT)
    assert code == 130, err
    assert at_kill < at_interrupt < MESSAGES, "Ctrl-C must land mid-audit"
    assert f"interrupted with {at_interrupt} messages stored" in err

    resumed = subprocess.run(command(mbox, killed_out), cwd=ROOT, env=environment(), capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    done = re.search(r"(\d+) audited, (\d+) errors, (\d+) skipped", resumed.stderr)
    assert done, resumed.stderr
    audited, errors, skipped = map(int, done.groups())
    assert skipped == at_interrupt  # everything committed before the interruptions is reused...
    assert audited + errors == MESSAGES - at_interrupt  # ...and nothing is audited twice

    clean = subprocess.run(command(mbox, clean_out), cwd=ROOT, env=environment(), capture_output=True,
                           text=True, timeout=300)
    assert clean.returncode == 0, clean.stderr
    for name in ("messages.csv", "findings.csv", "summary.json", "report.html"):
        assert (killed_out / name).read_bytes() == (clean_out / name).read_bytes(), name
    with sqlite3.connect(killed_out / "audit.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM messages").fetchone() == (MESSAGES,
                                                                                                 MESSAGES)
