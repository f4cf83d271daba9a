"""The final model's numbers describe the model that was saved (issue 16).

When the refit leaves ensemble members out because the time budget ended, the
score in ``best/model.json``, the leaderboard's selected row and the report
are the delivered model's, recomputed from its own validation predictions; the
weights shown are the delivered ones; ``automl fit`` says what it delivered and
why it is not the leaderboard's top row.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from automl import AutoML
from automl.api import Run
from automl.catalog import build_catalog
from automl.report.evidence import load_validation
from automl.search import finalize
from automl.search.finalize import ENSEMBLE_ATTR, Selection, ranked_trials, refit_and_save
from automl.workflow import build_setup
from automl_plugins.tabular.demo import churn_frame

LATE_REFIT_CLI = Path(__file__).with_name("late_refit_cli.py")
FIT = ("--target", "churned", "--models", "linear,hist_gb", "--trials", "4")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("truth")
    churn_frame(300, seed=0).to_csv(folder / "data.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def normal(folder: Path) -> Run:
    return AutoML(task="tabular", trials=4, models=["linear", "hist_gb"], run_dir=folder / "normal").fit(
        folder / "data.csv", target="churned")


def recomputed_score(run: Run) -> float:
    """The run's metric on the validation evidence saved in ``best/`` (what the report stands on)."""
    description = run.model_record()
    validation = load_validation(run.dir.best)
    assert validation is not None
    metric = build_catalog().metric(description.task, description.kind, description.metric)
    return float(metric.fn(validation.y, validation.prediction))


def selected_row(run: Run) -> dict[str, Any]:
    chosen = [row for row in run.leaderboard_rows() if row["selected"]]
    assert len(chosen) == 1, chosen
    return chosen[0]


def row_weights(row: dict[str, Any]) -> dict[int, float]:
    if row["trial"] is not None:
        return {row["trial"]: 1.0}
    return {int(n): w for n, w in row["params"]["weights"].items()}


def assert_numbers_are_the_saved_models(run: Run) -> dict[str, Any]:
    description = run.model_record()
    row = selected_row(run)
    assert description.validation_score == recomputed_score(run) == row["score"]
    assert {m.trial: m.weight for m in description.members} == row_weights(row)
    assert description.ensemble is (row["trial"] is None)
    assert description.why
    return description


def test_a_normal_ensemble_reports_the_score_of_its_own_blend(normal: Run) -> None:
    description = assert_numbers_are_the_saved_models(normal)
    assert description.not_refit == []
    ensemble = next(r for r in normal.leaderboard_rows() if r["model"] == "ensemble")
    assert ensemble["note"].startswith(finalize.GREEDY_NOTE)
    if description.ensemble:
        assert description.why.startswith(finalize.GREEDY_NOTE)
    else:  # a candidate that was not delivered says why
        assert "not delivered: " in ensemble["note"]


def test_a_refit_cut_short_delivers_a_smaller_blend_with_its_own_score(normal: Run, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    run = Run.load(shutil.copytree(normal.path, tmp_path / "copy"))
    setup = build_setup(run.dir, build_catalog())
    study = run.study()
    top = ranked_trials(study)[:3]
    assert len(top) == 3
    weights = dict(zip([t.number for t in top], (0.5, 0.3, 0.2), strict=True))
    before = study.user_attrs[ENSEMBLE_ATTR]
    study.set_user_attr(ENSEMBLE_ATTR, {**before, "weights": {str(n): w for n, w in weights.items()},
                                        "score": 0.999})  # a candidate's score the smaller blend must not keep
    shift, refits, refit = {"seconds": 0.0}, [], finalize._refit

    def refit_then_run_out(*args: Any, **kwargs: Any) -> bool:
        refits.append(refit(*args, **kwargs))
        if len(refits) == 2:  # the time budget ends once the second member is refit
            shift["seconds"] = 10_000.0
        return refits[-1]

    monkeypatch.setattr(finalize, "time", SimpleNamespace(time=lambda: time.time() + shift["seconds"],
                                                          perf_counter=time.perf_counter))
    monkeypatch.setattr(finalize, "refit_seconds", lambda _setup, _trial: 0.0)
    monkeypatch.setattr(finalize, "_refit", refit_then_run_out)
    refit_and_save(setup, study, Selection(weights, 0.999, True, "the test's blend"), deadline=time.time() + 600)

    reloaded = Run.load(run.path)
    description = assert_numbers_are_the_saved_models(reloaded)
    kept = [t.number for t in top[:2]]
    assert description.not_refit == [top[2].number]
    assert [m.trial for m in description.members] == kept
    assert [m.weight for m in description.members] == pytest.approx([0.625, 0.375])
    assert description.validation_score != 0.999
    assert "time budget ended" in description.why and str(top[2].number) in description.why
    row = selected_row(reloaded)
    assert row["model"] == "ensemble" and f"left out trials [{top[2].number}]" in row["note"]


def test_a_late_refit_delivers_one_trial_and_the_fit_says_why(folder: Path) -> None:
    done = subprocess.run([sys.executable, str(LATE_REFIT_CLI), "fit", "data.csv", *FIT, "--run-dir", "late"],
                          cwd=folder, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    run = Run.load(folder / "late")
    description = assert_numbers_are_the_saved_models(run)
    board = run.leaderboard_rows()
    ensemble = next((r for r in board if r["model"] == "ensemble"), None)
    assert description.not_refit, "the ensemble was not chosen, so nothing was left out: pick another data seed"
    assert not description.ensemble and len(description.members) == 1
    trial = description.members[0].trial
    assert description.validation_score == run.study().trials[trial].value
    assert ensemble is not None and not ensemble["selected"]
    assert ensemble["note"].startswith(finalize.GREEDY_NOTE + "; not delivered: the time budget ended")
    line = next(line for line in done.stderr.splitlines() if line.startswith("final model: "))
    assert f"trial {trial} (" in line and f"{description.validation_score:.4g}" in line
    if board[0]["selected"]:
        assert "top row" in line
    else:
        assert "why: the time budget ended during the ensemble's refit" in line, line
    report = (folder / "late" / "report.md").read_text()
    assert f"{description.validation_score:.4g}" in report and "Why this model: the time budget ended" in report


def test_family_champions_are_called_an_equal_weight_mean_not_greedy_selection(cli, tmp_path: Path) -> None:  # noqa: ANN001
    from automl_plugins.forecast.sample import sales_frame

    sales_frame(n_series=3, n_months=48, seed=1).to_csv(tmp_path / "sales.csv", index=False)
    fit = cli("fit", "sales.csv", "--target", "units", "--horizon", "6", "--trials", "8", "--run-dir", "sales",
              "--quiet", cwd=tmp_path)
    assert fit.returncode == 0, fit
    run = Run.load(tmp_path / "sales")
    description = assert_numbers_are_the_saved_models(run)
    assert description.ensemble and description.why.startswith(finalize.CHAMPIONS_NOTE), description
    row = selected_row(run)
    assert row["note"] == finalize.CHAMPIONS_NOTE and "greedy" not in fit.stderr
    line = next(line for line in fit.stderr.splitlines() if line.startswith("final model: an ensemble of trials "))
    share = f"{1 / len(description.members):.3g}"
    for member in description.members:
        assert f"{member.trial} ({member.model}) {share}" in line, line
