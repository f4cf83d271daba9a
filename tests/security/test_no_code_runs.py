"""Issue 15: nothing read from a run folder runs code, and integrity means something (see docs/security.md).

- a pickle planted as a trial artifact, with its SHA-256 written into the journal, is never unpickled by
  ``automl report`` or ``automl resume``;
- a skops gadget chain (``FunctionTransformer(partial(numpy.testing._private.utils.runstring, ...))``) placed in
  ``best/`` with rewritten checksums is refused by ``automl predict``;
- a folder re-signed with another machine's key, or not signed, still predicts, with one ``note:`` line;
- a LightGBM ``model.txt`` cut short in a foreign folder is one ``error:`` line (exit 2), never a crash signal;
- a tampered image architecture asking for a huge network is one line, before any memory is allocated.

One tiny LightGBM run is fitted for the module; every test tampers with a copy.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import zipfile
from functools import partial
from pathlib import Path

import pytest

from automl import AutoML, Run, integrity, signing
from automl.errors import UserError
from automl.integrity import CHECKSUMS
from automl.search import artifacts
from automl_plugins.tabular.demo import churn_frame

AUTOML = [sys.executable, "-m", "automl.cli"]
TIMEOUT = 120


class Payload:
    """Unpickling this creates ``marker``: what a hostile sender's ``os.system`` would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204 - pickle's protocol
        return (open, (str(self.marker), "w"))


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> tuple[Path, Path]:
    """(a finished LightGBM run, rows to predict), fitted once for the module."""
    folder = tmp_path_factory.mktemp("no_code")
    churn_frame(200, seed=0).to_csv(folder / "data.csv", index=False)
    churn_frame(10, seed=3).drop(columns=["churned"]).to_csv(folder / "new.csv", index=False)
    AutoML(trials=3, time_budget=60, models=["lightgbm"], run_dir=folder / "run").fit(folder / "data.csv",
                                                                                     target="churned")
    return folder / "run", folder / "new.csv"


@pytest.fixture(scope="module")
def expected(fitted) -> str:
    """The untouched run's predictions through the CLI: a folder signed here loads silently."""
    result = cli("predict", *fitted, cwd=fitted[0].parent)
    assert result.returncode == 0 and not result.stderr.strip(), result
    return result.stdout


@pytest.fixture
def run(fitted, tmp_path) -> Path:
    return Path(shutil.copytree(fitted[0], tmp_path / "run", symlinks=True))


@pytest.fixture
def new_csv(fitted) -> Path:
    return fitted[1]


def cli(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*AUTOML, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)


def lines(stderr: str, prefix: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(prefix)]


def assert_one_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2, exactly one ``error:`` line, the last one (progress, ``note:`` lines may precede it), no traceback."""
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr, result.stderr
    errors = lines(result.stderr, "error: ")
    assert len(errors) == 1 and result.stderr.strip().splitlines()[-1] == errors[0], result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def rerecord(run: Path, sign: str | None) -> None:
    """Rewrite best/checksums.json as an attacker would (no key: ``None``), or signed by ``sign``'s key folder."""
    manifest = json.loads((run / "run.json").read_text())
    before = os.environ.get(signing.CONFIG_ENV)
    if sign is not None:
        os.environ[signing.CONFIG_ENV] = sign
    try:
        integrity.record(run / "best", manifest)
    finally:
        if before is not None:
            os.environ[signing.CONFIG_ENV] = before
    if sign is None:
        content = json.loads((run / "best" / CHECKSUMS).read_text())
        content.pop("signature", None)
        (run / "best" / CHECKSUMS).write_text(json.dumps(content, indent=2))


def final_trial(run: Path):  # noqa: ANN201 - an optuna FrozenTrial
    loaded = Run.load(run)
    number = loaded.model_record().members[0].trial
    return next(t for t in loaded.study().get_trials() if t.number == number)


