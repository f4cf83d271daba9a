"""Batches of tokenised texts: grouped by length and padded only to the longest text in each batch.

Padding every text to ``max_length`` would make a CPU spend most of its time on
padding tokens: SMS messages average ~25 tokens. Grouping texts of similar
length (within shuffled windows, as Hugging Face's length-grouped sampler
does) keeps batches tight while the order still changes every epoch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

WINDOW_BATCHES = 50  # texts are sorted by length within windows of this many batches


def encode(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids per text, truncated; empty texts still get the special tokens."""
    return tokenizer(list(texts), truncation=True, max_length=max_length, padding=False)["input_ids"]


def length_grouped_order(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of row positions whose lengths are similar."""
    order = rng.permutation(len(lengths))
    window = batch_size * WINDOW_BATCHES
    batches = []
    for start in range(0, len(order), window):
        chunk = order[start:start + window]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def sorted_order(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Batches in length order, for prediction: the least padding of all."""
    order = np.argsort(-lengths, kind="stable")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def collate(ids: list[list[int]], rows: np.ndarray, pad_id: int) -> dict[str, Any]:
    """Input ids and attention mask of ``rows``, padded to the longest of them."""
    import torch

    width = max(1, max(len(ids[r]) for r in rows))
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        tokens = ids[r]
        input_ids[i, :len(tokens)] = torch.as_tensor(tokens, dtype=torch.long)
        mask[i, :len(tokens)] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


def batches(ids: list[list[int]], rows_per_batch: list[np.ndarray], pad_id: int) -> Iterator[tuple[np.ndarray, dict]]:
    for rows in rows_per_batch:
        yield rows, collate(ids, rows, pad_id)
