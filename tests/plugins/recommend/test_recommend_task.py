"""Loading an interactions log: column detection, clear errors, the per-user split, ids in and out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl.errors import UserError
from automl_plugins.recommend.task import RECOMMEND, format_predictions, load, prepare, split


def _frame(**columns: list) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_movielens_style_columns_are_detected() -> None:
    frame = _frame(userId=[1, 1, 2, 2], movieId=[10, 20, 10, 30], rating=[4.0, 3.5, 5.0, 1.0],
                   timestamp=[3, 1, 2, 4])
    dataset = load(frame, {})
    assert dataset.info["columns"] == {"user": "userId", "item": "movieId", "rating": "rating", "time": "timestamp"}
    assert dataset.schema["user_ids"] == [1, 2] and dataset.schema["item_ids"] == [10, 20, 30]
    assert dataset.y.tolist() == [[0, 0], [0, 1], [1, 0], [1, 2]]
    assert RECOMMEND.detect(frame, {}) == 0  # a log looks like any table: only --task recommend chooses it


def test_options_override_detection_and_dates_parse() -> None:
    frame = _frame(customer=["a", "a", "b", "b"], sku=["x", "y", "x", "z"], user=["n", "n", "n", "n"],
                   stars=["1", "2", "3", "4"], when=["2024-01-02", "2024-01-01", "2024-03-01", "2024-02-01"])
    dataset = load(frame, {"user_column": "customer", "item_column": "sku", "rating_column": "none"})
    assert dataset.info["columns"] == {"user": "customer", "item": "sku", "rating": None, "time": "when"}
    assert dataset.X["time"].iloc[0] > dataset.X["time"].iloc[1]


@pytest.mark.parametrize(("frame", "options", "fragments"), [
    (_frame(userId=[1, 1, 1], movieId=[1, 2, 3]), {}, ["'userId'", "only one user", "--user-col"]),
    (_frame(userId=[1, 2, 3], movieId=[1, 2, 1]), {}, ["'userId'", "no user repeats", "--user-col"]),
    (_frame(userId=[1, None, 2, 2], movieId=[1, 2, 1, 3]), {}, ["'userId'", "missing user ids", "data rows 2"]),
    (_frame(userId=[1, 1, 2, 2], movieId=[1, None, 1, 3]), {}, ["'movieId'", "missing item ids", "fill them in"]),
    (_frame(userId=[1, 1, 2, 2], movieId=[1, 2, 1, 3], rating=[4, "great", 3, 2]), {},
     ["'rating'", "numeric ratings", "'great'", "--rating-col"]),
    (_frame(userId=[1, 1, 2], movieId=[1, 2, 1], timestamp=["2024-01-01", "soon", "2024-01-03"]), {},
     ["'timestamp'", "unreadable times", "--time-col none"]),
    (_frame(userId=[1, 1, 2], movieId=[1, 2, 1]), {"item_column": "product"},
     ["'product'", "--item-col", "columns are: userId, movieId"]),
    (_frame(a=[1, 1, 2], b=[1, 2, 1]), {}, ["no user column", "--user-col", "columns: a, b"]),
])
def test_bad_input_gives_one_clear_line_naming_the_column(frame: pd.DataFrame, options: dict,
                                                           fragments: list[str]) -> None:
    with pytest.raises(UserError) as error:
        load(frame, options)
    message = str(error.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_the_latest_fifth_of_each_user_is_held_out_and_single_users_train_only() -> None:
    users = [1] * 10 + [2] * 3 + [3]
    frame = _frame(userId=users, movieId=list(range(14)), timestamp=[9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 5, 6, 4, 1])
    dataset = load(frame, {})
    ((train, valid),) = split(dataset, seed=0)
    held = dataset.X.iloc[valid]
    assert sorted(held.loc[held["user"] == 0, "time"]) == [8, 9]  # the 2 latest of 10
    assert held.loc[held["user"] == 1, "time"].tolist() == [6]  # at least one
    assert (held["user"] != 2).all()  # one interaction: training only
    assert len(train) + len(valid) == len(frame) and not set(train) & set(valid)


def test_without_times_the_held_out_rows_are_random_per_user() -> None:
    frame = _frame(user=[1] * 10 + [2] * 10, item=list(range(10)) * 2)
    dataset = load(frame, {})
    ((_, valid_a),) = split(dataset, seed=0)
    ((_, valid_b),) = split(dataset, seed=1)
    assert len(valid_a) == 4 and set(valid_a) != set(valid_b)


def test_repeated_interactions_keep_their_latest(tmp_path: Path) -> None:
    frame = _frame(user=[1, 1, 1, 2, 2], item=[5, 5, 6, 5, 7], rating=[1, 5, 3, 2, 2], timestamp=[1, 9, 2, 1, 2])
    dataset = load(frame, {})
    assert len(dataset.X) == 4 and any("merged" in note for note in dataset.notes)
    assert dataset.X.loc[(dataset.X["user"] == 0) & (dataset.X["item"] == 0), "rating"].item() == 5


def test_prepare_maps_ids_and_format_writes_the_contract(tmp_path: Path) -> None:
    dataset = load(_frame(userId=[7, 7, 8, 8], movieId=["m1", "m2", "m1", "m3"]), {})
    users = tmp_path / "users.csv"
    pd.DataFrame({"userId": [8, 99, 8, 7]}).to_csv(users, index=False)
    batch = prepare(users, {**dataset.schema, "top_k": 2})
    assert batch.X["user"].tolist() == [1, -1, 0] and batch.X.attrs["top_k"] == 2
    raw = np.array([[[2, -1], [0.5, np.nan]], [[0, 1], [9.0, 4.0]], [[1, 2], [0.7, 0.1]]])
    out = format_predictions(raw, batch, dataset.schema)
    assert list(out.columns) == ["user", "rank", "item", "score", "fallback"]
    assert out.values.tolist() == [[8, 1, "m3", 0.5, False], [99, 1, "m1", 9.0, True], [99, 2, "m2", 4.0, True],
                                   [7, 1, "m2", 0.7, False], [7, 2, "m3", 0.1, False]]


def test_prepare_names_the_missing_user_column(tmp_path: Path) -> None:
    dataset = load(_frame(userId=[7, 7, 8, 8], movieId=[1, 2, 1, 3]), {})
    users = tmp_path / "users.csv"
    pd.DataFrame({"who": [1], "what": [2]}).to_csv(users, index=False)
    with pytest.raises(UserError, match="no user column 'userId'"):
        prepare(users, dataset.schema)
    pd.DataFrame({"userId": [7]}).to_csv(users, index=False)
    with pytest.raises(UserError, match="--top-k must be a whole number"):
        prepare(users, {**dataset.schema, "top_k": "ten"})
