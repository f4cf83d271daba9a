"""The layers hold (docs/architecture.md, "Layers"): Optuna's private API in one module, old names still import.

``lint-imports`` (run by ``make test``) checks the import contracts in pyproject.toml; these tests check what
it cannot see: private Optuna names, the optuna pin, and that a moved module's old name is the same module.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPAT = ROOT / "automl" / "search" / "optuna_compat.py"


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def optuna_private_imports(source: str) -> list[str]:
    """``import optuna._x``, ``from optuna.storages._heartbeat import ...`` and ``from optuna.x import _y``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "optuna" and _private(a.name)]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "optuna":
            names = [f"{node.module}.{a.name}" for a in node.names]
            found += [name for name in names if _private(name)]
    return found


def _sources() -> list[Path]:
    return sorted([*(ROOT / "automl").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")])


def test_the_private_import_finder_finds_them() -> None:
    assert optuna_private_imports("from optuna.storages._heartbeat import is_heartbeat_enabled") == [
        "optuna.storages._heartbeat.is_heartbeat_enabled"]
    assert optuna_private_imports("import optuna._imports") == ["optuna._imports"]
    assert optuna_private_imports("from optuna.trial import _dispatch") == ["optuna.trial._dispatch"]
    assert optuna_private_imports("from optuna.trial import TrialState\nimport optuna") == []
    assert optuna_private_imports(COMPAT.read_text()), "the compat module imports Optuna's private heartbeat check"


def test_optuna_private_api_is_used_only_in_the_compat_module() -> None:
    offenders = {str(path.relative_to(ROOT)): found for path in _sources() if path != COMPAT
                 if (found := optuna_private_imports(path.read_text(encoding="utf-8")))}
    assert not offenders, f"import Optuna's private API only in {COMPAT.relative_to(ROOT)}: {offenders}"
    # ruff's SLF001 (on for automl/) flags every other private member access, so a noqa is the only way round it
    suppressed = [str(path.relative_to(ROOT)) for path in (ROOT / "automl").rglob("*.py")
                  if path != COMPAT and "noqa: SLF001" in path.read_text(encoding="utf-8")]
    assert not suppressed, f"private members are reached only through automl/search/optuna_compat.py: {suppressed}"


def test_optuna_is_pinned_below_its_next_major_version() -> None:
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    optuna = next(Requirement(r) for r in project["dependencies"] if Requirement(r).name == "optuna")
    installed = importlib.metadata.version("optuna")
    next_major = f"{int(installed.split('.')[0]) + 1}.0"
    assert optuna.specifier.contains(installed), f"the installed optuna {installed} is outside {optuna.specifier}"
    assert not optuna.specifier.contains(next_major), f"pin optuna below {next_major}: got {optuna.specifier}"


@pytest.mark.parametrize(("old", "new"), [
    ("automl.report.budget", "automl.evidence.budget"),
    ("automl.report.cache", "automl.evidence.cache"),
    ("automl.report.deployment", "automl.evidence.deployment"),
    ("automl.report.evidence", "automl.evidence.validation"),
    ("automl.report.saved_interval", "automl.evidence.saved_interval"),
    ("automl.report.markdown", "automl.markdown"),
])
def test_a_moved_module_is_the_same_module_under_its_old_name(old: str, new: str) -> None:
    assert importlib.import_module(old) is importlib.import_module(new)
    package, _, name = old.rpartition(".")
    assert getattr(importlib.import_module(package), name) is importlib.import_module(new)


def test_moved_names_are_still_importable_from_where_they_were() -> None:
    from automl.runs import quoted_command, shell_quote
    from automl.search import liveness, objective
    from automl.storage import RetryStaleTrial
    from automl.terminal import quoted_command as terminal_quoted
    from automl.trial_attrs import FAIL_REASON, INTERRUPTED_ATTR

    assert (objective.FAIL_REASON, liveness.INTERRUPTED_ATTR) == (FAIL_REASON, INTERRUPTED_ATTR)
    assert liveness.RetryStaleTrial is RetryStaleTrial
    assert quoted_command is terminal_quoted and quoted_command("automl", "resume", "my runs") == \
        "\"automl resume 'my runs'\""
    assert shell_quote("a\nb") == "$'a\\nb'"


def test_make_test_runs_lint_imports_before_pytest() -> None:
    text = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert recipe, "no 'test' target in the Makefile"
    lines = recipe.group(1).splitlines()
    lint = next(i for i, line in enumerate(lines) if "lint-imports" in line)
    assert lint < next(i for i, line in enumerate(lines) if "pytest" in line)


@pytest.mark.slow
def test_lint_imports_passes_and_catches_a_layer_violation(tmp_path: Path) -> None:
    """The contracts hold on this tree, and they break on an upward import (so they are really checked)."""
    lint = Path(sys.executable).with_name("lint-imports")
    kept = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert kept.returncode == 0, kept.stdout[-3000:]
    assert ", 0 broken." in kept.stdout

    # a copy of the tree where the search imports the report (the violation issue 17 found in search/finalize.py)
    shutil.copytree(ROOT / "automl", tmp_path / "automl", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "plugins", tmp_path / "automl_plugins", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / "automl" / "search" / "noise.py").open("a") as f:
        f.write("\n\ndef _upward() -> None:\n    from automl.report import context  # noqa: F401\n")
    broken = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert broken.returncode == 1, broken.stdout[-3000:]
    assert "automl.search is not allowed to import automl.report" in broken.stdout
    assert "automl.search.noise -> automl.report.context" in broken.stdout
