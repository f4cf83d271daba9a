"""Never destroy the user's data: ``--force``, ``--out``, atomic writes, a torn journal, and bad numbers.

Every refusal is one ``error:`` line and exit code 2, with the user's files
byte-identical afterwards and the run still usable. One tiny fitted run is
shared by the module and copied for each test that changes it.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
from pathlib import Path

import filelock
import pytest

from automl import atomic
from automl_plugins.tabular.demo import churn_frame

FIT = ("--target", "churned", "--models", "linear", "--trials", "2", "--time-budget", "20", "--quiet")
UNWRITABLE = Path("/sys/automl-test-not-writable")  # even root cannot create entries here


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, cli) -> Path:
    """A folder with ``data.csv``, ``new.csv`` and a finished run ``run`` of the data (never changed).

    The run is fitted with ``--force`` over what an earlier run left (automl's
    own names) and some operating-system clutter: the one fit of the module
    also shows what ``--force`` deletes and what it keeps.
    """
    folder = tmp_path_factory.mktemp("user_data")
    churn_frame(160, seed=0).to_csv(folder / "data.csv", index=False)
    churn_frame(12, seed=3).drop(columns=["churned"]).to_csv(folder / "new.csv", index=False)
    old = folder / "run"
    (old / "artifacts" / "old-trial").mkdir(parents=True)
    (old / "run.json").write_text("{}\n")
    (old / "study.journal.torn").write_bytes(b'{"op_code":')
    (old / ".DS_Store").write_bytes(b"clutter")
    result = cli("fit", "data.csv", *FIT, "--run-dir", "run", "--force", cwd=folder)
    assert result.returncode == 0, result
    return folder


@pytest.fixture
def work(tiny: Path, tmp_path: Path) -> Path:
    """A fresh copy of the run (``run``) and the data files, in the test's own folder."""
    shutil.copytree(tiny / "run", tmp_path / "run", symlinks=True)
    for name in ("data.csv", "new.csv"):
        shutil.copy2(tiny / name, tmp_path / name)
    return tmp_path


def one_error(result, *fragments: str) -> str:
    """Exit code 2, no traceback, exactly one ``error:`` line (``note:`` lines may come before it)."""
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr, result
    errors = [line for line in result.stderr_lines if line.startswith("error:")]
    assert len(errors) == 1, result
    assert all(line.startswith(("error:", "note:", "warning:")) for line in result.stderr_lines), result
    for fragment in fragments:
        assert fragment in errors[0], f"{fragment!r} not in {errors[0]!r}"
    return errors[0]


def snapshot(folder: Path) -> dict[str, str]:
    """The SHA-256 of every file under ``folder`` (or of ``folder`` itself, a file)."""
    if folder.is_file():
        return {folder.name: hashlib.sha256(folder.read_bytes()).hexdigest()}
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith(".lock")}


def still_loads(cli, work: Path) -> None:
    result = cli("leaderboard", "run", "--format", "csv", cwd=work)
    assert result.returncode == 0 and "linear" in result.stdout, result


# -- --force ------------------------------------------------------------------------------------------
def test_force_refuses_a_run_folder_holding_the_input(cli, work):
    shutil.copy2(work / "data.csv", work / "run" / "data.csv")
    before = snapshot(work / "run")
    one_error(cli("fit", "run/data.csv", *FIT, "--run-dir", "run", "--force", cwd=work), "run/data.csv", "--force")
    assert snapshot(work / "run") == before
    still_loads(cli, work)


def test_force_refuses_a_folder_that_is_the_input(cli, work):
    (work / "images").mkdir()
    (work / "images" / "a.txt").write_text("mine\n")
    one_error(cli("fit", "images", *FIT, "--run-dir", "images", "--force", cwd=work))
    assert (work / "images" / "a.txt").read_text() == "mine\n"


def test_force_refuses_files_automl_did_not_write(cli, work):
    (work / "run" / "notes.txt").write_text("my notes\n")
    (work / "run" / "mine").mkdir()
    before = snapshot(work / "run")
    one_error(cli("fit", "data.csv", *FIT, "--run-dir", "run", "--force", cwd=work), "mine/", "notes.txt")
    assert snapshot(work / "run") == before
    still_loads(cli, work)


