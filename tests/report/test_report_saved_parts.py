"""The report's slow parts are computed when the fit finishes and only read by ``automl report`` (issue 16, point 7).

One small tabular fit saves its column importances (``best/column_importance.json``)
and its bootstrap interval (``best/interval.json``). The report must show exactly
those numbers without computing them again; a run without them (saved by an older
automl), or with a file that is damaged, out of shape or another model's, gets them
computed as before, never shown from the wrong file; a file changed behind the
checksums' back stops the report in one line.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl import AutoML, integrity
from automl.api import Run
from automl.report import budget, cache, evidence, saved_interval
from automl_plugins.tabular import explain, importance

SAVED = (importance.FILE, saved_interval.FILE)


def signal_and_noise(n: int, seed: int = 0) -> pd.DataFrame:
    """``signal`` decides the label; ``noise`` and ``region`` are unrelated to it."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    label = signal + 0.3 * rng.normal(size=n) > 0.6
    return pd.DataFrame({"signal": signal, "noise": rng.normal(size=n),
                         "region": rng.choice(["north", "south", "east"], size=n),
                         "left": np.where(label, "yes", "no")})


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("saved_parts")
    signal_and_noise(400).to_csv(folder / "customers.csv", index=False)  # a file: the importances read it again
    AutoML(time_budget=60, trials=3, models=["lightgbm", "linear"], run_dir=folder / "run", quiet=True) \
        .fit(folder / "customers.csv", target="left")
    return folder / "run"


@pytest.fixture
def run_copy(fitted: Path, tmp_path: Path) -> Path:
    """A copy of the fitted run to change (its run.json still names the same customers.csv)."""
    return Path(shutil.copytree(fitted, tmp_path / "run"))


@pytest.fixture
def no_recomputing(monkeypatch: pytest.MonkeyPatch) -> None:
    def recomputed(*_args, **_kwargs):
        raise AssertionError("the report computed again what the fit saved")

    for name in ("permutation_importance", "lightgbm_shap", "FoldPredictor", "training_features"):
        monkeypatch.setattr(explain, name, recomputed)
    monkeypatch.setattr(evidence, "bootstrap_interval", recomputed)


def counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the calls of the two expensive computations (still running them)."""
    calls = {"permutation": 0, "bootstrap": 0}
    permutation, bootstrap = explain.permutation_importance, evidence.bootstrap_interval

    def counted_permutation(*args, **kwargs):
        calls["permutation"] += 1
        return permutation(*args, **kwargs)

    def counted_bootstrap(*args, **kwargs):
        calls["bootstrap"] += 1
        return bootstrap(*args, **kwargs)

    monkeypatch.setattr(explain, "permutation_importance", counted_permutation)
    monkeypatch.setattr(evidence, "bootstrap_interval", counted_bootstrap)
    return calls


def saved(run: Path, name: str) -> dict:
    return json.loads((run / "best" / name).read_text())


def importance_table(markdown: str) -> list[str]:
    section = markdown.split("| column | drop in roc_auc |")[1]
    return [line for line in section.splitlines()[2:] if line.startswith("| ")]


def confidence_line(markdown: str) -> str:
    return next(line for line in markdown.splitlines() if "bootstrap interval" in line)


def report_markdown(run: Path) -> str:
    return Run.load(run).report().with_suffix(".md").read_text()


def test_the_fit_saves_both_parts_as_checked_json(fitted: Path) -> None:
    recorded = saved(fitted, integrity.CHECKSUMS)["files"]
    for name in SAVED:
        assert name in recorded, f"{name} is not covered by best/checksums.json"
        assert saved(fitted, name)["model"] == cache.model_key(fitted / "best")
    content = saved(fitted, importance.FILE)["content"]
    assert content["permutation"][0][0] == "signal", content["permutation"]  # the column that decides the label
    assert content["rows"] == 400 and 1 <= content["rounds"] <= explain.REPEATS
    interval = saved(fitted, saved_interval.FILE)["content"]["interval"]
    assert interval["low"] <= interval["estimate"] <= interval["high"], interval
    assert Run.load(fitted).verify() is None  # still signed and whole after the two files were added


def test_report_shows_the_saved_numbers_without_computing_them(fitted: Path, run_copy: Path,
                                                              no_recomputing: None) -> None:
    markdown = report_markdown(run_copy)
    rows = importance_table(markdown)
    content = saved(fitted, importance.FILE)["content"]
    assert len(rows) == len(content["permutation"]) == 3, rows
    for row, (column, mean, std) in zip(rows, content["permutation"], strict=True):
        assert row.startswith(f"| {column} | {mean:.4g} | {std:.2g} |"), (row, column, mean)
    interval = saved(fitted, saved_interval.FILE)["content"]["interval"]
    line = confidence_line(markdown)
    assert f"{interval['low']:.4g} to {interval['high']:.4g}" in line, (line, interval)


def test_a_run_without_the_files_computes_the_same_numbers(fitted: Path, run_copy: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    best = run_copy / "best"
    for name in SAVED:  # as an older automl saved it: neither file, and checksums without them
        (best / name).unlink()
    integrity.record(best, Run.load(run_copy).manifest)
    calls = counting(monkeypatch)
    markdown = report_markdown(run_copy)
    assert calls == {"permutation": 1, "bootstrap": 1}, calls
    saved_markdown = report_markdown(fitted)
    assert importance_table(markdown) == importance_table(saved_markdown)
    assert confidence_line(markdown) == confidence_line(saved_markdown)
    assert not any((best / name).exists() for name in SAVED), "a report must not write into best/"


@pytest.mark.parametrize("damage", ["another_model", "out_of_shape", "not_json", "other_seed"])
def test_a_damaged_or_foreign_file_is_computed_again(fitted: Path, run_copy: Path, damage: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    best = run_copy / "best"
    for name in SAVED:
        path = best / name
        content = json.loads(path.read_text())
        if damage == "another_model":
            content["model"] = "0" * 64
        elif damage == "out_of_shape":
            inner = content["content"]
            if name == importance.FILE:
                inner["permutation"][0] = ["not_a_column", 0.9, 0.0]
            else:
                inner["interval"]["low"] = inner["interval"]["estimate"] + 1  # an interval missing its estimate
        elif damage == "other_seed":
            content["content"]["seed" if name == saved_interval.FILE else "rounds"] = 7 if name == saved_interval.FILE \
                else importance.MAX_ROUNDS + 1  # more shuffle rounds than any fit makes
        path.write_text("{not json" if damage == "not_json" else json.dumps(content))
        integrity.add_file(best, name)  # recorded again, as if automl had written it: only its content is wrong
    calls = counting(monkeypatch)
    markdown = report_markdown(run_copy)
    assert calls == {"permutation": 1, "bootstrap": 1}, (damage, calls)
    saved_markdown = report_markdown(fitted)
    assert importance_table(markdown) == importance_table(saved_markdown)
    assert confidence_line(markdown) == confidence_line(saved_markdown)


def test_a_file_changed_behind_the_checksums_stops_the_report_in_one_line(run_copy: Path, cli,
                                                                          user_error) -> None:
    path = run_copy / "best" / importance.FILE
    path.write_text(path.read_text().replace('"signal"', '"noise"', 1))
    result = cli("report", run_copy, cwd=run_copy.parent)
    user_error(result, importance.FILE, "does not match the checksum")


def test_the_fit_time_computation_keeps_to_the_budget_left(run_copy: Path) -> None:
    run = Run.load(run_copy)
    with budget.ending_by(0.0):  # the budget is used up: no round of shuffles starts, the fewest resamples
        assert "time budget ended" in importance.compute(run)
        importance.save(run)
        validation = evidence.load_validation(run.dir.best)
        metric = run.catalog.metric("tabular", "binary", "roc_auc")
        saved_interval.save(run, metric, validation, 0)
        # the report that ends the fit reads the note instead of loading the models again
        assert "time budget ended" in importance.load(Run.load(run_copy))
    assert importance.load(Run.load(run_copy)) is None  # 'automl report' later computes them without a budget
    assert Run.load(run_copy).verify() is None
    found = saved_interval.interval(Run.load(run_copy), metric, validation, 0)
    assert found is not None and found.low <= found.estimate <= found.high
