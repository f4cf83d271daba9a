"""The example task plugin in examples/automl-anomaly adds a whole task, with its own option and preset.

It is installed (editable) into the current environment, exactly as a user
would install a plugin from PyPI, and always uninstalled afterwards so the
environment stays clean for the other tests. One real fit is shared by the
tests of this module.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from example_plugins import EXAMPLES, automl, explain, installed, run

pytestmark = pytest.mark.slow

EXAMPLE = EXAMPLES / "automl-anomaly"
DISTRIBUTION = "automl-anomaly"
ROWS, SHARE, CONTAMINATION = 600, 0.02, 0.02


def transactions(n_rows: int, share: float, seed: int = 0) -> pd.DataFrame:
    """Correlated normal rows; a ``share`` of them replaced by anomalies planted far away, marked in is_fraud."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 3)) @ np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.4], [0.0, 0.0, 1.0]])
    planted = rng.choice(n_rows, round(n_rows * share), replace=False)
    X[planted] = rng.choice([-1.0, 1.0], size=(len(planted), 3)) * rng.uniform(5.0, 8.0, size=(len(planted), 3))
    frame = pd.DataFrame(X.round(4), columns=["amount", "duration", "distance"])
    frame.insert(0, "transaction_id", np.arange(1, n_rows + 1))
    frame["merchant"] = rng.choice(["shop", "fuel", "travel"], size=n_rows)  # text: dropped with a note
    frame["is_fraud"] = np.isin(np.arange(n_rows), planted).astype(int)
    return frame


@pytest.fixture(scope="module")
def anomaly_installed() -> Iterator[Path]:
    """automl-anomaly installed editable for this module's tests; uninstalled afterwards, whatever happens."""
    with installed(EXAMPLE, DISTRIBUTION) as folder:
        yield folder


@pytest.fixture(scope="module")
def folder(anomaly_installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("anomaly")
    transactions(ROWS, SHARE).to_csv(path / "transactions.csv", index=False)
    return path


@pytest.fixture(scope="module")
def fitted(folder: Path) -> subprocess.CompletedProcess[str]:
    """One short real fit through the plugin's preset, with the task's own option given on the command line."""
    return automl("fit", "transactions.csv", "--preset", "fraud_alerts", "--target", "is_fraud",
                  "--contamination", str(CONTAMINATION), "--trials", "4", "--time-budget", "60",
                  "--run-dir", "run", "--quiet", cwd=folder)


def _section(help_text: str, title: str) -> str:
    """The lines of one ``--help`` section, up to the next section title."""
    assert f"\n{title}:\n" in help_text, help_text
    lines = help_text.split(f"\n{title}:\n", 1)[1].splitlines()
    return "\n".join(line for line in lines[:next((i for i, ln in enumerate(lines) if ln and ln[0] != " "),
                                                 len(lines))])


def test_fit_help_lists_the_task_option_under_the_task(anomaly_installed: Path, tmp_path: Path) -> None:
    done = automl("fit", "--help", cwd=tmp_path)
    assert done.returncode == 0, explain(done)
    section = _section(done.stdout, "Options of the anomaly task")
    assert "--contamination FLOAT" in section and "expected share of anomalies" in section, section
    assert "--contamination" not in _section(done.stdout, "Options"), done.stdout
    done = automl("predict", "--help", cwd=tmp_path)  # declared at_predict: a prediction option too
    assert done.returncode == 0, explain(done)
    assert "--contamination" in _section(done.stdout, "Options of the anomaly task"), done.stdout


def test_the_preset_is_listed(anomaly_installed: Path, tmp_path: Path) -> None:
    done = automl("presets", cwd=tmp_path)
    assert done.returncode == 0, explain(done)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("fraud_alerts ")), "")
    assert "anomaly" in line and "average_precision" in line and "plugin anomaly" in line, done.stdout


def test_a_fit_with_the_option_and_the_preset(fitted: subprocess.CompletedProcess[str], folder: Path) -> None:
    assert fitted.returncode == 0, explain(fitted)
    said = fitted.stdout + fitted.stderr
    assert "preset fraud_alerts: anomaly, metric average_precision" in said, explain(fitted)
    assert "dropped column 'merchant'" in said, explain(fitted)
    manifest = json.loads((folder / "run" / "run.json").read_text())
    assert manifest["task"] == "anomaly" and manifest["metric"] == "average_precision", manifest
    assert manifest["task_options"] == {"contamination": CONTAMINATION}, manifest  # the flag beat the preset's 0.01
    assert manifest["preset"]["name"] == "fraud_alerts" and manifest["preset"]["plugin"] == "anomaly"

    done = automl("leaderboard", "run", "--format", "json", cwd=folder)
    assert done.returncode == 0, explain(done)
    rows = [row for row in json.loads(done.stdout) if row["status"] == "COMPLETE"]
    assert {row["model"] for row in rows} >= {"isolation_forest", "lof", "robust_covariance"}, rows
    best = max(row["score"] for row in rows)
    # a random scorer's average precision is the anomalies' share (0.02); the planted anomalies stand far out
    assert best > 0.5 > 10 * SHARE, rows


def test_predict_writes_a_score_and_a_flag_at_the_contamination(fitted: subprocess.CompletedProcess[str],
                                                                 folder: Path) -> None:
    assert fitted.returncode == 0, explain(fitted)
    labels = pd.read_csv(folder / "transactions.csv")["is_fraud"].to_numpy()
    done = automl("predict", "run", "transactions.csv", cwd=folder)
    assert done.returncode == 0, explain(done)
    out = pd.read_csv(io.StringIO(done.stdout))
    assert list(out.columns) == ["transaction_id", "anomaly_score", "flagged"], out.head()
    assert len(out) == ROWS and out["anomaly_score"].between(0, 1).all() and set(out["flagged"]) <= {0, 1}
    assert abs(out["flagged"].mean() - CONTAMINATION) <= 0.01, out["flagged"].mean()
    assert out.loc[labels == 1, "flagged"].mean() >= 0.75, "the flags miss most of the planted anomalies"


def test_an_out_of_range_option_is_one_error_line(folder: Path) -> None:
    for value, fragment in (("-1", "--contamination must be at least 0, not -1"),
                            ("0.7", "--contamination must be at most 0.5")):
        done = automl("fit", "transactions.csv", "--task", "anomaly", "--contamination", value,
                      "--run-dir", f"bad{value}", cwd=folder)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 2 and len(lines) == 1 and "Traceback" not in done.stderr, explain(done)
        assert lines[0].startswith("error: ") and fragment in lines[0], explain(done)
        assert not (folder / f"bad{value}").exists()


def test_the_plugin_passes_its_own_tests(anomaly_installed: Path) -> None:
    """Its conformance kit and behavioural tests; the kit's short search is the fit above, so it is left out."""
    done = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests",
                "-k", "not short_search", cwd=anomaly_installed)
    assert done.returncode == 0, explain(done)
    assert " passed" in done.stdout and "skipped" not in done.stdout, explain(done)
