"""How much a sentence's int8 score depends on the sentences scored beside it: what ships against torch's dynamic int8.

    .venv/bin/python bench/int8_rows.py [--sentences 6000] [--rounds 3]

Until 2026-12-05 the int8 model was torch's dynamic quantisation: each Linear quantised its whole input (every
token of every sentence of the pass) with one scale, so a sentence's logits moved with its batch, and the embedded
audit and the same audit on Dask disagreed on ~3% of verdicts. What ships now (``tonecheck.encoder.Int8Linear``)
quantises each token's activations with their own scale. This compares, on real reply sentences from the committed
data (bench/mail.py's sources), at 1 thread, in one run:

- ``int8``: what ships (``ToneClassifier.load(variant="int8")``);
- ``int8-dynamic``: the fp32 model through ``torch.ao.quantization.quantize_dynamic`` (per-channel weights), as
  it shipped before;
- ``fp32`` for reference.

Prints sentences/s (median of ``--rounds``), the mean and largest logit difference from fp32, and the largest
difference between a sentence scored alone and the same sentence scored in one pass with 99 others. Nothing
asserts.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from mail import reply_texts  # noqa: E402

from tonecheck.classify import ToneClassifier  # noqa: E402

MODEL = ROOT / "models" / "tone"


def dynamic_int8(model: nn.Module) -> nn.Module:
    """The former int8: torch's dynamic quantisation of every Linear, one activation scale per call."""
    import warnings

    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated in favour of torchao
        return quantize_dynamic(model, {nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True)


def sentences(n: int) -> list[str]:
    texts = [t for group in reply_texts().values() for t in group]
    split = (s.strip() for t in texts[::3] for s in re.split(r"(?<=[.!?])\s+", t))
    return [s for s in split if s][:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=6000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = sentences(args.sentences)
    paths = {
        "int8": ToneClassifier.load(MODEL, variant="int8", threads=1),
        "int8-dynamic": ToneClassifier.load(MODEL, variant="fp32", threads=1),
        "fp32": ToneClassifier.load(MODEL, variant="fp32", threads=1),
    }
    paths["int8-dynamic"].model = dynamic_int8(paths["int8-dynamic"].model)
    rates: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(args.rounds):
        for name, clf in paths.items():
            started = time.perf_counter()
            for i in range(0, len(data), 150):  # what an audit batch of 32 replies hands the model
                clf.all_logits(data[i : i + 150])
            rates[name].append(len(data) / (time.perf_counter() - started))
    sample = data[:600]
    reference = paths["fp32"].all_logits(sample)[0]
    print(f"{len(data)} real reply sentences, 1 thread, {args.rounds} rounds (medians)")
    for name, clf in paths.items():
        logits = clf.all_logits(sample)[0]
        alone = torch.cat([clf.all_logits([s])[0] for s in sample[:100]])
        together = clf.all_logits(sample[:100])[0]
        diff = (logits - reference).abs()
        print(f"{name:12s} {statistics.median(rates[name]):7.0f} sentences/s; vs fp32 mean {diff.mean():.3f} "
              f"max {diff.max():.3f}; alone vs in a pass of 100: max {(alone - together).abs().max():.4f}")


if __name__ == "__main__":
    main()
