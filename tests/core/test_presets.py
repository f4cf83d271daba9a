"""Use-case presets: registered by plugins (built-in or third-party), checked, and applied by `fit --preset`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from automl import AutoML, hookimpl, presets
from automl.catalog import build_catalog
from automl.errors import UserError
from automl.presets import Preset
from automl.workflow import FitOptions
from automl_plugins.tabular.demo import churn_frame

SHIPPED = ["churn", "defect_inspection", "demand_forecast", "product_recs", "ticket_routing"]
OWNERS = {"churn": "tabular", "defect_inspection": "image", "demand_forecast": "forecast",
          "product_recs": "recommend", "ticket_routing": "text"}
FAST = ("--trials", "3", "--models", "linear,lightgbm", "--quiet")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("presets")
    churn_frame(300, seed=0).to_csv(path / "customers.csv", index=False)
    return path


@pytest.fixture(scope="module")
def cli_run(folder: Path, cli):  # noqa: ANN001, ANN201 - the session fixture from conftest
    """`fit --preset churn` with an explicit --time-budget: the budget is the user's, the metric the preset's."""
    result = cli("fit", "customers.csv", "--target", "churned", "--preset", "churn", "--time-budget", "30",
                 *FAST, "--run-dir", "runs/cli", cwd=folder)
    assert result.returncode == 0, result
    return result, json.loads((folder / "runs/cli/run.json").read_text())


def test_every_shipped_preset_loads_and_names_a_task_and_one_of_its_metrics():
    catalog = build_catalog()
    found = presets.registered()
    assert [p.name for p in found] == SHIPPED == presets.names()
    assert {p.name: p.plugin for p in found} == OWNERS  # each registered by the plugin of its task
    for preset in found:
        presets.check(preset, catalog)
        task_metrics = {m.name for m in catalog.metrics if preset.task in m.tasks}
        assert preset.metric in task_metrics, (preset.name, preset.metric, sorted(task_metrics))
        assert preset.title and preset.description and preset.time_budget and preset.time_budget > 0
        assert preset.wording.get("entity") and preset.wording.get("target"), preset.name
        task = catalog.task(preset.task)
        for key in preset.options:  # each declared by its task (check above also checks the value)
            assert task.option(key) is not None, (preset.name, key)


def test_presets_command_lists_all_five(cli, tmp_path):
    result = cli("presets", cwd=tmp_path)
    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == SHIPPED
    churn = lines[0]
    for part in ("Customer churn", "tabular", "roc_auc", "600 s", "plugin tabular",
                 "Which customers are about to leave"):
        assert part in churn, churn


def test_fit_with_a_preset_stores_it_and_an_explicit_flag_wins(cli_run):
    result, manifest = cli_run
    assert manifest["preset"] == presets.load("churn").as_dict()
    assert manifest["preset"]["metric"] == "roc_auc" and manifest["preset"]["time_budget"] == 600
    assert manifest["metric"] == "roc_auc"  # not given: the preset's
    assert manifest["time_budget"] == 30  # given on the command line: the user's
    assert "preset churn: tabular, metric roc_auc, 30 s budget" in result.stderr


def test_the_report_speaks_in_the_presets_words(cli_run, folder):
    report = (folder / "runs/cli/report.md").read_text()
    assert report.startswith("# Customer churn: cli")
    assert "Of the customers who left, the model flags" in report
    html = (folder / "runs/cli/report.html").read_text()
    assert "Which customers are about to leave, so the team can reach them first." in html


def test_python_api_takes_a_preset_and_explicit_arguments_win(folder):
    run = AutoML(preset="churn", metric="f1", trials=2, models=["linear"], run_dir=folder / "runs/api").fit(
        folder / "customers.csv", target="churned")
    assert run.manifest["metric"] == "f1"
    assert run.manifest["time_budget"] == 600  # left at its default: the preset's
    assert run.manifest["preset"]["name"] == "churn"


def test_preset_options_are_defaults_under_the_users_task_options():
    preset = presets.load("demand_forecast")
    explicit = presets.apply(preset, FitOptions(task_options={"horizon": 6}), explicit=set())
    assert explicit.task_options == {"horizon": 6} and explicit.task == "forecast" and explicit.metric == "mase"
    assert presets.apply(preset, FitOptions(), explicit=set()).task_options == {"horizon": 12}
    mine = presets.apply(preset, FitOptions(task="tabular", metric="rmse", time_budget=300.0),
                         explicit={"task", "metric", "time_budget"})
    assert (mine.task, mine.metric, mine.time_budget) == ("tabular", "rmse", 300.0)


def test_unknown_preset_lists_the_available_ones(cli, user_error, folder):
    result = cli("fit", "customers.csv", "--target", "churned", "--preset", "churnn", cwd=folder)
    user_error(result, "unknown preset 'churnn'", "did you mean 'churn'?", *SHIPPED)


@pytest.mark.parametrize(("text", "fragments"), [
    ("task: tabular\nmetrik: roc_auc\n", ["unknown key 'metrik'", "metric"]),
    ("metric: roc_auc\n", ["lacks the key 'task'"]),
    ("task: tabular\ntime_budget: soon\n", ["'time_budget' must be a number", "'soon'"]),
    ("task: tabular\ntime_budget: -5\n", ["'time_budget' must be a positive"]),
    ("task: tabular\noptions: [horizon]\n", ["'options' must be a mapping"]),
    ("task: tabular\nwording: {positive_label: yes}\n", ["'wording.positive_label'", "put quotes"]),
    ("task: tabular\nwording: {labels: {yes: left}}\n", ["'wording.labels'", "put quotes"]),
    ("task: [tabular\n", ["not valid YAML at line", "expected ',' or ']'"]),
    ("- tabular\n", ["must be a mapping"]),
])
def test_a_malformed_preset_file_names_the_file_and_the_key(tmp_path, text, fragments):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as caught:
        presets.load(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(("text", "fragments"), [
    ("task: forecast\noptions: {horizn: 3}\n", ["option horizn is not an option of any installed task",
                                                  "did you mean horizon?"]),
    ("task: tabular\noptions: {horizon: 3}\n", ["option horizon does not apply to the tabular task",
                                                  "problem_type"]),
    ("task: forecast\noptions: {horizon: '12'}\n", ["option horizon must be a whole number, not '12'"]),
    ("task: forecast\noptions: {horizon: 0}\n", ["option horizon must be at least 1"]),
    ("task: tabular\noptions: {problem_type: regresion}\n", ["must be one of binary, multiclass, regression",
                                                              "did you mean 'regression'?"]),
])
def test_preset_options_are_checked_against_what_the_task_declares(tmp_path, text, fragments):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    preset = presets.load(path)
    with pytest.raises(UserError) as caught:
        presets.check(preset, build_catalog())
    message = str(caught.value)
    assert message.startswith("preset 'mine': ") and "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_a_preset_file_that_is_not_utf8_is_one_line(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes("task: tabular\ndescription: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(UserError, match=r"latin.yaml is not UTF-8 text"):
        presets.load(path)


def test_a_malformed_preset_file_on_the_command_line_is_a_one_line_error(cli, user_error, folder):
    (folder / "typo.yaml").write_text("task: tabular\nmetrik: roc_auc\n")
    result = cli("fit", "customers.csv", "--target", "churned", "--preset", "typo.yaml", cwd=folder)
    user_error(result, "typo.yaml", "unknown key 'metrik'")


def test_a_preset_metric_the_task_lacks_lists_the_tasks_metrics(tmp_path):
    path = tmp_path / "wrong.yaml"
    path.write_text("task: text\nmetric: rmse\n")
    with pytest.raises(UserError, match=r"metric 'rmse' is not a text metric; valid: .*f1_macro"):
        presets.check(presets.load(path), build_catalog())


def test_a_preset_whose_task_does_not_fit_the_data_gives_the_tasks_error(cli, folder):
    result = cli("fit", "customers.csv", "--target", "churned", "--preset", "ticket_routing", "--quiet",
                 "--run-dir", "runs/text", cwd=folder)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr, result
    assert result.stderr_lines[0] == "preset ticket_routing: text, metric f1_macro, 900 s budget"
    assert result.stderr_lines[-1].startswith("error: no text column in customers.csv"), result


def test_docs_list_every_shipped_preset_as_it_is(tmp_path):
    docs = (Path(__file__).resolve().parents[2] / "docs" / "presets.md").read_text()
    for preset in presets.registered():
        budget = f"{preset.time_budget:g} s"
        assert f"| `{preset.name}` | {preset.task} | {preset.metric} | {budget} |" in docs, preset.name
    example = re.search(r"```yaml\n(.*?)```", docs, re.DOTALL)
    assert example is not None
    (tmp_path / "example.yaml").write_text(example[1])
    assert presets.load(tmp_path / "example.yaml") == replace(presets.load("churn"), plugin=None)


def test_a_disabled_plugins_presets_are_gone(monkeypatch):
    monkeypatch.setenv("AUTOML_DISABLE_PLUGINS", "tabular")
    assert "churn" not in presets.names() and "ticket_routing" in presets.names()
    with pytest.raises(UserError, match="unknown preset 'churn'"):
        presets.load("churn")


# -- a third-party plugin registers presets through the hook ------------------------------------------
FRAUD = "name: fraud\ntitle: Card fraud\ndescription: Which payments are fraud.\ntask: tabular\nmetric: f1\n"
THIRD_PARTY = '''\
from pathlib import Path

from automl import hookimpl
from automl.presets import Preset


@hookimpl
def automl_register_presets(register):
    register(Path(__file__).with_name("fraud.yaml"))
    register(Preset(name="quick_churn", task="tabular", metric="f1", time_budget=30,
                    options={"problem_type": "binary"}))
'''


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The plugin ``fraud_demo`` installed as pip would: a module, its YAML file and a .dist-info entry point."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "fraud_demo.py").write_text(THIRD_PARTY)
    (site / "fraud.yaml").write_text(FRAUD)
    dist_info = site / "fraud_demo-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: fraud-demo\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[automl]\nfraud_demo = fraud_demo\n")
    monkeypatch.delenv("AUTOML_DISABLE_PLUGINS", raising=False)
    monkeypatch.syspath_prepend(str(site))
    return site


def test_a_third_party_plugins_presets_are_listed_with_their_plugin(third_party: Path, tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(third_party), os.environ.get("PYTHONPATH"))))}
    done = subprocess.run([sys.executable, "-m", "automl.cli", "presets"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert list(lines) == sorted([*SHIPPED, "fraud", "quick_churn"]), done.stdout
    assert "Card fraud" in lines["fraud"] and "plugin fraud_demo" in lines["fraud"], lines["fraud"]
    assert "plugin fraud_demo" in lines["quick_churn"] and "30 s" in lines["quick_churn"], lines["quick_churn"]
    assert "plugin tabular" in lines["churn"], lines["churn"]


def test_python_api_takes_a_third_party_preset(third_party: Path):
    options = AutoML(preset="quick_churn").options
    assert (options.task, options.metric, options.time_budget) == ("tabular", "f1", 30.0)
    assert options.task_options == {"problem_type": "binary"}
    assert options.preset is not None and options.preset["plugin"] == "fraud_demo"
    fraud = presets.load("fraud")
    assert (fraud.title, fraud.metric, fraud.plugin) == ("Card fraud", "f1", "fraud_demo")
    presets.check(fraud, build_catalog())


def test_two_plugins_registering_one_name_are_both_named(automl_register_plugin):
    class Clash:
        @staticmethod
        @hookimpl
        def automl_register_presets(register):
            register(Preset(name="churn", task="tabular"))

    automl_register_plugin(Clash, "clash-plugin")
    with pytest.raises(UserError, match="preset 'churn' is registered twice: by plugin 'tabular' and by plugin "
                                        "'clash-plugin'"):
        presets.registered()


@pytest.mark.parametrize(("source", "fragments"), [
    (Preset(name="bad", task="tabular", time_budget=-1), ["'bad' of plugin 'faulty'", "positive number"]),
    (Preset(name="bad", task="tabular", options={"horizn": 3}), ["'bad' of plugin 'faulty'", "option horizn",
                                                                               "did you mean horizon?"]),
    ("a string", ["plugin 'faulty' registered a preset of type str"]),
])
def test_a_plugins_faulty_preset_names_the_plugin(automl_register_plugin, source, fragments):
    class Faulty:
        @staticmethod
        @hookimpl
        def automl_register_presets(register):
            register(source)

    automl_register_plugin(Faulty, "faulty")
    with pytest.raises(UserError) as caught:
        presets.registered()
    for fragment in fragments:
        assert fragment in str(caught.value), caught.value


def test_a_plugins_faulty_preset_file_names_the_file_and_the_plugin(automl_register_plugin, tmp_path):
    (tmp_path / "typo.yaml").write_text("task: tabular\nmetrik: f1\n")

    class Faulty:
        @staticmethod
        @hookimpl
        def automl_register_presets(register):
            register(tmp_path / "typo.yaml")
            register(tmp_path / "missing.yaml")

    automl_register_plugin(Faulty, "faulty")
    with pytest.raises(UserError, match="preset typo.yaml of plugin 'faulty': unknown key 'metrik'"):
        presets.registered()
    (tmp_path / "typo.yaml").write_text("task: tabular\nmetric: f1\n")
    with pytest.raises(UserError, match="preset missing.yaml of plugin 'faulty' cannot be read"):
        presets.registered()