def plant_artifact(run: Path, trial, content: bytes) -> Path:
    """Replace the trial's fold-model file by ``content`` and put its SHA-256 into the journal."""
    import hashlib

    ref = trial.user_attrs[artifacts.MODELS_ATTR]
    path = run / "artifacts" / ref["id"]
    assert path.is_file()
    path.write_bytes(content)
    journal = run / "study.journal"
    text = journal.read_text()
    assert ref["sha256"] in text
    journal.write_text(text.replace(ref["sha256"], hashlib.sha256(content).hexdigest()))
    return path


# -- (a) the pickle payload ------------------------------------------------------------------------
def test_a_planted_pickle_artifact_is_never_unpickled(run, tmp_path):
    marker = tmp_path / "pwned-by-pickle"
    trial = final_trial(run)
    plant_artifact(run, trial, pickle.dumps(Payload(marker)))

    report = cli("report", run, cwd=tmp_path)
    assert not marker.exists()
    if report.returncode != 0:
        assert_one_error(report, f"trial {trial.number}")

    resume = cli("resume", run, cwd=tmp_path)  # with budget left the member is refit; else its folds are reused
    assert not marker.exists()
    if resume.returncode != 0:
        assert_one_error(resume, f"trial {trial.number}", "not a zip archive")

    manifest = json.loads((run / "run.json").read_text())  # no budget left: the fold models would be reused
    (run / "run.json").write_text(json.dumps({**manifest, "time_budget": 1}))
    resume = cli("resume", run, cwd=tmp_path)
    assert not marker.exists()
    if resume.returncode != 0:
        assert_one_error(resume, f"trial {trial.number}", "not a zip archive")


def test_a_pickle_inside_a_fold_archive_is_not_loaded_either(run, tmp_path):
    marker = tmp_path / "pwned-by-zip"
    trial = final_trial(run)
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for fold in range(trial.user_attrs[artifacts.MODELS_ATTR]["folds"]):
            zf.writestr(f"fold_{fold}/model.txt", pickle.dumps(Payload(marker)))
    plant_artifact(run, trial, archive.read_bytes())
    spec = Run.load(run).catalog.model("tabular", "lightgbm")
    with pytest.raises(UserError) as caught:
        artifacts.load_models(Run.load(run).dir.artifact_store(), final_trial(run), spec)
    assert not marker.exists()
    assert "\n" not in str(caught.value) and f"trial {trial.number}" in str(caught.value)


def test_the_old_pickled_artifacts_are_never_loaded(run):
    trial = final_trial(run)
    trial.user_attrs[artifacts.MODELS_ATTR].pop("format")  # what an older automl recorded for its joblib file
    assert not artifacts.has_models(trial)
    with pytest.raises(UserError, match="older automl as a pickle"):
        artifacts.load_models(Run.load(run).dir.artifact_store(), trial, None)


@pytest.mark.parametrize(
    ("name", "refused"),
    [("../escape", "leaves its folder"), ("/abs/path", "leaves its folder"), ("fold_0/../../x", "leaves its folder"),
     ("link", "not a regular file"), ("many", "entries"), ("bomb", "unpacks to more than")],
)
def test_hostile_archives_are_refused(tmp_path, monkeypatch, name, refused):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        if name == "link":
            info = zipfile.ZipInfo("fold_0/model.txt")
            info.external_attr = (0o120777 << 16)  # a symbolic link entry
            zf.writestr(info, "/etc/passwd")
        elif name == "many":
            monkeypatch.setattr(artifacts, "MAX_ENTRIES", 10)
            for i in range(11):
                zf.writestr(f"fold_0/{i}", b"")
        elif name == "bomb":
            monkeypatch.setattr(artifacts, "MAX_UNPACKED_BYTES", 1 << 20)
            zf.writestr("fold_0/model.txt", b"\0" * (2 << 20))
        else:
            zf.writestr(name, b"x")
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(UserError, match=refused):
        artifacts.safe_extract(archive, target, "the archive")
    assert not (tmp_path / "escape").exists() and not (tmp_path / "x").exists()


