"""Sentence tone classifier: a fine-tuned MiniLM-L6 encoder with a 3-class head, loaded offline from models/tone/.

The rule layer catches words; this stage catches tone no word list sees ("Thanks for your patience, I guess.").
It scores every sentence of a batch in one padded forward pass (chunked only by ``batch_size``), turns logits into
calibrated probabilities with the temperature fitted on validation data, and folds a reply's sentences into one
reply tone with :meth:`ToneClassifier.aggregate`.

The artefact folder holds ``config.json`` (the encoder's BertConfig), ``tokenizer.json`` (plus the usual tokenizer
side files), ``model.safetensors`` (fp16 weights) and ``tone.json`` (labels, temperature, max length, aggregation
settings, checksums and training metadata). ``python -m models.train`` rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ModelUnavailable
from .report import RUDE_KINDS, TONE_LABELS, Tone

# Loading must never reach a model hub: the artefact is local and complete. Set before transformers is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from torch import nn  # noqa: E402

REBUILD_HINT = "rebuild it with `python -m models.train`"
REQUIRED_FILES = ("config.json", "tokenizer.json", "model.safetensors", "tone.json")
VARIANTS = ("int8", "fp32")
_WORD = re.compile(r"[^\W\d_]{2,}|\b[aAI]\b")


@dataclass(frozen=True)
class AggregateSettings:
    """How sentence tones fold into a reply tone; stored in tone.json so training can tune it on validation.

    ``full_weight_words``: a sentence with fewer words than this counts proportionally less toward the reply's
    P(rude), so a sign-off ("-Becky"), an initial ("^TV") or a lone greeting cannot make a reply rude on its own,
    while any real sentence still can (the reply's P(rude) is the largest weighted sentence P(rude)).
    ``rude_threshold``: the label is ``rude`` when P(rude) reaches it (a missed rude reply costs more than a
    review), else the likelier of polite and neutral. The scores stay the calibrated probabilities.
    """

    full_weight_words: int = 3
    rude_threshold: float = 0.5


class ToneModel(nn.Module):
    """BERT-style encoder, mean pooling over real tokens, dropout and a linear head per task.

    ``head`` gives tone (labels in :data:`tonecheck.report.TONE_LABELS` order); ``kind_head`` gives one
    independent logit per rude kind (:data:`tonecheck.report.RUDE_KINDS`, multi-label) from the same pooled
    vector, so categories cost one 384x8 matrix product, not a second encoder pass. ``aux_head`` is the Stanford
    polite-vs-impolite head, an auxiliary training task the product never reads.
    """

    def __init__(
        self, encoder: nn.Module, hidden_size: int, dropout: float = 0.1, aux: bool = True, kinds: bool = True
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, len(TONE_LABELS))
        self.kind_head = nn.Linear(hidden_size, len(RUDE_KINDS)) if kinds else None
        self.aux_head = nn.Linear(hidden_size, 2) if aux else None

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Mean of the last hidden states over non-padding tokens (the pooling MiniLM was trained with)."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Tone logits (uncalibrated), one row per input."""
        return self.head(self.dropout(self.pooled(input_ids, attention_mask)))

    def tone_and_kinds(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Tone logits and rude-kind logits (None without a kind head) from one encoder pass."""
        pooled = self.dropout(self.pooled(input_ids, attention_mask))
        kinds = self.kind_head(pooled) if self.kind_head is not None else None
        return self.head(pooled), kinds

    def aux_logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Stanford impolite/polite logits (index 1 = polite)."""
        if self.aux_head is None:
            raise ValueError("this model has no auxiliary Stanford head")
        return self.aux_head(self.dropout(self.pooled(input_ids, attention_mask)))


def build_encoder(config_path: Path) -> nn.Module:
    """An untrained encoder shaped by ``config_path``; weights come from safetensors afterwards.

    The plain-torch :class:`~tonecheck.encoder.BertEncoder`, parameter for parameter ``transformers.BertModel``,
    so a process that checks text never imports transformers (~2 s of every worker's start-up).
    """
    from .encoder import BertEncoder, EncoderConfig

    return BertEncoder(EncoderConfig.from_json_file(config_path))


def load_tokenizer(path: Path, max_length: int) -> Any:
    """A fast ``tokenizers.Tokenizer`` that truncates to ``max_length`` and pads each batch to its longest row."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_length=max_length)
    pad_id = tokenizer.token_to_id("[PAD]")
    tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")
    return tokenizer


def encode(tokenizer: Any, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids and attention mask for ``texts``, padded to the longest of them (training and evaluation; the
    product tokenizes once and pads each chunk itself, the same two steps)."""
    return pad_rows(token_rows(tokenizer, texts), pad_id(tokenizer))


def pad_id(tokenizer: Any) -> int:
    """The id the tokenizer pads with (0 when it has no padding set)."""
    padding = tokenizer.padding
    return int(padding["pad_id"]) if padding else 0


def token_rows(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    """Each text's token ids (special tokens included, truncated), without padding."""
    return [e.ids[: sum(e.attention_mask)] for e in tokenizer.encode_batch(list(texts))]


def pad_rows(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids right-padded to the longest row, and the attention mask; what :func:`encode` gives."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids, mask


def quantize_int8(model: nn.Module) -> nn.Module:
    """int8 for CPU inference: every Linear layer of the encoder (of ``model`` itself when it has none), with
    weights per output channel and activations per token (:class:`tonecheck.encoder.Int8Linear`), in place.

    The small heads stay fp32: they cost nothing next to the encoder, and quantising them only adds error.
    """
    from .encoder import quantize_rows

    quantize_rows(model.encoder if isinstance(model, ToneModel) else model)
    return model


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks (the weights file is tens of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def count_words(sentence: str) -> int:
    """Words of two or more letters (plus 'a' and 'I'): what makes a sentence more than a fragment."""
    return len(_WORD.findall(sentence))


def _unavailable(path: Path, what: str) -> ModelUnavailable:
    return ModelUnavailable(f"tone model at {path}: {what}; {REBUILD_HINT}")


def _read_meta(path: Path) -> dict[str, Any]:
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise _unavailable(path, "missing " + ", ".join(missing))
    try:
        meta = json.loads((path / "tone.json").read_text(encoding="utf-8"))
        labels = tuple(meta["labels"])
        float(meta["temperature"])
        int(meta["max_length"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _unavailable(path, f"tone.json is unreadable ({exc.__class__.__name__}: {exc})") from None
    if labels != TONE_LABELS:
        raise _unavailable(path, f"labels {labels} do not match {TONE_LABELS}")
    return meta


def _load_model(path: Path, meta: dict[str, Any]) -> ToneModel:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    expected = meta.get("sha256", {}).get("model.safetensors")
    if expected and sha256_file(path / "model.safetensors") != expected:
        raise _unavailable(path, "model.safetensors does not match the checksum in tone.json")
    try:
        encoder = build_encoder(path / "config.json")
        state = {k: v.float() for k, v in load_file(str(path / "model.safetensors")).items()}
        model = ToneModel(
            encoder, encoder.config.hidden_size, aux="aux_head.weight" in state, kinds="kind_head.weight" in state
        )
        model.load_state_dict(state, strict=True)
    except (OSError, ValueError, RuntimeError, KeyError, SafetensorError) as exc:
        raise _unavailable(path, f"weights or config are unreadable ({exc.__class__.__name__})") from None
    return model.eval()


class ToneClassifier:
    """Calibrated sentence tone, batched, plus the reply-level aggregate. Build with :meth:`load`."""

    def __init__(
        self,
        model: nn.Module,
        tokenizer: Any,
        *,
        temperature: float,
        aggregate_settings: AggregateSettings,
        batch_size: int = 16,
        kind_thresholds: dict[str, float] | None = None,
        meta: dict[str, Any] | None = None,
        cache_size: int = 0,
        threads: int = 0,
    ) -> None:
        self.model = model
        self.threads = threads
        self.tokenizer = tokenizer
        self.temperature = temperature
        self.aggregate_settings = aggregate_settings
        self.batch_size = batch_size
        self.kind_thresholds = dict(kind_thresholds or {})
        self.meta = meta or {}
        self.cache_size = cache_size
        self._cache: OrderedDict[str, Tone] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def batch_invariant(self) -> bool:
        """Whether a sentence's scores are byte-for-byte independent of the other sentences scored in the same pass.

        fp32: yes (padding is masked; differences ~1e-8, gone after rounding). int8: nearly, not byte for byte.
        Each token is quantised on its own, so other sentences cannot move a sentence's scale; but the masked
        attention over a padded pass differs from the sentence alone in the last bit, and int8 rounding can turn
        that into ~0.01 of a logit (``bench/int8_rows.py``), visible in a report's rounded scores. The service
        merges requests only when this holds, unless told otherwise (``http_batch_exact``).
        """
        from .encoder import Int8Linear

        return not any(isinstance(m, Int8Linear) for m in self.model.modules())

    @property
    def has_kinds(self) -> bool:
        """Whether this artefact predicts rude kinds (older artefacts have only the tone head)."""
        return getattr(self.model, "kind_head", None) is not None

    @classmethod
    def load(
        cls, path: Path, *, variant: str = "int8", threads: int = 0, batch_size: int = 16, cache_size: int = 0
    ) -> ToneClassifier:
        """Load the artefact at ``path`` (offline), quantised to int8 or kept fp32.

        Raises ModelUnavailable, naming the folder and the rebuild command, when a file is missing or corrupt.
        ``threads`` > 0 sets torch's intra-op threads for the whole process (torch has no per-model setting).
        """
        if variant not in VARIANTS:
            raise ValueError(f"unknown model variant {variant!r}; expected one of {', '.join(VARIANTS)}")
        path = Path(path)
        if not path.is_dir():
            raise _unavailable(path, "folder not found")
        if threads > 0:
            torch.set_num_threads(threads)
        meta = _read_meta(path)
        model = _load_model(path, meta)
        if variant == "int8":
            model = quantize_int8(model)
        try:
            tokenizer = load_tokenizer(path / "tokenizer.json", int(meta["max_length"]))
        except Exception as exc:  # tokenizers raises plain Exception subclasses for bad JSON
            raise _unavailable(path, f"tokenizer.json is unreadable ({exc.__class__.__name__})") from None
        settings = AggregateSettings(**meta.get("aggregate", {}))
        return cls(
            model,
            tokenizer,
            temperature=float(meta["temperature"]),
            aggregate_settings=settings,
            batch_size=batch_size,
            kind_thresholds={k: float(v) for k, v in meta.get("kind_thresholds", {}).items()},
            meta=meta,
            cache_size=cache_size,
            threads=threads,
        )

    def logits(self, sentences: Sequence[str]) -> torch.Tensor:
        """Raw (uncalibrated) tone logits, one row per sentence, in input order."""
        return self.all_logits(sentences)[0]

    def all_logits(self, sentences: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw tone logits and rude-kind logits (zero columns without a kind head), rows in input order.

        All sentences are tokenized first and sorted by their token count, so each chunk of ``batch_size`` holds
        sentences of (nearly) one length and pads almost nothing: the encoder's cost follows the tokens it is
        given, padding included, and sorting by characters left 47-80% padding on real replies. Every chunk is
        one forward pass that yields both heads.
        """
        n_kinds = len(RUDE_KINDS) if self.has_kinds else 0
        tone = torch.zeros((len(sentences), len(TONE_LABELS)))
        kinds = torch.zeros((len(sentences), n_kinds))
        rows = token_rows(self.tokenizer, sentences)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        self._pin_threads()
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                ids, mask = pad_rows([rows[i] for i in chunk], self.pad_id)
                tone_rows, kind_rows = self.model.tone_and_kinds(ids, mask)
                tone[chunk] = tone_rows.float()
                if kind_rows is not None:
                    kinds[chunk] = kind_rows.float()
        return tone, kinds

    def _pin_threads(self) -> None:
        """Apply ``threads`` in the calling thread. With OpenMP the count is per thread: ``set_num_threads`` at
        load time does not reach a thread that had already started torch (a server's request thread, a worker's
        task thread), which would go on using every core beside the other processes' threads."""
        if self.threads > 0 and torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)

    @property
    def pad_id(self) -> int:
        return pad_id(self.tokenizer)

    def probabilities(self, sentences: Sequence[str]) -> torch.Tensor:
        """Calibrated probabilities (temperature-scaled softmax), columns in TONE_LABELS order."""
        return torch.softmax(self.logits(sentences) / self.temperature, dim=-1)

    def predict(self, sentences: Sequence[str]) -> list[Tone]:
        """One calibrated Tone per sentence (with its kind probabilities), all scored in one batched pass.

        Real mail repeats itself (greetings, sign-offs, templates: a quarter to a third of the sentences of real
        agent replies are exact repeats), and an add-in re-checks a draft where one sentence changed. With
        ``cache_size`` > 0 a bounded, per-process LRU keyed by the exact sentence text returns earlier results,
        and repeats within one call are scored once. A cached sentence gets the scores of its first scoring,
        which may differ from a fresh one in another batch: by ~1e-8 with fp32, by up to ~0.01 of a logit with int8
        (rounding after a padded pass; see ``batch_invariant``).
        """
        if self.cache_size <= 0:
            return self._score(sentences)
        found: dict[str, Tone] = {}
        with self._cache_lock:
            for s in sentences:
                tone = self._cache.get(s)
                if tone is not None:
                    self._cache.move_to_end(s)
                    found[s] = tone
        new = list(dict.fromkeys(s for s in sentences if s not in found))
        if new:
            scored = dict(zip(new, self._score(new), strict=True))
            found.update(scored)
            with self._cache_lock:
                self._cache.update(scored)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return [found[s] for s in sentences]

    def clear_cache(self) -> None:
        """Forget cached sentences (after changing the temperature or the aggregation's rude threshold)."""
        with self._cache_lock:
            self._cache.clear()

    def _score(self, sentences: Sequence[str]) -> list[Tone]:
        threshold = self.aggregate_settings.rude_threshold
        tone, kinds = self.all_logits(sentences)
        probs = torch.softmax(tone / self.temperature, dim=-1).tolist()
        kind_probs = torch.sigmoid(kinds).tolist()
        return [_tone(row, threshold, k) for row, k in zip(probs, kind_probs, strict=True)]

    def aggregate(self, sentences: Sequence[str], tones: Sequence[Tone]) -> Tone:
        """The reply's tone, following the labelling guide's order: rude if any sentence is rude, else polite if
        any sentence is warm, else neutral.

        P(rude) is the largest sentence P(rude), so one rude sentence cannot hide among ten polite ones; sentences
        with fewer than ``full_weight_words`` words count proportionally less, so a sign-off ("-Becky"), an
        initial ("^TV") or a lone greeting cannot flag a reply by itself. P(polite | not rude) is the largest
        sentence P(polite | not rude) (one "Thanks!" makes a reply warm); neutral takes the rest.
        """
        if len(sentences) != len(tones):
            raise ValueError("aggregate needs one tone per sentence")
        if not tones:
            return Tone("neutral", {"polite": 0.0, "neutral": 1.0, "rude": 0.0})
        full = max(1, self.aggregate_settings.full_weight_words)
        weights = [min(1.0, count_words(s) / full) for s in sentences]
        rude = max(w * t.scores["rude"] for w, t in zip(weights, tones, strict=True))
        warm = max(t.scores["polite"] / max(t.scores["polite"] + t.scores["neutral"], 1e-9) for t in tones)
        scores = {"polite": (1 - rude) * warm, "neutral": (1 - rude) * (1 - warm), "rude": rude}
        kinds = {k: max(w * t.kinds.get(k, 0.0) for w, t in zip(weights, tones, strict=True)) for k in tones[0].kinds}
        return Tone(label_for(scores, self.aggregate_settings.rude_threshold), scores, kinds)


def label_for(scores: dict[str, float], rude_threshold: float) -> str:
    """``rude`` when P(rude) reaches the threshold, else the likelier of polite and neutral."""
    if scores["rude"] >= rude_threshold:
        return "rude"
    return "polite" if scores["polite"] > scores["neutral"] else "neutral"


def _tone(row: Sequence[float], rude_threshold: float, kind_row: Sequence[float] = ()) -> Tone:
    scores = {label: float(p) for label, p in zip(TONE_LABELS, row, strict=True)}
    if not all(math.isfinite(p) for p in scores.values()):
        raise ValueError("tone model produced non-finite scores")
    kinds = {kind: float(p) for kind, p in zip(RUDE_KINDS, kind_row, strict=False)}
    return Tone(label_for(scores, rude_threshold), scores, kinds)
