"""Loading dated tables: frequencies, many series, gaps, and the backtest windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl.errors import UserError
from automl_plugins.forecast.sample import sales_frame
from automl_plugins.forecast.task import load, prepare, split


def write(frame: pd.DataFrame, folder: Path, name: str = "data.csv") -> Path:
    path = folder / name
    frame.to_csv(path, index=False)
    return path


def test_many_series_in_long_format_are_found_and_split_without_leaks(tmp_path: Path) -> None:
    dataset = load(write(sales_frame(3, 48), tmp_path), {"target": "units", "horizon": 6})
    assert dataset.info["frequency"] == "monthly" and dataset.info["season_length"] == 12
    assert dataset.schema["id_column"] == "store" and dataset.info["n_series"] == 3
    X = dataset.X
    for train, valid in split(dataset, 0):
        for code in range(3):
            trained = X["t"].to_numpy()[train][X["series"].to_numpy()[train] == code]
            validated = X["t"].to_numpy()[valid][X["series"].to_numpy()[valid] == code]
            assert len(validated) == 6
            assert trained.max() < validated.min(), "a training row comes after a validation row"


def test_a_gap_is_filled_and_reported(tmp_path: Path) -> None:
    frame = sales_frame(1, 40).drop(columns="store").drop(index=[10, 11])
    dataset = load(write(frame, tmp_path), {"target": "units", "horizon": 4})
    assert dataset.info["n_points"] == 40
    assert any("filled 2 missing" in note for note in dataset.notes)
    filled = dataset.y[10:12, 0]
    assert np.all(np.isfinite(filled))


def test_daily_dates_and_the_periods_after_them(tmp_path: Path) -> None:
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    frame = pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "visits": np.arange(60.0)})
    dataset = load(write(frame, tmp_path), {"horizon": 7})
    assert dataset.info["frequency"] == "daily" and dataset.schema["target"] == "visits"
    batch = prepare(None, dataset.schema)
    assert len(batch.X) == 7
    assert (batch.X["t"].diff().dropna() == 1).all()


@pytest.mark.parametrize(
    ("frame", "options", "expected"),
    [
        (pd.DataFrame({"month": ["2024-01", "soon", "2024-03"] * 4, "units": range(12)}), {"date_column": "month"},
         "column 'month'"),
        (pd.DataFrame({"month": ["2024-01-01", "2024-02-01", "2024-02-01", "2024-03-01"] * 3, "units": range(12)}),
         {"horizon": 2}, "duplicate timestamps in column 'month'"),
        (pd.DataFrame({"month": pd.date_range("2020-01-01", periods=10, freq="MS").strftime("%Y-%m-%d"),
                       "units": range(10)}), {"horizon": 12}, "--horizon 12 is longer than the history"),
        (pd.DataFrame({"month": ["2024-01-01"], "units": [3.0]}), {"horizon": 1}, "fewer than two distinct dates"),
        (pd.DataFrame({"month": ["2024-01-01", "2024-02-01"], "units": ["a", "b"]}), {"target": "units"},
         "column 'units'"),
    ],
    ids=["unparseable-dates", "duplicate-timestamps", "horizon-longer-than-history", "single-point", "text-values"],
)
def test_bad_input_gets_one_clear_error(tmp_path: Path, frame: pd.DataFrame, options: dict, expected: str) -> None:
    with pytest.raises(UserError, match=expected.replace("-", r"\-")):
        load(write(frame, tmp_path), options)


def test_duplicates_in_many_series_name_the_series(tmp_path: Path) -> None:
    frame = sales_frame(2, 30)
    frame = pd.concat([frame, frame.iloc[[5]]], ignore_index=True)
    with pytest.raises(UserError, match="of series 'store_1' \\(column 'store'\\)"):
        load(write(frame, tmp_path), {"target": "units", "id_column": "store", "horizon": 3})
