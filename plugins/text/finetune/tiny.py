"""A tiny randomly initialised BERT built from a handful of texts, saved like any local backbone.

It makes fine-tuning testable offline and in seconds (the conformance kit and
the test suite use it): the vocabulary is the texts' own lowercase words plus
single characters, so the tokenizer never maps everything to ``[UNK]``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from automl_plugins.text.finetune.backbones import transformers

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
MAX_WORDS = 2000


def vocabulary(texts: Iterable[str]) -> list[str]:
    words: Counter[str] = Counter()
    characters: set[str] = set()
    for text in texts:
        lowered = text.lower()
        words.update(re.findall(r"\w+", lowered))
        characters.update(c for c in lowered if not c.isspace())
    pieces = [w for w, _ in words.most_common(MAX_WORDS)]
    pieces += sorted(characters - set(pieces))
    pieces += [f"##{c}" for c in sorted(characters)]
    return SPECIAL_TOKENS + pieces


VALUE_SCALE = 200.0
POOLER_SCALE = 20.0


def _bag_of_words_start(model: object) -> None:
    """Uniform attention with strong value paths: [CLS] starts as a random projection of the words' mean.

    A BERT with the usual random start (std 0.02) needs thousands of steps
    before [CLS] carries any signal; with this start a few dozen steps at a
    fine-tuning learning rate separate easy classes, as a pretrained one would.
    """
    import torch

    with torch.no_grad():
        for layer in model.bert.encoder.layer:  # type: ignore[attr-defined]
            attention = layer.attention
            attention.self.query.weight.zero_()
            attention.self.key.weight.zero_()
            attention.self.value.weight.mul_(VALUE_SCALE)
            attention.output.dense.weight.mul_(VALUE_SCALE)
        model.bert.pooler.dense.weight.mul_(POOLER_SCALE)  # type: ignore[attr-defined]  # features of size ~1


def make_tiny_bert(folder: Path, texts: Iterable[str], hidden: int = 32, layers: int = 2, seed: int = 0) -> Path:
    """Write a tiny BERT (random weights) and its WordPiece tokenizer to ``folder``; returns the folder."""
    import torch

    hf = transformers()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(vocabulary(texts)) + "\n", encoding="utf-8")
    tokenizer = hf.BertTokenizerFast.from_pretrained(str(folder), do_lower_case=True)  # reads vocab.txt
    config = hf.BertConfig(vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=layers,
                           num_attention_heads=2, intermediate_size=2 * hidden, max_position_embeddings=256)
    torch.manual_seed(seed)
    model = hf.BertForSequenceClassification(config)
    _bag_of_words_start(model)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
