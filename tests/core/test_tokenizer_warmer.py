"""tonecheck.nlp.TokenizerWarmer: spaCy's chunk cache filled one chunk at a time, never a different token."""

from __future__ import annotations

from spacy.attrs import IDX, NORM, ORTH, SPACY
from spacy.tokens import Doc

from tonecheck.nlp import TokenizerWarmer, build_nlp

TEXTS = [
    "I'm sorry, we can't refund it. Your order (#4821) shipped on Friday, 3 Mar.",
    "Don't worry: it'll arrive by 5 p.m. Friday, I've checked with the courier's depot.",
    "You're the only person who's had this problem!!! Ridiculous, isn't it?",
    "Email jo@acme.example or see https://acme.example/help?id=4 (we'll reply).",
    "«Merci» — it's fine.\n\nThanks,\nPat",
]


def _tokens(doc: Doc) -> list[list[int]]:
    return doc.to_array([ORTH, NORM, SPACY, IDX]).tolist()


def test_warmed_chunks_split_exactly_as_unwarmed_ones():
    plain, warmed = build_nlp(), build_nlp()
    warmer = TokenizerWarmer(warmed)
    warmer.warm(TEXTS)
    for _ in range(2):  # the second pass reads every chunk from the cache
        assert [_tokens(d) for d in warmed.pipe(TEXTS)] == [_tokens(d) for d in plain.pipe(TEXTS)]
    assert {"I'm", "Friday,", "(#4821)", "Ridiculous,", "p.m."} <= warmer._seen


def test_the_chunks_remembered_stop_at_the_tokenizer_cache_size():
    nlp = build_nlp()
    nlp.tokenizer.max_cache_size = 4
    warmer = TokenizerWarmer(nlp)
    warmer.warm(TEXTS)
    assert len(warmer._seen) == 4
