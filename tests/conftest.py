"""Shared helpers: run the ``automl`` command in a subprocess, and small generated data."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from automl_plugins.tabular.demo import churn_frame

CLI_TIMEOUT = 120
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no test may download model weights
# this machine's signing key (automl/signing.py) goes to a folder of the session, never the real home;
# subprocesses inherit it, so runs fitted and opened by the tests are signed by the same test key
os.environ["AUTOML_CONFIG_DIR"] = tempfile.mkdtemp(prefix="automl-test-config-")
atexit.register(shutil.rmtree, os.environ["AUTOML_CONFIG_DIR"], True)


@dataclass
class CliResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def __str__(self) -> str:  # shown by pytest when an assertion on the result fails
        return f"automl {' '.join(self.args)} -> {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def run_cli(*args: str | Path, cwd: Path, timeout: float = CLI_TIMEOUT) -> CliResult:
    """``python -m automl.cli ARGS`` in ``cwd``, with its exit code and both streams."""
    argv = [str(a) for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "automl.cli", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(argv, done.returncode, done.stdout, done.stderr)


def assert_user_error(result: CliResult, *fragments: str) -> str:
    """Exit code 2, one ``error:`` line on stderr naming every fragment, no traceback."""
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr, result
    assert len(result.stderr_lines) == 1, result
    line = result.stderr_lines[0]
    assert line.startswith("error: "), result
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


@pytest.fixture(scope="session")
def cli():
    """``cli(*args, cwd=...)`` runs the automl command; see :func:`run_cli`."""
    return run_cli


@pytest.fixture(scope="session")
def user_error():
    """``user_error(result, *fragments)`` checks the one-line user-error contract."""
    return assert_user_error


@pytest.fixture
def churn_csv(tmp_path: Path) -> Path:
    """A small churn table (300 rows) as ``data.csv`` in the test's folder."""
    path = tmp_path / "data.csv"
    churn_frame(300, seed=0).to_csv(path, index=False)
    return path


@pytest.fixture(autouse=True)
def _no_budget_forks_leak():
    """A test that runs ``automl fit`` in this process (click's CliRunner) switches on budget forks for the whole
    process; every later in-process fit would then fork trials from a process that has run OpenMP, and such a
    child hangs (see ``isolation.allow_budget_forks``). Each test gets the setting it started with back."""
    from automl.search import isolation

    before = isolation.budget_forks_allowed()
    yield
    isolation._budget_forks = before  # noqa: SLF001 - restoring the process-wide switch a test flipped


# -- under CI, a test skipped for a missing package fails the run ---------------------------------------------------
# CI installs every extra: a skip there means a broken install, and a fifth of the suite (torch, transformers,
# Pillow...) would otherwise pass unseen. Without CI (e.g. `EXTRAS=dev make test`) these tests skip as documented.
_MISSING_PACKAGE = ("could not import", "is not installed")
_skipped_for_packages: list[str] = []


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and _in_ci():
        reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr)
        if any(phrase in reason for phrase in _MISSING_PACKAGE):
            _skipped_for_packages.append(f"{report.nodeid}: {reason}")


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 - pytest's TerminalReporter
    if _skipped_for_packages:
        terminalreporter.section("skipped for a missing package under CI (each is a failure)")
        for line in _skipped_for_packages:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped_for_packages and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
