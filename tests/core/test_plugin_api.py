"""Plugins use the core through one declared API, ``automl.kit``: every core import of a built-in plugin, the
example plugins and the scaffold's templates names ``automl.kit`` and only names in its ``__all__``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import automl.kit

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_CODE = [ROOT / "plugins", ROOT / "examples"]
TEMPLATES = ROOT / "templates" / "plugin"
ALLOWED_CORE = {"automl.kit", "automl.testing", "automl.testing.checks"}  # tests may use the conformance kit


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
    return found


def _python_files() -> list[Path]:
    return [p for root in PLUGIN_CODE for p in root.rglob("*.py") if ".venv" not in p.parts]


def _is_core(module: str) -> bool:
    return module == "automl" or module.startswith("automl.")


def test_plugins_import_the_core_only_through_the_kit() -> None:
    wrong = []
    for path in _python_files():
        for module, names in _imports(path):
            if not _is_core(module):
                continue
            if module not in ALLOWED_CORE or (module == "automl.kit" and not set(names) <= set(automl.kit.__all__)):
                wrong.append(f"{path.relative_to(ROOT)}: from {module} import {', '.join(names)}")
    assert not wrong, "\n".join(wrong)


def test_the_scaffolds_templates_use_the_kit_too() -> None:
    lines = [line for path in TEMPLATES.rglob("*.j2") for line in path.read_text().splitlines()
             if line.startswith(("from automl", "import automl"))]
    assert lines
    assert all(line.startswith(("from automl.kit import", "from automl.testing import")) for line in lines), lines


def test_no_new_import_between_built_in_plugins() -> None:
    edges = set()
    for path in (ROOT / "plugins").rglob("*.py"):
        own = path.relative_to(ROOT / "plugins").parts[0]
        for module, _ in _imports(path):
            parts = module.split(".")
            if parts[0] == "automl_plugins" and len(parts) > 1 and parts[1] != own:
                edges.add((own, parts[1]))
    assert not edges, sorted(edges)  # what two plugins share lives in the kit


@pytest.mark.parametrize("name", automl.kit.__all__)
def test_every_name_of_the_kit_resolves(name: str) -> None:
    assert getattr(automl.kit, name) is not None


def test_an_unknown_name_says_where_the_api_is() -> None:
    with pytest.raises(AttributeError, match="automl.kit.__all__"):
        automl.kit.RunDir  # noqa: B018 - a private core name


def test_importing_the_kit_imports_nothing_heavy() -> None:
    code = ("import sys, automl.kit; heavy = [m for m in ('pandas', 'optuna', 'sklearn', 'torch', 'automl.report') "
            "if m in sys.modules]; print(','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", done.stdout
