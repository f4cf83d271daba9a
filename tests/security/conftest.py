"""Tiny fitted runs shared by the security tests (the fuzzer and the hostile corpus), fitted once per session.

Run ``a`` searches LightGBM and a linear model (``--trials 4``); run ``b``, on
other rows with another seed, only the linear model, so its final model is a
skops file (``model.skops``) where ``a``'s is LightGBM text (``model.txt``,
unless the ensemble takes both). ``b`` is also the "other run" whose files a
mutation may swap in. Tests copy them; nothing may change the originals or
their data.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from automl_plugins.tabular.demo import churn_frame

FIT_ARGS = ("--target", "churned", "--time-budget", "30", "--quiet")
MODELS = {"run_a": ("--models", "lightgbm,linear", "--trials", "4"), "run_b": ("--models", "linear", "--trials", "2")}


@dataclass(frozen=True)
class FittedRuns:
    folder: Path
    run: Path  # run a
    other: Path  # run b: other rows, another seed, the linear model only
    data: Path  # run a's training data (its run.json points here)
    other_data: Path
    new: Path  # rows to predict (no target)

    def watched(self) -> list[Path]:
        """What no command on a copy of a run may change."""
        return [self.run, self.other, self.data, self.other_data, self.new]


def _fit(folder: Path, data: str, run: str, seed: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "automl.cli", "fit", data, *FIT_ARGS, *MODELS[run], "--seed",
                             str(seed), "--run-dir", run], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@pytest.fixture(scope="session")
def fitted_runs(tmp_path_factory) -> FittedRuns:
    """Two finished tabular runs, fitted at the same time (one process each)."""
    folder = tmp_path_factory.mktemp("security_runs")
    churn_frame(160, seed=0).to_csv(folder / "data.csv", index=False)
    churn_frame(160, seed=1).to_csv(folder / "other.csv", index=False)
    churn_frame(12, seed=3).drop(columns=["churned"]).to_csv(folder / "new.csv", index=False)
    fits = [_fit(folder, "data.csv", "run_a", 0), _fit(folder, "other.csv", "run_b", 1)]
    for process in fits:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, f"the fit of a security test run failed:\n{out}\n{err}"
    return FittedRuns(folder, folder / "run_a", folder / "run_b", folder / "data.csv", folder / "other.csv",
                      folder / "new.csv")
