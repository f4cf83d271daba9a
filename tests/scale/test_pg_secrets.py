"""The database password never leaves memory: not in run.json, the output, the leaderboard, the report or the study."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from scale_support import study

from automl.errors import UserError
from automl.runs import command_line, redact_url
from automl.storage import open_artifact_store, scrub

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "automl.cli"]


def _run(args: list[str], cwd, env=None) -> subprocess.CompletedProcess:  # noqa: ANN001
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=180,
                          env={**os.environ, **(env or {})})


def test_the_password_is_written_nowhere(tmp_path, churn_csv, postgres_url, postgres):
    password = urlsplit(postgres_url).password
    assert password and len(password) > 8
    run_dir = tmp_path / "run"
    fit = _run(["fit", str(churn_csv), "--target", "churned", "--trials", "3", "--models", "linear",
                "--storage", postgres_url, "--run-dir", str(run_dir)], tmp_path)
    assert fit.returncode == 0, fit.stderr
    assert password not in fit.stdout + fit.stderr
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), f"the password is in {path}"
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["storage"] == redact_url(postgres_url) and "@127.0.0.1" in manifest["storage"]
    assert "--storage" in manifest["command"] and password not in manifest["command"]
    for name in ("leaderboard.csv", "report.html", "report.md"):
        assert (run_dir / name).is_file(), name
    found = study(postgres_url)
    assert password not in json.dumps(found.user_attrs, default=str)
    assert password not in json.dumps([t.user_attrs for t in found.trials], default=str)

    # Later commands read the URL from run.json; the password comes from PGPASSWORD.
    board = _run(["leaderboard", str(run_dir), "--format", "json"], tmp_path, {"PGPASSWORD": password})
    assert board.returncode == 0, board.stderr
    assert len(json.loads(board.stdout)) >= 3
    denied = _run(["leaderboard", str(run_dir)], tmp_path, {"PGPASSWORD": "wrong-" + password[:4]})
    assert denied.returncode == 2 and "Traceback" not in denied.stderr, denied.stderr
    assert redact_url(postgres_url) in denied.stderr and "password authentication failed" in denied.stderr


def test_a_password_from_pgpassword_works_and_stays_unwritten(tmp_path, churn_csv, postgres_url):
    password = urlsplit(postgres_url).password
    run_dir = tmp_path / "run"
    fit = _run(["fit", str(churn_csv), "--target", "churned", "--trials", "2", "--models", "linear",
                "--storage", redact_url(postgres_url), "--run-dir", str(run_dir), "--quiet"], tmp_path,
               {"PGPASSWORD": password})
    assert fit.returncode == 0, fit.stderr
    assert password not in fit.stdout + fit.stderr + (run_dir / "run.json").read_text()


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path, churn_csv):
    url = "postgresql://someone:Sup3rS3cret@127.0.0.1:9/automl"  # port 9: nobody listens
    fit = _run(["fit", str(churn_csv), "--target", "churned", "--trials", "2", "--storage", url,
                "--run-dir", str(tmp_path / "run")], tmp_path)
    assert fit.returncode == 2, fit.stderr
    assert "Traceback" not in fit.stderr and "Sup3rS3cret" not in fit.stdout + fit.stderr
    lines = [line for line in fit.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot open the storage postgresql://someone@127.0.0.1:9/")


def test_redaction_helpers(monkeypatch, tmp_path):
    assert redact_url("postgresql://bob:p%40ss@db:5432/x") == "postgresql://bob@db:5432/x"
    assert redact_url("postgresql://bob@db/x") == "postgresql://bob@db/x"
    monkeypatch.setattr(sys, "argv", ["automl", "fit", "a.csv", "--storage", "postgresql://u:pw1@h/d",
                                      "--storage=postgresql://u:pw2@h/d"])
    line = command_line()
    assert "pw1" not in line and "pw2" not in line and "postgresql://u@h/d" in line
    monkeypatch.setenv("PGPASSWORD", "envsecret")
    assert scrub("failed for envsecret") == "failed for ***"
    with pytest.raises(UserError, match="not a folder on this machine"):
        open_artifact_store(str(tmp_path / "not-mounted"))
    try:
        import boto3  # noqa: F401
    except ImportError:
        with pytest.raises(UserError, match="pip install boto3"):
            open_artifact_store("s3://bucket/prefix")