# -- (b) the skops gadget chain --------------------------------------------------------------------
def write_gadget(path: Path, marker: Path) -> None:
    import skops.io
    from numpy.testing._private.utils import runstring
    from sklearn.preprocessing import FunctionTransformer

    code = f"open({str(marker)!r}, 'w').close()"
    skops.io.dump(FunctionTransformer(func=partial(runstring, code, {})), path)


@pytest.mark.parametrize("signed", [False, True], ids=["foreign", "even-signed"])
def test_the_skops_gadget_chain_is_refused(run, new_csv, tmp_path, signed):
    marker = tmp_path / "pwned-by-skops"
    member = run / "best" / "member_0"
    for path in member.iterdir():
        path.unlink()
    write_gadget(member / "model.skops", marker)
    model = json.loads((run / "best" / "model.json").read_text())
    model["members"] = [{**model["members"][0], "model": "linear", "weight": 1.0}]
    (run / "best" / "model.json").write_text(json.dumps(model))
    rerecord(run, os.environ[signing.CONFIG_ENV] if signed else None)

    if signed:  # as if the sender had this machine's key: the type list alone refuses it
        with pytest.raises(UserError, match="numpy.testing._private.utils.runstring") as caught:
            Run.load(run).predict(new_csv)
        assert "\n" not in str(caught.value)
    else:
        result = cli("predict", run, new_csv, cwd=tmp_path)
        assert_one_error(result, "model.skops", "numpy.testing._private.utils.runstring", "does not trust")
        assert len(lines(result.stderr, "note: ")) == 1
    assert not marker.exists()


def test_a_partial_around_anything_but_check_array_is_refused(tmp_path):
    import skops.io
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.utils.validation import check_array

    from automl_plugins.tabular.models import load_skops

    skops.io.dump(FunctionTransformer(func=partial(check_array, ensure_2d=False)), tmp_path / "model.skops")
    assert load_skops(tmp_path).func.func is check_array  # what hist_gb saves: accepted
    skops.io.dump(FunctionTransformer(func=partial(skops.io.dumps)), tmp_path / "model.skops")
    with pytest.raises(UserError, match="does not trust"):
        load_skops(tmp_path)


def test_skops_loader_refuses_prefixes():
    from automl.kit import skops_loader

    for prefix in ("sklearn.", "numpy", "automl_knn.*"):
        with pytest.raises(ValueError, match="exact type names"):
            skops_loader(prefix)


# -- (c) foreign folders ---------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["other-key", "unsigned"])
def test_a_foreign_folder_predicts_with_one_note(run, new_csv, tmp_path, expected, how):
    rerecord(run, str(tmp_path / "other-machine") if how == "other-key" else None)
    result = cli("predict", run, new_csv, cwd=tmp_path)
    assert result.returncode == 0, result
    assert result.stdout == expected  # the same predictions as the folder signed here (which is silent)
    notes = lines(result.stderr, "note: ")
    assert len(result.stderr.splitlines()) == len(notes) == 1, result.stderr
    assert "not signed on this machine" in notes[0]
    assert ("another machine's key" if how == "other-key" else "no signature") in notes[0]


def test_the_key_is_private_and_created_once(tmp_path, monkeypatch):
    monkeypatch.setenv(signing.CONFIG_ENV, str(tmp_path / "config"))
    key = signing.machine_key()
    path = signing.key_path()
    assert key is not None and len(key) == 32 and path.read_bytes() == key
    assert path.stat().st_mode & 0o777 == 0o600
    signing._cache.clear()
    assert signing.machine_key() == key


def test_adding_a_file_keeps_a_foreign_folder_foreign(run):
    best, manifest = run / "best", json.loads((run / "run.json").read_text())
    assert integrity.verify(best, manifest, run / "run.json") == integrity.SIGNED
    integrity.add_file(best, "deployment.json")  # what automl does after measuring: signed again
    assert integrity.verify(best, manifest, run / "run.json") == integrity.SIGNED
    rerecord(run, None)
    integrity.add_file(best, "deployment.json")
    with pytest.warns(Warning, match="not signed on this machine"):
        assert integrity.verify(best, manifest, run / "run.json") == integrity.FOREIGN