def test_force_refuses_a_symlinked_run_dir(cli, work):
    (work / "link").symlink_to(work / "run", target_is_directory=True)
    before = snapshot(work / "run")
    one_error(cli("fit", "data.csv", *FIT, "--run-dir", "link", "--force", cwd=work), "symbolic link")
    assert snapshot(work / "run") == before


def test_force_while_the_run_is_in_use_deletes_nothing(cli, work):
    before = snapshot(work / "run")
    with filelock.FileLock(str(work / "run" / "run.lock"), timeout=0):  # another automl process holds the run
        one_error(cli("fit", "data.csv", *FIT, "--run-dir", "run", "--force", cwd=work), "in use")
    assert snapshot(work / "run") == before


def test_force_replaces_only_automl_files(tiny):
    run = tiny / "run"  # fitted with --force over an earlier run's leftovers (see the fixture)
    assert (run / ".DS_Store").read_bytes() == b"clutter"
    assert not (run / "study.journal.torn").exists() and not (run / "artifacts" / "old-trial").exists()
    assert (run / "best" / "model.json").is_file() and (tiny / "data.csv").is_file()


@pytest.mark.parametrize("where", ["under-a-file", "not-writable"])
def test_run_dir_that_cannot_be_created(cli, work, where):
    if where == "not-writable" and not UNWRITABLE.parent.is_dir():
        pytest.skip("no /sys here")
    run_dir = "data.csv/run" if where == "under-a-file" else str(UNWRITABLE)
    before = snapshot(work / "data.csv")
    one_error(cli("fit", "data.csv", *FIT, "--run-dir", run_dir, cwd=work))
    assert snapshot(work / "data.csv") == before


# -- --out --------------------------------------------------------------------------------------------
def test_out_refuses_the_input_file(cli, work):
    before = snapshot(work / "new.csv")
    one_error(cli("predict", "run", "new.csv", "--out", "new.csv", cwd=work), "input")
    one_error(cli("predict", "run", "new.csv", "--out", "new.csv", "--overwrite", cwd=work), "input")
    assert snapshot(work / "new.csv") == before


def test_out_refuses_any_path_inside_a_run(cli, work):
    before = snapshot(work / "run")
    for out in ("run/best/model.json", "run/artifacts/new.csv"):
        one_error(cli("predict", "run", "new.csv", "--out", out, "--overwrite", cwd=work), "inside the run folder")
    one_error(cli("report", "run", "--out", "run/best/r.html", cwd=work), "inside the run folder")
    one_error(cli("compare", "run", "--out", "run/c.csv", cwd=work), "inside the run folder")
    assert snapshot(work / "run") == before


def test_out_needs_overwrite_to_replace_a_file(cli, work):
    (work / "scored.csv").write_text("keep me\n")
    one_error(cli("predict", "run", "new.csv", "--out", "scored.csv", cwd=work), "--overwrite")
    assert (work / "scored.csv").read_text() == "keep me\n"
    result = cli("predict", "run", "new.csv", "--out", "scored.csv", "--overwrite", cwd=work)
    assert result.returncode == 0, result
    assert (work / "scored.csv").read_text().startswith("customer_id,prediction")
    assert not [p for p in work.iterdir() if atomic.is_temporary(p.name)]


@pytest.mark.parametrize("where", ["folder", "not-writable"])
def test_out_that_cannot_be_written(cli, work, where):
    if where == "not-writable" and not UNWRITABLE.parent.is_dir():
        pytest.skip("no /sys here")
    out = str(work) if where == "folder" else str(UNWRITABLE / "scored.csv")
    one_error(cli("predict", "run", "new.csv", "--out", out, cwd=work))
    one_error(cli("compare", "run", "--out", out, "--overwrite", cwd=work))


