"""The user can name the problem type: an integer target (3 to 9, like wine quality) is classes by default,
a number with ``--problem-type regression`` or ``--metric rmse``; impossible combinations are one error line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl import AutoML
from automl.errors import UserError
from automl_plugins.tabular.problem_type import Request, choose_kind

TINY = ("--trials", "2", "--models", "linear", "--time-budget", "60", "--quiet")


def quality_frame(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """Integer grades 3..9 that follow two of the four features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 4))
    grade = np.clip(np.round(6 + 1.2 * X[:, 0] - 0.8 * X[:, 1] + 0.4 * rng.normal(size=rows)), 3, 9)
    frame = pd.DataFrame(X, columns=["acidity", "sugar", "ph", "alcohol"])
    frame["quality"] = grade.astype(int)
    return frame


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wine")
    frame = quality_frame()
    frame.to_csv(folder / "wine.csv", index=False)
    frame.drop(columns="quality").head(3).to_csv(folder / "new.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def fit(cli):  # noqa: ANN001, ANN201 - the session fixture from conftest; returns fit(folder, run, *flags)
    def run(folder: Path, run_dir: str, *extra: str):  # noqa: ANN202 - a CliResult
        return cli("fit", "wine.csv", "--target", "quality", "--run-dir", run_dir, *TINY, *extra, cwd=folder)

    return run


def test_default_is_multiclass_with_a_note_saying_how_to_ask_for_a_regression(wine: Path, fit) -> None:  # noqa: ANN001
    result = fit(wine, "classes")
    assert result.returncode == 0, result
    assert ("note: target 'quality' has 7 integer values: multiclass; pass --problem-type regression to treat "
            "it as a number") in result.stderr
    assert "multiclass, metric accuracy" in result.stderr


def test_problem_type_regression_predicts_numbers(wine: Path, fit, cli) -> None:  # noqa: ANN001
    result = fit(wine, "numbers", "--problem-type", "regression")
    assert result.returncode == 0, result
    assert "regression, metric rmse" in result.stderr
    assert "integer values" not in result.stderr  # the user chose: no hint
    predicted = cli("predict", "numbers", "new.csv", cwd=wine)
    assert predicted.returncode == 0, predicted
    lines = predicted.stdout.split()
    assert lines[0] == "prediction" and len(lines) == 4
    values = [float(v) for v in lines[1:]]
    assert any(v != round(v) for v in values)  # numbers, not class labels
    assert "regression" in (wine / "numbers" / "report.md").read_text()


def test_metric_rmse_alone_makes_it_a_regression(wine: Path, fit) -> None:  # noqa: ANN001
    result = fit(wine, "by_metric", "--metric", "rmse")
    assert result.returncode == 0, result
    assert "regression, metric rmse" in result.stderr
    assert "note: --metric rmse scores numbers: target 'quality'" in result.stderr


@pytest.mark.parametrize(("extra", "fragments"), [
    (("--metric", "rmse", "--problem-type", "multiclass"), ("--metric rmse", "multiclass", "drop")),
    (("--problem-type", "binary"), ("needs a target with 2 values", "has 7", "--problem-type multiclass")),
    (("--task", "text", "--problem-type", "regression"), ("--problem-type does not apply to the text task",)),
])
def test_conflicts_are_one_error_line(wine: Path, fit, user_error, extra: tuple[str, ...],  # noqa: ANN001
                                      fragments: tuple[str, ...]) -> None:
    user_error(fit(wine, "refused", *extra), *fragments)
    assert not (wine / "refused").exists()


def test_regression_of_a_text_target_is_refused(tmp_path: Path, fit, user_error) -> None:  # noqa: ANN001
    frame = quality_frame()
    frame["quality"] = np.where(frame["quality"] > 6, "good", "plain")
    frame.to_csv(tmp_path / "wine.csv", index=False)
    user_error(fit(tmp_path, "refused", "--problem-type", "regression"),
                      "needs a numeric target", "holds values such as", "drop --problem-type regression")


def test_python_api_problem_type(tmp_path: Path) -> None:
    run = AutoML(problem_type="regression", trials=2, models=["linear"], time_budget=60,
                 run_dir=tmp_path / "run").fit(quality_frame(), target="quality")
    assert run.manifest["kind"] == "regression" and run.manifest["metric"] == "rmse"
    predictions = run.predict(quality_frame(5, seed=1).drop(columns="quality"))
    assert predictions["prediction"].dtype.kind == "f"


def test_python_api_refuses_an_unknown_problem_type(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="^problem_type must be one of binary, multiclass, regression"):
        AutoML(problem_type="ordinal", trials=1, run_dir=tmp_path / "run").fit(quality_frame(), target="quality")


@pytest.mark.parametrize(("values", "request_", "kind", "noted"), [
    ([0, 1] * 50, Request(), "binary", False),  # two values: no real choice
    (np.linspace(0, 1, 100), Request(), "regression", False),  # a float target: no hint
    (["a", "b", "c"] * 30, Request(), "multiclass", False),  # labels: no hint
    ([3, 4, 5, 6, 7] * 20, Request(), "multiclass", True),
    ([3, 4, 5, 6, 7] * 20, Request(metric="accuracy", metric_kinds=frozenset({"binary", "multiclass"})),
     "multiclass", False),  # the metric says classes: the user chose
    ([0, 1] * 50, Request(metric="roc_auc", metric_kinds=frozenset({"binary", "multiclass"})), "binary", False),
    ([0, 1, 2] * 50, Request(problem_type="regression"), "regression", False),
    (list(range(15)) * 2, Request(), "regression", True),  # 15 values in 30 rows: a number, but it could be classes
])
def test_choose_kind(values: list, request_: Request, kind: str, noted: bool) -> None:
    chosen, note = choose_kind(pd.Series(values), "y", request_)
    assert chosen == kind
    assert (note is not None) == noted


def test_presets_accept_a_problem_type(tmp_path: Path) -> None:
    from automl import presets

    path = tmp_path / "ratings.yaml"
    path.write_text("name: ratings\ntask: tabular\nmetric: mae\noptions:\n  problem_type: regression\n")
    assert presets.load(path).options == {"problem_type": "regression"}


def test_task_options_are_checked_against_what_the_task_reads() -> None:
    from automl.catalog import build_catalog
    from automl.task_options import check_given, flag, metric_hint

    catalog = build_catalog()
    assert [flag(n) for n in ("text_column", "top_k", "problem_type")] == ["--text-col", "--top-k", "--problem-type"]
    check_given(catalog.task("tabular"), {"problem_type": "regression"})
    check_given(catalog.task("text"), {"problem_type": None})  # left at None: not given
    with pytest.raises(UserError, match=r"--horizon does not apply to the tabular task \(its options: --problem-type"):
        check_given(catalog.task("tabular"), {"horizon": 3})
    assert metric_hint(catalog, "tabular", "rmse") == {"metric": "rmse", "metric_kinds": ["regression"]}
    assert metric_hint(catalog, "tabular", "no_such_metric") == {}
