"""Finding the free-text column of a table, and turning cells into clean strings.

A column is free text when its cells are long (20 characters or more on
average), made of several words (or of many distinct characters, as Chinese
and Japanese are written without spaces) and mostly distinct from each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

MAX_CHARS = 20_000
MIN_MEAN_CHARS = 20
MIN_MEAN_WORDS = 3
MIN_DISTINCT_CHARS = 8  # per cell, on average: how CJK text (no spaces) shows it is prose
MIN_UNIQUE_RATIO = 0.3
SAMPLE_ROWS = 2000


def is_textual(column: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(column.dtype) or pd.api.types.is_object_dtype(column.dtype)


def text_stats(column: pd.Series) -> dict[str, float]:
    """Mean length, words and distinct characters per cell, and the share of distinct cells."""
    values = column.dropna().astype(str).head(SAMPLE_ROWS)
    values = values[values.str.strip() != ""]
    if values.empty:
        return {"chars": 0.0, "words": 0.0, "distinct_chars": 0.0, "unique_ratio": 0.0}
    return {
        "chars": float(values.str.len().mean()),
        "words": float(values.str.split().str.len().mean()),
        "distinct_chars": float(values.map(lambda s: len(set(s))).mean()),
        "unique_ratio": float(values.nunique() / len(values)),
    }


def looks_like_free_text(stats: Mapping[str, float]) -> bool:
    wordy = stats["words"] >= MIN_MEAN_WORDS or stats["distinct_chars"] >= MIN_DISTINCT_CHARS
    return stats["chars"] >= MIN_MEAN_CHARS and wordy and stats["unique_ratio"] >= MIN_UNIQUE_RATIO


def could_be_text(stats: Mapping[str, float]) -> bool:
    """The lower bar for a column the text task is asked to use: short texts count, codes and dates do not."""
    wordy = stats["words"] >= 2 or stats["distinct_chars"] >= MIN_DISTINCT_CHARS
    return stats["chars"] >= MIN_MEAN_CHARS / 2 and wordy and stats["unique_ratio"] >= 0.1


def text_candidates(frame: pd.DataFrame, exclude: tuple[str, ...] = ()) -> dict[str, dict[str, float]]:
    """Statistics of every string column except ``exclude``."""
    return {str(c): text_stats(frame[c]) for c in frame.columns if c not in exclude and is_textual(frame[c])}


def pick_text_column(candidates: Mapping[str, Mapping[str, float]]) -> str | None:
    """The string column with the longest texts (then the most distinct ones), if any."""
    if not candidates:
        return None
    return max(candidates, key=lambda c: (candidates[c]["chars"], candidates[c]["unique_ratio"]))


def to_texts(column: pd.Series) -> np.ndarray:
    """Cells as strings: missing cells become "", NUL characters spaces, very long ones are cut to MAX_CHARS."""
    text = column.astype(object).where(column.notna(), "").astype(str).str.replace("\x00", " ", regex=False)
    return np.asarray(text.str.slice(0, MAX_CHARS).to_numpy(), dtype=object)


def pick_id_column(frame: pd.DataFrame, skip: tuple[str, ...]) -> str | None:
    """A column that identifies rows (``ticket_id``, a unique code), to write beside predictions."""
    from automl.kit import describe_column  # the tabular task's column typing, which marks id columns

    for name in frame.columns:
        if name in skip:
            continue
        described: dict[str, Any] = describe_column(name, frame[name], len(frame))
        if described.get("id"):
            return str(name)
    return None
