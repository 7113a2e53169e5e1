"""The pack cache (tonecheck/rules/cache.py): written on the first compile, read on the next, never a reason to fail.

Every test points the cache at its own ``tmp_path``; the rest of the suite uses the run's folder that
tests/conftest.py sets up, never ~/.cache/tonecheck.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tonecheck import Checker, load_settings, settings
from tonecheck import nlp as nlp_module
from tonecheck.rules import CompiledPack, RawMatch, resolve_pack
from tonecheck.rules import cache as cache_module
from tonecheck.rules import lookups as lookups_module
from tonecheck.rules.cache import FORMAT, KEEP_PER_PACK, pack_key
from tonecheck.rules.kinds.caps import KNOWN_WORD_FREQUENCY

RULES = settings.Settings().rules_dir
SHOUTED = "I SAID NO REFUNDS. Calm down, you idiot!!!"


@pytest.fixture()
def computed(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each step the cache saves ran: compiling a pattern, inflecting a word, the frequent-word table."""
    counts: Counter[str] = Counter()
    for name in ("compile_pattern", "inflections", "frequent_words"):
        real = getattr(lookups_module, name)

        def counting(*args: Any, _real: Callable[..., Any] = real, _name: str = name) -> Any:
            counts[_name] += 1
            return _real(*args)

        monkeypatch.setattr(lookups_module, name, counting)
    return counts


def _examples(name: str) -> list[str]:
    """Every example of a pack, bad and good: each rule's hits, and the sentences its ``unless`` silences."""
    spec = resolve_pack(RULES, name)
    return [text for rule in spec.rules for text in (*rule.bad_examples, *rule.good_examples)]


def _matches(pack: CompiledPack, docs: list[Any]) -> list[list[RawMatch]]:
    return [pack.match(doc) for doc in docs]


def _entries(folder: Path, name: str = "default") -> list[Path]:
    return sorted(p for p in (folder / "packs").glob(f"{name}-*.json") if p.stem.rpartition("-")[0] == name)


def test_first_compile_writes_the_entry_and_the_next_one_reads_it(rules_checker, tmp_path, computed):
    spec = resolve_pack(RULES, "default")
    CompiledPack(spec, rules_checker.nlp, tmp_path)
    [entry] = _entries(tmp_path)
    assert entry.name == f"default-{pack_key(spec, rules_checker.nlp)}.json"
    assert computed["compile_pattern"] > 100 and computed["inflections"] > 10 and computed["frequent_words"] == 1
    written = entry.stat().st_mtime_ns

    computed.clear()
    CompiledPack(spec, rules_checker.nlp, tmp_path)
    assert computed == Counter()  # nothing derived again
    assert entry.stat().st_mtime_ns == written  # and nothing rewritten


def test_a_cached_pack_never_loads_the_lookups_tables(rules_checker, tmp_path):
    spec = resolve_pack(RULES, "default")
    CompiledPack(spec, rules_checker.nlp, tmp_path)
    nlp_module._word_probs.cache_clear()
    nlp_module._lemma_index.cache_clear()
    pack = CompiledPack(spec, rules_checker.nlp, tmp_path)
    hits = pack.match(rules_checker.nlp(SHOUTED))
    assert {h.rule.kind for h in hits} == {"caps", "phrase", "words"}
    assert nlp_module._word_probs.cache_info().currsize == 0  # ~0.7 s of gzip JSON not read, caps included
    assert nlp_module._lemma_index.cache_info().currsize == 0


@pytest.mark.parametrize("name", ["default", "example-team"])
def test_matches_are_identical_with_and_without_the_cache(rules_checker, tmp_path, computed, name):
    nlp = rules_checker.nlp
    spec = resolve_pack(RULES, name)
    assert any(rule.unless for rule in spec.rules)
    docs = list(nlp.pipe([*_examples(name), SHOUTED]))
    expected = _matches(CompiledPack(spec, nlp), docs)
    assert {h.rule.kind for hits in expected for h in hits} == {"caps", "phrase", "words"}

    assert _matches(CompiledPack(spec, nlp, tmp_path), docs) == expected  # cold: computes and writes
    computed.clear()
    assert _matches(CompiledPack(spec, nlp, tmp_path), docs) == expected  # warm: read back
    assert computed == Counter()


