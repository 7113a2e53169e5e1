"""The public entry points: :class:`Checker`, :func:`check` and :func:`check_many`.

Every front end (CLI, HTTP service, audit) calls this module and nothing below it. The real path is the batch
one: ``check_many`` cleans every text, runs one ``nlp.pipe`` pass, matches rules per Doc, then scores every
sentence of every text in one batched model call; ``check`` is a batch of one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spacy.language import Language
from spacy.tokens import Doc

from .clean import CleanText, clean
from .errors import ToneCheckError, UnknownPack
from .nlp import build_nlp, sentence_bounds
from .report import Finding, Report, Sentence, Tone, Verdict
from .rules import CompiledPack, RawMatch, Rule, available_packs, resolve_pack
from .settings import Settings, load_settings

if TYPE_CHECKING:
    from .classify import ToneClassifier


@dataclass(frozen=True)
class _Prepared:
    clean: CleanText
    doc: Doc
    sentences: list[tuple[int, int]]  # spans in clean-text coordinates, whitespace trimmed


class Checker:
    """The loaded spaCy pipeline, compiled rule packs and tone model: build once, share everywhere."""

    def __init__(self, settings: Settings, nlp: Language, classifier: ToneClassifier | None) -> None:
        self.settings = settings
        self.nlp = nlp
        self.classifier = classifier
        self._packs: dict[str, CompiledPack] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, settings: Settings | None = None) -> Checker:
        """Load everything up front, so a bad pack or a missing model fails at start, not on a user's draft."""
        settings = settings or load_settings()
        classifier = None
        if settings.use_model:
            from .classify import ToneClassifier

            classifier = ToneClassifier.load(
                settings.model_dir, variant=settings.model_variant, threads=settings.threads
            )
        checker = cls(settings, build_nlp(), classifier)
        checker.pack(settings.default_pack)
        return checker

    # ----------------------------------------------------------------- packs

    def pack_names(self) -> list[str]:
        return available_packs(self.settings.rules_dir)

    def pack(self, name: str | None = None) -> CompiledPack:
        """The compiled pack called ``name`` (default pack if None), compiled on first use and then kept."""
        name = name or self.settings.default_pack
        with self._lock:
            if name not in self._packs:
                if name not in self.pack_names():
                    known = ", ".join(self.pack_names()) or "none"
                    raise UnknownPack(f"unknown rule pack {name!r} (available: {known})")
                self._packs[name] = CompiledPack(resolve_pack(self.settings.rules_dir, name), self.nlp)
            return self._packs[name]

    def load_all_packs(self) -> None:
        """Compile every pack now: the service does this at start so a broken team pack stops it early."""
        for name in self.pack_names():
            self.pack(name)

    def describe_packs(self) -> list[dict[str, Any]]:
        out = []
        for name in self.pack_names():
            spec = self.pack(name).spec
            out.append(
                {
                    "name": spec.name,
                    "description": spec.description,
                    "extends": spec.extends,
                    "rules": [r.describe() for r in spec.rules],
                }
            )
        return out

    # ----------------------------------------------------------------- checking

    def check(self, text: str, *, pack: str | None = None) -> Report:
        return self.check_many([text], pack=pack)[0]

    def check_many(self, texts: Iterable[str], *, pack: str | None = None) -> list[Report]:
        """Check a batch: one spaCy pass, one model pass. Any invalid text fails the whole call, naming its index."""
        compiled = self.pack(pack)
        texts = list(texts)
        cleaned = []
        for i, text in enumerate(texts):
            try:
                cleaned.append(clean(text, max_chars=self.settings.max_chars))
            except ToneCheckError as exc:
                exc.index = i  # which text of the batch; callers that must lose nothing retry the rest singly
                if len(texts) > 1:
                    exc.args = (f"item {i}: {exc.args[0]}", *exc.args[1:])
                raise
        prepared = [self._prepare(c, d) for c, d in zip(cleaned, self.nlp.pipe([c.text for c in cleaned]))]
        tones = self._score(prepared)
        return [self._report(p, compiled, t) for p, t in zip(prepared, tones)]

    def warm_up(self) -> None:
        """One real check, so the first user request doesn't pay for lazy initialisation."""
        self.check("Thanks for getting in touch. I'm sorry about the delay, I'll sort it out today.")

    @property
    def ready(self) -> bool:
        model_ok = self.classifier is not None or not self.settings.use_model
        return self.settings.default_pack in self._packs and model_ok

    # ----------------------------------------------------------------- stages

    @classmethod
    def _prepare(cls, cleaned: CleanText, doc: Doc) -> _Prepared:
        return _Prepared(cleaned, doc, cls.sentence_spans(cleaned, doc))

    @staticmethod
    def sentence_spans(cleaned: CleanText, doc: Doc) -> list[tuple[int, int]]:
        """The sentences the tone model scores, as spans of the cleaned text, whitespace trimmed (models/ uses
        this to score training and evaluation data exactly as the product does)."""
        spans = []
        for first, last in sentence_bounds(doc):
            start, end = doc[first].idx, doc[last - 1].idx + len(doc[last - 1])
            chunk = cleaned.text[start:end]
            stripped = chunk.strip()
            if not stripped:
                continue
            start += len(chunk) - len(chunk.lstrip())
            spans.append((start, start + len(stripped)))
        return spans

    def _score(self, prepared: Sequence[_Prepared]) -> list[tuple[list[Tone | None], Tone | None]]:
        if self.classifier is None:
            return [([None] * len(p.sentences), None) for p in prepared]
        flat = [p.clean.text[s:e] for p in prepared for s, e in p.sentences]
        scored = self.classifier.predict(flat) if flat else []
        out = []
        pos = 0
        for p in prepared:
            n = len(p.sentences)
            tones = scored[pos : pos + n]
            pos += n
            overall = self.classifier.aggregate(flat[pos - n : pos], tones) if tones else None
            out.append((list(tones), overall))
        return out

    def _report(
        self, p: _Prepared, compiled: CompiledPack, scored: tuple[list[Tone | None], Tone | None]
    ) -> Report:
        findings = self._rule_findings(p, compiled.match(p.doc, p.clean.text))
        sentence_tones, overall = scored
        sentences = [
            Sentence(*p.clean.span(s, e), tone=t) for (s, e), t in zip(p.sentences, sentence_tones)
        ]
        findings += self._model_findings(p, compiled.model_rules, sentences, findings)
        findings.sort(key=lambda f: (f.start, -f.end, f.rule_id))
        return Report(
            text_length=len(p.clean.original),
            findings=findings,
            sentences=sentences,
            tone=overall,
            verdict=decide_verdict(findings, overall, self.settings),
        )

    @staticmethod
    def _rule_findings(p: _Prepared, hits: list[RawMatch]) -> list[Finding]:
        original = p.clean.original
        findings = []
        for hit in hits:
            start, end = p.clean.span(hit.start_char, hit.end_char)
            matched = original[start:end]
            findings.append(
                Finding(
                    rule_id=hit.rule_id,
                    category=hit.rule.category,
                    severity=hit.rule.severity,
                    start=start,
                    end=end,
                    text=matched,
                    message=hit.rule.message.replace("{match}", p.clean.text[hit.start_char : hit.end_char]),
                    suggestions=list(hit.suggestions),
                )
            )
        return findings

    def _model_findings(
        self, p: _Prepared, rules: Sequence[Rule], sentences: Sequence[Sentence], rule_findings: Sequence[Finding]
    ) -> list[Finding]:
        """A finding per sentence and model rule whose category the model is confident of, unless a rule of that
        category already flags words in that sentence (the rule names the exact words; the model adds nothing).

        The span is the sentence (whitespace trimmed): the category head scores sentences, and a clause cut
        would be a guess the model never made.
        """
        if not rules or self.classifier is None:
            return []
        defaults = self.classifier.kind_thresholds
        original = p.clean.original
        found = []
        for sentence in sentences:
            kinds = sentence.tone.kinds if sentence.tone else {}
            for rule in rules:
                score = kinds.get(rule.category)
                threshold = rule.threshold if rule.threshold is not None else defaults.get(rule.category, 0.5)
                if score is None or score < threshold:
                    continue
                if any(f.category == rule.category and f.start < sentence.end and f.end > sentence.start
                       for f in rule_findings):
                    continue
                text = original[sentence.start : sentence.end]
                found.append(
                    Finding(
                        rule_id=rule.id,
                        category=rule.category,
                        severity=rule.severity,
                        start=sentence.start,
                        end=sentence.end,
                        text=text,
                        message=rule.message.replace("{match}", text),
                        suggestions=list(rule.suggestions),
                        source="model",
                        score=score,
                    )
                )
        return found


def decide_verdict(findings: Sequence[Finding], tone: Tone | None, settings: Settings) -> Verdict:
    """block: an error-level finding or P(rude) ≥ block_rude; review: a warning or P(rude) ≥ review_rude.

    Info-level findings (style nudges) never change the verdict on their own.
    """
    rude = tone.scores.get("rude", 0.0) if tone else 0.0
    if any(f.severity == "error" for f in findings) or rude >= settings.block_rude:
        return "block"
    if any(f.severity == "warning" for f in findings) or rude >= settings.review_rude:
        return "review"
    return "ok"


# ----------------------------------------------------------------------------- module-level convenience

_default: Checker | None = None
_default_lock = threading.Lock()


def default_checker() -> Checker:
    """The process-wide Checker built from the environment's settings, loaded on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Checker.load(load_settings())
        return _default


def check(text: str, *, pack: str | None = None) -> Report:
    """Check one reply with the default Checker."""
    return default_checker().check(text, pack=pack)


def check_many(texts: Iterable[str], *, pack: str | None = None) -> list[Report]:
    """Check many replies in one batch with the default Checker."""
    return default_checker().check_many(texts, pack=pack)