def test_a_changed_file_with_the_old_checksums_is_still_refused(run, new_csv, tmp_path):
    model = run / "best" / "member_0" / "model.txt"
    model.write_text(model.read_text().replace("num_leaves=", "num_leaves=1", 1))
    assert_one_error(cli("predict", run, new_csv, cwd=tmp_path), "model.txt", "does not match the checksum")


# -- (d) a LightGBM model cut short ----------------------------------------------------------------
@pytest.mark.parametrize("keep", [0.5, 0.05])
def test_a_truncated_lightgbm_model_is_one_error_line(run, new_csv, tmp_path, keep):
    model = run / "best" / "member_0" / "model.txt"
    data = model.read_bytes()
    model.write_bytes(data[: int(len(data) * keep)])
    rerecord(run, None)  # the attacker's checksums: a foreign folder
    result = cli("predict", run, new_csv, cwd=tmp_path)
    assert result.returncode == 2, result  # not -11 (SIGSEGV) nor 139
    assert_one_error(result, "model.txt")


# -- (e) tampered image weights --------------------------------------------------------------------
def image_folder(tmp_path: Path, arch: dict, tensors: dict) -> Path:
    from safetensors.torch import save_file

    folder = tmp_path / "image_model"
    folder.mkdir(parents=True)
    save_file(tensors, str(folder / "weights.safetensors"))
    meta = {"format": 1, "family": arch["family"], "architecture": arch, "params": {}, "best_epoch": 1}
    (folder / "network.json").write_text(json.dumps(meta))
    return folder


SMALL = {"family": "linear", "channels": 1, "size": 4, "n_classes": 2}


@pytest.mark.parametrize(
    ("arch", "fragment"),
    [
        ({**SMALL, "family": "mlp", "size": 100_000, "layers": 2, "width": 1_000_000, "dropout": 0.0,
          "batch_norm": False}, "does not match its architecture"),  # ~the 120 GB of the issue
        ({**SMALL, "size": 10**12}, "outside 0.."),
        ({**SMALL, "family": "mlp", "layers": 10**9, "width": 8, "dropout": 0.0, "batch_norm": False},
         "outside 0..256"),
        ({**SMALL, "n_classes": 3}, "has shape"),
        ({**SMALL, "family": "nope"}, "cannot be built"),
    ],
)
def test_tampered_image_weights_are_one_line(tmp_path, arch, fragment):
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from automl_plugins.image.models import recipe

    tensors = {"1.weight": torch.zeros(2, 16), "1.bias": torch.zeros(2)}  # what SMALL really holds
    folder = image_folder(tmp_path, arch, tensors)
    with pytest.raises(UserError) as caught:
        recipe.load(folder)
    assert "\n" not in str(caught.value) and fragment in str(caught.value), caught.value


def test_a_safetensors_header_that_claims_more_than_the_file_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from automl_plugins.image.models import recipe

    folder = image_folder(tmp_path, SMALL, {"1.weight": torch.zeros(2, 16), "1.bias": torch.zeros(2)})
    weights = folder / "weights.safetensors"
    header = json.dumps({"1.weight": {"dtype": "F32", "shape": [30_000, 1_000_000], "data_offsets": [0, 120 * 10**9]},
                         "1.bias": {"dtype": "F32", "shape": [2], "data_offsets": [120 * 10**9, 120 * 10**9 + 8]}})
    weights.write_bytes(len(header).to_bytes(8, "little") + header.encode() + b"\0" * 136)
    with pytest.raises(UserError, match="weights.safetensors"):
        recipe.load(folder)
    assert recipe.load(image_folder(tmp_path / "ok", SMALL, {"1.weight": torch.ones(2, 16),
                                                            "1.bias": torch.zeros(2)})) is not None