def _copy_rules(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    return copy


def _edit_first_pattern(path: Path, edit: Callable[[str], str]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rule = next(r for r in data["rules"] if r.get("patterns"))
    rule["patterns"][0] = edit(rule["patterns"][0])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_key_follows_the_resolved_pack_and_what_it_extends(rules_checker, tmp_path):
    nlp = rules_checker.nlp
    copy = _copy_rules(tmp_path)

    def key(rules_dir: Path, name: str) -> str:
        return pack_key(resolve_pack(rules_dir, name), nlp)

    default, team = key(RULES, "default"), key(RULES, "example-team")
    assert default != team
    assert key(copy, "default") == default  # where a pack lives is not part of it

    blaming = copy / "default" / "blaming.yml"
    blaming.write_text("# a comment moves every line\n" + blaming.read_text(encoding="utf-8"), encoding="utf-8")
    assert key(copy, "default") == default  # nor which line a rule is on

    _edit_first_pattern(blaming, lambda pattern: pattern + " today")
    assert key(copy, "default") != default
    assert key(copy, "example-team") != team  # the parent changed under it

    CompiledPack(resolve_pack(copy, "default"), nlp, tmp_path / "cache")
    CompiledPack(resolve_pack(RULES, "default"), nlp, tmp_path / "cache")
    assert len(_entries(tmp_path / "cache")) == 2  # one entry per content: neither overwrites the other


def _refused_by_spacy(entry: dict[str, Any]) -> dict[str, Any]:
    """The right shape, yet spaCy refuses it: one token's operator is no operator."""
    first = next(iter(entry["lookups"]["patterns"].values()))
    first["tokens"][0][0]["OP"] = "sometimes"
    return entry


def _forms_missing(entry: dict[str, Any]) -> dict[str, Any]:
    entry["lookups"]["forms"] = {}
    return entry


CORRUPTIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "empty": lambda entry: "",
    "truncated": lambda entry: json.dumps(entry)[:5000],
    "not UTF-8": lambda entry: b"\xff\xfe\x00garbage",
    "a list": lambda entry: [],
    "another format": lambda entry: {**entry, "format": FORMAT + 1},
    "wrong shape": lambda entry: {**entry, "lookups": {"patterns": {"you idiot": {"tokens": "you idiot"}}}},
    "refused by spaCy": _refused_by_spacy,
    "forms missing": _forms_missing,
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_corrupt_entry_is_ignored_and_rewritten(rules_checker, tmp_path, computed, corruption):
    nlp = rules_checker.nlp
    spec = resolve_pack(RULES, "default")
    docs = list(nlp.pipe([*_examples("default"), SHOUTED]))
    expected = _matches(CompiledPack(spec, nlp), docs)
    CompiledPack(spec, nlp, tmp_path)
    [entry] = _entries(tmp_path)
    good = entry.read_text(encoding="utf-8")
    bad = CORRUPTIONS[corruption](json.loads(good))
    if isinstance(bad, bytes):
        entry.write_bytes(bad)
    else:
        entry.write_text(bad if isinstance(bad, str) else json.dumps(bad), encoding="utf-8")

    computed.clear()
    pack = CompiledPack(spec, nlp, tmp_path)
    assert _matches(pack, docs) == expected
    assert sum(computed.values()) > 0
    assert json.loads(entry.read_text(encoding="utf-8")) == json.loads(good)  # rewritten whole


def test_an_unusable_cache_folder_only_costs_time(rules_checker, tmp_path, computed):
    nlp = rules_checker.nlp
    spec = resolve_pack(RULES, "default")
    docs = list(nlp.pipe([SHOUTED]))
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    expected = _matches(CompiledPack(spec, nlp), docs)
    # the folder cannot be made (a file stands in the way); as root, a read-only folder would still be written
    for _ in range(2):
        computed.clear()
        assert _matches(CompiledPack(spec, nlp, blocker / "cache"), docs) == expected
        assert computed["compile_pattern"] > 0  # compiled each time: nothing could be kept


def test_a_failed_write_leaves_neither_an_entry_nor_a_temporary_file(rules_checker, tmp_path, monkeypatch):
    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "read-only file system", dst)

    monkeypatch.setattr(cache_module.os, "replace", refuse)
    CompiledPack(resolve_pack(RULES, "default"), rules_checker.nlp, tmp_path)
    assert list((tmp_path / "packs").iterdir()) == []


def test_old_entries_of_a_pack_are_pruned_and_other_packs_left_alone(rules_checker, tmp_path):
    folder = tmp_path / "packs"
    folder.mkdir()
    for i in range(KEEP_PER_PACK + 2):
        old = folder / f"default-{i:064x}.json"
        old.write_text("{}", encoding="utf-8")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    team = folder / f"default-team-{0:064x}.json"  # another pack whose name starts with "default-"
    team.write_text("{}", encoding="utf-8")
    os.utime(team, (1, 1))

    CompiledPack(resolve_pack(RULES, "default"), rules_checker.nlp, tmp_path)
    kept = _entries(tmp_path)
    assert len(kept) == KEEP_PER_PACK
    newest_old = [f"default-{i:064x}.json" for i in range(KEEP_PER_PACK + 1, 2, -1)]
    assert set(newest_old) < {p.name for p in kept}
    assert team.exists()


def test_frequent_words_without_the_table_agree_with_the_table(rules_checker):
    table = nlp_module._word_probs()
    words = [*list(table)[::997], "^^^", "...", "", "dhcp", "asinine", "xqzzyv", "gonna", "£", "—"]
    frequent = lookups_module.Lookups(rules_checker.nlp).frequent(KNOWN_WORD_FREQUENCY)
    assert [frequent(w) for w in words] == [nlp_module.word_frequency(w) >= KNOWN_WORD_FREQUENCY for w in words]


def test_checker_caches_in_the_configured_folder(rules_checker, tmp_path):
    configured = load_settings(env={"TONECHECK_CACHE_DIR": str(tmp_path)}, use_model=False)
    assert configured.cache_dir == tmp_path
    Checker(configured, rules_checker.nlp, None).pack("example-team")
    assert len(_entries(tmp_path, "example-team")) == 1


def test_the_suite_caches_in_its_own_folder_not_the_users(rules_checker, pack_cache_dir):
    assert load_settings(env={}).cache_dir is None
    assert settings.user_cache_dir() == pack_cache_dir
    assert os.environ["TONECHECK_CACHE_DIR"] == str(pack_cache_dir)  # for the processes tests start
    Checker(load_settings(env={}, use_model=False), rules_checker.nlp, None).pack("default")
    assert _entries(pack_cache_dir)
