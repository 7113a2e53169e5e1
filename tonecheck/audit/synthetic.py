"""Synthetic sent-reply mailboxes for the benchmark (bench/audit.py) and the resume test.

Replies are assembled from polite, neutral and rude fragments, with a Gmail-style quote and a signature, so
the audit does its real work (MIME, quote stripping, rules, tone) on each. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

AGENTS = (
    ("Jamie Lee", "jamie.lee@acme.example"),
    ("Pat Quinn", "pat.quinn@acme.example"),
    ("Kim Ode", "kim@acme.example"),
    ("Sam Roy", "sam@acme.example"),
    ("Alex Poe", "alex@acme.example"),
)
OPENERS = ("Thanks for getting in touch.", "Sorry for the wait.", "I've looked into your order.", "Hi again.")
MIDDLES = (
    "Your refund was issued today and should arrive within five business days.",
    "I've sent a replacement charger by express post.",
    "The courier will collect the parcel tomorrow between 9 and 12.",
    "As I already told you, the warranty does not cover water damage.",
    "You're the only person who has had this problem.",
    "You should have read the instructions before installing it.",
    "Your account has been unlocked; please try to log in again.",
    "Honestly, this is not our problem.",
)
CLOSERS = ("Let me know if there's anything else.", "Have a nice day!", "I hope this helps.", "Calm down.")
CUSTOMER = ("Where is my refund?", "The charger broke after two days.", "I can't log in.", "Why is it late?")


def reply(rng: random.Random, number: int) -> EmailMessage:
    """One synthetic sent reply with a quote of the customer's mail below the signature."""
    name, address = AGENTS[number % len(AGENTS)]
    sent = datetime(2026, 3, 1, 9, tzinfo=UTC) + timedelta(minutes=7 * number)
    body = "\n\n".join(
        [
            f"Hi customer {number},",
            " ".join([rng.choice(OPENERS), rng.choice(MIDDLES), rng.choice(MIDDLES)]),
            rng.choice(CLOSERS),
            f"Best regards,\n{name}\nAcme Support",
            f"On {format_datetime(sent - timedelta(hours=3))} Customer <c{number}@example.org> wrote:\n"
            f"> {rng.choice(CUSTOMER)}\n> You are useless, as I already told you.",
        ]
    )
    return sent_mail(f"{name} <{address}>", f"c{number}@example.org", f"Re: Ticket {number}", sent,
                     f"<synthetic-{number}@acme.example>", body)


def sent_mail(sender: str, to: str, subject: str, sent: datetime, message_id: str, body: str) -> EmailMessage:
    """A plain-text sent mail with the headers the audit reads."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg


def write_mbox(path: Path, count: int, seed: int = 7) -> Path:
    """Write ``count`` synthetic replies to an mbox file at ``path``."""
    rng = random.Random(seed)
    with path.open("wb") as fh:
        for number in range(count):
            fh.write(b"From agent@acme.example Sun Mar  1 09:00:00 2026\n")
            data = bytes(reply(rng, number)).replace(b"\nFrom ", b"\n>From ")
            fh.write(data.rstrip(b"\n") + b"\n\n")
    return path
