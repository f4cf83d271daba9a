"""Sentence vectors survive the trial's process: the next trial finds them on disk instead of encoding again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from automl_plugins.text.models import vector_cache


def test_vectors_stored_by_one_process_are_found_by_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(vector_cache.ENV, str(tmp_path / "cache"))
    texts = ["free entry now", "see you at 5"]
    assert vector_cache.load("encoder", texts) is None
    vectors = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)
    vector_cache.store("encoder", texts, vectors)
    assert np.array_equal(vector_cache.load("encoder", texts), vectors)
    assert vector_cache.load("encoder", list(reversed(texts))) is None  # another batch, another file
    assert vector_cache.load("other", texts) is None
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700


def test_the_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(vector_cache.ENV, "off")
    vector_cache.store("encoder", ["a"], np.ones((1, 2)))
    assert vector_cache.load("encoder", ["a"]) is None
