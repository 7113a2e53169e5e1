"""Reading packs: YAML files checked against :mod:`.schema`, ``extends`` resolved, ``allow``/``disable`` applied.

Every problem is a :class:`~tonecheck.errors.RulePackError` reading ``path:line: reason``, raised before any
rule is compiled, so a pack loads whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ..errors import RulePackError, UnknownPack
from .schema import FILE_SCHEMA, MARK_CLOSE, MARK_OPEN, PACK_FILE, PACK_SCHEMA, PackSpec, Rule, read_example, rule_from


def _line_of(node: yaml.Node | None, path: Sequence[Any]) -> int:
    """1-based line of the YAML node at ``path`` (as far down as it exists)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for step in path:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if k.value == step), None)
            if found is None:
                found = next((k for k, _ in node.value if k.value == step), None)
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _read_yaml(path: Path, schema: dict[str, Any]) -> tuple[Any, yaml.Node | None]:
    """Parse and schema-check one YAML file; the first problem becomes ``path:line: reason``."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RulePackError(f"{path}:1: not UTF-8 text") from None
    except OSError as exc:
        raise RulePackError(f"{path}:1: cannot read: {exc.strerror}") from None
    try:
        data, node = _parse_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark or exc.problem_mark  # where the broken construct began, if YAML knows
        line = mark.line + 1 if mark else 1
        context = f" ({exc.context})" if exc.context else ""
        raise RulePackError(f"{path}:{line}: invalid YAML: {exc.problem}{context}") from None
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        where = list(err.absolute_path)
        field_name = ".".join(str(p) for p in where) or "(top level)"
        raise RulePackError(f"{path}:{_line_of(node, where)}: {field_name}: {_schema_message(err)}")
    return data, node


def _parse_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree (for line numbers) of one YAML text.

    libyaml's parser when PyYAML has it (~15x faster: the default pack's YAML took ~0.1 s of each start in pure
    Python); a text it refuses is parsed again in pure Python, whose error message and line are what pack
    authors see, so errors read the same with or without libyaml.
    """
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.load(text, Loader=fast), yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)


def _schema_message(err: jsonschema.ValidationError) -> str:
    if err.validator == "enum":
        return f"{err.instance!r} is not one of {', '.join(map(str, err.validator_value))}"
    if err.validator == "additionalProperties":
        return f"unknown key(s): {err.message.split('(')[-1].rstrip(')')}"
    return err.message


def _load_own_rules(folder: Path) -> list[Rule]:
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yml")):
        if path.name == PACK_FILE:
            continue
        data, node = _read_yaml(path, FILE_SCHEMA)
        for i, raw in enumerate(data["rules"]):
            line = _line_of(node, ["rules", i, "id"])
            if raw["id"] in seen:
                raise RulePackError(f"{path}:{line}: duplicate rule id {raw['id']!r} (first at {seen[raw['id']]})")
            seen[raw["id"]] = f"{path}:{line}"
            _check_examples(raw, i, path, node)
            rules.append(rule_from(raw, f"{path}:{line}"))
    return rules


def _check_examples(raw: dict[str, Any], i: int, path: Path, node: yaml.Node | None) -> None:
    """Each bad example marks the one span its rule flags (``<marker>…</marker>``); a good example marks nothing.

    A ``model`` rule flags a clause or sentence the model picks, so a marker there is optional (still well formed).
    """
    examples = raw["examples"]
    for j, text in enumerate(examples.get("bad", ())):
        where = ["rules", i, "examples", "bad", j]
        try:
            _, mark = read_example(text)
        except ValueError as exc:
            raise RulePackError(f"{path}:{_line_of(node, where)}: {_dotted(where)}: {exc}") from None
        if mark is None and raw["kind"] != "model":
            reason = f"no {MARK_OPEN}…{MARK_CLOSE} around the words the rule flags in {text!r}"
            raise RulePackError(f"{path}:{_line_of(node, where)}: {_dotted(where)}: {reason}")
    for j, text in enumerate(examples.get("good", ())):
        if MARK_OPEN in text or MARK_CLOSE in text:
            where = ["rules", i, "examples", "good", j]
            reason = "a good example flags nothing, so it has no marker"
            raise RulePackError(f"{path}:{_line_of(node, where)}: {_dotted(where)}: {reason}")


