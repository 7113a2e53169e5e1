"""The public entry points: :class:`Checker`, :func:`check` and :func:`check_many`.

Every front end (CLI, HTTP service, audit) calls this module and nothing below it. The real path is the batch
one: ``check_many`` cleans every text, runs one ``nlp.pipe`` pass, matches rules per Doc, then scores every
sentence of every text in one batched model call; ``check`` is a batch of one. ``Checker.check_items`` is the
streaming form the front ends use: ``(text, context)`` in, ``(context, report or error)`` out, a bad text costing
only itself.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from spacy.language import Language
from spacy.tokens import Doc

from .clean import CleanText, clean
from .errors import InputError, ToneCheckError, UnknownPack
from .nlp import TokenizerWarmer, build_nlp, sentence_bounds
from .report import Finding, Report, Sentence, Tone, Verdict
from .rules import CompiledPack, RawMatch, Rule, available_packs, resolve_pack
from .settings import Settings, load_settings, user_cache_dir

if TYPE_CHECKING:
    from .classify import ToneClassifier

C = TypeVar("C")  # the caller's context carried beside each text by Checker.check_items


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
        self._warmer = TokenizerWarmer(nlp)
        self._packs: dict[str, CompiledPack] = {}
        self._lock = threading.Lock()
        self._zone_lock = threading.Lock()

    @classmethod
    def load(cls, settings: Settings | None = None) -> Checker:
        """Load everything up front, so a bad pack or a missing model fails at start, not on a user's draft."""
        settings = settings or load_settings()
        classifier = None
        if settings.use_model:
            from .classify import ToneClassifier

            classifier = ToneClassifier.load(
                settings.model_dir, variant=settings.model_variant, threads=settings.threads,
                cache_size=settings.tone_cache_size,
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
                spec = resolve_pack(self.settings.rules_dir, name)
                self._packs[name] = CompiledPack(
                    spec, self.nlp, self.settings.cache_dir or user_cache_dir(), self.settings.rule_cache_size
                )
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
        return self._check_cleaned(self._clean_all(list(texts)), compiled)

    def check_groups(
        self, groups: Sequence[Sequence[str]], *, pack: str | None = None
    ) -> list[list[Report] | ToneCheckError]:
        """Several callers' batches in one spaCy pass and one model pass; per group, what :meth:`check_many` gives.

        The service's micro-batcher merges the requests that arrive together in a worker this way. A group whose
        text is invalid gets the very error ``check_many(group)`` would raise (same message, same ``index``) in
        place of its reports and costs only itself. Errors that concern every group (unknown pack, a model
        failure) are raised. The reports equal ``check_many(group)``'s wherever the tone model's scores do not
        depend on the other sentences of the pass: rules only, or the fp32 model; the int8 model quantises each
        pass's activations with one scale, so its scores can move by batch noise (see docs/service.md).
        """
        compiled = self.pack(pack)
        outcomes: list[list[CleanText] | ToneCheckError] = []
        for group in groups:
            try:
                outcomes.append(self._clean_all(list(group)))
            except ToneCheckError as exc:
                outcomes.append(exc)
        valid = [c for outcome in outcomes if not isinstance(outcome, ToneCheckError) for c in outcome]
        reports = iter(self._check_cleaned(valid, compiled) if valid else [])
        return [o if isinstance(o, ToneCheckError) else [next(reports) for _ in o] for o in outcomes]

    def _clean_all(self, texts: Sequence[str]) -> list[CleanText]:
        """Clean every text of one caller's batch; the first invalid one fails it, naming its index."""
        cleaned = []
        for i, text in enumerate(texts):
            try:
                cleaned.append(clean(text, max_chars=self.settings.max_chars))
            except ToneCheckError as exc:
                exc.index = i  # which text of the batch; callers that must lose nothing use check_items
                if len(texts) > 1:
                    exc.args = (f"item {i}: {exc.args[0]}", *exc.args[1:])
                raise
        return cleaned

    def check_items(
        self, items: Iterable[tuple[str, C]], *, pack: str | None = None, batch_size: int = 32
    ) -> Iterator[tuple[C, Report | InputError]]:
        """Check a stream of ``(text, context)`` items in batches; yield ``(context, report or error)`` in order.

        The context rides along untouched (a line number, a message id), as with spaCy's
        ``nlp.pipe(..., as_tuples=True)``, so a front end never zips results back to its inputs. A text the library
        rejects (empty, binary, too long) costs only itself: its :class:`~tonecheck.errors.InputError` is yielded
        in its place, with the message a single :meth:`check` would give and ``index`` set to its position in the
        stream, and the rest of its batch is checked as one batch. Any other error (unknown pack, model failure)
        concerns every item and is raised. Items are read lazily, one batch at a time, so an endless stream works.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        compiled = self.pack(pack)
        stream = iter(items)
        position = 0
        while batch := list(islice(stream, batch_size)):
            yield from self._check_batch(batch, compiled, position)
            position += len(batch)

    def _check_batch(
        self, batch: Sequence[tuple[str, C]], compiled: CompiledPack, position: int
    ) -> Iterator[tuple[C, Report | InputError]]:
        """One batch of :meth:`check_items`: clean each text alone, so a bad one drops out before the one batched
        spaCy and model pass over the rest (nothing is checked twice)."""
        cleaned: list[CleanText] = []
        outcomes: list[CleanText | InputError] = []
        for offset, (text, _) in enumerate(batch):
            try:
                cleaned.append(clean(text, max_chars=self.settings.max_chars))
                outcomes.append(cleaned[-1])
            except InputError as exc:
                exc.index = position + offset
                outcomes.append(exc)
        reports = iter(self._check_cleaned(cleaned, compiled) if cleaned else [])
        for (_, context), outcome in zip(batch, outcomes, strict=True):
            yield context, outcome if isinstance(outcome, InputError) else next(reports)

    def _check_cleaned(self, cleaned: Sequence[CleanText], compiled: CompiledPack) -> list[Report]:
        """Everything after cleaning, for a batch of valid texts: one spaCy pass, one model pass, the reports."""
        texts = [c.text for c in cleaned]
        self._warmer.warm(texts)
        # spaCy keeps every string and word it meets for the life of the process (order numbers, addresses, names:
        # ~0.2 KB a message of a long audit); inside a memory zone those of this batch are freed after it, and the
        # reports hold no spaCy object. Zones must not overlap, hence one batch at a time per Checker.
        with self._zone_lock, self.nlp.memory_zone():
            prepared = [self._prepare(c, d) for c, d in zip(cleaned, self.nlp.pipe(texts))]
            tones = self._score(prepared)
            reports = [self._report(p, compiled, t) for p, t in zip(prepared, tones)]
            self._narrow_model_spans(prepared, reports, compiled)
        return reports

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

        The span is the sentence (whitespace trimmed); :meth:`_narrow_model_spans` then narrows it to a clause
        where the model finds the category in one clause alone.
        """
        if not rules or self.classifier is None:
            return []
        original = p.clean.original
        found = []
        for sentence in sentences:
            kinds = sentence.tone.kinds if sentence.tone else {}
            for rule in rules:
                score = kinds.get(rule.category)
                if score is None or score < self._threshold(rule):
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


    def _threshold(self, rule: Rule) -> float:
        """A model rule's own threshold, else the one the model was calibrated with for its category."""
        if rule.threshold is not None:
            return rule.threshold
        return self.classifier.kind_thresholds.get(rule.category, 0.5) if self.classifier else 1.0

    def _narrow_model_spans(self, prepared: Sequence[_Prepared], reports: Sequence[Report], compiled: CompiledPack
                            ) -> None:
        """Point each model finding at the clause that carries it, when one can be told.

        A flagged sentence with several clauses (cut at , ; : and dashes) has its clauses scored in one extra
        batched pass, only for flagged sentences, so a clean draft pays nothing. The clause with the highest
        probability of the finding's category becomes the span if it alone reaches the rule's threshold (the
        score stays the sentence's); otherwise the whole sentence stays the span, since the category lives in
        the sentence as a whole ("Had you read it, you'd know" needs both halves).
        """
        if self.classifier is None:
            return
        rules = {r.id: r for r in compiled.model_rules}
        pending = []  # (report, finding index, clean text, clause spans)
        for p, report in zip(prepared, reports):
            spans = {p.clean.span(s, e): (s, e) for s, e in p.sentences}
            for i, f in enumerate(report.findings):
                if f.source != "model" or (f.start, f.end) not in spans:
                    continue
                clauses = _clauses(p.clean.text, *spans[(f.start, f.end)])
                if len(clauses) > 1:
                    pending.append((p, report, i, clauses))
        if not pending:
            return
        tones = iter(self.classifier.predict([p.clean.text[a:b] for p, _, _, cl in pending for a, b in cl]))
        for p, report, i, clauses in pending:
            f = report.findings[i]
            scored = [(next(tones).kinds.get(f.category, 0.0), span) for span in clauses]
            best, (a, b) = max(scored, key=lambda x: x[0])
            if best < self._threshold(rules[f.rule_id]):
                continue
            start, end = p.clean.span(a, b)
            text = p.clean.original[start:end]
            message = rules[f.rule_id].message.replace("{match}", text)
            report.findings[i] = replace(f, start=start, end=end, text=text, message=message)
        for report in reports:
            report.findings.sort(key=lambda f: (f.start, -f.end, f.rule_id))


_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+[-\u2013\u2014]+\s+|\s*[\u2013\u2014]\s*")


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clause spans of the sentence text[start:end] (whitespace and the break trimmed), with 3+ words each: a
    shorter piece ("not us.") is too little for a rep to see what was meant, so the sentence stays the span."""
    out = []
    pos = start
    for match in _CLAUSE_BREAK.finditer(text, start, end):
        out.append((pos, match.start()))
        pos = match.end()
    out.append((pos, end))
    return [(a, b) for a, b in out if len(text[a:b].split()) >= 3]


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
