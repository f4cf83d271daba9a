"""docs/hooks.md documents every hook in automl/hookspecs.py, with its current signature.

Each hook needs a ``## automl_<name>`` section whose first Python block is the
signature, written ``def automl_x(...) -> ...: ...`` exactly as
``inspect.signature`` renders the hookspec (annotations as written in the
source). The examples in the sections are run as real plugins.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy
import pytest

import automl.hookspecs
from automl import AutoML, presets
from automl.catalog import build_catalog
from automl.testing import sample_setup
from automl_plugins.tabular.demo import churn_frame

DOC = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)


# -- the hooks, and their signatures as the docs must show them ------------------------------
def hook_specs() -> dict[str, Callable[..., Any]]:
    """Every hook with a specification, found the way pluggy finds them."""
    pm = pluggy.PluginManager(automl.hookspecs.PROJECT)
    pm.add_hookspecs(automl.hookspecs)
    return {name: caller.spec.function for name, caller in sorted(vars(pm.hook).items())
            if isinstance(caller, pluggy.HookCaller) and caller.spec is not None}


class _AsWritten:
    """Renders an annotation string without the quotes ``inspect`` would add."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _as_written(annotation: Any) -> Any:
    return _AsWritten(annotation) if isinstance(annotation, str) else annotation


def rendered_signature(function: Callable[..., Any]) -> str:
    signature = inspect.signature(function)
    signature = signature.replace(
        parameters=[p.replace(annotation=_as_written(p.annotation)) for p in signature.parameters.values()],
        return_annotation=_as_written(signature.return_annotation),
    )
    return f"def {function.__name__}{signature}: ..."


# -- the document ---------------------------------------------------------------------------
@dataclass
class Section:
    title: str
    text: str
    blocks: list[str] = field(default_factory=list)  # the Python code blocks, in order

    @property
    def signature(self) -> str | None:
        return self.blocks[0].strip() if self.blocks and self.blocks[0].lstrip().startswith("def ") else None

    @property
    def examples(self) -> list[str]:
        return [b for b in self.blocks[1:] if "@hookimpl" in b]


def doc_sections() -> dict[str, Section]:
    sections: dict[str, Section] = {}
    parts = re.split(r"^## +(.+?)\s*$", DOC.read_text(), flags=re.MULTILINE)
    for title, text in zip(parts[1::2], parts[2::2], strict=True):
        blocks = [code for lang, code in FENCE.findall(text) if lang == "python"]
        sections[title.strip().strip("`")] = Section(title, text, blocks)
    return sections


HOOKS = hook_specs()
SECTIONS = doc_sections()


def test_the_hooks_are_found() -> None:
    assert {"automl_register_tasks", "automl_register_models", "automl_register_metrics"} <= set(HOOKS)
    assert all(name.startswith("automl_") for name in HOOKS)


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_hook_has_a_section(hook: str) -> None:
    if hook not in SECTIONS:
        pytest.fail(f"hook '{hook}' (automl/hookspecs.py) has no section in docs/{DOC.name}; add one headed "
                    f"'## {hook}' with its signature, when it is called, what to return and an example",
                    pytrace=False)


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_documented_signature_is_current(hook: str) -> None:
    if hook not in SECTIONS:
        pytest.skip(f"no section for '{hook}' (reported by test_hook_has_a_section)")
    expected = rendered_signature(HOOKS[hook])
    documented = SECTIONS[hook].signature
    assert documented is not None, (
        f"the section of hook '{hook}' in {DOC.name} must start with its signature in a python block:\n{expected}"
    )
    node = ast.parse(documented).body[0]
    assert isinstance(node, ast.FunctionDef) and node.name == hook, (
        f"the signature block of '{hook}' in {DOC.name} defines {getattr(node, 'name', '?')!r}"
    )
    spec_params = list(inspect.signature(HOOKS[hook]).parameters)
    doc_params = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
    assert doc_params == spec_params, (
        f"hook '{hook}': {DOC.name} documents parameters {doc_params}, "
        f"but automl/hookspecs.py has {spec_params}"
    )
    assert documented == expected, (
        f"hook '{hook}': the signature in {DOC.name} is stale.\n  documented: {documented}\n  hookspec:   {expected}"
    )


