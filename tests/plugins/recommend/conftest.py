"""Register the recommend plugin for these tests when it is not installed, and small interaction logs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import automl_plugins.recommend
from automl.catalog import build_catalog
from automl.plugins import register_plugin, unregister_plugin
from automl_plugins.recommend.sample import interactions_frame


@pytest.fixture(autouse=True)
def recommend_plugin() -> Iterator[None]:
    name = None
    if build_catalog().pm.get_name(automl_plugins.recommend.PLUGIN) is None:
        name = register_plugin(automl_plugins.recommend.PLUGIN, "recommend")
    yield
    if name:
        unregister_plugin(name)


@pytest.fixture(scope="session")
def planted() -> pd.DataFrame:
    """Interactions with four planted taste groups (see automl_plugins.recommend.sample)."""
    return interactions_frame(n_users=200, n_items=120, seed=1)


@pytest.fixture
def planted_csv(planted: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "interactions.csv"
    planted.to_csv(path, index=False)
    return path
