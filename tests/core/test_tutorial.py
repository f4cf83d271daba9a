"""docs/plugins.md shows the code ``automl plugin new`` really writes, and its other examples work.

Two kinds of fenced code blocks are checked:

- ``# file: PATH`` as the first line: the rest of the block must appear verbatim
  in PATH of the plugin that ``automl plugin new churn-uplift`` generates;
- ``# example: PATH`` as the first line: the rest of the block is written to
  PATH, and the tests among those files must pass.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from inner_pytest import assert_all_ran_and_passed

from automl.scaffold import render_plugin

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "plugins.md"
PLUGIN_NAME = "churn-uplift"
_FENCE = re.compile(r"^```(?P<lang>[\w+-]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"# (?P<kind>file|example): (?P<path>\S+)\n")


@dataclass(frozen=True)
class Block:
    lang: str
    kind: str
    path: str
    code: str
    line: int

    def __str__(self) -> str:
        return f"docs/plugins.md line {self.line} ({self.kind}: {self.path})"


def marked_blocks(text: str) -> list[Block]:
    blocks = []
    for fence in _FENCE.finditer(text):
        marker = _MARKER.match(fence["body"])
        if marker:
            line = text.count("\n", 0, fence.start()) + 1
            code = fence["body"][marker.end():]
            blocks.append(Block(fence["lang"], marker["kind"], marker["path"], code, line))
    return blocks


@pytest.fixture(scope="module")
def blocks() -> list[Block]:
    return marked_blocks(TUTORIAL.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tutorial") / f"automl-{PLUGIN_NAME}"
    render_plugin(PLUGIN_NAME, folder)
    return folder


def test_the_tutorial_shows_generated_code(blocks):
    python = [b for b in blocks if b.kind == "file" and b.lang == "python"]
    assert len(python) >= 8, "docs/plugins.md must show the generated plugin in '# file: PATH' python blocks"
    shown = {b.path for b in python}
    for module in ("__init__", "task", "models", "metrics"):
        assert f"automl_churn_uplift/{module}.py" in shown, f"the tutorial never shows {module}.py"
    assert "tests/test_automl_churn_uplift.py" in shown


def test_every_file_block_is_verbatim_in_the_generated_plugin(blocks, generated):
    file_blocks = [b for b in blocks if b.kind == "file"]
    assert file_blocks, "docs/plugins.md has no '# file: PATH' code block"
    for block in file_blocks:
        path = generated / block.path
        assert path.is_file(), f"{block}: the generated plugin has no file {block.path}"
        assert block.code.strip(), f"{block}: empty block"
        assert block.code in path.read_text(encoding="utf-8"), (
            f"{block}: the block is not a verbatim excerpt of {block.path} as `automl plugin new "
            f"{PLUGIN_NAME}` writes it; copy it again from the generated file"
        )


def test_the_tutorial_uses_the_scaffold_command():
    text = TUTORIAL.read_text(encoding="utf-8")
    assert f"automl plugin new {PLUGIN_NAME}" in text
    for command in ("pip install -e .", "automl plugins", "python -m pytest", "--task churn_uplift --target y"):
        assert command in text, command


@pytest.mark.slow
def test_the_add_a_model_example_passes_its_checks(blocks, tmp_path):
    examples = [b for b in blocks if b.kind == "example"]
    assert any(b.path.endswith(".py") and "/tests/" in b.path for b in examples), "no example test file"
    for block in examples:
        path = tmp_path / block.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.code, encoding="utf-8")
    roots = sorted({block.path.split("/")[0] for block in examples})
    for root in roots:
        folder = tmp_path / root
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
            cwd=folder, env=env, capture_output=True, text=True, timeout=300,
        )
        assert_all_ran_and_passed(done, at_least=1)  # an inner run whose every test skipped fails here
        lint = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--line-length", "120", "--select", "E,F,W,I,UP,B,SIM", "."],
            cwd=folder, capture_output=True, text=True, timeout=60,
        )
        assert lint.returncode == 0, lint.stdout + lint.stderr
