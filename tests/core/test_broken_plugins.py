"""Bad third-party plugins: one that crashes at import, one with a misspelled hook.

Each is installed the way pip would install it (a module plus a ``.dist-info``
folder whose ``entry_points.txt`` declares it in the ``automl`` group) into a
folder put on ``PYTHONPATH`` for a real ``automl`` subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from automl.catalog import build_catalog
from automl.plugins import PluginLoadWarning, make_plugin_manager
from automl_plugins.tabular.demo import churn_frame

TIMEOUT = 120
CRASHING = 'raise RuntimeError("demo plugin exploded at import")\n'
MISSPELLED = '''\
from automl import hookimpl


@hookimpl
def automl_register_model(register):  # should be automl_register_models
    pass
'''


def install_fake_plugin(tmp_path: Path, name: str, source: str) -> Path:
    """A ``site/`` folder holding the plugin module ``<name>_plugin`` and its distribution metadata."""
    site = tmp_path / "site"
    module = f"{name}_plugin"
    (site / f"{module}.py").parent.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(source)
    dist_info = site / f"{name}-0.1.dist-info"
    dist_info.mkdir()
    distribution = name.replace("_", "-")
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(f"[automl]\n{name} = {module}\n")
    return site


def automl(*args: str | Path, cwd: Path, site: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m automl.cli ARGS`` with ``site`` on PYTHONPATH; the rest of the environment is kept."""
    environ = {k: v for k, v in os.environ.items() if k != "AUTOML_DISABLE_PLUGINS"}
    environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "automl.cli", *map(str, args)], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=TIMEOUT)


def explain(done: subprocess.CompletedProcess[str]) -> str:
    return f"{' '.join(done.args[3:])} -> {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"


def plugin_block(stdout: str, header: str) -> str:
    """The lines ``automl plugins`` prints for one plugin, from its header to the next plugin."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        block.append(line)
    return "\n".join(block)


@pytest.fixture
def crashing_site(tmp_path: Path) -> Path:
    return install_fake_plugin(tmp_path, "broken_demo", CRASHING)


# -- a plugin that crashes at import ------------------------------------------------
def test_crashing_plugin_is_reported_and_the_others_still_work(crashing_site: Path, tmp_path: Path) -> None:
    done = automl("plugins", cwd=tmp_path, site=crashing_site)
    assert done.returncode == 0, explain(done)
    assert "Traceback" not in done.stderr, explain(done)
    broken = [line for line in done.stdout.splitlines() if line.startswith("broken_demo")]
    assert len(broken) == 1, explain(done)
    assert "BROKEN" in broken[0], explain(done)
    assert "RuntimeError: demo plugin exploded at import" in broken[0], explain(done)
    tabular = plugin_block(done.stdout, "tabular ")
    assert "tasks:   tabular" in tabular, explain(done)
    assert "lightgbm" in tabular and "linear" in tabular, explain(done)
    warning = [line for line in done.stderr.splitlines() if "warning" in line.lower() and "broken_demo" in line]
    assert len(warning) == 1, explain(done)
    assert "demo plugin exploded at import" in warning[0], explain(done)


@pytest.mark.slow
def test_fit_still_works_with_a_crashing_plugin_installed(crashing_site: Path, tmp_path: Path) -> None:
    churn_frame(200, 0).to_csv(tmp_path / "customers.csv", index=False)
    done = automl("fit", "customers.csv", "--target", "churned", "--models", "linear", "--trials", "2",
                  "--run-dir", "run", "--quiet", cwd=tmp_path, site=crashing_site)
    assert done.returncode == 0, explain(done)
    assert "broken_demo" in done.stderr, explain(done)
    done = automl("leaderboard", "run", "--format", "json", cwd=tmp_path, site=crashing_site)
    assert done.returncode == 0, explain(done)
    rows = json.loads(done.stdout)
    assert any(row["model"] == "linear" and row["status"] == "COMPLETE" for row in rows), rows


def test_crashing_plugin_in_process_is_recorded_as_broken(crashing_site: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python API sees the same thing: a PluginLoadWarning, and ``pm.broken`` names the plugin."""
    monkeypatch.delenv("AUTOML_DISABLE_PLUGINS", raising=False)
    monkeypatch.syspath_prepend(str(crashing_site))
    with pytest.warns(PluginLoadWarning, match="broken_demo.*RuntimeError: demo plugin exploded"):
        pm = make_plugin_manager()
    assert [(b.name, b.module) for b in pm.broken] == [("broken_demo", "broken_demo_plugin")]
    assert "RuntimeError: demo plugin exploded at import" in pm.broken[0].error
    assert pm.get_plugin("tabular") is not None
    assert pm.get_plugin("broken_demo") is None


# -- a plugin that implements a misspelled hook ------------------------------------------
def test_misspelled_hook_stops_start_up_with_one_error_line(tmp_path: Path) -> None:
    site = install_fake_plugin(tmp_path, "typo_demo", MISSPELLED)
    done = automl("plugins", cwd=tmp_path, site=site)
    assert done.returncode == 2, explain(done)
    assert "Traceback" not in done.stderr, explain(done)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, explain(done)
    assert lines[0].startswith("error: "), explain(done)
    assert "'typo_demo'" in lines[0] and "'automl_register_model'" in lines[0], explain(done)
    assert "automl_register_models" in lines[0], "the error should list the valid hooks"
    assert done.stdout == "", explain(done)


def test_disabling_a_misspelled_plugin_lets_automl_start(tmp_path: Path) -> None:
    """The way out for a user who cannot uninstall the plugin right now."""
    site = install_fake_plugin(tmp_path, "typo_demo", MISSPELLED)
    done = automl("plugins", cwd=tmp_path, site=site, AUTOML_DISABLE_PLUGINS="typo_demo")
    assert done.returncode == 0, explain(done)
    assert "typo_demo" not in done.stdout + done.stderr, explain(done)


# -- AUTOML_DISABLE_PLUGINS ------------------------------------------------------------
def test_disabled_plugin_is_skipped_silently(crashing_site: Path, tmp_path: Path) -> None:
    done = automl("plugins", cwd=tmp_path, site=crashing_site, AUTOML_DISABLE_PLUGINS="broken_demo")
    assert done.returncode == 0, explain(done)
    assert "broken_demo" not in done.stdout, explain(done)
    assert "broken_demo" not in done.stderr and "Warning" not in done.stderr, explain(done)
    assert "tabular  (automl_plugins.tabular:PLUGIN)" in done.stdout, explain(done)


def test_disabled_plugin_is_not_imported_in_process(crashing_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(crashing_site))
    monkeypatch.setenv("AUTOML_DISABLE_PLUGINS", " broken_demo , unknown_other ")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginLoadWarning)
        catalog = build_catalog()
    assert catalog.pm.broken == []
    assert "tabular" in catalog.tasks
