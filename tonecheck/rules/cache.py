"""The pack cache: each pack's :class:`~.lookups.Lookups` as a JSON file, so a warm start skips their ~1 s.

A file is named by a key over everything its data derives from: the pack as resolved (every rule of it and of
the packs it extends, as :func:`~.load.resolve_pack` returns them), the code that computes the data, and the
versions of tonecheck, spaCy, the spaCy model and spacy-lookups-data. Anything else changed means another key,
so a stale file is never read; it is pruned later. The cache only ever saves time: a missing, unreadable,
corrupt or unwritable file means the pack compiles as without a cache, logged at debug level.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import fields
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language

from .. import nlp as nlp_module
from . import lookups as lookups_module
from . import notation, triggers
from .schema import PackSpec, Rule

log = logging.getLogger(__name__)

FORMAT = 1  # of the files; a change of layout bumps it
KEEP_PER_PACK = 4  # newest files kept per pack name (two checkouts, a branch switch); older ones are removed


class PackCache:
    """One pack's entry in the cache folder (no folder: nothing is read or written)."""

    def __init__(self, folder: Path | None, spec: PackSpec, nlp: Language) -> None:
        self.folder = None if folder is None else folder / "packs"
        self.name = spec.name
        self.path = None if self.folder is None else self.folder / f"{spec.name}-{pack_key(spec, nlp)}.json"

    def load(self) -> dict[str, Any] | None:
        """The saved lookups, or None if there are none usable."""
        if self.path is None:
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            log.debug("pack cache: no entry for %s at %s", self.name, self.path)
            return None
        except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
            log.debug("pack cache: ignoring %s: %s", self.path, exc)
            return None
        if not isinstance(data, dict) or data.get("format") != FORMAT or not lookups_module.is_lookups_data(
                data.get("lookups")):
            log.debug("pack cache: ignoring %s: not a format-%d entry", self.path, FORMAT)
            return None
        return data["lookups"]

    def save(self, lookups: dict[str, Any]) -> None:
        """Write the entry atomically (a reader sees the old file or the new one), then prune old ones."""
        if self.folder is None or self.path is None:
            return
        text = json.dumps({"format": FORMAT, "pack": self.name, "lookups": lookups})
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomic(self.path, text)
        except OSError as exc:
            log.debug("pack cache: cannot write %s: %s", self.path, exc)
            return
        log.debug("pack cache: wrote %s", self.path)
        self._prune(self.folder)

    def _prune(self, folder: Path) -> None:
        """Remove all but the newest few entries of this pack name: every pack edit leaves one behind."""
        try:
            # "example-<key>" must not take "example-team-<key>" for one of its own
            entries = [p for p in folder.glob(f"{self.name}-*.json") if p.stem.rpartition("-")[0] == self.name]
            entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
            for old in entries[KEEP_PER_PACK:]:
                old.unlink(missing_ok=True)
        except OSError as exc:  # another process pruned first, or the folder went read-only
            log.debug("pack cache: cannot prune %s: %s", folder, exc)


def _write_atomic(path: Path, text: str) -> None:
    """A temporary file in the same folder, then ``os.replace``: never a half-written entry under the real name."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def pack_key(spec: PackSpec, nlp: Language) -> str:
    """sha256 over everything the cached lookups derive from (see the module docstring)."""
    meta = nlp.meta
    parts = {
        "format": FORMAT,
        "code": _code_fingerprint(),
        "versions": _versions(),
        "model": [meta.get("lang"), meta.get("name"), meta.get("version")],
        "rules": [_rule_fingerprint(rule) for rule in spec.rules],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


def _rule_fingerprint(rule: Rule) -> dict[str, Any]:
    """Every field of a resolved rule but ``source`` (where it was written changes nothing it compiles to)."""
    return {f.name: _plain(getattr(rule, f.name)) for f in fields(rule) if f.name != "source"}


def _plain(value: Any) -> Any:
    """A rule field as JSON with one spelling per value: sets sorted, tuples as lists, dict keys sorted."""
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    return value


@cache
def _versions() -> dict[str, str]:
    """tonecheck, spaCy and spacy-lookups-data versions (the model's comes from its own meta)."""
    from .. import __version__

    try:
        tables = metadata.version("spacy-lookups-data")
    except metadata.PackageNotFoundError:
        tables = "absent"  # compiling then fails with the real error; nothing is cached
    return {"tonecheck": __version__, "spacy": spacy.__version__, "spacy-lookups-data": tables}


@cache
def _code_fingerprint() -> str:
    """sha256 of the modules that compute the lookups: in a checkout the version does not move when they do."""
    digest = hashlib.sha256()
    for module in (nlp_module, notation, triggers, lookups_module):
        try:
            digest.update(Path(module.__file__ or "").read_bytes())
        except OSError:
            digest.update(module.__name__.encode())  # no source (frozen, zipped): the versions alone decide
    return digest.hexdigest()
