"""ONNX Runtime int8 against the product's torch dynamic int8: ``python bench/onnx_runtime.py``.

Issue 14, item 4: is another maintained CPU runtime worth switching to? This script

1. loads models/tone/ through the product's own loader (``ToneClassifier.load``: fp32 for the export, int8 for the
   torch path exactly as it ships: torch dynamic int8, per-channel, every Linear);
2. exports the fp32 model (encoder, tone head and kinds head, one pass) to ONNX with dynamic batch and sequence
   axes, into a temporary folder (never into the repository), and checks the export against torch fp32;
3. quantises it with ``onnxruntime.quantization.quantize_dynamic`` (MatMul only: the ONNX form of the Linear
   layers torch quantises), per recipe (see ``build_recipe``): the plain export or one fused by
   ``onnxruntime.transformers.optimizer``, weight scales per tensor or per channel, int8 or uint8 weights;
4. wraps each ONNX Runtime session in the product's ``ToneClassifier`` (same tokenizer, max_length, length
   sorting, batching, temperature and aggregation; only the forward pass differs) and measures, interleaved in one
   run, for torch threads = ONNX Runtime intra-op threads = each of ``--threads``: ms per 150-word draft (the
   draft of bench/classifier.py, scored and aggregated) and drafts/s for a batch of real test-split replies;
5. scores the support test split (models/config.toml; item and reply level as ``models.evaluate``) and the
   held-out writers (reply level) with every path, and reports macro-F1 and the agreement with torch int8.

ONNX Runtime is not a project dependency. Install it beside the project, not into its venv::

    .venv/bin/python -m pip install --target /tmp/onnxpkgs onnxruntime onnx
    PYTHONPATH=/tmp/onnxpkgs .venv/bin/python bench/onnx_runtime.py

Runs offline: nothing is downloaded (the model is local, the export and quantisation are local).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from classifier import DRAFTS  # noqa: E402  (bench/classifier.py: the 150-word drafts)

from models import dataset, metrics, scoring  # noqa: E402
from tonecheck.classify import ToneClassifier, encode, label_for  # noqa: E402
from tonecheck.report import RUDE_KINDS, TONE_LABELS  # noqa: E402

TORCH = "torch int8"
RECIPES = ("plain", "plain-pc", "plain-pc-u8", "fused", "fused-pc", "attn-pc")
DEFAULT_RECIPES = ("plain", "plain-pc", "plain-pc-u8", "fused-pc", "attn-pc")
INSTALL_HINT = (
    "onnxruntime and onnx are not installed (they are not project dependencies). Install them beside the venv:\n"
    "    .venv/bin/python -m pip install --target /tmp/onnxpkgs onnxruntime onnx\n"
    "and run with PYTHONPATH=/tmp/onnxpkgs .venv/bin/python bench/onnx_runtime.py"
)


class _Heads(torch.nn.Module):
    """The product's forward pass (``ToneModel.tone_and_kinds``) as a module, for the exporter."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.tone_and_kinds(input_ids, attention_mask)


