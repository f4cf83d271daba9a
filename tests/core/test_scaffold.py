"""``automl plugin new``: the generated plugin lints, passes its own tests, installs and runs.

The slow test installs the generated plugin into the current environment
(editable, no dependencies) under a name unique to the test run, and always
uninstalls it, so the environment is left as it was.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from inner_pytest import assert_all_ran_and_passed

from automl.scaffold import PluginNames, render_plugin

PIP_TIMEOUT = 120


def _run(*args: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _expected_files(names: PluginNames) -> set[str]:
    return {
        "pyproject.toml",
        "README.md",
        f"{names.module}/__init__.py",
        f"{names.module}/task.py",
        f"{names.module}/models.py",
        f"{names.module}/metrics.py",
        f"{names.module}/presets/{names.task}.yaml",
        f"tests/test_{names.module}.py",
    }


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


# -- generating -------------------------------------------------------------------------------------
def test_new_writes_the_plugin_into_automl_name_by_default(tmp_path, cli):
    result = cli("plugin", "new", "churn-uplift", cwd=tmp_path)
    assert result.returncode == 0, result
    folder = tmp_path / "automl-churn-uplift"
    names = PluginNames.from_name("churn-uplift")
    assert (names.distribution, names.module, names.task) == ("automl-churn-uplift", "automl_churn_uplift",
                                                              "churn_uplift")
    assert _files(folder) == _expected_files(names)
    pyproject = (folder / "pyproject.toml").read_text()
    assert 'name = "automl-churn-uplift"' in pyproject
    assert '[project.entry-points.automl]\nchurn-uplift = "automl_churn_uplift"\n' in pyproject
    assert '"automl"' in pyproject
    readme = (folder / "README.md").read_text()
    for command in ("pip install -e .", "automl plugins", "automl fit data.csv --task churn_uplift --target y"):
        assert command in readme
    assert "{{" not in pyproject + readme


def test_the_hook_module_holds_only_hook_implementations(tmp_path):
    render_plugin("only-hooks", tmp_path / "plugin")
    source = (tmp_path / "plugin" / "automl_only_hooks" / "__init__.py").read_text()
    tree = ast.parse(source)
    functions = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):  # the docstring
            continue
        assert isinstance(node, ast.FunctionDef), f"{type(node).__name__} at line {node.lineno} is not a hook"
        assert [ast.unparse(d) for d in node.decorator_list] == ["hookimpl"], node.name
        functions.append(node.name)
    assert functions == ["automl_register_tasks", "automl_register_models", "automl_register_metrics",
                         "automl_register_presets"]
    assert "from automl.kit import MetricSpec, ModelSpec, TaskSpec, hookimpl" in source


def test_generated_code_passes_ruff(tmp_path):
    folder = tmp_path / "automl-lint-me"
    render_plugin("lint-me", folder)
    done = _run(sys.executable, "-m", "ruff", "check", folder, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_generated_tests_pass_without_installing(tmp_path):
    """``python -m pytest`` in the new folder works before ``pip install -e .``: the kit registers the plugin."""
    folder = tmp_path / "automl-fresh"
    render_plugin("fresh", folder)
    done = _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=folder, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout, done.stdout[-2000:]


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("Churn", "invalid plugin name 'Churn'"),
        ("churn uplift", "invalid plugin name 'churn uplift'"),
        ("churn.uplift", "lowercase letters, digits"),
        ("2fast", "starting with a letter"),
        ("churn-", "invalid plugin name"),
        ("automl-churn", "leave out the 'automl-' prefix"),
        ("tabular", "built-in plugin"),
    ],
)
def test_bad_names_are_one_line_errors(tmp_path, cli, user_error, name, fragment):
    result = cli("plugin", "new", name, cwd=tmp_path)
    user_error(result, fragment)
    assert not any(tmp_path.iterdir()), "nothing is written for a bad name"


def test_existing_folder_is_kept_unless_forced(tmp_path, cli, user_error):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    (folder / "README.md").write_text("old readme")
    user_error(cli("plugin", "new", "mine", "--dir", folder, cwd=tmp_path), str(folder), "--force")
    assert _files(folder) == {"notes.txt", "README.md"}
    assert (folder / "README.md").read_text() == "old readme"

    result = cli("plugin", "new", "mine", "--dir", folder, "--force", cwd=tmp_path)
    assert result.returncode == 0, result
    assert _files(folder) == _expected_files(PluginNames.from_name("mine")) | {"notes.txt"}
    assert (folder / "notes.txt").read_text() == "keep me"
    assert "automl-mine" in (folder / "README.md").read_text()


def test_a_file_in_the_way_is_a_one_line_error(tmp_path, cli, user_error):
    (tmp_path / "automl-blocked").write_text("")
    user_error(cli("plugin", "new", "blocked", cwd=tmp_path), "automl-blocked", "is a file")


def test_an_empty_folder_is_used(tmp_path, cli):
    (tmp_path / "empty").mkdir()
    result = cli("plugin", "new", "empty-ok", "--dir", tmp_path / "empty", cwd=tmp_path)
    assert result.returncode == 0, result
    assert (tmp_path / "empty" / "automl_empty_ok" / "task.py").is_file()


# -- installing and running -----------------------------------------------------------------------
@pytest.fixture
def installed_plugin(tmp_path: Path, cli) -> Iterator[tuple[PluginNames, Path]]:
    """A freshly generated plugin, installed editable into this environment, always uninstalled after."""
    names = PluginNames.from_name(f"scaffold-check-{uuid.uuid4().hex[:8]}")
    folder = tmp_path / names.distribution
    result = cli("plugin", "new", names.name, "--dir", folder, cwd=tmp_path)
    assert result.returncode == 0, result
    try:
        done = _run(sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q", "-e", folder,
                    cwd=tmp_path, timeout=PIP_TIMEOUT)
        assert done.returncode == 0, done.stdout + done.stderr
        yield names, folder
    finally:
        _run(sys.executable, "-m", "pip", "uninstall", "-y", "-q", names.distribution, cwd=tmp_path,
             timeout=PIP_TIMEOUT)


@pytest.mark.slow
def test_generated_plugin_installs_passes_its_tests_and_runs(installed_plugin, tmp_path, cli):
    names, folder = installed_plugin

    tests = _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", folder / "tests", cwd=folder,
                 timeout=300)
    assert_all_ran_and_passed(tests, at_least=5)  # the generated tests ran, none skipped

    listing = cli("plugins", cwd=tmp_path)
    assert listing.returncode == 0, listing
    lines = listing.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{names.name}  ({names.module})"))
    assert lines[start + 1].split() == ["tasks:", names.task]
    assert lines[start + 2].split() == ["models:", "ridge,", "mean"]
    assert lines[start + 3].split() == ["metrics:", "mae"]
    listed = cli("presets", cwd=tmp_path)  # its preset file, found in the installed package
    assert listed.returncode == 0, listed
    mine = [line for line in listed.stdout.splitlines() if line.startswith(f"{names.task} ")]
    assert len(mine) == 1 and f"plugin {names.name}" in mine[0] and "mae" in mine[0], listed

    sample = _run(sys.executable, "-c", f"from {names.module}.task import sample_data; sample_data('.')", cwd=tmp_path)
    assert sample.returncode == 0, sample.stderr
    run_dir = tmp_path / "run"
    fit = cli("fit", "sample.csv", "--task", names.task, "--target", "y", "--trials", "3", "--run-dir", run_dir,
              "--quiet", cwd=tmp_path)
    assert fit.returncode == 0, fit
    model = json.loads((run_dir / "best" / "model.json").read_text())
    assert model["task"] == names.task and model["metric"] == "mae"
    assert {m["model"] for m in model["members"]} <= {"mean", "ridge"}

    predicted = cli("predict", run_dir, "sample.csv", "--out", tmp_path / "predictions.csv", cwd=tmp_path)
    assert predicted.returncode == 0, predicted
    predictions = pd.read_csv(tmp_path / "predictions.csv")
    assert list(predictions.columns) == ["prediction"] and len(predictions) == 400
