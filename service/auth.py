"""API keys: plain keys from ``TONECHECK_API_KEYS`` and a keys file that holds only salted scrypt hashes.

A key looks like ``tck_<id>_<secret>``: the id (not secret) picks the file entry, so a request costs one
scrypt derivation, not one per stored key; a verified key is remembered (by its SHA-256) until the file
changes, so steady traffic pays the derivation once. Comparisons are constant-time (hmac.compare_digest).
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
# scrypt cost: ~16 MiB and a few tens of milliseconds per derivation; keys are random, so this is plenty.
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
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
    scheme: str = "scrypt:16384:8:1"

    def matches(self, key: str) -> bool:
        _, n, r, p = self.scheme.split(":")
        derived = _derive(key, bytes.fromhex(self.salt), int(n), int(r), int(p))
        return hmac.compare_digest(derived, bytes.fromhex(self.hash))


def _derive(key: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(key.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)


def new_key(name: str) -> tuple[str, StoredKey]:
    """A fresh random key and the entry that verifies it: show the key once, store only the entry."""
    key_id = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    salt = secrets.token_bytes(16)
    digest = _derive(key, salt, SCRYPT["n"], SCRYPT["r"], SCRYPT["p"])
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    scheme = f"scrypt:{SCRYPT['n']}:{SCRYPT['r']}:{SCRYPT['p']}"
    return key, StoredKey(name, key_id, salt.hex(), digest.hex(), created, scheme)


# ----------------------------------------------------------------------------- keys file


def read_keys_file(path: Path) -> list[StoredKey]:
    """The entries of a keys file; a missing file holds no keys, a broken one is an error naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeysFileError(f"{path}: cannot read keys file: {exc}") from None
    try:
        return [StoredKey(**entry) for entry in data["keys"]]
    except (KeyError, TypeError) as exc:
        raise KeysFileError(f"{path}: not a tonecheck keys file ({exc})") from None


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
        fingerprint = hashlib.sha256(raw).digest()
        with self._lock:
            cached = self._verified.get(fingerprint)
        if cached is not None:
            return cached
        match = _KEY_RE.match(presented)
        entry = self._entries.get(match.group(1)) if match else None
        if entry is None or not entry.matches(presented):
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
