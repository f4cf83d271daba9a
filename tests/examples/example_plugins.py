"""Installing an example plugin as a user would (editable, into this environment) and running automl with it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TIMEOUT = 180


def run(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A command with every installed plugin on (whatever the caller's AUTOML_DISABLE_PLUGINS)."""
    env = {k: v for k, v in os.environ.items() if k != "AUTOML_DISABLE_PLUGINS"}
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)


def explain(done: subprocess.CompletedProcess[str]) -> str:
    return f"{' '.join(done.args)} -> {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"


def automl(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "automl.cli", *args, cwd=cwd)


def _pip(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args, cwd=folder)


@contextmanager
def installed(folder: Path, distribution: str) -> Iterator[Path]:
    """The example at ``folder`` installed editable; uninstalled afterwards, whatever happens."""
    try:
        done = _pip(folder, "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", str(folder))
        assert done.returncode == 0, explain(done)
        yield folder
    finally:
        done = _pip(folder, "uninstall", "--yes", distribution)
        assert done.returncode == 0, explain(done)
