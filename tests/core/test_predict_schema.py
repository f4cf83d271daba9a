"""`automl predict RUN bad.csv` with a file that does not match the schema: exit 2, one line naming the column.

One small run per task is fitted once (in-process, the fastest model, one
trial); the predictions go through the ``automl`` command (click's runner in
this process, and one real subprocess for the exact stderr contract).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from automl import AutoML
from automl.catalog import build_catalog
from automl.cli import cli as automl_cli

MODELS = {"tabular": "linear", "text": "complement_nb", "finetune": "transformer", "image": "linear",
          "recommend": "popularity", "forecast": "seasonal_naive"}
EXTRAS = {"image": ("torch", "PIL"), "finetune": ("transformers",)}


def _fit(task: str, folder: Path, source: Path, options: dict) -> Path:
    AutoML(task=task, trials=1, time_budget=60, models=[MODELS[task]], run_dir=folder / "run").fit(source, **options)
    return folder / "run"


def _image_source(folder: Path) -> tuple[Path, dict]:
    """A CSV of image paths and labels (so the schema records its path column, 'file')."""
    from automl_plugins.image.sample import write_shapes

    shapes = write_shapes(folder / "shapes", per_class=8, seed=0)
    rows = [(p.relative_to(folder).as_posix(), p.parent.name) for p in sorted(shapes.rglob("*.png"))]
    path = folder / "labels.csv"
    pd.DataFrame(rows, columns=["file", "label"]).to_csv(path, index=False)
    return path, {"target": "label"}


def _finetune_source(folder: Path) -> tuple[Path, dict]:
    """Few short reviews and a tiny random BERT: a fine-tune of seconds."""
    from automl_plugins.text.finetune.sample import reviews_frame
    from automl_plugins.text.finetune.tiny import make_tiny_bert

    frame = reviews_frame(60, seed=0)
    path = folder / "reviews.csv"
    frame.to_csv(path, index=False)
    backbone = make_tiny_bert(folder / "tiny-bert", frame["review"], hidden=16, layers=1)
    return path, {"target": "sentiment", "backbone": [str(backbone)]}


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> Callable[[str], tuple[Path, pd.DataFrame]]:
    """``fitted(task)``: (run directory, training frame) for a task, fitted on first use."""
    runs: dict[str, tuple[Path, pd.DataFrame]] = {}
    catalog = build_catalog()

    def get(task: str) -> tuple[Path, pd.DataFrame]:
        for module in EXTRAS.get(task, ()):
            pytest.importorskip(module, reason=f"the {task} extra is not installed")
        if task not in runs:
            folder = tmp_path_factory.mktemp(task)
            if task == "image":
                source, options = _image_source(folder)
            elif task == "finetune":
                source, options = _finetune_source(folder)
            else:
                source, options = catalog.task(task).sample_data(folder)
            runs[task] = (_fit(task, folder, Path(source), options), pd.read_csv(source))
        return runs[task]

    return get


def predict_error(run: Path, frame: pd.DataFrame, tmp_path: Path, *fragments: str) -> str:
    """``automl predict RUN bad.csv``: exit code 2, one ``error:`` line naming every fragment, no traceback."""
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    result = CliRunner().invoke(automl_cli, ["predict", str(run), str(bad)])
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr and "bad.csv" in lines[0], lines[0]
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def _rows(frame: pd.DataFrame, n: int = 6) -> pd.DataFrame:
    return frame.head(n).copy()


# -- tabular --------------------------------------------------------------------------------------
def test_tabular_missing_column(fitted, tmp_path):
    run, frame = fitted("tabular")
    predict_error(run, _rows(frame).drop(columns=["churned", "tenure_months"]), tmp_path, "'tenure_months'", "missing")


def test_tabular_wrong_column_names(fitted, tmp_path):
    run, frame = fitted("tabular")
    renamed = _rows(frame).drop(columns=["churned"]).rename(columns=str.upper)
    predict_error(run, renamed, tmp_path, "'plan'", "missing", "'PLAN'", "the model needs")


@pytest.mark.parametrize(
    ("column", "value", "what"),
    [("tenure_months", "twelve", "numbers"), ("signup_date", "soon", "dates")],
)
def test_tabular_values_of_the_wrong_type(fitted, tmp_path, column, value, what):
    run, frame = fitted("tabular")
    bad = _rows(frame).drop(columns=["churned"]).astype({column: object})
    bad.loc[bad.index[2:], column] = value
    predict_error(run, bad, tmp_path, f"'{column}'", what, repr(value))


def test_tabular_stray_values_are_tolerated_as_in_training(fitted, tmp_path):
    """One stray value among many is missing (training tolerates 2% too); so is an unseen yes/no value."""
    run, frame = fitted("tabular")
    good = frame.drop(columns=["churned"]).astype({"tenure_months": object, "autopay": object})
    good.loc[good.index[0], "tenure_months"] = "twelve"
    good.loc[good.index[1:4], "autopay"] = "maybe"
    good.to_csv(tmp_path / "good.csv", index=False)
    result = CliRunner().invoke(automl_cli, ["predict", str(run), str(tmp_path / "good.csv")])
    assert result.exit_code == 0, result.output


def test_tabular_through_a_real_subprocess(fitted, tmp_path, cli, user_error):
    run, frame = fitted("tabular")
    bad = _rows(frame).drop(columns=["churned"]).astype({"monthly_charges": object})
    bad["monthly_charges"] = "n/a-ish"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    user_error(cli("predict", run, "bad.csv", cwd=tmp_path), "'monthly_charges'", "numbers", "bad.csv")


# -- text and finetune ------------------------------------------------------------------------------
@pytest.mark.parametrize(("task", "text_column"), [("text", "message"), ("finetune", "review")])
def test_text_column_missing(fitted, tmp_path, task, text_column):
    run, frame = fitted(task)
    bad = _rows(frame).rename(columns={text_column: "body"})
    predict_error(run, bad, tmp_path, f"'{text_column}'", "missing")


# -- image ------------------------------------------------------------------------------------------
def test_image_path_column_missing(fitted, tmp_path):
    run, frame = fitted("image")
    bad = _rows(frame).rename(columns={"file": "picture"})
    predict_error(run, bad, tmp_path, "'file'", "picture")


def test_image_paths_that_leave_the_folder(fitted, tmp_path):
    run, frame = fitted("image")
    bad = pd.DataFrame({"file": ["../../etc/passwd.png"]})
    predict_error(run, bad, tmp_path, "'../../etc/passwd.png'", "row 2", "leaves the CSV's folder")


# -- recommend --------------------------------------------------------------------------------------
def test_recommend_user_column_missing(fitted, tmp_path):
    run, frame = fitted("recommend")
    bad = _rows(frame)[["item_id", "rating"]].rename(columns={"item_id": "customer"})
    predict_error(run, bad, tmp_path, "'user_id'")


def test_recommend_missing_user_ids(fitted, tmp_path):
    run, frame = fitted("recommend")
    bad = _rows(frame)[["user_id"]].astype(object)
    bad.loc[bad.index[1], "user_id"] = None
    predict_error(run, bad, tmp_path, "'user_id'", "missing user ids")


# -- forecast ---------------------------------------------------------------------------------------
def test_forecast_date_column_missing(fitted, tmp_path):
    run, frame = fitted("forecast")
    bad = pd.DataFrame({"store": ["store_1"], "when": ["2024-01-01"]})
    predict_error(run, bad, tmp_path, "'month'")


def test_forecast_values_that_are_not_dates(fitted, tmp_path):
    run, frame = fitted("forecast")
    bad = pd.DataFrame({"store": ["store_1", "store_2"], "month": ["2024-01-01", "next month"]})
    predict_error(run, bad, tmp_path, "'month'", "not dates", "'next month'")


def test_forecast_series_column_missing(fitted, tmp_path):
    run, frame = fitted("forecast")
    last = frame["month"].max()
    bad = pd.DataFrame({"month": [last]})
    predict_error(run, bad, tmp_path, "'store'")


def test_forecast_unknown_series(fitted, tmp_path):
    run, frame = fitted("forecast")
    bad = pd.DataFrame({"store": ["store_9"], "month": [frame["month"].max()]})
    predict_error(run, bad, tmp_path, "'store_9'", "'store'")


def test_forecast_history_with_a_non_numeric_target(fitted, tmp_path):
    run, frame = fitted("forecast")
    bad = frame.astype({"units": object})
    bad.loc[bad.index[3], "units"] = "lots"
    predict_error(run, bad, tmp_path, "'units'", "'lots'")
