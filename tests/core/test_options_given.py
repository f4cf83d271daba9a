"""Every option given is used or refused: none is accepted and then silently ignored (issue 16, point 5)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from automl import AutoML
from automl.errors import UserError, in_python_words
from automl_plugins.recommend.sample import interactions_frame
from automl_plugins.tabular.demo import churn_frame

FAST = ["--trials", "2", "--time-budget", "30", "--quiet"]


@pytest.fixture
def interactions(tmp_path: Path) -> Path:
    path = tmp_path / "interactions.csv"
    interactions_frame(n_users=60, n_items=40, seed=3).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("flag", "value", "expected"), [
    ("--metric", "", "--metric is empty"),
    ("--metric", "  ", "--metric is empty"),
    ("--models", ",", "--models names no model"),
    ("--models", "", "--models names no model"),
])
def test_an_empty_choice_is_refused_not_replaced_by_the_default(cli, user_error, churn_csv: Path, flag: str,
                                                                value: str, expected: str) -> None:
    result = cli("fit", churn_csv, "--target", "churned", "--run-dir", "run", *FAST, flag, value,
                 cwd=churn_csv.parent)
    user_error(result, expected)
    assert not (churn_csv.parent / "run").exists()


def test_items_that_are_not_a_catalogue_are_refused_at_fit(cli, user_error, interactions: Path) -> None:
    not_a_catalogue = interactions.parent / "notes.csv"
    not_a_catalogue.write_text("user:x:1000:1000::/home/user:/bin/sh\nroot:x:0:0:root:/root:/bin/bash\n")
    result = cli("fit", interactions, "--task", "recommend", "--items", not_a_catalogue, "--run-dir", "run",
                 "--models", "popularity", *FAST, cwd=interactions.parent)
    user_error(result, "--items", "notes.csv", "item_id")
    untitled = interactions.parent / "untitled.csv"
    pd.DataFrame({"item_id": ["i001"], "price": [3]}).to_csv(untitled, index=False)
    result = cli("fit", interactions, "--task", "recommend", "--items", untitled, "--run-dir", "run",
                 "--models", "popularity", *FAST, cwd=interactions.parent)
    user_error(result, "--items", "no title column", "price")


def test_an_item_catalogue_names_the_items_in_the_report(interactions: Path) -> None:
    frame = pd.read_csv(interactions)
    catalogue = interactions.parent / "items.csv"
    items = sorted(frame["item_id"].unique())
    pd.DataFrame({"item_id": items, "title": [f"Film number {i}" for i in range(len(items))]}).to_csv(
        catalogue, index=False)
    run = AutoML(task="recommend", trials=2, time_budget=60, models=["popularity"],
                 run_dir=interactions.parent / "run").fit(interactions, items=str(catalogue))
    report = Path(run.report()).with_suffix(".md").read_text()
    assert "Film number" in report


def test_fit_takes_the_run_folder_and_other_arguments_per_call(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    churn_frame(120, seed=0).to_csv(data, index=False)
    run = AutoML(trials=1, time_budget=30, models=["linear"]).fit(data, target="churned", run_dir=tmp_path / "mine")
    assert run.dir.path == tmp_path / "mine" and (tmp_path / "mine" / "best" / "model.json").is_file()


def test_a_python_user_is_told_the_argument_not_the_flag(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    churn_frame(120, seed=0).to_csv(data, index=False)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("a user's file")
    with pytest.raises(UserError) as caught:
        AutoML(trials=1, models=["linear"], run_dir=tmp_path / "taken").fit(data, target="churned")
    assert "force=True" in str(caught.value) and "--force" not in str(caught.value)
    assert (tmp_path / "taken" / "mine.txt").read_text() == "a user's file"


def test_flags_become_python_arguments() -> None:
    assert in_python_words("pass --force to overwrite it, or choose another --run-dir") == \
        "pass force=True to overwrite it, or choose another run_dir"
    assert in_python_words("--text-col 'body' is not a column; --top-k must be") == \
        "text_column 'body' is not a column; top_k must be"
    assert in_python_words("a file named x--y stays") == "a file named x--y stays"


def test_a_run_fitted_from_a_frame_can_read_its_data_again(tmp_path: Path) -> None:
    """The frame is saved beside the run; the fingerprint in run.json must be that file's, or the report and
    resume would take the run's own copy for changed data."""
    from automl.report.evidence import training_data_problem

    run = AutoML(trials=1, time_budget=30, models=["linear"]).fit(churn_frame(120, seed=0), target="churned",
                                                                   run_dir=tmp_path / "frame_run")
    assert training_data_problem(run.record) is None