class OrtToneModel:
    """Stands in for ``ToneModel`` inside ``ToneClassifier``: ``tone_and_kinds`` runs one ONNX Runtime session."""

    kind_head = True  # ToneClassifier.has_kinds only asks whether there is one

    def __init__(self, session: Any) -> None:
        self.session = session

    def tone_and_kinds(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        tone, kinds = self.session.run(None, {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy()})
        return torch.from_numpy(tone), torch.from_numpy(kinds)


def export(fp32: ToneClassifier, out: Path) -> float:
    """Export the fp32 model to ``out`` (opset 17, dynamic batch and sequence); returns seconds taken."""
    ids, mask = encode(fp32.tokenizer, ["Thanks for waiting.", "As I already told you, that is not our problem."])
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and deprecation warnings of the TorchScript exporter
        torch.onnx.export(
            _Heads(fp32.model).eval(),
            (ids, mask),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["tone", "kinds"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "tone": {0: "batch"},
                "kinds": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,  # the TorchScript exporter: no onnxscript needed, and it handles this BERT cleanly
        )
    return time.perf_counter() - start


def build_recipe(recipe: str, exported: dict[str, Path], folder: Path, hidden_size: int, heads: int) -> Path:
    """Quantise per ``recipe``; returns the int8 model's path.

    ``plain``: the exported graph (ONNX Runtime still applies its own graph optimisations when the session loads).
    ``fused``: ``onnxruntime.transformers.optimizer`` first (SkipLayerNormalization, BiasGelu; torch's SDPA
    attention export is not matched). ``attn``: the same on an export with eager attention, where it also fuses
    Attention and EmbedLayerNormalization (quantised to QAttention). ``-pc``: per-channel weight scales (as
    torch's ``per_channel_dynamic_qconfig``), else one per tensor. ``-u8``: uint8 weights instead of int8.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    base = recipe.split("-")[0]
    source = exported["eager" if base == "attn" else "sdpa"]
    if base in ("fused", "attn"):
        from onnxruntime.transformers import optimizer

        fused = folder / f"{base}-fp32.onnx"
        if not fused.exists():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                optimized = optimizer.optimize_model(
                    str(source), model_type="bert", num_heads=heads, hidden_size=hidden_size
                )
            optimized.save_model_to_file(str(fused))
        source = fused
    target = folder / f"{recipe}-int8.onnx"
    quantize_dynamic(
        str(source),
        str(target),
        op_types_to_quantize=["MatMul", "Attention"],
        per_channel="-pc" in recipe,
        weight_type=QuantType.QUInt8 if recipe.endswith("-u8") else QuantType.QInt8,
        # the fused graph's contrib ops (Attention, SkipLayerNormalization) defeat shape inference
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    return target


def session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def with_model(base: ToneClassifier, model: Any) -> ToneClassifier:
    """The product's classifier (tokenizer, temperature, aggregation, batch size) around another forward pass."""
    return ToneClassifier(
        model,
        base.tokenizer,
        temperature=base.temperature,
        aggregate_settings=base.aggregate_settings,
        batch_size=base.batch_size,
        kind_thresholds=base.kind_thresholds,
        meta=base.meta,
    )


def op_counts(path: Path) -> dict[str, int]:
    import onnx

    counts: dict[str, int] = {}
    for node in onnx.load(str(path), load_external_data=False).graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


# --- accuracy ---------------------------------------------------------------------------------------------------


def score_path(clf: ToneClassifier, items: Sequence[Any], sentences: Sequence[Sequence[str]], item_level: bool):
    """Item-level tone probabilities (whole text, one input), sentence tones and reply tones, the product's way."""
    item_probs = None
    if item_level:
        item_probs = torch.softmax(clf.logits([i.text for i in items]) / clf.temperature, 1)
    replies, per_sentence = scoring.reply_tones(clf, sentences)
    flat = [t for tones in per_sentence for t in tones]
    return {
        "item_probs": item_probs,
        "sent_probs": torch.tensor([[t.scores[k] for k in TONE_LABELS] for t in flat]),
        "kind_probs": torch.tensor([[t.kinds.get(k, 0.0) for k in RUDE_KINDS] for t in flat]),
        "sent_labels": [t.label for t in flat],
        "reply_labels": [r.label for r in replies],
    }


def item_labels(probs: torch.Tensor, threshold: float) -> list[str]:
    return [label_for(dict(zip(TONE_LABELS, row, strict=True)), threshold) for row in probs.tolist()]


def agreement(a: dict[str, Any], b: dict[str, Any], kind_cut: torch.Tensor) -> dict[str, float]:
    def same(x: Sequence[str], y: Sequence[str]) -> float:
        return sum(p == q for p, q in zip(x, y, strict=True)) / max(1, len(x))

    out = {
        "sent": same(a["sent_labels"], b["sent_labels"]),
        "reply": same(a["reply_labels"], b["reply_labels"]),
        "prob": float((a["sent_probs"] - b["sent_probs"]).abs().max()),
        "kind_prob": float((a["kind_probs"] - b["kind_probs"]).abs().max()),
        "kind_dec": float(((a["kind_probs"] >= kind_cut) == (b["kind_probs"] >= kind_cut)).float().mean()),
    }
    if a["item_probs"] is not None:
        out["prob"] = max(out["prob"], float((a["item_probs"] - b["item_probs"]).abs().max()))
    return out


# --- speed ------------------------------------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def speed(
    paths: dict[str, ToneClassifier], threads: int, single: list[str], batch: list[str], repeats: int
) -> dict[str, dict[str, list[float]]]:
    """Per path: single-draft seconds (median of 5 calls per round) and batch seconds, one sample per round.

    Every round times every path in turn, the order rotated round by round, so all paths see the same load.
    """
    torch.set_num_threads(threads)
    names = list(paths)
    for clf in paths.values():  # warm-up (first-call allocations, thread pools)
        clf.aggregate(single, clf.predict(single))
        clf.predict(batch)
    samples: dict[str, dict[str, list[float]]] = {n: {"single": [], "batch": []} for n in names}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            clf = paths[name]
            one = [timed(lambda c=clf: c.aggregate(single, c.predict(single))) for _ in range(5)]
            samples[name]["single"].append(statistics.median(one))
            samples[name]["batch"].append(timed(lambda c=clf: c.predict(batch)))
    return samples


def paired_ratio(a: list[float], b: list[float]) -> float:
    """Median over rounds of a / b (a round's samples were taken back to back)."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


_LOAD_CHILD = """
import sys, time
sys.path.insert(0, {root!r})
import torch  # imported by the checker anyway (spaCy's thinc pulls it in): not counted
start = time.perf_counter()
if {onnx!r}:
    import onnxruntime as ort
    from tonecheck.classify import load_tokenizer
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession({onnx!r}, options, providers=["CPUExecutionProvider"])
    load_tokenizer(__import__("pathlib").Path({model!r}) / "tokenizer.json", 96)
else:
    from tonecheck.classify import ToneClassifier
    ToneClassifier.load(__import__("pathlib").Path({model!r}), variant="int8", threads=1)
print(time.perf_counter() - start)
"""


def startup(model: Path, onnx_path: Path, recipe: str, repeats: int) -> str:
    """Median seconds to load the model in a fresh process (after ``import torch``), the two paths in turn."""
    import subprocess

    times: dict[str, list[float]] = {TORCH: [], f"ORT int8 {recipe}": []}
    for _ in range(repeats):
        for name in times:
            code = _LOAD_CHILD.format(root=str(ROOT), model=str(model), onnx="" if name == TORCH else str(onnx_path))
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            times[name].append(float(done.stdout.strip().splitlines()[-1]))
    shown = ", ".join(f"{name} {statistics.median(t):.2f} s" for name, t in times.items())
    return (f"\nmodel load in a fresh process, after `import torch` (median of {repeats}, in turn): {shown} "
            "(torch: transformers' BERT import, weights, checksum, quantisation; ORT: session + tokenizer)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "tone")
    parser.add_argument("--threads", default="1,2", help="torch threads = ORT intra-op threads, comma-separated")
    parser.add_argument(
        "--recipes", default=",".join(DEFAULT_RECIPES), help=f"ONNX Runtime recipes, of {', '.join(RECIPES)}"
    )
    parser.add_argument("--drafts", type=int, default=64, help="drafts in the batch (real test-split text)")
    parser.add_argument("--draft-words", type=int, default=120, help="words per batch draft (at least)")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds per thread count")
    parser.add_argument("--no-accuracy", action="store_true", help="skip the test-split and held-out-writer scores")
    parser.add_argument("--no-writers", action="store_true", help="skip the held-out writers (reply level)")
    parser.add_argument("--startup", type=int, default=5, help="fresh-process model loads per path (0: skip)")
    parser.add_argument("--keep", type=Path, help="write the ONNX files here (default: a temporary folder)")
    args = parser.parse_args(argv)
    try:
        import onnx  # noqa: F401
        import onnxruntime as ort
        from onnxruntime.quantization import quantize_dynamic  # noqa: F401
    except ImportError as exc:
        print(f"{INSTALL_HINT}\n({exc})", file=sys.stderr)
        return 2
    recipes = [r.strip() for r in args.recipes.split(",") if r.strip()]
    unknown = [r for r in recipes if r not in RECIPES]
    if unknown:
        parser.error(f"unknown recipe(s) {', '.join(unknown)}; choose from {', '.join(RECIPES)}")
    thread_counts = [int(t) for t in args.threads.split(",")]

    torch.set_num_threads(max(thread_counts))
    fp32 = ToneClassifier.load(args.model, variant="fp32")
    q8 = ToneClassifier.load(args.model, variant="int8")  # exactly what ships
    config = fp32.model.encoder.config

    with tempfile.TemporaryDirectory(prefix="tonecheck-onnx-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        exported = {"sdpa": folder / "tone-fp32.onnx"}
        seconds = export(fp32, exported["sdpa"])
        if any(r.startswith("attn") for r in recipes):
            eager = ToneClassifier.load(args.model, variant="fp32")
            eager.model.encoder.set_attn_implementation("eager")  # same maths, a graph the fuser recognises
            exported["eager"] = folder / "tone-fp32-eager.onnx"
            export(eager, exported["eager"])
            del eager
        print(f"torch {torch.__version__}, onnxruntime {ort.__version__}, onnx {onnx.__version__}; "
              f"model {args.model} ({config.num_hidden_layers} layers, hidden {config.hidden_size})")
        print(f"export: {seconds:.1f} s, {exported['sdpa'].stat().st_size / 1e6:.1f} MB fp32")
        built: dict[str, Path] = {}
        for recipe in recipes:
            start = time.perf_counter()
            built[recipe] = build_recipe(recipe, exported, folder, config.hidden_size, config.num_attention_heads)
            ops = op_counts(built[recipe])
            shown = ", ".join(f"{k} {v}" for k, v in sorted(ops.items()) if v and k in {
                "Attention", "MatMulInteger", "DynamicQuantizeMatMul", "MatMul", "SkipLayerNormalization",
                "LayerNormalization", "BiasGelu", "Gelu", "EmbedLayerNormalization", "Softmax", "QAttention"})
            print(f"ORT {recipe}: {time.perf_counter() - start:.1f} s, "
                  f"{built[recipe].stat().st_size / 1e6:.1f} MB int8; ops: {shown}")

        # Export check: ORT fp32 against torch fp32 on the single draft (one padded batch of 11 sentences).
        check = with_model(fp32, OrtToneModel(session(exported["sdpa"], max(thread_counts))))
        ref = fp32.all_logits(DRAFTS[0] + DRAFTS[1][:1])
        got = check.all_logits(DRAFTS[0] + DRAFTS[1][:1])
        diff = max(float((r - g).abs().max()) for r, g in zip(ref, got, strict=True))
        print(f"export check (ORT fp32 vs torch fp32 logits, 12 sentences): max abs diff {diff:.2e}")

        cfg = dataset.load_config()
        dc = cfg["data"]
        test = dataset.split_items(dataset.load_support(dataset.support_paths(dc)), dc)["test"]
        start = time.perf_counter()
        test_sentences = dataset.split_sentences([i.text for i in test])
        print(f"support test split: {len(test)} replies, {sum(map(len, test_sentences))} sentences "
              f"(spaCy split {time.perf_counter() - start:.1f} s)")

        # The batch: drafts of reply length made of real test-split replies (most are short tweets and chat
        # turns, median 14 words), consecutive replies joined until a draft reaches --draft-words words.
        drafts: list[list[str]] = []
        current: list[str] = []
        for sents in test_sentences:
            current += sents
            if sum(len(s.split()) for s in current) >= args.draft_words:
                drafts.append(current)
                current = []
        picked = drafts[: args.drafts]
        batch = [s for sents in picked for s in sents]
        words = sum(len(s.split()) for s in batch)
        single = DRAFTS[0]
        print(f"single draft: {sum(len(s.split()) for s in single)} words, {len(single)} sentences; batch: "
              f"{len(picked)} drafts of consecutive test-split replies, {len(batch)} sentences, {words} words "
              f"({words / max(1, len(picked)):.0f} words, {len(batch) / max(1, len(picked)):.1f} sentences "
              f"per draft); load average before timing {os.getloadavg()[0]:.2f}\n")

        rows = []
        for threads in thread_counts:
            paths: dict[str, ToneClassifier] = {TORCH: q8}
            for recipe in recipes:
                paths[f"ORT int8 {recipe}"] = with_model(q8, OrtToneModel(session(built[recipe], threads)))
            samples = speed(paths, threads, single, batch, args.repeats)
            base = samples[TORCH]
            for name, s in samples.items():
                ms = statistics.median(s["single"]) * 1000
                rate = len(picked) / statistics.median(s["batch"])
                sentences_per_s = len(batch) / statistics.median(s["batch"])
                rows.append((threads, name, ms, rate, sentences_per_s, paired_ratio(base["single"], s["single"]),
                             paired_ratio(base["batch"], s["batch"])))

        print(f"## Speed ({args.repeats} interleaved rounds per thread count; medians; speed-up = median of "
              "per-round torch time / path time)")
        print(f"(load average after timing {os.getloadavg()[0]:.2f})\n")
        print("| threads | path | ms per draft (single) | drafts/s (batch) | sentences/s (batch) | speed-up single "
              "| speed-up batch |")
        print("|---|---|---|---|---|---|---|")
        for threads, name, ms, rate, sps, r_single, r_batch in rows:
            print(f"| {threads} | {name} | {ms:.1f} | {rate:.1f} | {sps:.0f} | {r_single:.2f}x | {r_batch:.2f}x |")

        if args.startup:
            fastest = max((r for r in rows if r[1] != TORCH), key=lambda r: r[4])[1].removeprefix("ORT int8 ")
            print(startup(args.model, built[fastest], fastest, args.startup))
        if args.no_accuracy:
            return 0
        torch.set_num_threads(max(thread_counts))
        threshold = q8.aggregate_settings.rude_threshold
        kind_cut = torch.tensor([q8.kind_thresholds.get(k, scoring.DEFAULT_KIND_THRESHOLD) for k in RUDE_KINDS])
        scored_paths: dict[str, ToneClassifier] = {"torch fp32": fp32, TORCH: q8}
        for recipe in recipes:
            scored_paths[f"ORT int8 {recipe}"] = with_model(
                q8, OrtToneModel(session(built[recipe], max(thread_counts)))
            )
        gold = [i.label for i in test]
        writers: list[Any] = []
        writer_sentences: list[list[str]] = []
        if not args.no_writers:
            writers = dataset.split_items(dataset.load_all_support(dc), dc)["writers"]
            writer_sentences = dataset.split_sentences([i.text for i in writers])
        results = {}
        for name, clf in scored_paths.items():
            res = score_path(clf, test, test_sentences, item_level=True)
            res["item"] = metrics.summary(gold, item_labels(res["item_probs"], threshold), TONE_LABELS)
            res["reply"] = metrics.summary(gold, res["reply_labels"], TONE_LABELS)
            if writers:
                res["writers"] = score_path(clf, writers, writer_sentences, item_level=False)
                res["writers_summary"] = metrics.summary(
                    [i.label for i in writers], res["writers"]["reply_labels"], TONE_LABELS
                )
            results[name] = res

        n_sent = sum(map(len, test_sentences))
        print(f"\n## Accuracy: support test split ({len(test)} replies, {n_sent} sentences)"
              + (f" and held-out writers ({len(writers)} replies, reply level)" if writers else "") + "\n")
        head = "| path | test item macro-F1 | test reply macro-F1 | test reply acc | rude R (reply) |"
        print(head + (" writers reply macro-F1 |" if writers else ""))
        print("|---|---|---|---|---|" + ("---|" if writers else ""))
        for name, res in results.items():
            line = (f"| {name} | {res['item']['macro_f1']:.3f} | {res['reply']['macro_f1']:.3f} | "
                    f"{res['reply']['accuracy']:.3f} | {res['reply']['per_class']['rude']['recall']:.3f} |")
            print(line + (f" {res['writers_summary']['macro_f1']:.3f} |" if writers else ""))

        print(f"\n## Agreement with {TORCH} (the shipped path) and with torch fp32, test split\n")
        print("| path | vs | sentence labels | reply labels | kind decisions | max abs diff P(tone) | "
              "max abs diff P(kind) |" + (" writers: reply labels |" if writers else ""))
        print("|---|---|---|---|---|---|---|" + ("---|" if writers else ""))
        for name, res in results.items():
            for ref_name in (TORCH, "torch fp32"):
                if name == ref_name or (name == "torch fp32" and ref_name == TORCH):
                    continue
                a = agreement(results[ref_name], res, kind_cut)
                line = (f"| {name} | {ref_name} | {a['sent']:.2%} | {a['reply']:.2%} | {a['kind_dec']:.2%} | "
                        f"{a['prob']:.4f} | {a['kind_prob']:.4f} |")
                if writers:
                    w = agreement(results[ref_name]["writers"], res["writers"], kind_cut)
                    line += f" {w['reply']:.2%} |"
                print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
