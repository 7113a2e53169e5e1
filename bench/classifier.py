"""Speed of the tone classifier on CPU: ``python bench/classifier.py [--threads N]``.

Prints milliseconds per 150-word draft (one draft, all its sentences scored in one pass) and drafts per second
(a batch of 32 drafts, all sentences in one ``predict`` call), for the shipped artefact in fp32 and int8, and in the
same run for a randomly initialised BERT-base (``BertConfig()``, same tokenizer): a speed-only stand-in for the
Detoxify-class models teams use. Sentence splitting (spaCy) is not included: this measures the model stage.
Targets on the 2-core box: single < 25 ms, batch > 60 drafts/s, >= 8x the BERT-base stand-in.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from tonecheck.classify import AggregateSettings, ToneClassifier, ToneModel  # noqa: E402

# Four 150-word support drafts (greeting, body, sign-off), pre-split into sentences the way the checker would.
DRAFTS = [
    [
        "Hi Maria,",
        "Thank you for getting in touch about your order, and I'm sorry it arrived with two items missing.",
        "I have checked the warehouse notes and the parcel was packed in two boxes, but only one was scanned.",
        "That explains why the tracking page showed it as delivered while half of it was still with us.",
        "I've asked the team to send the second box by express courier today, at no cost to you.",
        "You should receive a new tracking number by email within the next two hours.",
        "If anything is damaged when it arrives, please reply to this message with a photo and I will "
        "arrange a replacement straight away.",
        "I've also added a credit to your account for the inconvenience, which you can use on your next order.",
        "Thanks again for your patience while we sorted this out.",
        "Best regards,",
        "Daniel",
    ],
    [
        "Hello Sam,",
        "Thanks for the screenshots, they made it much easier to see what is going on with the sync.",
        "It looks like the desktop app is still on version 4.2, which had a known issue with shared folders.",
        "Could you update to the latest version from the settings menu and restart your computer?",
        "After the restart, open the app, sign in again and wait a few minutes for the first sync to finish.",
        "Your files are safe on our servers, so nothing will be lost during the update.",
        "If the folder still shows the red warning icon afterwards, send me the log file from the help menu "
        "and I will pass it to our engineers.",
        "I'll keep this ticket open until you confirm everything works.",
        "Have a great afternoon,",
        "Priya",
    ],
    [
        "Dear Mr Okafor,",
        "I'm writing about the refund you requested for the annual plan you cancelled last week.",
        "The refund was approved this morning and has been sent back to the card ending in 4411.",
        "Banks usually take three to five working days to show it on your statement.",
        "Your account will stay active until the end of the current billing period, so you can still export "
        "your projects.",
        "To do that, open each project, choose export from the file menu, and pick the format you prefer.",
        "We're sorry to see you go, and we'd welcome any feedback about what we could have done better.",
        "If you change your mind, your data will be kept for ninety days and can be restored in one click.",
        "Kind regards,",
        "Helen from Billing",
    ],
    [
        "Hi there,",
        "Thanks for reaching out, and sorry for the trouble logging in since the weekend.",
        "Our records show the password was changed on Saturday evening from a new device.",
        "If that wasn't you, please reset the password now using the link on the sign-in page.",
        "For extra safety, turn on two-step verification in your security settings once you are back in.",
        "We have also signed out every other session, so nobody else can use the account.",
        "If the reset email doesn't arrive within ten minutes, check your spam folder first.",
        "Still nothing? Reply here and I'll verify your identity and unlock the account manually.",
        "We're here to help,",
        "-Becky",
    ],
]


def time_it(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time in seconds over ``repeats`` runs, after one warm-up run."""
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bert_base(model_dir: Path, batch_size: int) -> ToneClassifier:
    """A randomly initialised BERT-base with our tokenizer and head: only its speed means anything."""
    from transformers import BertConfig, BertModel

    from tonecheck.classify import load_tokenizer

    torch.manual_seed(0)
    encoder = BertModel(BertConfig(), add_pooling_layer=False)
    model = ToneModel(encoder, encoder.config.hidden_size, aux=False).eval()
    tokenizer = load_tokenizer(model_dir / "tokenizer.json", 96)
    return ToneClassifier(
        model, tokenizer, temperature=1.0, aggregate_settings=AggregateSettings(), batch_size=batch_size
    )


def measure(clf: ToneClassifier, repeats: int) -> tuple[float, float]:
    """(ms per single draft, drafts per second in a batch of 32)."""
    single = DRAFTS[0]
    batch = [s for i in range(32) for s in DRAFTS[i % len(DRAFTS)]]
    ms = time_it(lambda: clf.aggregate(single, clf.predict(single)), repeats * 5) * 1000
    seconds = time_it(lambda: clf.predict(batch), repeats)
    return ms, 32 / seconds


def category_head_cost(clf: ToneClassifier, repeats: int) -> tuple[float, float]:
    """Percent extra time of the category head, single draft and batch: the same loaded model timed with and
    without its kind head, alternating call by call so both see the same machine load (this box is shared)."""
    head = clf.model.kind_head
    single = DRAFTS[0]
    batch = [s for i in range(32) for s in DRAFTS[i % len(DRAFTS)]]

    def paired(texts: list[str], n: int) -> float:
        ratios = []
        clf.predict(texts)
        for _ in range(n):
            times = []
            for kind_head in (head, None):
                clf.model.kind_head = kind_head
                start = time.perf_counter()
                clf.predict(texts)
                times.append(time.perf_counter() - start)
            ratios.append(times[0] / times[1])
        clf.model.kind_head = head
        return 100 * (statistics.median(ratios) - 1)

    return paired(single, repeats * 10), paired(batch, repeats * 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "tone")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (the box has 2 cores)")
    parser.add_argument("--batch-size", type=int, default=64, help="sentences per forward pass")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    words = sum(len(s.split()) for s in DRAFTS[0])
    print(f"draft: {words} words, {len(DRAFTS[0])} sentences; batch: 32 drafts, "
          f"{sum(len(DRAFTS[i % 4]) for i in range(32))} sentences; threads {torch.get_num_threads()}, "
          f"batch size {args.batch_size}, torch {torch.__version__}\n")
    rows = {}
    for variant in ("fp32", "int8"):
        clf = ToneClassifier.load(args.model, variant=variant, batch_size=args.batch_size)
        rows[f"MiniLM-L6 tone model, {variant}"] = measure(clf, args.repeats)
    with_head = ToneClassifier.load(args.model, variant="int8", batch_size=args.batch_size)
    head_cost = category_head_cost(with_head, args.repeats) if with_head.has_kinds else None
    stand_in = bert_base(args.model, args.batch_size)
    rows["BERT-base stand-in (random), fp32"] = measure(stand_in, max(2, args.repeats // 2))
    base_ms, base_rate = rows["BERT-base stand-in (random), fp32"]
    print("| model | ms per draft (single) | drafts/s (batch of 32) | speed-up vs BERT-base (single / batch) |")
    print("|---|---|---|---|")
    for name, (ms, rate) in rows.items():
        print(f"| {name} | {ms:.1f} | {rate:.1f} | {base_ms / ms:.1f}x / {rate / base_rate:.1f}x |")
    if head_cost:
        single, batch = head_cost
        print(f"\ncategory head cost (int8, the two variants timed call by call in turn, median of "
              f"{args.repeats * 10} pairs): single draft {single:+.1f}%, batch {batch:+.1f}% (target: under 5%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
