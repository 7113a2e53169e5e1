"""A resolved pack compiled once into its kinds' matchers; ``match(doc)`` is all that runs per text."""

from __future__ import annotations

import bisect

from spacy.attrs import NORM
from spacy.language import Language
from spacy.tokens import Doc

from ..nlp import sentence_bounds
from .kinds import MATCHED_KINDS, RuleKind
from .schema import PackSpec, RawMatch
from .triggers import GroupIndex, PatternGroup, SentenceNorms, compile_groups, index_groups, run_groups


class CompiledPack:
    """A resolved pack compiled once: one matcher per rule kind in use, plus every rule's ``unless`` patterns."""

    def __init__(self, spec: PackSpec, nlp: Language) -> None:
        self.spec = spec
        self.rules = {r.id: r for r in spec.rules}
        # model rules are not matched here: the Checker applies them to the tone model's sentence kinds
        self.model_rules = [r for r in spec.rules if r.kind == "model"]
        self._kinds: list[RuleKind] = []
        for kind, build in MATCHED_KINDS.items():
            rules = [r for r in spec.rules if r.kind == kind]
            if rules:
                self._kinds.append(build(rules, nlp))
        self._unless: dict[str, tuple[list[PatternGroup], GroupIndex]] = {}
        for rule in spec.rules:
            if rule.unless:
                groups = compile_groups(rule, rule.unless, "unless", nlp)
                self._unless[rule.id] = (groups, index_groups(groups))

    def match(self, doc: Doc, text: str | None = None) -> list[RawMatch]:
        """Every rule hit in one Doc, in text order; one per span per rule.

        ``text`` is the Doc's text if the caller has it: ``doc.text`` rebuilds it from every token.
        """
        text = doc.text if text is None else text
        norms = doc.to_array(NORM).tolist()
        bounds = sentence_bounds(doc)
        sents = [(a, b, set(norms[a:b])) for a, b in bounds]
        silenced = _Silencer(self._unless, doc, sents, [a for a, _ in bounds])
        hits = [hit for kind in self._kinds for hit in kind.match(doc, text, sents) if not silenced(hit)]
        hits.sort(key=lambda h: (h.start_char, -h.end_char, h.rule_id))
        return hits


class _Silencer:
    """Whether a hit's rule has an ``unless`` pattern matching in the hit's sentence (run lazily, once per rule)."""

    def __init__(self, unless: dict[str, tuple[list[PatternGroup], GroupIndex]], doc: Doc, sents: SentenceNorms,
                 starts: list[int]) -> None:
        self._unless, self._doc, self._sents, self._starts = unless, doc, sents, starts
        self._quiet: dict[str, set[int]] = {}  # rule id → sentences (by number) where an unless pattern matched

    def __call__(self, hit: RawMatch) -> bool:
        rule_id = hit.rule.id
        if rule_id not in self._unless:
            return False
        if rule_id not in self._quiet:
            groups, index = self._unless[rule_id]
            spans = run_groups(groups, index, self._doc, self._sents).get(rule_id, [])
            self._quiet[rule_id] = {bisect.bisect_right(self._starts, s.start) for s in spans}
        token = self._doc.char_span(hit.start_char, hit.end_char, alignment_mode="expand").start
        return bisect.bisect_right(self._starts, token) in self._quiet[rule_id]
