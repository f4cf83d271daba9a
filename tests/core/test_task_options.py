"""Task options are declared by the tasks: ``automl fit`` makes its flags from them, lists them under each task,
and checks every value (flag, Python or preset) against the same declarations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import automl.cli
from automl import AutoML, hookimpl
from automl.catalog import build_catalog
from automl.errors import UserError
from automl.specs import TaskOption, TaskSpec
from automl.task_options import flag


def _sections(help_text: str) -> dict[str, list[str]]:
    """The flags listed in each section of a command's help, by section title."""
    sections: dict[str, list[str]] = {}
    title = ""
    for line in help_text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            title = line[:-1]
            sections[title] = []
        elif title:
            sections[title] += re.findall(r"^\s{2}(--[a-z-]+)", line)
    return sections


def test_no_task_flag_is_written_in_the_cli() -> None:
    source = Path(automl.cli.__file__).read_text()
    assert not re.search(r"horizon|user-col|text-col|backbone|top-k|problem-type", source)


def test_fit_help_lists_each_declared_option_under_each_task_that_reads_it(cli, tmp_path: Path) -> None:
    result = cli("fit", "--help", cwd=tmp_path)
    assert result.returncode == 0, result
    sections = _sections(result.stdout)
    catalog = build_catalog()
    for task in catalog.tasks:
        if task.declared_options:
            assert sections[f"Options of the {task.name} task"] == [flag(o.name) for o in task.declared_options]
    assert "--target" in sections["Options"] and "--horizon" not in sections["Options"]
    assert sections["Options of the recommend task"][-2:] == ["--top-k", "--items"]
    assert "[default: 10]" in result.stdout  # the declared default of --top-k is shown


def test_predict_help_lists_only_the_options_declared_for_predictions(cli, tmp_path: Path) -> None:
    result = cli("predict", "--help", cwd=tmp_path)
    assert result.returncode == 0, result
    assert _sections(result.stdout)["Options of the recommend task"] == ["--top-k"]
    assert "--horizon" not in result.stdout


def test_a_typo_in_a_task_flag_gets_a_did_you_mean(cli, tmp_path: Path) -> None:
    (tmp_path / "sales.csv").write_text("date,sales\n2024-01-01,1\n")
    result = cli("fit", "sales.csv", "--horizn", "3", cwd=tmp_path)
    assert result.returncode == 2, result
    assert "--horizn" in result.stderr and "--horizon" in result.stderr and "Traceback" not in result.stderr


def _colour_task(seen: dict) -> TaskSpec:
    """A third-party task with one option of its own; its loader records the options it is given."""
    def load(source, options):  # noqa: ANN001, ANN202
        seen.update(options)
        raise UserError(f"loaded with colour {options.get('colour')!r}")

    def unused(*_args):  # noqa: ANN002, ANN202
        raise AssertionError("not reached")

    return TaskSpec(name="paint", detect=lambda source, options: 0.0, load=load, split=unused,
                    default_metric=unused, prepare=unused, format_predictions=unused,
                    options=(TaskOption("colour", "The colour to paint with.", choices=("red", "blue")),
                             TaskOption("coats", "How many coats.", type=int, minimum=1, default=2)))


def test_a_plugins_task_gets_its_flags_without_a_core_change(automl_register_plugin, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict = {}

    class Paint:
        @staticmethod
        @hookimpl
        def automl_register_tasks(register):  # noqa: ANN001, ANN205
            register(_colour_task(seen))

    automl_register_plugin(Paint, "paint")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "walls.csv").write_text("a,b\n1,2\n")
    runner = CliRunner()

    shown = runner.invoke(automl.cli.cli, ["fit", "--help"])
    assert _sections(shown.output)["Options of the paint task"] == ["--colour", "--coats"], shown.output
    assert "[default: 2]" in shown.output

    done = runner.invoke(automl.cli.cli, ["fit", "walls.csv", "--task", "paint", "--colour", "red", "--coats", "3"])
    assert done.exit_code == 2 and "loaded with colour 'red'" in done.output, done.output
    assert seen["colour"] == "red" and seen["coats"] == 3  # parsed as the declared int

    wrong = runner.invoke(automl.cli.cli, ["fit", "walls.csv", "--task", "paint", "--colour", "green"])
    assert wrong.exit_code == 2 and "'green' is not one of 'red', 'blue'" in wrong.output, wrong.output


@pytest.mark.parametrize(("options", "fragments"), [
    ({"horizn": 3}, ["horizn is not an option of any installed task", "did you mean horizon?"]),
    ({"horizon": "12"}, ["horizon must be a whole number, not '12'"]),
    ({"horizon": 0}, ["horizon must be at least 1"]),
    ({"top_k": 5}, ["top_k does not apply to the forecast task", "its options: horizon, date_column"]),
])
def test_python_options_are_checked_against_the_same_declarations(tmp_path: Path, options, fragments) -> None:
    data = tmp_path / "sales.csv"
    data.write_text("date,sales\n2024-01-01,1\n2024-02-01,2\n")
    with pytest.raises(UserError) as caught:
        AutoML(task="forecast", run_dir=tmp_path / "run", options=options).fit(data, target="sales")
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "--" not in message  # named as the Python user wrote it
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_a_path_option_is_made_absolute_and_a_list_option_takes_one_value_or_many(tmp_path: Path) -> None:
    from automl.task_options import coerce

    items = TaskOption("items", "Item metadata.", type=Path)
    backbone = TaskOption("backbone", "Models.", multiple=True)
    assert coerce(items, "movies.csv") == str(Path("movies.csv").resolve())
    assert coerce(backbone, "bert-tiny") == ["bert-tiny"]
    assert coerce(backbone, ("a", "b")) == ["a", "b"]
    with pytest.raises(UserError, match="--items must be a path"):
        coerce(items, 3)
    with pytest.raises(UserError, match="--coats takes one value, not a list"):
        coerce(TaskOption("coats", "How many coats.", type=int), [1, 2])
    with pytest.raises(UserError, match="--coats must be a whole number, not True"):
        coerce(TaskOption("coats", "How many coats.", type=int), True)
    share = TaskOption("share", "A share.", type=float, minimum=0, maximum=0.5)
    assert coerce(share, 0.25) == 0.25 and coerce(share, 0) == 0.0
    with pytest.raises(UserError, match="--share must be at most 0.5, not 0.7"):
        coerce(share, 0.7)


def test_a_declaration_is_checked_when_the_plugin_makes_it() -> None:
    with pytest.raises(ValueError, match="lower-case Python identifier"):
        TaskOption("Text-Col", "bad name")
    with pytest.raises(ValueError, match="choices are for str options"):
        TaskOption("coats", "How many coats.", type=int, choices=("1",))
    spec = TaskSpec(name="old", detect=None, load=None, split=None, default_metric=None, prepare=None,  # type: ignore[arg-type]
                    format_predictions=None, options=("legacy_column",))  # type: ignore[arg-type]
    assert spec.option("legacy_column") == TaskOption("legacy_column", "")  # a bare name: a text option