def _dotted(where: Sequence[Any]) -> str:
    return ".".join(map(str, where))


def resolve_pack(rules_dir: Path, name: str, _chain: tuple[str, ...] = ()) -> PackSpec:
    """Read a pack and the packs it extends; apply ``allow`` and ``disable``; reject cycles and unknown ids."""
    folder = rules_dir / name
    meta_path = folder / PACK_FILE
    if not meta_path.is_file():
        known = ", ".join(available_packs(rules_dir)) or "none"
        raise UnknownPack(f"unknown rule pack {name!r} (available: {known})")
    meta, node = _read_yaml(meta_path, PACK_SCHEMA)
    if meta["name"] != name:
        line = _line_of(node, ["name"])
        raise RulePackError(f"{meta_path}:{line}: name {meta['name']!r} does not match its folder {name!r}")
    rules: list[Rule] = []
    parent = meta.get("extends")
    if parent:
        if parent in _chain or parent == name:
            raise RulePackError(f"{meta_path}:{_line_of(node, ['extends'])}: 'extends' makes a cycle: {parent!r}")
        try:
            rules = list(resolve_pack(rules_dir, parent, (*_chain, name)).rules)
        except UnknownPack as exc:
            raise RulePackError(f"{meta_path}:{_line_of(node, ['extends'])}: {exc}") from None
    own = _load_own_rules(folder)
    own_ids = {r.id for r in own}
    rules = [r for r in rules if r.id not in own_ids] + own  # a pack may override a parent's rule by id
    rules = _apply_disable(rules, meta.get("disable", []), meta_path, node)
    rules = _apply_allow(rules, meta.get("allow", []), meta_path, node)
    return PackSpec(name, meta["description"], parent, tuple(rules), folder)


def _apply_disable(rules: list[Rule], disable: list[str], path: Path, node: yaml.Node | None) -> list[Rule]:
    ids = {r.id for r in rules}
    word_ids = {f"{r.id}.{w}" for r in rules for w in r.words}
    for i, rule_id in enumerate(disable):
        if rule_id not in ids and rule_id not in word_ids:
            raise RulePackError(f"{path}:{_line_of(node, ['disable', i])}: disable: no rule {rule_id!r} to disable")
    gone = set(disable)
    kept = []
    for rule in rules:
        if rule.id in gone:
            continue
        if rule.words and any(f"{rule.id}.{w}" in gone for w in rule.words):
            words = {w: s for w, s in rule.words.items() if f"{rule.id}.{w}" not in gone}
            rule = _with_words(rule, words)
        if rule is not None:
            kept.append(rule)
    return kept


def _apply_allow(rules: list[Rule], allow: list[str], path: Path, node: yaml.Node | None) -> list[Rule]:
    allowed = {w.lower() for w in allow}
    listed = {w for r in rules for w in r.words}
    for i, word in enumerate(allow):
        if word.lower() not in listed:
            raise RulePackError(f"{path}:{_line_of(node, ['allow', i])}: allow: {word!r} is in no word list")
    kept = []
    for rule in rules:
        if rule.words and allowed & set(rule.words):
            rule = _with_words(rule, {w: s for w, s in rule.words.items() if w not in allowed})
        if rule is not None:
            kept.append(rule)
    return kept


def _with_words(rule: Rule, words: dict[str, tuple[str, ...]]) -> Rule | None:
    if not words:
        return None
    fields_ = {f: getattr(rule, f) for f in rule.__dataclass_fields__}
    fields_["words"] = words
    return Rule(**fields_)


def available_packs(rules_dir: Path) -> list[str]:
    """Pack names: every folder of ``rules_dir`` with a pack.yml."""
    if not rules_dir.is_dir():
        return []
    return sorted(p.name for p in rules_dir.iterdir() if (p / PACK_FILE).is_file())
