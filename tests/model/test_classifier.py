"""Behaviour of the real shipped tone model (models/tone/), not of a mock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tonecheck.classify import ToneClassifier
from tonecheck.errors import ModelUnavailable
from tonecheck.report import TONE_LABELS, Tone

SARCASTIC = "Thanks for your patience, I guess."
ISOLATING = "You're the only person who has had this problems this often! How frustrating that must be for you."
APOLOGY = ["Sorry about the missing items.", "I'll send them out to you today."]
MIXED = [
    "Hi Dana,",
    "Thanks for your message.",
    "I've checked your order and it shipped yesterday.",
    "Honestly, if you had read the confirmation email you would know this already.",
    "Best regards,",
    "-Becky",
]


def test_sarcastic_thanks_is_not_polite(tone_int8: ToneClassifier) -> None:
    sentences = [SARCASTIC]
    tone = tone_int8.aggregate(sentences, tone_int8.predict(sentences))
    assert tone.label != "polite"


def test_sarcastic_thanks_scores_ruder_than_sincere_thanks(tone_int8: ToneClassifier) -> None:
    sincere, sarcastic = tone_int8.predict(["Thanks for your patience, I really appreciate it.", SARCASTIC])
    assert sarcastic.scores["rude"] > 2 * sincere.scores["rude"]


def test_isolating_seed_example_is_not_polite(tone_int8: ToneClassifier) -> None:
    sentences = [
        "You're the only person who has had this problems this often!",
        "How frustrating that must be for you.",
    ]
    tone = tone_int8.aggregate(sentences, tone_int8.predict(sentences))
    assert tone.label != "polite"
    assert tone_int8.predict([ISOLATING])[0].label != "polite"


def test_apology_with_action_is_polite_or_neutral(tone_int8: ToneClassifier) -> None:
    tone = tone_int8.aggregate(APOLOGY, tone_int8.predict(APOLOGY))
    assert tone.label in ("polite", "neutral")


def test_rude_sentence_does_not_hide_in_a_polite_email(tone_int8: ToneClassifier) -> None:
    tones = tone_int8.predict(MIXED)
    reply = tone_int8.aggregate(MIXED, tones)
    assert reply.scores["rude"] >= max(t.scores["rude"] for t in tones[1:3])
    assert reply.label == "rude"


def test_sign_offs_and_fragments_do_not_make_a_reply_rude(tone_int8: ToneClassifier) -> None:
    sentences = ["Hi there,", "Your replacement card is on its way.", "Cheers,", "-Becky", "^TV"]
    reply = tone_int8.aggregate(sentences, tone_int8.predict(sentences))
    assert reply.label != "rude"
    assert reply.scores["rude"] < 0.5


def test_scores_are_probabilities_over_the_three_labels(tone_int8: ToneClassifier) -> None:
    tones = tone_int8.predict(MIXED + [SARCASTIC])
    for tone in [*tones, tone_int8.aggregate(MIXED, tones[: len(MIXED)])]:
        assert set(tone.scores) == set(TONE_LABELS)
        assert sum(tone.scores.values()) == pytest.approx(1.0, abs=1e-5)
        assert all(0.0 <= p <= 1.0 for p in tone.scores.values())
        threshold = tone_int8.aggregate_settings.rude_threshold
        assert (tone.label == "rude") == (tone.scores["rude"] >= threshold)


def test_batch_predictions_equal_single_predictions(tone_fp32: ToneClassifier) -> None:
    sentences = MIXED + APOLOGY + [SARCASTIC, ISOLATING]
    batch = tone_fp32.predict(sentences)
    singles = [tone_fp32.predict([s])[0] for s in sentences]
    for b, s in zip(batch, singles, strict=True):
        assert b.label == s.label
        for label in TONE_LABELS:
            assert b.scores[label] == pytest.approx(s.scores[label], abs=1e-4)


def test_batches_larger_than_batch_size_keep_input_order(tone_fp32: ToneClassifier) -> None:
    sentences = (MIXED + APOLOGY + [SARCASTIC]) * 10
    small = ToneClassifier(
        tone_fp32.model,
        tone_fp32.tokenizer,
        temperature=tone_fp32.temperature,
        aggregate_settings=tone_fp32.aggregate_settings,
        batch_size=7,
    )
    assert [t.label for t in small.predict(sentences)] == [t.label for t in tone_fp32.predict(sentences)]


def test_token_rows_padded_again_equal_the_tokenizers_own_padding(tone_fp32: ToneClassifier) -> None:
    """The classifier pads its length-sorted chunks itself, and ``encode`` (training) takes the same two steps:
    both must give the tokenizer's own padded tensors."""
    import torch

    from tonecheck.classify import encode, pad_rows, token_rows

    texts = [*MIXED, ISOLATING, "x " * 300]  # the last is truncated to max_length
    padded = tone_fp32.tokenizer.encode_batch(texts)  # the tokenizer's own padding, to the longest
    ids = torch.tensor([e.ids for e in padded], dtype=torch.long)
    mask = torch.tensor([e.attention_mask for e in padded], dtype=torch.long)
    rows = token_rows(tone_fp32.tokenizer, texts)
    assert max(len(r) for r in rows) == ids.shape[1] and len(set(map(len, rows))) > 2
    again_ids, again_mask = pad_rows(rows, tone_fp32.pad_id)
    assert torch.equal(again_ids, ids) and torch.equal(again_mask, mask)
    encoded_ids, encoded_mask = encode(tone_fp32.tokenizer, texts)
    assert torch.equal(encoded_ids, ids) and torch.equal(encoded_mask, mask)


