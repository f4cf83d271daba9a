"""A run directory that was tampered with is refused before anything in it is deserialised.

See automl/integrity.py (checksums of best/ and of run.json) and
automl/manifest_check.py (types and values of run.json).
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from automl import AutoML, Run
from automl.cli import cli as automl_cli
from automl.errors import UnverifiedRunWarning, UserError
from automl.integrity import CHECKSUMS, record
from automl_plugins.tabular.demo import churn_frame

REFUSED = "refusing to load it"


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Path]:
    """(a finished run of a small churn table, a CSV to predict), fitted once for the module."""
    folder = tmp_path_factory.mktemp("tamper")
    churn_frame(300, seed=0).to_csv(folder / "data.csv", index=False)
    churn_frame(20, seed=3).drop(columns=["churned"]).to_csv(folder / "new.csv", index=False)
    AutoML(trials=3, time_budget=30, models=["linear"], run_dir=folder / "run").fit(folder / "data.csv",
                                                                                  target="churned")
    return folder / "run", folder / "new.csv"


@pytest.fixture
def run(finished, tmp_path) -> Path:
    """A fresh copy of the finished run, free to tamper with."""
    return Path(shutil.copytree(finished[0], tmp_path / "run"))


@pytest.fixture
def new_csv(finished) -> Path:
    return finished[1]


def _predict(run: Path, new_csv: Path):
    return Run.load(run).predict(new_csv)


def _refused(run: Path, new_csv: Path, *fragments: str) -> str:
    with pytest.raises(UserError) as caught:
        _predict(run, new_csv)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def _member_file(run: Path) -> Path:
    return next(p for p in sorted((run / "best").rglob("*")) if p.is_file() and p.parent.name.startswith("member_"))


def _edit_json(path: Path, **changes) -> None:
    content = json.loads(path.read_text())
    content.update(changes)
    path.write_text(json.dumps(content, indent=2))


def _rerecord(run: Path) -> None:
    """What an attacker who also rewrites checksums.json would do: the checksums then match the forged files."""
    (run / "best" / CHECKSUMS).unlink()
    record(run / "best", json.loads((run / "run.json").read_text()))


# -- the normal life cycle is unaffected -----------------------------------------------------------
def test_checksums_cover_every_file_of_the_final_model(finished):
    run = finished[0]
    recorded = json.loads((run / "best" / CHECKSUMS).read_text())
    files = {p.relative_to(run / "best").as_posix() for p in (run / "best").rglob("*") if p.is_file()}
    assert set(recorded["files"]) == files - {CHECKSUMS}
    assert {"model.json", "schema.json", "deployment.json"} <= set(recorded["files"])
    assert len(recorded["run_json"]) == 64


def test_fit_predict_report_resume_predict(run, new_csv, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnverifiedRunWarning)
        assert len(_predict(run, new_csv)) == 20
        Run.load(run).report(tmp_path / "report.html")
        Run.load(run).resume()  # rewrites run.json (status) and best/, and records new checksums
        assert json.loads((run / "run.json").read_text())["status"] == "finished"
        assert len(_predict(run, new_csv)) == 20


def test_status_and_finished_may_change(run, new_csv):
    _edit_json(run / "run.json", status="searching", finished="2030-01-01T00:00:00")
    assert len(_predict(run, new_csv)) == 20


# -- best/ --------------------------------------------------------------------------------------
def test_a_modified_model_file_is_refused(run, new_csv):
    member = _member_file(run)
    member.write_bytes(member.read_bytes() + b"\0")
    _refused(run, new_csv, str(member), "does not match the checksum recorded when the run finished", REFUSED)


def test_a_foreign_model_file_is_refused_through_the_cli(run, new_csv, cli, user_error):
    member = _member_file(run)
    member.write_bytes(b"PK\x03\x04 not the model this run saved")
    result = cli("predict", run, new_csv, cwd=run.parent)
    user_error(result, member.name, "does not match the checksum", REFUSED)


@pytest.mark.parametrize("name", ["model.json", "schema.json", "validation.npz", "deployment.json"])
def test_every_file_is_checked(run, new_csv, name):
    path = run / "best" / name
    path.write_bytes(path.read_bytes().replace(b"0", b"1", 1) + b" ")
    _refused(run, new_csv, name, "does not match the checksum")


def test_a_missing_file_is_refused(run, new_csv):
    member = _member_file(run)
    member.unlink()
    _refused(run, new_csv, member.name, "is missing")


def test_an_added_file_is_refused(run, new_csv):
    extra = _member_file(run).parent / "extra.skops"
    extra.write_bytes(b"anything")
    _refused(run, new_csv, "extra.skops", "was not there when the run finished")


def test_a_symbolic_link_is_refused(run, new_csv, tmp_path):
    member = _member_file(run)
    outside = tmp_path / "outside.bin"
    outside.write_bytes(member.read_bytes())
    member.unlink()
    member.symlink_to(outside)
    _refused(run, new_csv, member.name, "symbolic link")


@pytest.mark.parametrize("content", [b"not json", b"[]", b'{"files": {"model.json": "abc"}, "run_json": "x"}'])
def test_a_garbled_checksum_file_is_refused(run, new_csv, content):
    (run / "best" / CHECKSUMS).write_bytes(content)
    _refused(run, new_csv, CHECKSUMS, REFUSED)


@pytest.mark.parametrize("path", ["../run.json", "/etc", "member_0/../../x", "..", ""])
def test_a_member_path_that_leaves_best_is_refused(run, new_csv, path):
    model = run / "best" / "model.json"
    description = json.loads(model.read_text())
    description["members"][0]["path"] = path
    model.write_text(json.dumps(description))
    _rerecord(run)  # even with checksums that match the forged model.json
    _refused(run, new_csv, "leaves", REFUSED)


def test_a_member_folder_linked_out_of_best_is_refused(run, new_csv, tmp_path):
    folder = _member_file(run).parent
    moved = Path(shutil.move(str(folder), str(tmp_path / "elsewhere")))
    folder.symlink_to(moved, target_is_directory=True)
    _refused(run, new_csv, "symbolic link")


# -- run.json -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"seed": "0"}, "seed"),
        ({"seed": True}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"models": "linear"}, "models"),
        ({"models": ["linear", 3]}, "models"),
        ({"models": []}, "models"),
        ({"task": "../../etc/passwd"}, "task"),
        ({"task": ["tabular"]}, "task"),
        ({"metric": "roc_auc; rm -rf /"}, "metric"),
        ({"direction": "up"}, "direction"),
        ({"time_budget": "fast"}, "time_budget"),
        ({"time_budget": -5}, "time_budget"),
        ({"trials": 2.5}, "trials"),
        ({"workers": 0}, "workers"),
        ({"trial_timeout": "NaN"}, "trial_timeout"),
        ({"data": {"path": 5, "fingerprint": "sha256:x"}}, "data.path"),
        ({"data": "data.csv"}, "data"),
        ({"task_options": ["x"]}, "task_options"),
        ({"versions": {"numpy": 2}}, "versions.numpy"),
    ],
)
def test_wrong_types_in_run_json_name_the_key(run, changes, key):
    _edit_json(run / "run.json", **changes)
    with pytest.raises(UserError) as caught:
        Run.load(run)
    message = str(caught.value)
    assert f"key '{key}'" in message and "run.json" in message and "\n" not in message


@pytest.mark.parametrize("content", [b"[1, 2]", b"42", b"\xff\xfe\x00garbage", b'{"task": '])
def test_run_json_that_is_not_an_object(run, content):
    (run / "run.json").write_bytes(content)
    with pytest.raises(UserError, match="run.json"):
        Run.load(run)


def test_a_wrong_type_through_the_cli(run, cli, user_error):
    _edit_json(run / "run.json", seed="zero")
    user_error(cli("leaderboard", run, cwd=run.parent), "'seed'", "run.json")


@pytest.mark.parametrize(
    "changes",
    [{"target": "plan"}, {"metric": "accuracy"}, {"models": ["linear", "lightgbm"]}, {"seed": 7}, {"extra": 1}],
)
def test_editing_run_json_after_the_run_finished_is_detected(run, new_csv, changes):
    _edit_json(run / "run.json", **changes)
    _refused(run, new_csv, "run.json changed after the run finished")


def test_editing_run_json_does_not_stop_a_resume(run, new_csv):
    """A resume refits the model and records new checksums, so the edited run.json becomes the reference."""
    _edit_json(run / "run.json", trials=4)
    Run.load(run).resume()
    assert len(_predict(run, new_csv)) == 20


# -- older runs -----------------------------------------------------------------------------------
def test_an_older_run_without_checksums_loads_with_a_warning(run, new_csv):
    (run / "best" / CHECKSUMS).unlink()
    with pytest.warns(UnverifiedRunWarning, match="without checking"):
        assert len(_predict(run, new_csv)) == 20


def test_the_warning_is_one_line_in_the_cli(run, new_csv):
    (run / "best" / CHECKSUMS).unlink()
    result = CliRunner().invoke(automl_cli, ["predict", str(run), str(new_csv)])
    assert result.exit_code == 0, result.output
    warning_lines = [line for line in result.stderr.splitlines() if "checksums.json" in line]
    assert len(warning_lines) == 1 and warning_lines[0].startswith("warning: "), result.stderr


def test_an_older_run_still_refuses_a_member_path_out_of_best(run, new_csv):
    (run / "best" / CHECKSUMS).unlink()
    model = run / "best" / "model.json"
    description = json.loads(model.read_text())
    description["members"][0]["path"] = "../../../tmp"
    model.write_text(json.dumps(description))
    with pytest.warns(UnverifiedRunWarning):
        _refused(run, new_csv, "leaves")
