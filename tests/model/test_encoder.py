"""The plain-torch encoder the product loads must compute what ``transformers.BertModel`` computes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tonecheck.classify import ToneClassifier, encode, load_tokenizer, quantize_int8
from tonecheck.encoder import BertEncoder, EncoderConfig, Int8Linear

TEXTS = [
    "Hi.",
    "As I already told you, the refund takes five days and there is nothing more I can do about it.",
    "You're the only person who has had this problem!",
    "Thanks so much for your patience, Dana — I've reissued the label (tracking 1Z999AA10123456784). " * 6,
]


def _pair(model_dir: Path) -> tuple[torch.nn.Module, BertEncoder]:
    """transformers' BertModel and ours, both holding the shipped encoder weights (fp32)."""
    from transformers import BertConfig, BertModel

    state = {k.removeprefix("encoder."): v.float() for k, v in load_file(str(model_dir / "model.safetensors")).items()
             if k.startswith("encoder.")}
    reference = BertModel(BertConfig.from_json_file(str(model_dir / "config.json")), add_pooling_layer=False)
    reference.load_state_dict(state, strict=True)
    ours = BertEncoder(EncoderConfig.from_json_file(model_dir / "config.json"))
    ours.load_state_dict(state, strict=True)
    return reference.eval(), ours.eval()


def _hidden(model: torch.nn.Module, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask).last_hidden_state[mask.bool()]


@pytest.mark.parametrize("int8", [False, True], ids=["fp32", "int8"])
def test_encoder_equals_transformers_bert_on_a_padded_batch(model_dir: Path, int8: bool) -> None:
    reference, ours = _pair(model_dir)
    if int8:
        reference, ours = quantize_int8(reference), quantize_int8(ours)
    ids, mask = encode(load_tokenizer(model_dir / "tokenizer.json", 96), TEXTS)
    assert mask.sum(1).min() < mask.shape[1]  # the batch really is padded
    expected, got = _hidden(reference, ids, mask), _hidden(ours, ids, mask)
    assert torch.allclose(got, expected, atol=1e-5), (got - expected).abs().max()


def test_each_text_is_encoded_as_if_alone(model_dir: Path) -> None:
    """Padding must not leak into real tokens (the attention mask reaches every layer)."""
    _, ours = _pair(model_dir)
    tokenizer = load_tokenizer(model_dir / "tokenizer.json", 96)
    ids, mask = encode(tokenizer, TEXTS)
    alone_ids, alone_mask = encode(tokenizer, TEXTS[:1])
    batched = _hidden(ours, ids[:1], mask[:1])
    assert torch.allclose(batched, _hidden(ours, alone_ids, alone_mask), atol=1e-5)


@pytest.mark.parametrize(
    ("change", "named"),
    [({"hidden_act": "relu"}, "hidden_act"), ({"position_embedding_type": "relative_key"}, "position_embedding_type"),
     ({"model_type": "roberta"}, "model_type"), ({"is_decoder": True}, "decoder")],
)
def test_configs_it_does_not_implement_are_refused_by_name(tmp_path: Path, model_dir: Path, change: dict,
                                                           named: str) -> None:
    config = {**json.loads((model_dir / "config.json").read_text()), **change}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=named):
        EncoderConfig.from_json_file(tmp_path / "config.json")


def test_an_unsupported_config_makes_the_model_unavailable(tmp_path: Path, model_dir: Path) -> None:
    from tonecheck.errors import ModelUnavailable

    for name in ("config.json", "tokenizer.json", "model.safetensors", "tone.json"):
        (tmp_path / name).write_bytes((model_dir / name).read_bytes())
    config = {**json.loads((model_dir / "config.json").read_text()), "hidden_act": "relu"}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelUnavailable, match=str(tmp_path)):
        ToneClassifier.load(tmp_path)


def test_checking_text_with_the_model_never_imports_transformers(model_dir: Path) -> None:
    """The reason the encoder exists: transformers' import is ~2 s of every worker's start-up."""
    script = (
        "import sys, tonecheck\n"
        f"c = tonecheck.Checker.load(tonecheck.load_settings(use_model=True, model_dir={str(model_dir)!r}))\n"
        "assert c.check('As I already told you, calm down.').tone is not None\n"
        "print('transformers' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300)
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_int8_linear_gives_each_row_the_result_it_gets_alone() -> None:
    """Per-token quantisation: no other row (token, sentence) of the input can change a row's result."""
    torch.manual_seed(0)
    linear = torch.nn.Linear(384, 96)
    quantised = Int8Linear(linear)
    x = torch.randn(40, 384) * torch.linspace(0.01, 30, 40)[:, None]  # rows of very different magnitude
    with torch.no_grad():
        together, expected = quantised(x), linear(x)
        for i in (0, 17, 39):
            assert torch.equal(quantised(x[i : i + 1])[0], together[i])
        assert quantised(x.view(4, 10, 384)).shape == (4, 10, 96)
    error = (together - expected).abs().amax(1) / expected.abs().amax(1)
    assert error.max() < 0.03, error.max()


def test_int8_scores_barely_move_with_the_sentences_beside_them(model_dir: Path) -> None:
    """torch's dynamic int8 (one scale a pass) moved these logits by 0.4 between alone and batched; per token, the
    only difference left is rounding after a padded pass."""
    int8 = ToneClassifier.load(model_dir, variant="int8")
    fp32 = ToneClassifier.load(model_dir, variant="fp32")
    sentences = TEXTS + ["Calm down and read my previous email.", "I'm sorry, that was our mistake."]
    together = int8.logits(sentences)
    alone = torch.cat([int8.logits([s]) for s in sentences])
    assert (together - alone).abs().max() < 0.05
    assert (together - fp32.logits(sentences)).abs().mean() < 0.1
    assert not int8.batch_invariant and fp32.batch_invariant