# -- atomic writes ------------------------------------------------------------------------------------
def test_atomic_write_leaves_the_old_file_and_no_temporary_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    atomic.write_text(target, "old\n")
    with pytest.raises(RuntimeError), atomic.replacing(target) as tmp:
        tmp.write_text("half of the ne")
        raise RuntimeError("disk full")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    mode = target.stat().st_mode & 0o777
    assert mode == 0o666 & ~_umask(), oct(mode)  # not mkstemp's private 0600


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


# -- the journal --------------------------------------------------------------------------------------
def _cut_mid_line(journal: Path) -> bytes:
    lines = journal.read_bytes().splitlines(keepends=True)
    keep = len(lines) * 2 // 3
    torn = lines[keep][: len(lines[keep]) // 2]
    journal.write_bytes(b"".join(lines[:keep]) + torn)
    return torn


def test_torn_journal_is_read_with_a_note_and_repaired_by_resume(cli, work):
    journal = work / "run" / "study.journal"
    torn = _cut_mid_line(journal)
    result = cli("leaderboard", "run", "--format", "csv", cwd=work)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result
    assert any(line.startswith("note:") and "incomplete" in line for line in result.stderr_lines), result
    result = cli("resume", "run", "--quiet", cwd=work)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result
    assert "study.journal.torn" in result.stderr, result
    assert (work / "run" / "study.journal.torn").read_bytes() == torn  # nothing lost
    assert journal.read_bytes().endswith(b"\n")
    result = cli("leaderboard", "run", "--format", "csv", cwd=work)
    assert result.returncode == 0 and not result.stderr_lines, result


@pytest.mark.parametrize(("damage", "command"), [
    ("bad-line-in-the-middle", "leaderboard"), ("bad-line-in-the-middle", "resume"), ("binary-junk", "report"),
    ("binary-junk", "resume"), ("not-a-journal", "leaderboard"), ("not-a-journal", "compare"),
    ("record-that-does-not-replay", "leaderboard"),
])
def test_damaged_journal_is_one_error_line(cli, work, damage, command):
    journal = work / "run" / "study.journal"
    lines = journal.read_bytes().splitlines(keepends=True)
    if damage == "bad-line-in-the-middle":
        lines[len(lines) // 2] = b'{"op_code": 5, "worker_id": "x"\n'
        journal.write_bytes(b"".join(lines))
    elif damage == "record-that-does-not-replay":  # JSON with a known op_code, but a state Optuna has not
        lines.insert(5, b'{"op_code":6,"trial_id":0,"state":"x"}\n')
        journal.write_bytes(b"".join(lines))
    elif damage == "binary-junk":
        journal.write_bytes(b"".join(lines[:3]) + bytes(range(256)) + b"\n" + b"".join(lines[3:]))
    else:
        journal.write_text("these are my notes, not a study\n")
    before = snapshot(journal)
    one_error(cli(command, "run", cwd=work), "study.journal")
    assert snapshot(journal) == before


def test_journal_without_a_study_is_one_error_line(cli, work):
    (work / "run" / "study.journal").write_bytes(b"")
    one_error(cli("leaderboard", "run", cwd=work), "no study")


# -- numbers and types --------------------------------------------------------------------------------
@pytest.mark.parametrize("budget", ["nan", "inf", "-5"])
def test_time_budget_must_be_finite_and_positive(cli, work, budget):
    one_error(cli("fit", "data.csv", "--target", "churned", "--time-budget", budget, "--run-dir", "new",
                  cwd=work), "--time-budget")
    assert not (work / "new").exists()


@pytest.mark.parametrize("budget", [math.nan, math.inf, -1.0, "60"])
def test_python_time_budget_is_checked(tmp_path, budget):
    from automl import AutoML
    from automl.errors import UserError

    with pytest.raises(UserError, match="time_budget"):  # the Python argument's name, not the flag
        AutoML(time_budget=budget, run_dir=tmp_path / "run").fit(churn_frame(40, seed=0), target="churned")
    assert not (tmp_path / "run").exists()


def test_python_predict_names_the_accepted_types(work):
    from automl import Run
    from automl.errors import UserError

    run = Run.load(work / "run")
    with pytest.raises(UserError, match="DataFrame"):
        run.predict([[1, 2, 3]])
    assert len(run.predict(work / "new.csv")) == 12
