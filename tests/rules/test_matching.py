"""How the phrase layer runs spaCy's Matcher: only near a group's trigger words, and once per distinct sentence.

Both are speed-ups (tonecheck/rules/triggers.py) that must never change a match, so each is held against the plain
way: every group's Matcher on every whole sentence, and the same pack without its memo.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from spacy.attrs import NORM
from spacy.tokens import Doc

from tonecheck import Checker, settings
from tonecheck.nlp import sentence_bounds
from tonecheck.rules import CompiledPack, resolve_pack
from tonecheck.rules import compiled as compiled_module
from tonecheck.rules.triggers import (
    PatternGroup,
    SentenceMemo,
    SentenceWords,
    extent,
    index_groups,
    most_tokens,
    run_groups,
    windows,
)

RULES = settings.Settings().rules_dir
DEV_DIR = Path(__file__).resolve().parents[2] / "models" / "data" / "rules_dev"
# trigger words at the edges of sentences, twice in one sentence, and gaps of optional tokens around them
EDGES = [
    "Calm down. Calm down, calm down!",
    "As I already told you, as I said before, as I already explained twice.",
    "You should have read the manual. Read the manual! You clearly didn't read the manual you were sent.",
    "Obviously",
    "That is not our problem, it is not our problem and never was our problem.",
    "Per my last email",
    "I already told you. I already told you. I already told you.",
]


def _corpus(pack_rules: list) -> list[str]:
    texts = list(EDGES)
    for path in sorted(DEV_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [t for side in ("flag", "ok", "known_miss", "known_fp") for t in data.get(side, [])]
    for rule in pack_rules:
        texts += [*rule.bad_examples, *rule.good_examples]
    return texts


def _sentences(doc: Doc) -> list[SentenceWords]:
    norms = doc.to_array(NORM).tolist()
    return [SentenceWords(a, b, set(norms[a:b]), norms[a:b]) for a, b in sentence_bounds(doc)]


def _every_group_everywhere(groups: list[PatternGroup], doc: Doc, sents: list[SentenceWords]) -> Counter:
    """The plain way: each group's Matcher on each whole sentence, no trigger words, no windows."""
    found: Counter = Counter()
    for sent in sents:
        for group in groups:
            for _, start, end in group.matcher(doc[sent.first : sent.last]):
                found[group.rule_id, sent.first + start, sent.first + end] += 1
    return found


def _found(groups: list[PatternGroup], doc: Doc, sents: list[SentenceWords]) -> Counter:
    """The product's way: trigger words, required words, windows."""
    spans = run_groups(groups, index_groups(groups), doc, sents)
    return Counter((rule_id, span.start, span.end) for rule_id, found in spans.items() for span in found)


@pytest.fixture(scope="module", params=["default", "example-team"])
def pack(request: pytest.FixtureRequest, rules_checker: Checker) -> CompiledPack:
    return CompiledPack(resolve_pack(RULES, request.param), rules_checker.nlp)


def _group_sets(pack: CompiledPack) -> list[list[PatternGroup]]:
    """The phrase kind's groups, and each rule's ``unless`` groups."""
    phrase = [kind.groups for kind in pack._kinds if hasattr(kind, "groups")]
    return [*phrase, *(groups for groups, _ in pack._unless.values())]


def test_trigger_words_and_windows_find_what_every_matcher_on_every_sentence_finds(pack, rules_checker):
    docs = list(rules_checker.nlp.pipe(_corpus(pack.spec.rules)))
    total = 0
    for groups in _group_sets(pack):
        for doc in docs:
            sents = _sentences(doc)
            expected = _every_group_everywhere(groups, doc, sents)
            assert _found(groups, doc, sents) == expected, doc.text
            total += sum(expected.values())
    assert total > 500  # the corpus exercises the patterns, it does not just agree on nothing


def test_a_sentence_seen_before_gets_its_matches_from_the_memo_and_they_are_the_same(pack, rules_checker):
    texts = _corpus(pack.spec.rules)
    docs = list(rules_checker.nlp.pipe(texts + texts))  # every sentence a second time: answered by the memo
    plain = CompiledPack(pack.spec, rules_checker.nlp, memo_size=0)
    memo = CompiledPack(pack.spec, rules_checker.nlp, memo_size=100_000)
    assert [plain.match(d) for d in docs] == [memo.match(d) for d in docs]
    assert len(plain.memo) == 0 and 0 < len(memo.memo) <= 100_000


def test_the_memo_keeps_the_most_recently_used_sentences_up_to_its_size():
    memo = SentenceMemo(2)
    a, b, c = ("", (1, 2)), ("", (3,)), ("rule", (1, 2))
    memo.put(a, (("r", 0, 1),))
    memo.put(b, ())
    assert memo.get(a) == (("r", 0, 1),)  # a is now the most recent
    memo.put(c, (("rule", 1, 2),))  # evicts b, the least recently used
    assert memo.get(b) is None and memo.get(a) is not None and memo.get(c) is not None
    assert len(memo) == 2
    off = SentenceMemo(0)
    off.put(a, ())
    assert off.get(a) is None and len(off) == 0


