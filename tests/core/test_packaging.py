"""The wheel carries the core, the built-in plugins and the templates."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRESETS = {"tabular": "churn", "image": "defect_inspection", "forecast": "demand_forecast",
           "recommend": "product_recs", "text": "ticket_routing"}


@pytest.mark.slow
def test_wheel_contains_plugins_templates_and_entry_points(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("automl-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "automl/cli.py" in names
    assert "automl_plugins/tabular/__init__.py" in names
    assert "automl_plugins/tabular/models/lightgbm.py" in names
    assert "automl_plugins/text/finetune/models/estimator.py" in names  # the finetune task, inside text
    assert "automl/lightgbm_model.py" in names
    assert "automl/templates/report/report.html.j2" in names
    for plugin, preset in PRESETS.items():  # each plugin's presets travel with it, read by importlib.resources
        assert f"automl_plugins/{plugin}/presets/{preset}.yaml" in names, sorted(n for n in names if "preset" in n)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[automl]" in text and "tabular = automl_plugins.tabular:PLUGIN" in text
    assert "automl = automl.cli:main" in text
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    code = (
        "import automl, automl_plugins, jinja2\n"
        "from automl.report import _environment\n"
        "_environment(True).get_template('report.html.j2')\n"
        "from automl.catalog import build_catalog\n"
        "print(automl.__file__, automl_plugins.__file__, sorted(build_catalog().tasks.keys()))\n"
        "from automl import presets\n"
        "print(*[f'{p.name}:{p.plugin}' for p in presets.registered()])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert str(site) in out.stdout.split()[0] and str(site) in out.stdout.split()[1], out.stdout
    assert "'tabular'" in out.stdout
    assert out.stdout.splitlines()[1].split() == [f"{name}:{plugin}" for plugin, name in sorted(
        PRESETS.items(), key=lambda item: item[1])], out.stdout
