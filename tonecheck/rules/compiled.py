"""A resolved pack compiled once into its kinds' matchers; ``match(doc)`` is all that runs per text."""

from __future__ import annotations

import bisect
import logging
from pathlib import Path

from spacy.attrs import NORM
from spacy.language import Language
from spacy.tokens import Doc

from ..nlp import sentence_bounds
from .cache import PackCache
from .kinds import MATCHED_KINDS, RuleKind
from .lookups import Lookups
from .schema import PackSpec, RawMatch
from .triggers import GroupIndex, PatternGroup, SentenceNorms, compile_groups, index_groups, run_groups

log = logging.getLogger(__name__)


class CompiledPack:
    """A resolved pack compiled once: one matcher per rule kind in use, plus every rule's ``unless`` patterns.

    With a ``cache_dir``, what compiling derives from spaCy's tables is read from the pack cache (:mod:`.cache`)
    when an entry for this exact pack exists, and written there when it did not; the matchers are the same.
    """

    def __init__(self, spec: PackSpec, nlp: Language, cache_dir: Path | None = None) -> None:
        cache = PackCache(cache_dir, spec, nlp)
        saved = cache.load()
        lookups = Lookups(nlp, saved)
        try:
            self._compile(spec, nlp, lookups)
        except Exception as exc:
            if saved is None:
                raise
            # a cache entry of the right shape that spaCy still refuses: compile as if it were absent, and
            # let a real pack error come from that compile
            log.debug("pack cache: entry for %s failed to compile (%s); compiling without it", spec.name, exc)
            lookups = Lookups(nlp)
            self._compile(spec, nlp, lookups)
        if lookups.added:
            cache.save(lookups.to_data())

    def _compile(self, spec: PackSpec, nlp: Language, lookups: Lookups) -> None:
        self.spec = spec
        self.rules = {r.id: r for r in spec.rules}
        # model rules are not matched here: the Checker applies them to the tone model's sentence kinds
        self.model_rules = [r for r in spec.rules if r.kind == "model"]
        self._kinds: list[RuleKind] = []
        for kind, build in MATCHED_KINDS.items():
            rules = [r for r in spec.rules if r.kind == kind]
            if rules:
                self._kinds.append(build(rules, nlp, lookups))
        self._unless: dict[str, tuple[list[PatternGroup], GroupIndex]] = {}
        for rule in spec.rules:
            if rule.unless:
                groups = compile_groups(rule, rule.unless, "unless", nlp, lookups)
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
