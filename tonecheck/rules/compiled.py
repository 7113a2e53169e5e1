"""A resolved pack compiled once into its kinds' matchers; ``match(doc)`` is all that runs per text."""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterator
from pathlib import Path

from spacy.attrs import NORM
from spacy.language import Language
from spacy.tokens import Doc

from ..nlp import sentence_bounds
from .cache import PackCache
from .kinds import MATCHED_KINDS, RuleKind
from .lookups import Lookups
from .schema import PackSpec, RawMatch
from .triggers import (
    GroupIndex,
    PatternGroup,
    SentenceMemo,
    SentenceNorms,
    SentenceWords,
    compile_groups,
    index_groups,
    sentence_matches,
)

log = logging.getLogger(__name__)


class CompiledPack:
    """A resolved pack compiled once: one matcher per rule kind in use, plus every rule's ``unless`` patterns.

    With a ``cache_dir``, what compiling derives from spaCy's tables is read from the pack cache (:mod:`.cache`)
    when an entry for this exact pack exists, and written there when it did not; the matchers are the same.
    ``memo_size`` sentences' pattern matches are remembered (:class:`~.triggers.SentenceMemo`); 0 = none.
    """

    def __init__(self, spec: PackSpec, nlp: Language, cache_dir: Path | None = None, memo_size: int = 0) -> None:
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
        # a sentence's matches are a function of its NORMs only while no pattern tests another attribute
        self.memo = SentenceMemo(memo_size if self._norms_only() else 0)

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

    def _groups(self) -> Iterator[PatternGroup]:
        for kind in self._kinds:
            yield from getattr(kind, "groups", ())
        for groups, _ in self._unless.values():
            yield from groups

    def _norms_only(self) -> bool:
        """Whether every compiled token pattern tests NORM alone (the notation compiles to nothing else)."""
        return all(group.attrs <= {"NORM"} for group in self._groups())

    def match(self, doc: Doc, text: str | None = None) -> list[RawMatch]:
        """Every rule hit in one Doc, in text order; one per span per rule.

        ``text`` is the Doc's text if the caller has it: ``doc.text`` rebuilds it from every token.
        """
        text = doc.text if text is None else text
        norms = doc.to_array(NORM).tolist()
        bounds = sentence_bounds(doc)
        sents = [SentenceWords(a, b, set(norms[a:b]), norms[a:b]) for a, b in bounds]
        silenced = _Silencer(self._unless, doc, sents, self.memo)
        hits = [hit for kind in self._kinds for hit in kind.match(doc, text, sents, self.memo) if not silenced(hit)]
        hits.sort(key=lambda h: (h.start_char, -h.end_char, h.rule_id))
        return hits


class _Silencer:
    """Whether a hit's rule has an ``unless`` pattern matching in the hit's sentence (run once per rule and
    sentence, and remembered in the pack's memo under the rule's id)."""

    def __init__(self, unless: dict[str, tuple[list[PatternGroup], GroupIndex]], doc: Doc, sents: SentenceNorms,
                 memo: SentenceMemo) -> None:
        self._unless, self._doc, self._sents, self._memo = unless, doc, sents, memo
        self._starts = [sent.first for sent in sents]
        self._quiet: dict[tuple[str, int], bool] = {}  # (rule id, sentence number) → an unless pattern matched

    def __call__(self, hit: RawMatch) -> bool:
        rule_id = hit.rule.id
        if rule_id not in self._unless:
            return False
        token = self._doc.char_span(hit.start_char, hit.end_char, alignment_mode="expand").start
        number = bisect.bisect_right(self._starts, token) - 1
        if (rule_id, number) not in self._quiet:
            groups, index = self._unless[rule_id]
            found = sentence_matches(groups, index, self._doc, self._sents[number], self._memo, rule_id)
            self._quiet[rule_id, number] = bool(found)
        return self._quiet[rule_id, number]
