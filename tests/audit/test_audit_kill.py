"""``kill -9`` a real ``python -m tonecheck audit`` while it is writing messages.csv (issue 10, reliability suite).

Outputs are written to a temporary name and renamed (tonecheck/audit/report.py ``_replacing``). To land the kill
inside that write every time, the test puts a FIFO where the audit will create its temporary file
(``.messages.csv.<pid>.tmp``), so the audit's ``open()`` hands its rows to the test: the test reads the first
rows, then sends SIGKILL while the audit is blocked in the middle of the file (a full pipe holds 64 KiB; the file
is larger). Afterwards messages.csv must be the previous complete file, or absent when there was none, never a
cut one; a rerun must finish with the same outputs byte for byte.
"""

from __future__ import annotations

import csv
import io
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tonecheck.audit.report import MESSAGE_COLUMNS
from tonecheck.audit.synthetic import write_mbox

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 240  # messages.csv is about 88 KB: more than a pipe holds, so the killed writer is mid-file
OUTPUTS = ("findings.csv", "messages.csv", "summary.json", "report.html")


def _command(mbox: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "tonecheck", "audit", str(mbox), "--out", str(out), "--batch-size", "16"]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["TONECHECK_USE_MODEL"] = "off"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUTS if (out / name).exists()}


def _kill_while_writing_messages(mbox: Path, out: Path) -> bytes:
    """Start the audit, let it write the start of messages.csv into a FIFO, SIGKILL it; return what it wrote."""
    out.mkdir(exist_ok=True)
    proc = subprocess.Popen(_command(mbox, out), cwd=ROOT, env=_environment(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    fifo = out / f".messages.csv.{proc.pid}.tmp"  # the audit's temporary name for messages.csv
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader is there, so the audit's open() succeeds
    written = b""
    deadline = time.monotonic() + 240
    try:
        while len(written) < 4096:
            assert proc.poll() is None, f"the audit ended before it wrote messages.csv: {proc.stderr.read()!r}"
            assert time.monotonic() < deadline, "the audit did not reach messages.csv within 240 s"
            if not select.select([reader], [], [], 0.1)[0]:
                continue
            try:
                # Never more than 4 KiB: the audit then holds at most 4 KiB + a 64 KiB pipe of an 88 KB file.
                chunk = os.read(reader, 4096 - len(written))
            except BlockingIOError:  # a writer is there but has written nothing yet
                continue
            if not chunk:  # no writer yet (a FIFO without one reads as end of file)
                time.sleep(0.05)
            written += chunk
        proc.send_signal(signal.SIGKILL)  # the audit is inside _replacing, blocked on a full pipe
        proc.communicate(timeout=60)
    finally:
        os.close(reader)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    fifo.unlink()  # ours, not the audit's; nothing else may be left behind
    return written


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp"))


def _complete(mbox: Path, out: Path) -> dict[str, bytes]:
    done = subprocess.run(_command(mbox, out), cwd=ROOT, env=_environment(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return _outputs(out)


def test_kill_9_while_writing_leaves_no_cut_file_and_a_rerun_matches(tmp_path: Path) -> None:
    mbox = write_mbox(tmp_path / "sent.mbox", MESSAGES)
    out = tmp_path / "out"

    # First run: killed while writing its first messages.csv. There was no previous file, so there is none now.
    written = _kill_while_writing_messages(mbox, out)
    assert written.startswith(",".join(MESSAGE_COLUMNS).encode() + b"\r\n")
    assert not (out / "messages.csv").exists() and not (out / "summary.json").exists()
    assert _leftovers(out) == []

    # Rerun: every message already stored is reused, and the outputs are written whole.
    first = _complete(mbox, out)
    assert set(first) == set(OUTPUTS)
    rows = list(csv.DictReader(io.StringIO(first["messages.csv"].decode("utf-8"))))
    assert len(rows) == MESSAGES
    # What the killed run had written was this file's start, and only its start: the kill landed mid-file.
    assert first["messages.csv"].startswith(written) and len(written) < len(first["messages.csv"])

    # Killed again while replacing that file: the previous complete file stays, byte for byte.
    _kill_while_writing_messages(mbox, out)
    kept = _outputs(out)
    assert kept["messages.csv"] == first["messages.csv"]
    assert kept == first  # findings.csv was replaced whole (same content) before the kill; the rest untouched
    assert _leftovers(out) == []

    # And a rerun after that kill ends with the same outputs.
    assert _complete(mbox, out) == first
