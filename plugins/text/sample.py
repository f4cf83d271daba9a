"""Generated customer-support tickets: free text routed to one of four teams."""

from __future__ import annotations

import numpy as np
import pandas as pd

_TOPICS = {
    "billing": ["invoice", "charged twice", "refund", "credit card", "payment failed", "subscription price",
                "receipt", "billing address", "overcharged", "discount code"],
    "technical": ["error message", "app crashes", "cannot log in", "page will not load", "bug", "slow server",
                  "sync fails", "update broke", "timeout", "blank screen"],
    "shipping": ["package", "delivery", "tracking number", "courier", "arrived damaged", "late parcel",
                 "wrong address", "shipment lost", "return label", "warehouse"],
    "account": ["password reset", "change my email", "delete my account", "profile", "two-factor code",
                "username", "account locked", "privacy settings", "newsletter", "merge accounts"],
}
_OPENERS = ["Hello,", "Hi team,", "Good morning,", "Dear support,", "Hey,", ""]
_TEMPLATES = [
    "I have a problem with the {a} and also the {b}.",
    "Could you help me? My {a} is not right, something about {b}.",
    "Since yesterday the {a} issue keeps happening and nobody answered about the {b}.",
    "Please look into my {a}; I think the {b} is the cause.",
    "Is there any update on the {a}? I already wrote about the {b} last week.",
]
_CLOSERS = ["Thanks.", "Regards, Sam", "Please hurry.", "Cheers", "Thank you for your time.", ""]
_NOISE = ["order", "customer", "today", "again", "urgent", "weekend", "phone", "email"]


def tickets_frame(n: int, seed: int = 0, noise: float = 0.15) -> pd.DataFrame:
    """``n`` tickets with columns ticket_id, channel, message and team; a share ``noise`` have a wrong team."""
    rng = np.random.default_rng(seed)
    teams = list(_TOPICS)
    rows = []
    for i in range(n):
        team = teams[int(rng.integers(len(teams)))]
        # one phrase of another team now and then, so the task is not trivially separable
        other = teams[int(rng.integers(len(teams)))] if rng.random() < 0.3 else team
        a, b = rng.choice(_TOPICS[team]), rng.choice(_TOPICS[other])
        words = " ".join(rng.choice(_NOISE, size=int(rng.integers(0, 4))))
        text = " ".join(p for p in (str(rng.choice(_OPENERS)), str(rng.choice(_TEMPLATES)).format(a=a, b=b),
                                    words, str(rng.choice(_CLOSERS))) if p)
        label = teams[int(rng.integers(len(teams)))] if rng.random() < noise else team
        rows.append({"ticket_id": f"T{100000 + i}", "channel": str(rng.choice(["email", "chat", "web"])),
                     "message": text, "team": label})
    return pd.DataFrame(rows)
