"""Use-case presets: shipped files, validation, and how `fit --preset` applies them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from automl import AutoML, presets
from automl.catalog import build_catalog
from automl.errors import UserError
from automl.workflow import FitOptions
from automl_plugins.tabular.demo import churn_frame

SHIPPED = ["churn", "defect_inspection", "demand_forecast", "product_recs", "ticket_routing"]
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
    found = presets.shipped()
    assert [p.name for p in found] == SHIPPED == presets.names()
    for preset in found:
        presets.check(preset, catalog)
        task_metrics = {m.name for m in catalog.metrics if preset.task in m.tasks}
        assert preset.metric in task_metrics, (preset.name, preset.metric, sorted(task_metrics))
        assert preset.title and preset.description and preset.time_budget and preset.time_budget > 0
        assert preset.wording.get("entity") and preset.wording.get("target"), preset.name
        for key in preset.options:
            assert key in presets.OPTION_TYPES


def test_presets_command_lists_all_five(cli, tmp_path):
    result = cli("presets", cwd=tmp_path)
    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == SHIPPED
    churn = lines[0]
    for part in ("Customer churn", "tabular", "roc_auc", "600 s", "Which customers are about to leave"):
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
    user_error(result, "unknown preset 'churnn'", *SHIPPED)


@pytest.mark.parametrize(("text", "fragments"), [
    ("task: tabular\nmetrik: roc_auc\n", ["unknown key 'metrik'", "metric"]),
    ("metric: roc_auc\n", ["lacks the key 'task'"]),
    ("task: tabular\ntime_budget: soon\n", ["'time_budget' must be a number", "'soon'"]),
    ("task: tabular\ntime_budget: -5\n", ["'time_budget' must be a positive"]),
    ("task: tabular\noptions: {horizn: 3}\n", ["unknown key 'options.horizn'", "horizon"]),
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
    for preset in presets.shipped():
        budget = f"{preset.time_budget:g} s"
        assert f"| `{preset.name}` | {preset.task} | {preset.metric} | {budget} |" in docs, preset.name
    example = re.search(r"```yaml\n(.*?)```", docs, re.DOTALL)
    assert example is not None
    (tmp_path / "example.yaml").write_text(example[1])
    assert presets.load(tmp_path / "example.yaml") == presets.load("churn")