def test_a_pattern_on_another_attribute_than_norm_turns_the_memo_off(rules_checker, monkeypatch):
    spec = resolve_pack(RULES, "default")
    pack = CompiledPack(spec, rules_checker.nlp, memo_size=10)
    assert pack._norms_only() and pack.memo.size == 10
    assert {"NORM"} == {attr for group in pack._groups() for attr in group.attrs}
    real = compiled_module.compile_groups

    def with_case(*args, **kwargs):  # as if the notation compiled a pattern testing LOWER ("Calm" vs "CALM")
        return [replace(group, attrs=group.attrs | {"LOWER"}) for group in real(*args, **kwargs)]

    monkeypatch.setattr(compiled_module, "compile_groups", with_case)
    assert CompiledPack(spec, rules_checker.nlp, memo_size=10).memo.size == 0


@pytest.mark.parametrize(
    ("op", "most"),
    [(None, 1), ("?", 1), ("!", 1), ("{0,3}", 3), ("{2}", 2), ("{,4}", 4), ("{1,}", None), ("*", None), ("+", None)],
)
def test_most_tokens_of_one_token_pattern(op, most):
    token = {"NORM": "x"} if op is None else {"NORM": "x", "OP": op}
    assert most_tokens(token) == most


def test_extent_is_measured_from_a_token_made_only_of_trigger_words():
    gap = {"OP": "{0,3}"}
    patterns = [
        [{"NORM": "as"}, {"NORM": "i"}, gap, {"NORM": "told"}, {"NORM": "you"}],  # anchor "told"
        [{"NORM": {"IN": ["told", "said"]}}, {"NORM": "so", "OP": "?"}],
    ]
    # "told" in the first: 1 + 1 + 3 tokens before it, 1 after; the second adds at most 1 after
    assert extent(patterns, ["told", "said"]) == (5, 1)
    assert extent(patterns, ["you"]) is None  # the second pattern has no token made of trigger words
    assert extent(patterns, None) is None
    assert extent([[{"NORM": "told"}, {"OP": "*"}]], ["told"]) is None


def test_windows_cover_each_trigger_word_and_merge_where_they_meet(rules_checker):
    doc = rules_checker.nlp.make_doc("a told b c d e f g told h told")
    norms = doc.to_array(NORM).tolist()
    sent = SentenceWords(0, len(doc), set(norms), norms)
    told = rules_checker.nlp.vocab.strings["told"]
    group = PatternGroup("r", matcher=None, trigger=frozenset({told}), extent=(1, 1))  # type: ignore[arg-type]
    assert windows(group, sent) == [(0, 3), (7, 11)]  # 1 before and after each; the last two meet
    unbounded = PatternGroup("r", matcher=None, trigger=frozenset({told}), extent=None)  # type: ignore[arg-type]
    assert windows(unbounded, sent) == [(0, len(doc))]


CAPS_TEXTS = [
    "I SAID NO REFUNDS. We do NOT refund, I'm afraid.",
    "Your PIN and USB CABLE are in the box; THIS IS - REALLY - NOT OK.",
    "WE ARE CLOSED\nON SUNDAYS",
    "A VERY LONG WAIT, I KNOW. Thanks, I appreciate it.",
    "The ÉNORME délai: NÃO É POSSÍVEL. I'll call at 5 PM EST.",
    "DHCP settings, then the SAML login; ASAP please. YOU need to READ THE MANUAL!!!",
    "A I A I WOW",
]


def _caps_reference(doc: Doc, rule, known) -> list[tuple[int, int]]:
    """The caps kind's run loop over every token of the Doc, as it was before it skipped to possible starts."""
    hits, run = [], []

    def shouty(tok) -> bool:
        if tok.text in ("I", "A"):
            return bool(run)
        if tok.text in rule.emphatic:
            return True
        return tok.is_alpha and tok.is_upper and len(tok) >= 2 and tok.text not in rule.acronyms and known(tok.lower_)

    def flush() -> None:
        if run and (len(run) >= 2 and sum(len(t) for t in run) >= 6 or max(len(t) for t in run) >= rule.min_length
                    or any(t.text in rule.emphatic for t in run)):
            hits.append((run[0].idx, run[-1].idx + len(run[-1])))

    for tok in doc:
        if shouty(tok):
            run.append(tok)
            continue
        if run and (tok.is_punct and tok.text in {"'", "-"} or tok.is_space and "\n" not in tok.text):
            continue
        flush()
        run = []
    flush()
    return hits


def test_caps_runs_start_only_where_a_token_could_start_one(pack, rules_checker):
    from tonecheck.rules.kinds.caps import CapsKind, _caps_hits, emphatic_hashes

    kind = next(k for k in pack._kinds if isinstance(k, CapsKind))
    texts = [*CAPS_TEXTS, *_corpus(pack.spec.rules)]
    found = 0
    for text, doc in zip(texts, rules_checker.nlp.pipe(texts)):
        for rule in kind._rules:
            hits = [(h.start_char, h.end_char) for h in _caps_hits(doc, text, rule, kind._known, emphatic_hashes(rule))]
            assert hits == _caps_reference(doc, rule, kind._known), text
            found += len(hits)
    assert found > 20