def test_no_section_documents_a_hook_that_does_not_exist() -> None:
    stale = sorted(title for title in SECTIONS if title.startswith("automl_") and title not in HOOKS)
    assert not stale, f"{DOC.name} documents hooks that automl/hookspecs.py does not define: {', '.join(stale)}"


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_section_says_when_what_and_shows_an_example(hook: str) -> None:
    section = SECTIONS.get(hook)
    if section is None:
        pytest.skip(f"no section for '{hook}' (reported by test_hook_has_a_section)")
    assert "**When it is called.**" in section.text, f"the section of '{hook}' does not say when it is called"
    assert re.search(r"\*\*What to (return|do)\.\*\*", section.text), f"the section of '{hook}' lacks 'What to ...'"
    assert any(f"def {hook}(" in example for example in section.examples), (
        f"the section of '{hook}' has no example implementing it (a python block with @hookimpl def {hook}(...))"
    )


def test_every_hookspec_has_a_docstring() -> None:
    missing = [name for name, function in HOOKS.items() if not inspect.getdoc(function)]
    assert not missing, f"hooks without a docstring in automl/hookspecs.py: {', '.join(missing)}"


def test_python_blocks_are_valid_python() -> None:
    for title, section in SECTIONS.items():
        for block in section.blocks:
            try:
                ast.parse(block)
            except SyntaxError as exc:
                pytest.fail(f"a python block in section '{title}' of {DOC.name} does not parse: {exc}\n{block}")


# -- the examples work ------------------------------------------------------------------------
@pytest.fixture
def doc_examples(automl_register_plugin, monkeypatch: pytest.MonkeyPatch) -> dict[str, types.ModuleType]:
    """Every example of docs/hooks.md, loaded as a module and registered as a plugin for this test."""
    monkeypatch.delenv("AUTOML_DISABLE_PLUGINS", raising=False)
    modules: dict[str, types.ModuleType] = {}
    for hook in HOOKS:
        for index, code in enumerate(SECTIONS[hook].examples if hook in SECTIONS else []):
            name = f"hook_docs_example_{hook}_{index}"
            module = types.ModuleType(name)
            monkeypatch.setitem(sys.modules, name, module)
            exec(compile(code, f"{DOC.name} ({hook} example {index})", "exec"), module.__dict__)
            automl_register_plugin(module, name)
            modules[hook] = module
    return modules


def test_register_examples_register_what_they_say(doc_examples, tmp_path: Path) -> None:
    catalog = build_catalog()
    assert "ordered_tabular" in catalog.tasks
    assert catalog.model("ordered_tabular", "linear").task == "ordered_tabular"
    assert catalog.model("tabular", "prior").key == "prior"
    assert catalog.metric("tabular", "binary", "brier").direction == "minimize"
    fraud = presets.load("card_fraud")  # automl_register_presets, checked against the catalog like any preset
    presets.check(fraud, catalog)
    assert (fraud.task, fraud.metric, fraud.wording["entity"]) == ("tabular", "f1", "payments")
    assert fraud.plugin == "hook_docs_example_automl_register_presets_0"
    sample = sample_setup(catalog, "ordered_tabular", tmp_path)
    (train, valid), = sample.folds
    assert train.max() < valid.min(), "the ordered task validates on the last rows"
    assert sample.metric.name == "roc_auc"


def test_notification_examples_run_during_a_search(doc_examples, tmp_path: Path) -> None:
    run = AutoML(time_budget=60, trials=3, models=["prior", "linear"], metric="brier",
                 run_dir=tmp_path / "run").fit(churn_frame(200, 0), target="churned")
    board = run.leaderboard()
    assert {"prior", "linear"} <= set(board["model"]), board[["model", "status"]]
    assert (board.loc[board["model"] == "linear", "status"] == "COMPLETE").all(), board[["model", "status"]]
    log = (run.path / "trials.jsonl").read_text().splitlines()
    assert len(log) == 3, log  # automl_trial_finished: one line per trial
    report = run.report().read_text()
    assert "<h2>Trials per model family</h2>" in report, "the automl_report_sections example is not in report.html"
    assert "<td>linear</td>" in report, "the automl_report_sections example's table is not in report.html"
    from automl.report import cache

    counts = cache.load_json(run, "example_rows_per_fold.json")  # saved by the automl_fit_finished example
    assert isinstance(counts, dict) and sum(counts.values()) == 200, counts
    assert "Validation rows per fold" in report, "the automl_fit_finished example's section is not in report.html"
