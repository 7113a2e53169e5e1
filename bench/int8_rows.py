"""How much a sentence's int8 score depends on the sentences scored beside it, and what per-row quantisation costs.

    .venv/bin/python bench/int8_rows.py [--sentences 6000] [--rounds 3]

The shipped int8 model is torch's dynamic quantisation: each Linear quantises its whole input (every token of
every sentence of the pass) with one scale, so a sentence's logits move with its batch. An audit run embedded
and the same audit on Dask batch differently, and their verdicts differ (bench/scale.py --model counts them).
This compares, on real reply sentences from the committed data (bench/mail.py's sources), at 1 thread:

- ``int8``: what ships (``ToneClassifier.load(variant="int8")``);
- ``int8-rows``: a prototype Linear with int8 per-output-channel weights and each row (token) of the input
  quantised with its own scale, integer matmul by ``torch._int_mm``; a token's result then depends on that
  token alone;
- ``fp32`` for reference.

Prints sentences/s (median of ``--rounds``), the mean and largest logit difference from fp32, and the largest
difference between a sentence scored alone and the same sentence scored in one pass with 99 others. Nothing
asserts; the prototype is not used by the product.
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


class RowInt8Linear(nn.Module):
    """int8 weights per output channel; each input row quantised symmetrically with its own scale."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach()
        scale = weight.abs().amax(1).clamp(min=1e-12) / 127
        self.register_buffer("weight_t", torch.round(weight / scale[:, None]).to(torch.int8).t().contiguous())
        self.register_buffer("scale", scale / 127)  # the row's max |x| times this gives the output scale
        self.register_buffer("bias", linear.bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, x.shape[-1])
        top = rows.abs().amax(1, keepdim=True).clamp_(min=1e-12)
        quantised = (rows * (127.0 / top)).round_().to(torch.int8)
        out = torch.addcmul(self.bias, torch._int_mm(quantised, self.weight_t).to(torch.float32), top * self.scale)
        return out.reshape(*x.shape[:-1], -1)


def row_quantised(module: nn.Module) -> nn.Module:
    for name, child in module.named_children():
        setattr(module, name, RowInt8Linear(child) if isinstance(child, nn.Linear) else row_quantised(child))
    return module


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
        "int8-rows": ToneClassifier.load(MODEL, variant="fp32", threads=1),
        "fp32": ToneClassifier.load(MODEL, variant="fp32", threads=1),
    }
    paths["int8-rows"].model = row_quantised(paths["int8-rows"].model)
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
        print(f"{name:10s} {statistics.median(rates[name]):7.0f} sentences/s; vs fp32 mean {diff.mean():.3f} "
              f"max {diff.max():.3f}; alone vs in a pass of 100: max {(alone - together).abs().max():.4f}")


if __name__ == "__main__":
    main()
