"""Generated reviews and a tiny random BERT built from them, shared by the finetune tests."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("transformers", reason="the finetune extra is not installed: pip install 'automl[finetune]'")


@pytest.fixture(scope="session")
def reviews(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(reviews.csv, tiny BERT folder): 400 labelled reviews, hidden size 32, 2 layers."""
    from automl_plugins.text.finetune.task import sample_data

    source, options = sample_data(tmp_path_factory.mktemp("reviews"))
    return Path(source), Path(options["backbone"][0])
