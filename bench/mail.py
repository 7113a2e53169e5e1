"""Realistic sent mail for the throughput benchmarks: real and independently written reply text in team templates.

    from mail import write_realistic_mbox     # bench/ scripts only; reads models/data/

``tonecheck.audit.synthetic`` builds replies from 16 fixed fragments, so after the first few hundred messages every
sentence but the greeting repeats, and a sentence cache makes the tone model nearly free: fine for testing
resumes, flattering for a throughput figure. Here the body of each reply is 1-3 consecutive replies of one writer
from the committed data (the 20 writers of ``models/data/voices/``, the public brand and agent replies of
``support_real.jsonl`` and ``real_dialogue/agent_turns.jsonl``: ~15,000 texts, each used once before any is used
again), wrapped the way a contact centre's mail is: a greeting with the customer's first name, sometimes a team
macro line before or after, the agent's sign-off and the customer's quoted mail below. :func:`repeat_rate` says
what share of the sentences a rep wrote are exact repeats of an earlier one, to set beside the 24-30% measured on
real brand and agent replies (issue 14).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from tonecheck.audit.synthetic import sent_mail

DATA = Path(__file__).resolve().parent.parent / "models" / "data"
FIRST_NAMES = [
    "Dana", "Sam", "Alex", "Priya", "Tom", "Maria", "Chen", "Olu", "Fatima", "Jo", "Lars", "Aisha", "Ben", "Carmen",
    "Dmitri", "Emma", "Femi", "Grace", "Hiro", "Ines", "Jack", "Kemal", "Lena", "Marco", "Nadia", "Oscar", "Paula",
    "Quinn", "Rosa", "Sanjay", "Tara", "Umar", "Vera", "Wes", "Ximena", "Yusuf", "Zoe", "Ahmed", "Bea", "Callum",
    "Deepa", "Eli", "Freya", "Gus", "Hana", "Ivan", "Jess", "Kofi", "Lucy", "Mo"
]
GREETINGS = ("Hi {name},", "Hello {name},", "Dear {name},", "Hi {name}!", "Good morning {name},", "Hey {name},")
TEAMS = ("Acme Support", "Acme Billing", "Acme Care", "Acme Deliveries")
AGENTS = (
    "Jamie Lee", "Pat Quinn", "Kim Ode", "Sam Roy", "Alex Poe", "Robin Hart", "Casey Wu", "Morgan Diaz", "Jordan Shah",
    "Taylor Berg", "Riley Kerr", "Avery Lund", "Drew Moss", "Sky Nash", "Reese Owen", "Rowan Park", "Eden Rao",
    "Sage Sato", "Noor Tan", "Ira Vos",
)
MACROS_BEFORE = (
    "Thank you for contacting Acme Support.",
    "Thanks for reaching out to us.",
    "I hope you're well.",
    "Sorry for the delay in getting back to you.",
)
MACROS_AFTER = (
    "Is there anything else I can help you with?",
    "Please don't hesitate to get in touch if you have any other questions.",
    "If you need anything else, just reply to this email.",
    "You can also reach us on live chat, 8am to 8pm.",
)
SIGN_OFFS = ("Best regards,", "Kind regards,", "Thanks,", "Many thanks,", "Cheers,", "All the best,")
CUSTOMER = (
    "Where is my refund? It has been two weeks.",
    "The charger stopped working after two days.",
    "I still can't log in and nobody is helping me.",
    "Why was I charged twice this month?",
    "My parcel says delivered but it never arrived.",
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def reply_texts() -> dict[str, list[str]]:
    """Reply texts per writer (or public source), in file order."""
    files = sorted((DATA / "voices").glob("*.jsonl"))
    files += [DATA / "support_real.jsonl", DATA / "real_dialogue" / "agent_turns.jsonl"]
    by_writer: dict[str, list[str]] = {}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            writer = record.get("writer") or record.get("source") or path.stem
            by_writer.setdefault(writer, []).append(record["text"].strip())
    return by_writer


def bodies(rng: random.Random) -> Iterator[str]:
    """Endless reply bodies: 1-3 consecutive texts of one writer; every text once before any text twice."""
    chunks: list[str] = []
    for texts in reply_texts().values():
        i = 0
        while i < len(texts):
            size = rng.choice((1, 2, 2, 3))
            chunks.append(" ".join(texts[i : i + size]))
            i += size
    while True:
        rng.shuffle(chunks)
        yield from chunks


def compose(rng: random.Random, number: int, body: str) -> tuple[EmailMessage, list[str]]:
    """One sent reply, and the paragraphs the rep wrote that the audit judges (the sign-off and quote are cut)."""
    agent = AGENTS[number % len(AGENTS)]
    team = TEAMS[number % len(TEAMS)]
    written = [rng.choice(GREETINGS).format(name=rng.choice(FIRST_NAMES))]
    if rng.random() < 0.4:
        written.append(rng.choice(MACROS_BEFORE))
    written.append(body)
    if rng.random() < 0.5:
        written.append(rng.choice(MACROS_AFTER))
    signature = f"{rng.choice(SIGN_OFFS)}\n{agent}\n{team}"
    sent = datetime(2026, 1, 5, 8, tzinfo=UTC) + timedelta(minutes=3 * number)
    quote = "\n".join(f"> {line}" for line in rng.choice(CUSTOMER).split(". "))
    text = "\n\n".join([*written, signature, f"On {format_datetime(sent - timedelta(hours=2))} Customer "
                        f"<c{number}@example.org> wrote:\n{quote}"])
    msg = sent_mail(f"{agent} <{agent.split()[0].lower()}@acme.example>", f"c{number}@example.org",
                    f"Re: Case {100000 + number}", sent, f"<realistic-{number}@acme.example>", text)
    return msg, written


def write_realistic_mbox(path: Path, n: int, seed: int = 0) -> tuple[Path, float]:
    """``n`` replies into one mbox at ``path``; returns the path and the sentence repeat rate of the rep's text."""
    import mailbox

    rng = random.Random(seed)
    source = bodies(rng)
    written: list[str] = []
    box = mailbox.mbox(str(path), create=True)
    box.lock()
    try:
        for number in range(n):
            msg, paragraphs = compose(rng, number, next(source))
            box.add(msg)
            written += paragraphs
    finally:
        box.flush()
        box.unlock()
        box.close()
    return path, repeat_rate(written)


def repeat_rate(paragraphs: list[str]) -> float:
    """Share of sentences (split at end punctuation and line breaks) that exactly repeat an earlier one."""
    seen: set[str] = set()
    total = repeats = 0
    for paragraph in paragraphs:
        for sentence in filter(None, (s.strip() for s in _SENTENCE_END.split(paragraph))):
            total += 1
            repeats += sentence in seen
            seen.add(sentence)
    return repeats / total if total else 0.0
