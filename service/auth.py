"""API keys: plain keys from ``TONECHECK_API_KEYS`` and a keys file that holds only hashes of keys.

A key looks like ``tck_<id>_<secret>``, the secret 32 random bytes (256 bits). The id (not secret) picks the
file entry; the entry holds SHA-256 of the whole key (scheme ``sha256``). A slow password hash buys nothing for
a random 256-bit secret: nobody can guess it, so a fast hash is as safe, and a check costs microseconds instead
of the ~50 ms of scrypt that made every wrong key an amplifier (issue 10, finding 5). Comparisons are
constant-time (hmac.compare_digest).

Entries written by earlier versions (scheme ``scrypt:N:r:p``, salted) still verify, with a deprecation warning
at load naming each one; a verified scrypt key is remembered (by its SHA-256) until the file changes. Replace
them with ``tonecheck keys add`` + ``remove``. A malformed entry (unknown scheme, bad salt, hash or cost) stops
the load with ``path:line: reason``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tonecheck.errors import ToneCheckError

log = logging.getLogger("tonecheck.service")
KEY_PREFIX = "tck"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_KEY_RE = re.compile(r"^tck_([0-9a-f]{8})_[A-Za-z0-9_-]{20,}$")
SCHEME = "sha256"  # what `tonecheck keys add` writes
# The deprecated scheme of earlier versions, still verified: scrypt:N:r:p. hashlib's scrypt refuses more than
# 32 MiB of memory (128 * N * r bytes) by default, so an entry asking for more could never verify.
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_SCRYPT_MAX_MEMORY = 32 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_KEY_ID = re.compile(r"^[0-9a-f]{8}$")
_CACHE_MAX = 1024


class KeysFileError(ToneCheckError):
    """The keys file cannot be read or written; the message names the file."""


@dataclass(frozen=True)
class StoredKey:
    """One keys-file entry: never the key itself, only what verifies it."""

    name: str
    key_id: str
    salt: str
    hash: str
    created: str
    scheme: str = "scrypt:16384:8:1"  # entries without a scheme come from the first version: scrypt

    @property
    def legacy(self) -> bool:
        return self.scheme != SCHEME

    def matches(self, key: str) -> bool:
        if self.scheme == SCHEME:
            return hmac.compare_digest(_fingerprint(key), bytes.fromhex(self.hash))
        _, n, r, p = self.scheme.split(":")
        derived = _derive(key, bytes.fromhex(self.salt), int(n), int(r), int(p))
        return hmac.compare_digest(derived, bytes.fromhex(self.hash))


def entry_problem(entry: StoredKey) -> str | None:
    """Why a keys-file entry can never verify (or could crash a request), or None when it is well-formed."""
    if not isinstance(entry.name, str) or not NAME_RE.match(entry.name):
        return "name must be 1-64 letters, digits, '.', '_' or '-'"
    if not isinstance(entry.key_id, str) or not _KEY_ID.match(entry.key_id):
        return f"key {entry.name!r}: key_id must be 8 lower-case hex digits"
    if not isinstance(entry.hash, str) or not _HEX64.match(entry.hash):
        return f"key {entry.name!r}: hash must be 64 lower-case hex digits"
    if not isinstance(entry.scheme, str):
        return f"key {entry.name!r}: scheme must be a string"
    if entry.scheme == SCHEME:
        return None
    parts = entry.scheme.split(":")
    if parts[0] != "scrypt" or len(parts) != 4 or not all(p.isdigit() for p in parts[1:]):
        return f"key {entry.name!r}: unknown scheme {entry.scheme[:40]!r} (expected {SCHEME!r} or 'scrypt:N:r:p')"
    n, r, p = (int(x) for x in parts[1:])
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or 128 * n * r > _SCRYPT_MAX_MEMORY or p > 16:
        return f"key {entry.name!r}: bad scrypt cost {entry.scheme!r} (N a power of 2, r >= 1, 1 <= p <= 16, <= 32 MiB)"
    try:
        salt = bytes.fromhex(entry.salt) if isinstance(entry.salt, str) else b""
    except ValueError:
        salt = b""
    if len(salt) < 8:
        return f"key {entry.name!r}: salt must be at least 8 bytes as hex"
    return None


def _fingerprint(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def _derive(key: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(key.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)


def new_key(name: str) -> tuple[str, StoredKey]:
    """A fresh random key and the entry that verifies it: show the key once, store only the entry."""
    key_id = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    return key, StoredKey(name, key_id, "", _fingerprint(key).hex(), created, SCHEME)


def new_legacy_entry(name: str) -> tuple[str, StoredKey]:
    """A key with an scrypt entry, as versions before the sha256 scheme wrote them (for tests of old files)."""
    key_id = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    salt = secrets.token_bytes(16)
    digest = _derive(key, salt, SCRYPT["n"], SCRYPT["r"], SCRYPT["p"])
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    scheme = f"scrypt:{SCRYPT['n']}:{SCRYPT['r']}:{SCRYPT['p']}"
    return key, StoredKey(name, key_id, salt.hex(), digest.hex(), created, scheme)


# ----------------------------------------------------------------------------- keys file


def read_keys_file(path: Path) -> list[StoredKey]:
    """The entries of a keys file; a missing file holds no keys, a broken one is an error naming the file.

    Every entry is checked (:func:`entry_problem`); the first bad one stops the load with ``path:line: reason``,
    the line being where that entry starts in the file.
    """
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeysFileError(f"{path}: cannot read keys file: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise KeysFileError(f"{path}: not a tonecheck keys file (no 'keys' list)")
    lines = _entry_lines(text, len(data["keys"]))
    entries = []
    for i, raw in enumerate(data["keys"]):
        where = f"{path}:{lines[i]}" if lines else f"{path}: entry {i + 1}"
        if not isinstance(raw, dict):
            raise KeysFileError(f"{where}: a key entry must be an object")
        try:
            entry = StoredKey(**raw)
        except TypeError as exc:
            raise KeysFileError(f"{where}: not a tonecheck key entry ({exc})") from None
        problem = entry_problem(entry)
        if problem:
            raise KeysFileError(f"{where}: {problem}")
        entries.append(entry)
    return entries


def _entry_lines(text: str, count: int) -> list[int]:
    """The line on which each entry of the "keys" array starts (empty if the file is laid out unexpectedly)."""
    start = re.search(r'"keys"\s*:\s*\[', text)
    if start is None:
        return []
    decoder, pos, lines = json.JSONDecoder(), start.end(), []
    try:
        while len(lines) < count:
            while text[pos] in " \t\r\n,":
                pos += 1
            lines.append(text.count("\n", 0, pos) + 1)
            _, pos = decoder.raw_decode(text, pos)
    except (IndexError, ValueError):
        return []
    return lines


def write_keys_file(path: Path, keys: list[StoredKey]) -> None:
    """Replace the file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"version": 1, "keys": [k.__dict__ for k in keys]}
    fd, tmp = tempfile.mkstemp(prefix=".keys-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2)
            fh.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise KeysFileError(f"{path}: cannot write keys file: {exc.strerror}") from None


# ----------------------------------------------------------------------------- verification


class KeyStore:
    """Answers "which key is this?" for a presented key; rereads the keys file when it changes on disk."""

    def __init__(self, plain_keys: tuple[str, ...] = (), keys_file: Path | None = None) -> None:
        self._plain = [k.encode("utf-8") for k in plain_keys if k]
        self._file = keys_file
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._entries: dict[str, StoredKey] = {}
        self._verified: dict[bytes, str] = {}
        self._refresh()

    @property
    def configured(self) -> bool:
        """Whether any key could ever pass: with auth on and none, every request is refused."""
        self._refresh()
        return bool(self._plain or self._entries)

    def _refresh(self) -> None:
        if self._file is None:
            return
        try:
            stat = self._file.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = (0, 0)
        with self._lock:
            if stamp == self._stamp:
                return
            try:
                entries = read_keys_file(self._file)
            except KeysFileError as exc:
                if self._stamp is None:
                    raise  # at start: refuse to run on a broken file
                log.error("%s; keeping the keys loaded before", exc)  # mid-write or a bad edit: keep serving
                return
            self._entries = {k.key_id: k for k in entries}
            self._verified = {}
            self._stamp = stamp
        for entry in entries:
            if entry.legacy:
                log.warning(
                    "%s: key %r (id %s) uses the deprecated %s scheme: each check with its id costs a slow "
                    "derivation; replace it (tonecheck keys add NEW, then keys remove %s)",
                    self._file, entry.name, entry.key_id, entry.scheme.split(":")[0], entry.name,
                )

    def verify(self, presented: str | None) -> str | None:
        """The key's name if ``presented`` is a valid key, else None."""
        if not presented:
            return None
        raw = presented.encode("utf-8")
        plain_ok = False
        for known in self._plain:  # no early exit: time does not depend on which key matched
            plain_ok |= hmac.compare_digest(raw, known)
        if plain_ok:
            return "env"
        self._refresh()
        match = _KEY_RE.match(presented)
        entry = self._entries.get(match.group(1)) if match else None
        if entry is None:
            return None
        if not entry.legacy:  # sha256: microseconds, nothing to remember
            return entry.name if entry.matches(presented) else None
        fingerprint = hashlib.sha256(raw).digest()
        with self._lock:
            cached = self._verified.get(fingerprint)
        if cached is not None:
            return cached
        if not entry.matches(presented):
            return None
        with self._lock:
            if len(self._verified) >= _CACHE_MAX:
                self._verified.clear()
            self._verified[fingerprint] = entry.name
        return entry.name


def bearer_token(header: str | None) -> str | None:
    """The key in an ``Authorization: Bearer <key>`` header, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def describe(entry: StoredKey) -> dict[str, Any]:
    """What ``tonecheck keys list`` shows: never the hash."""
    return {"name": entry.name, "id": entry.key_id, "created": entry.created}
