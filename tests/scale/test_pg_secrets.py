"""The database password never leaves memory: not in run.json, the output, the leaderboard, the report or the study."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
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


SSL_SECRET = "sslKeyPass-4f1c9e"  # ?sslpassword= (libpq accepts it, and ignores it without SSL)
TOKEN_SECRET = "tokenValue-8b2d7a"  # ?access_token=: libpq refuses the parameter, so only its error is checked


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


def _files_leaking(folder: Path, secrets: list[str]) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path.relative_to(folder)}: {secret}" for secret in secrets if secret.encode() in data]
    return found


def _pg_dump(url: str, password: str) -> str:
    """The whole database as SQL (``pg_dump`` of the server's version when the tests started it)."""
    import glob
    import shutil

    parts = urlsplit(url)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), key=lambda p: int(Path(p).parts[-3]))
    pg_dump = found[-1] if found else shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    dump = subprocess.run([pg_dump, "--no-owner", "-h", parts.hostname, "-p", str(parts.port), "-U", parts.username,
                           parts.path.lstrip("/")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PGPASSWORD": password})
    assert dump.returncode == 0, dump.stderr
    assert "trial_values" in dump.stdout  # the dump holds the study's tables
    return dump.stdout


def test_no_form_of_secret_is_written_or_printed(tmp_path, churn_csv, postgres_url):
    """The password in the user part, in ?password=, in PGPASSWORD; ?sslpassword= and a token: absent from run.json
    (storage and command), the leaderboard, the reports, every command's output and a dump of the database."""
    password = urlsplit(postgres_url).password
    secrets = [password, SSL_SECRET, TOKEN_SECRET]
    bare = redact_url(postgres_url)
    assert password not in bare
    in_query = f"{bare}?sslmode=disable&password={password}&sslpassword={SSL_SECRET}"
    run_dir = tmp_path / "run"
    outputs = []
    fit = _run(["fit", str(churn_csv), "--target", "churned", "--trials", "3", "--models", "linear", "--study", "s1",
                "--storage", in_query, "--run-dir", str(run_dir)], tmp_path)
    assert fit.returncode == 0, fit.stderr
    outputs.append(fit)
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["storage"] == f"{bare}?sslmode=disable", "the URL keeps what it needs to connect again"
    assert "--storage" in manifest["command"] and "sslmode=disable" in manifest["command"]

    user_part = postgres_url + "?sslmode=disable"
    with_env = {"PGPASSWORD": password}
    outputs += [
        _run(["worker", str(run_dir), "--storage", user_part], tmp_path),  # the budget is used: it joins and ends
        _run(["worker", "--storage", in_query, "--study", "s1"], tmp_path),  # the run read from the study
        _run(["leaderboard", str(run_dir)], tmp_path, with_env),
        _run(["leaderboard", str(run_dir), "--format", "md"], tmp_path, with_env),
        _run(["leaderboard", str(run_dir), "--format", "json"], tmp_path, with_env),
        _run(["report", str(run_dir), "--out", str(tmp_path / "out" / "report.html")], tmp_path, with_env),
        _run(["resume", str(run_dir), "--quiet"], tmp_path, with_env),
    ]
    assert all(done.returncode == 0 for done in outputs), [done.stderr for done in outputs if done.returncode]

    # a token the driver refuses, and a wrong password given by the environment: one error line, no secret
    token_url = f"{bare}?access_token={TOKEN_SECRET}&password={password}"
    refused = [
        _run(["fit", str(churn_csv), "--target", "churned", "--trials", "1", "--storage", token_url,
              "--run-dir", str(tmp_path / "refused")], tmp_path),
        _run(["worker", "--storage", token_url, "--study", "s1"], tmp_path),
        _run(["leaderboard", str(run_dir)], tmp_path, {"PGPASSWORD": "wrong-" + password}),
    ]
    for done in refused:
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("error: "), done.stderr
    outputs += refused

    leaked = [(done.args[3:5], _leaks(done.stdout + done.stderr, [*secrets, "wrong-" + password]))
              for done in outputs]
    assert not [leak for leak in leaked if leak[1]], leaked
    assert not _files_leaking(run_dir, secrets) and not _files_leaking(tmp_path / "out", secrets)
    for name in ("leaderboard.csv", "report.html", "report.md"):
        assert (run_dir / name).is_file(), name
    assert not _leaks(_pg_dump(postgres_url, password), secrets), "a secret is stored in the database"
    found = study(postgres_url, "s1")
    assert not _leaks(json.dumps([found.user_attrs, [t.user_attrs for t in found.trials]], default=str), secrets)


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