def test_chunks_group_sentences_by_token_count(tone_fp32: ToneClassifier, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks are cut from the sentences sorted by token count (not characters: "Supercalifragilistic!" is short
    in characters and long in tokens), so a chunk pads little and the scores stay in input order."""
    chunks: list[list[int]] = []
    model = tone_fp32.model
    original = model.tone_and_kinds

    def spy(ids, mask):  # noqa: ANN001, ANN202
        chunks.append(mask.sum(1).tolist())
        return original(ids, mask)

    monkeypatch.setattr(model, "tone_and_kinds", spy)
    small = ToneClassifier(model, tone_fp32.tokenizer, temperature=tone_fp32.temperature,
                           aggregate_settings=tone_fp32.aggregate_settings, batch_size=3)
    sentences = ["Supercalifragilistic xqzv!", "Ok.", "Honestly, if you had read the confirmation you would know.",
                 "Thanks!", "I've checked your order and it shipped.", "Sure.", "Sorry about the missing items."]
    from tonecheck.classify import token_rows

    lengths = [len(r) for r in token_rows(small.tokenizer, sentences)]
    assert sorted(lengths) != [len(r) for r in token_rows(small.tokenizer, sorted(sentences, key=len))]
    tones = small.predict(sentences)
    assert [n for chunk in chunks for n in chunk] == sorted(lengths)
    monkeypatch.undo()
    for got, alone in zip(tones, (tone_fp32.predict([s])[0] for s in sentences), strict=True):
        assert got.scores["rude"] == pytest.approx(alone.scores["rude"], abs=1e-4)


def test_int8_agrees_with_fp32(tone_fp32: ToneClassifier, tone_int8: ToneClassifier) -> None:
    sentences = MIXED + APOLOGY + [SARCASTIC, ISOLATING]
    for a, b in zip(tone_fp32.predict(sentences), tone_int8.predict(sentences), strict=True):
        assert a.label == b.label
        assert a.scores["rude"] == pytest.approx(b.scores["rude"], abs=0.15)  # near 0.5 int8 moves most


def test_empty_input_gives_no_tones(tone_int8: ToneClassifier) -> None:
    assert tone_int8.predict([]) == []
    assert tone_int8.aggregate([], []).label == "neutral"


def test_aggregate_needs_one_tone_per_sentence(tone_int8: ToneClassifier) -> None:
    with pytest.raises(ValueError):
        tone_int8.aggregate(["One.", "Two."], [Tone("neutral", {"polite": 0, "neutral": 1, "rude": 0})])


def test_missing_model_dir_names_path_and_rebuild_command(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ModelUnavailable) as info:
        ToneClassifier.load(missing)
    assert str(missing) in str(info.value)
    assert "python -m models.train" in str(info.value)


def test_missing_weights_file_is_reported(tmp_path: Path, model_dir: Path) -> None:
    broken = tmp_path / "tone"
    shutil.copytree(model_dir, broken)
    (broken / "model.safetensors").unlink()
    with pytest.raises(ModelUnavailable, match="model.safetensors"):
        ToneClassifier.load(broken)


def test_corrupt_weights_are_reported(tmp_path: Path, model_dir: Path) -> None:
    broken = tmp_path / "tone"
    shutil.copytree(model_dir, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ModelUnavailable, match="python -m models.train"):
        ToneClassifier.load(broken)


def test_corrupt_metadata_is_reported(tmp_path: Path, model_dir: Path) -> None:
    broken = tmp_path / "tone"
    shutil.copytree(model_dir, broken)
    (broken / "tone.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelUnavailable, match="tone.json"):
        ToneClassifier.load(broken)


def test_unknown_variant_is_rejected(model_dir: Path) -> None:
    with pytest.raises(ValueError, match="variant"):
        ToneClassifier.load(model_dir, variant="fp8")


def test_review_threshold_is_the_shipped_models_rude_operating_point(tone_int8: ToneClassifier) -> None:
    """A retrained model with a new rude_threshold must move Settings.review_rude too, or a reply the model labels
    rude could get the verdict "ok"."""
    from tonecheck.settings import Settings

    assert Settings().review_rude == tone_int8.aggregate_settings.rude_threshold
    assert Settings().review_rude < Settings().block_rude


def test_sentence_cache_returns_the_first_scoring_and_stays_bounded(model_dir: Path) -> None:
    clf = ToneClassifier.load(model_dir, variant="int8", threads=1, cache_size=3)
    plain = ToneClassifier.load(model_dir, variant="int8", threads=1)
    texts = ["Thanks for waiting.", "Read the manual.", "Thanks for waiting.", "Best, Sam"]
    first = clf.predict(texts)
    assert first[0] is first[2]  # scored once within the call
    assert [t.label for t in first] == [t.label for t in plain.predict(texts)]
    again = clf.predict(["Read the manual."])
    assert again[0] is first[1]  # from the cache, not a new pass
    clf.predict(["One.", "Two.", "Three."])
    assert len(clf._cache) == 3 and "Read the manual." not in clf._cache  # least recently used went first
    clf.clear_cache()
    assert clf.predict(["Read the manual."])[0] is not first[1]


def test_threads_setting_reaches_threads_that_already_ran_torch(model_dir: Path) -> None:
    """OpenMP keeps the thread count per thread: a request or task thread that ran torch before the model loaded
    must still score with the configured count, not every core (oversubscription made Dask workers 2x slower)."""
    import queue
    import threading

    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    go: queue.Queue[ToneClassifier] = queue.Queue()
    seen: list[int] = []

    def thread() -> None:
        torch.get_num_threads()  # torch's thread state starts here, with the process's count then (2)
        classifier = go.get()
        classifier.predict(["Thanks for waiting."])
        seen.append(torch.get_num_threads())

    worker = threading.Thread(target=thread)
    worker.start()
    try:
        go.put(ToneClassifier.load(model_dir, threads=1))  # sets 1 in this thread only
        worker.join(timeout=60)
    finally:
        torch.set_num_threads(before)
    assert seen == [1]
