"""The recommenders: planted structure is found, unknown users and unseen items, files, optional extras."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl import AutoML
from automl.catalog import build_catalog
from automl.errors import MissingExtra
from automl.specs import SearchContext, take
from automl_plugins.recommend.metrics import METRICS, ndcg
from automl_plugins.recommend.models import MODELS
from automl_plugins.recommend.task import load, split

SPECS = {spec.key: spec for spec in MODELS}


def _setup(frame: pd.DataFrame, **options: object):  # noqa: ANN202 - a small bundle for the tests
    dataset = load(frame, options)
    ((train, valid),) = split(dataset, seed=0)
    metric = next(m for m in METRICS if m.name == "ndcg")
    ctx = SearchContext(task="recommend", kind=dataset.kind, metric=metric, info=dataset.info)
    return dataset, train, valid, ctx


def _fit(key: str, dataset, train, valid, ctx, **params: object):  # noqa: ANN001, ANN202
    spec = SPECS[key]
    X, y = dataset.X, dataset.y
    return spec.build({**spec.defaults, **params}, ctx).fit(take(X, train), y[train], take(X, valid), y[valid])


def test_collaborative_models_beat_popularity_clearly_on_planted_groups(planted: pd.DataFrame) -> None:
    dataset, train, valid, ctx = _setup(planted)
    X_valid, y_valid = take(dataset.X, valid), dataset.y[valid]
    scores = {key: ndcg(y_valid, _fit(key, dataset, train, valid, ctx).predict(X_valid))
              for key in ("popularity", "ease", "itemknn")}
    assert scores["ease"] > 1.5 * scores["popularity"], scores
    assert scores["itemknn"] > 1.5 * scores["popularity"], scores


def test_the_tuned_model_beats_popularity_and_serves_unknown_users(planted_csv: Path, tmp_path: Path) -> None:
    run = AutoML(task="recommend", trials=6, time_budget=120, run_dir=tmp_path / "run").fit(planted_csv, top_k=5)
    board = run.leaderboard()
    best, popularity = board.iloc[0], board[board["model"] == "popularity"].iloc[0]
    assert best["model"] != "popularity" and best["score"] > 1.5 * popularity["score"], board.to_string()

    users = tmp_path / "users.csv"
    pd.DataFrame({"user_id": ["u0001", "stranger", "u0002"]}).to_csv(users, index=False)
    out = run.predict(users)
    assert list(out.columns) == ["user", "rank", "item", "score", "fallback"]
    assert out.groupby("user", sort=False).size().to_dict() == {"u0001": 5, "stranger": 5, "u0002": 5}
    assert out.loc[out["user"] == "stranger", "fallback"].all()
    assert not out.loc[out["user"] != "stranger", "fallback"].any()
    planted = pd.read_csv(planted_csv)
    popular = planted["item_id"].value_counts()
    # the most popular items; equally popular ones may come in either order
    stranger_counts = popular.reindex(out.loc[out["user"] == "stranger", "item"]).tolist()
    assert stranger_counts == popular.iloc[:5].tolist()
    seen = set(planted.loc[planted["user_id"] == "u0001", "item_id"])
    assert not seen & set(out.loc[out["user"] == "u0001", "item"])  # nothing the user already has
    assert out.groupby("user")["score"].apply(lambda s: s.is_monotonic_decreasing).all()
    assert "Recommendations: best trial of each model" in run.report().with_suffix(".md").read_text()


def test_items_seen_only_in_the_held_out_rows_break_nothing(planted: pd.DataFrame) -> None:
    late = pd.DataFrame({"user_id": ["u0001", "u0002", "u0003"], "item_id": ["brand_new"] * 3, "rating": [5.0] * 3,
                         "timestamp": [2_000_000_000] * 3})
    dataset, train, valid, ctx = _setup(pd.concat([planted, late], ignore_index=True))
    new_code = dataset.schema["item_ids"].index("brand_new")
    assert new_code not in dataset.X.iloc[train]["item"].to_numpy()
    X_valid = take(dataset.X, valid)
    for key in SPECS:
        lists = _fit(key, dataset, train, valid, ctx).predict(X_valid)[:, 0, :]
        assert lists.shape == (len(valid), 10)
        assert new_code not in lists, key  # a model cannot rank an item it never saw


def test_a_fold_model_serves_from_the_whole_history(planted: pd.DataFrame) -> None:
    """The core may keep a trial's fold model as the final model; predict must then not re-recommend the
    held-out (latest) interactions."""
    dataset, train, valid, ctx = _setup(planted)
    model = _fit("ease", dataset, train, valid, ctx)
    users = pd.DataFrame({"user": np.arange(dataset.info["n_users"])})
    users.attrs["serving"] = True
    lists = model.predict(users)[:, 0, :].astype(int)
    held = dataset.X.iloc[valid]
    recommended = {(u, i) for u, row in enumerate(lists) for i in row}
    assert not recommended & set(zip(held["user"], held["item"], strict=True))
    assert pickle.loads(pickle.dumps(model)).predict(users).tolist() == model.predict(users).tolist()


@pytest.mark.parametrize("with_validation", [True, False])
def test_save_and_load_keep_the_top_k_lists(planted: pd.DataFrame, tmp_path: Path, with_validation: bool) -> None:
    dataset, train, valid, ctx = _setup(planted.iloc[:1500])
    users = pd.DataFrame({"user": np.r_[np.arange(dataset.info["n_users"]), -1]})
    users.attrs.update(serving=True, top_k=7)
    for key, spec in SPECS.items():
        model = _fit(key, dataset, train, valid, ctx) if with_validation else \
            spec.build(dict(spec.defaults), ctx).fit(dataset.X, dataset.y)
        folder = tmp_path / f"{key}_{with_validation}"
        folder.mkdir()
        spec.save(model, folder)
        assert not list(folder.glob("*.pkl")) and not list(folder.glob("*.joblib"))
        before, after = model.predict(users), spec.load(folder).predict(users)
        assert before.shape == (len(users), 2, 7)
        np.testing.assert_array_equal(after[:, 0], before[:, 0], err_msg=key)
        np.testing.assert_allclose(after[:, 1], before[:, 1], rtol=1e-6, err_msg=key)


def test_missing_optional_packages_name_the_extra(planted: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    if "als" not in SPECS or "ncf" not in SPECS:
        pytest.skip("the recommend extra is not installed")
    dataset, train, valid, ctx = _setup(planted.iloc[:500])
    monkeypatch.setitem(sys.modules, "implicit", None)  # import implicit now raises ImportError
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingExtra, match=r"pip install 'automl\[recommend\]'"):
        _fit("als", dataset, train, valid, ctx)
    with pytest.raises(MissingExtra, match=r"pip install 'automl\[recommend\]'"):
        SPECS["ncf"].build(dict(SPECS["ncf"].defaults), ctx)


def test_the_plugin_registers_its_task_models_and_metrics() -> None:
    catalog = build_catalog()
    assert catalog.task("recommend").ensemble is False
    assert {m.key for m in catalog.models_for("recommend")} >= {"popularity", "itemknn", "ease"}
    assert {m.name for m in catalog.metrics_for("recommend", "interactions")} == \
        {"ndcg", "recall", "map", "hit_rate", "coverage"}
