"""Bad input gives exit code 2 and one ``error:`` line that names the problem, never a traceback."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl_plugins.tabular.demo import churn_frame

FAST = ["--trials", "3", "--time-budget", "20", "--models", "linear", "--quiet"]


def fit(cli, cwd: Path, data: str | Path, *extra: str, target: str = "churned"):
    return cli("fit", data, "--target", target, "--run-dir", "run", *FAST, *extra, cwd=cwd)


def _png_bytes() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = (4).to_bytes(4, "big") + (4).to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


# -- the data file ------------------------------------------------------------------------------
def test_missing_file(cli, user_error, tmp_path):
    result = fit(cli, tmp_path, "nowhere.csv")
    user_error(result, "nowhere.csv", "not found")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"], ids=["zero-bytes", "blank-lines"])
def test_empty_file(cli, user_error, tmp_path, content):
    (tmp_path / "data.csv").write_bytes(content)
    user_error(fit(cli, tmp_path, "data.csv"), "data.csv", "empty")


def test_header_only(cli, user_error, tmp_path):
    (tmp_path / "data.csv").write_text("plan,tenure,churned\n")
    user_error(fit(cli, tmp_path, "data.csv"), "data.csv", "no data rows")


@pytest.mark.parametrize(
    "content",
    [_png_bytes(), bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)) + b"\x00"],
    ids=["png", "random-bytes"],
)
def test_binary_file_named_csv(cli, user_error, tmp_path, content):
    (tmp_path / "data.csv").write_bytes(content)
    user_error(fit(cli, tmp_path, "data.csv"), "data.csv", "binary")


def test_duplicate_column_names(cli, user_error, tmp_path):
    frame = churn_frame(60, seed=0)[["plan", "tenure_months", "region", "churned"]]
    frame.columns = ["plan", "tenure_months", "plan", "churned"]
    frame.to_csv(tmp_path / "data.csv", index=False)
    line = user_error(fit(cli, tmp_path, "data.csv"), "duplicate", "'plan'")
    assert "tenure_months" not in line


# -- the target ---------------------------------------------------------------------------------
def test_target_not_found(cli, user_error, tmp_path, churn_csv):
    line = user_error(fit(cli, tmp_path, churn_csv.name, target="churn"), "'churn'", "not found")
    assert "customer_id, plan, region" in line and "churned" in line


def test_no_target_given(cli, user_error, tmp_path, churn_csv):
    result = cli("fit", churn_csv.name, "--run-dir", "run", *FAST, cwd=tmp_path)
    user_error(result, "--target", "churned")


def test_constant_target(cli, user_error, tmp_path):
    frame = churn_frame(60, seed=0).assign(churned="yes")
    frame.to_csv(tmp_path / "data.csv", index=False)
    line = user_error(fit(cli, tmp_path, "data.csv"), "'churned'", "constant")
    assert "'yes'" in line


def test_constant_numeric_target_message_is_plain(cli, user_error, tmp_path):
    frame = churn_frame(60, seed=0).assign(churned=1)
    frame.to_csv(tmp_path / "data.csv", index=False)
    line = user_error(fit(cli, tmp_path, "data.csv"), "'churned'", "constant")
    assert "only 1)" in line and "np." not in line


@pytest.mark.parametrize("marker", ["", "?", "NA"])
def test_target_all_missing(cli, user_error, tmp_path, marker):
    frame = churn_frame(60, seed=0).assign(churned=marker)
    frame.to_csv(tmp_path / "data.csv", index=False)
    user_error(fit(cli, tmp_path, "data.csv"), "'churned'", "missing")


def test_too_few_rows(cli, user_error, tmp_path):
    frame = pd.DataFrame({"x": [1.0, 2.5, 3.0, 4.5, 5.0], "label": ["a", "b", "a", "b", "a"]})
    frame.to_csv(tmp_path / "data.csv", index=False)
    user_error(fit(cli, tmp_path, "data.csv", target="label"), "5 rows", "at least")


# -- options ------------------------------------------------------------------------------------
def test_unknown_metric(cli, user_error, tmp_path, churn_csv):
    line = user_error(fit(cli, tmp_path, churn_csv.name, "--metric", "nope"), "'nope'", "metric")
    assert "roc_auc" in line and "accuracy" in line
    assert not (tmp_path / "run").exists()


def test_unknown_model(cli, user_error, tmp_path, churn_csv):
    result = cli("fit", churn_csv.name, "--target", "churned", "--run-dir", "run", "--models", "nope",
                 "--trials", "3", "--quiet", cwd=tmp_path)
    line = user_error(result, "nope", "model")
    assert "lightgbm" in line and "linear" in line
    assert not (tmp_path / "run").exists()


def test_unknown_task(cli, user_error, tmp_path, churn_csv):
    line = user_error(fit(cli, tmp_path, churn_csv.name, "--task", "nope"), "'nope'", "task")
    assert "tabular" in line


# -- an existing run ----------------------------------------------------------------------------
def _digest(folder: Path) -> dict[str, str]:
    """Every file of a folder (lock files aside) by its content."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix != ".lock"
    }


@pytest.fixture(scope="module")
def fitted_run(cli, tmp_path_factory):
    """A finished run (``run/``) of a small churn table, shared by the tests below."""
    cwd = tmp_path_factory.mktemp("fitted")
    churn_frame(300, seed=0).to_csv(cwd / "data.csv", index=False)
    result = fit(cli, cwd, "data.csv")
    assert result.returncode == 0, result
    return cwd, cwd / "run"


def test_existing_run_dir_needs_force(cli, user_error, fitted_run):
    cwd, run = fitted_run
    before = _digest(run)
    assert "run.json" in before and any(name.startswith("best/") for name in before), sorted(before)
    line = user_error(fit(cli, cwd, "data.csv"), "--force", "run")
    assert "already exists" in line
    assert _digest(run) == before


def test_run_dir_that_is_a_file(cli, user_error, tmp_path, churn_csv):
    (tmp_path / "run").write_text("not a folder")
    user_error(fit(cli, tmp_path, churn_csv.name), "run", "is a file")


@pytest.mark.parametrize(
    ("option", "value"), [("--trials", "0"), ("--time-budget", "0"), ("--workers", "0"), ("--trial-timeout", "-1")]
)
def test_non_positive_budgets_are_rejected_before_any_work(cli, user_error, tmp_path, churn_csv, option, value):
    result = cli("fit", churn_csv.name, "--target", "churned", option, value, "--run-dir", "run", cwd=tmp_path)
    user_error(result, option)
    assert not (tmp_path / "run").exists()


def test_predict_input_lacks_a_column(cli, user_error, fitted_run):
    cwd, run = fitted_run
    churn_frame(20, seed=3).drop(columns=["churned", "tenure_months"]).to_csv(cwd / "new.csv", index=False)
    line = user_error(cli("predict", "run", "new.csv", cwd=cwd), "'tenure_months'", "new.csv")
    assert "missing" in line


def test_predict_works_on_the_same_run(cli, fitted_run):
    """The control for the test above: the same run predicts a complete file."""
    cwd, _ = fitted_run
    churn_frame(20, seed=3).drop(columns=["churned"]).to_csv(cwd / "complete.csv", index=False)
    result = cli("predict", "run", "complete.csv", cwd=cwd)
    assert result.returncode == 0, result
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "customer_id,prediction,proba_no,proba_yes"
    assert len(lines) == 21
