"""Generated product reviews (positive or negative), the finetune task's sample data.

Two classes with distinct words: a tiny random BERT separates them within a
few dozen steps, so the conformance kit can check metrics and a real search
in seconds without any download.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_POSITIVE = ["great", "love", "excellent", "perfect", "happy", "recommend", "wonderful", "fast", "amazing", "best"]
_NEGATIVE = ["terrible", "broken", "awful", "refund", "worst", "slow", "disappointed", "never", "angry", "useless"]
_NEUTRAL = ["the", "product", "it", "was", "and", "delivery", "i", "my", "order", "this", "very", "with"]


def reviews_frame(n: int, seed: int = 0, noise: float = 0.05) -> pd.DataFrame:
    """``n`` reviews with columns review_id, review and sentiment; a share ``noise`` have the wrong label."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        positive = bool(rng.random() < 0.5)
        words = [*rng.choice(_POSITIVE if positive else _NEGATIVE, size=int(rng.integers(2, 4))),
                 *rng.choice(_NEUTRAL, size=int(rng.integers(3, 8)))]
        rng.shuffle(words)
        if rng.random() < noise:
            positive = not positive
        rows.append({"review_id": f"R{1000 + i}", "review": " ".join(str(w) for w in words).capitalize() + ".",
                     "sentiment": "positive" if positive else "negative"})
    return pd.DataFrame(rows)
