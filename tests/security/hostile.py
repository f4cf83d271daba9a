"""The hostile corpus of issue 15: one function per attack, run in a child by tests/security/test_hostile_corpus.py.

``python hostile.py WORK`` reads ``WORK/config.json`` (the fitted runs of
tests/security/conftest.py), runs every case of :data:`CASES` not yet in
``WORK/results.jsonl`` and appends ``{"id", "problems", "seconds"}`` for each:
an empty list of problems is a pass. The case id is written to
``WORK/progress.txt`` first, so a case that kills the process (a native crash)
is recorded by the parent (tests/security/batch.py) and the next child goes on.

Each case gets a fresh folder (``ctx.root``) with its own copy of the runs it
attacks. Commands run in-process through click's CliRunner with ``sys.argv``
set as a shell would set it (the CLI scrubs what was typed), under an alarm
(a hang is a problem) and a memory cap on this process. The safe outcome of
an attack is: exit 2 with exactly one ``error:`` line (``warning:`` and
``note:`` lines may precede it), no traceback, no code executed (the payloads
create a marker file), no secret printed or written, nothing of the user's
changed or deleted, no raw control character on the terminal.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import traceback
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

CASE_TIMEOUT = 60.0  # seconds for one case before it counts as a hang
MEMORY_HEADROOM = 2 * 2**30  # bytes of address space a case may add to the process's
SECRET = "S3cr3tPa55w0rd"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
ERROR = "error: "
RESUMING = ("resuming run ", "search done: ")  # resume's progress lines, which may come before its error
ALLOWED = ("warning: ", "note: ")
CASES: dict[str, Callable[[Ctx], list[str]]] = {}


def case(name: str) -> Callable[[Callable[[Ctx], list[str]]], Callable[[Ctx], list[str]]]:
    def register(fn: Callable[[Ctx], list[str]]) -> Callable[[Ctx], list[str]]:
        assert name not in CASES, name
        CASES[name] = fn
        return fn

    return register


class Hang(BaseException):
    """The alarm: a case ran past its time (a BaseException, so no ``except Exception`` swallows it)."""


@dataclass
class Result:
    args: list[str]
    code: int | None
    out: str = ""
    err: str = ""
    exception: str | None = None  # an exception that escaped the command (a traceback for a user)

    @property
    def text(self) -> str:
        return self.out + self.err

    def __str__(self) -> str:
        shown = " ".join(self.args)[:200]
        return f"[{shown!r} -> {self.code}; stderr {self.err[-300:]!r}; exception {self.exception}]"


# -- checks: each returns a list of problems ------------------------------------------------------------------
def one_error(r: Result, *fragments: str, progress: tuple[str, ...] = ()) -> list[str]:
    """Exit 2, exactly one ``error:`` line (the last), no traceback, no raw control character."""
    problems = []
    if r.exception:
        return [f"traceback: {r.exception} {r}"]
    if "Traceback (most recent call last)" in r.text:
        problems.append(f"a traceback was printed {r}")
    if r.code != 2:
        problems.append(f"exit {r.code}, not 2 {r}")
    lines = [line for line in r.err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(ERROR)]
    others = [line for line in lines if not line.startswith((ERROR, *ALLOWED, *progress))]
    if r.code == 2 and (len(errors) != 1 or others or lines[-1] != errors[0]):
        problems.append(f"stderr is not one error: line {r}")
    for fragment in fragments:
        if errors and fragment not in errors[0]:
            problems.append(f"{fragment!r} not in the error line {r}")
    return problems + raw_controls(r)


def succeeded(r: Result) -> list[str]:
    if r.exception:
        return [f"traceback: {r.exception} {r}"]
    problems = [] if r.code == 0 else [f"exit {r.code}, not 0 {r}"]
    if "Traceback (most recent call last)" in r.text:
        problems.append(f"a traceback was printed {r}")
    return problems


def ok_or_one_error(r: Result, progress: tuple[str, ...] = ()) -> list[str]:
    return succeeded(r) if r.code == 0 and not r.exception else one_error(r, progress=progress)


def raw_controls(r: Result, streams: str = "err") -> list[str]:
    """Control characters (ESC, BEL, CR, bidi overrides) that reached stderr (or both streams) raw."""
    text = r.err if streams == "err" else r.text
    found = sorted({repr(c) for c in CONTROL.findall(text)})
    return [f"raw control characters {', '.join(found)} on the terminal {r}"] if found else []


def absent(r: Result, *texts: str) -> list[str]:
    return [f"{t!r} was printed {r}" for t in texts if t in r.text]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else f"missing:{path.exists()}"


def unchanged(path: Path, before: str, what: str = "") -> list[str]:
    after = digest(path)
    return [] if after == before else [f"{what or path.name} was changed or deleted ({before[:12]} -> {after[:12]})"]


def files_containing(root: Path, text: str) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with contextlib.suppress(OSError):
                if text.encode() in path.read_bytes():
                    found.append(str(path.relative_to(root)))
    return found


# -- payloads ----------------------------------------------------------------------------------------------------
class Payload:
    """A pickle that runs a shell command when it is loaded: it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def pickle_payload(marker: Path) -> bytes:
    return pickle.dumps(Payload(marker))


def gadget_estimator(marker: Path) -> Any:
    """The gadget of the issue: a FunctionTransformer whose function is ``partial(runstring, code)``, which
    ``exec``s the code when it is called with a dict (as the previous step of a chain can make it)."""
    from numpy.testing._private.utils import runstring
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    code = f"import os; os.system('touch {marker}')"
    return Pipeline([("gadget", FunctionTransformer(partial(runstring, code))), ("model", LogisticRegression())])


def gadget_skops(marker: Path, path: Path) -> Path:
    import skops.io

    skops.io.dump(gadget_estimator(marker), path)
    return path


# -- the context of one case -------------------------------------------------------------------------------------
@dataclass
class Ctx:
    root: Path
    config: dict[str, Any]
    runner: Any
    cli: Any
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def marker(self) -> Path:
        return self.root / "MARKER_code_ran"

    @property
    def template(self) -> Path:
        return Path(self.config["run"])

    @property
    def data(self) -> Path:
        return Path(self.config["data"])

    @property
    def new(self) -> Path:
        return Path(self.config["new"])

    @property
    def linear(self) -> Path:
        """The other fitted run, whose final model is one skops file."""
        return Path(self.config["other"])

    def run(self, name: str = "run", source: Path | None = None) -> Path:
        """A fresh copy of a fitted run in this case's folder."""
        target = self.root / name
        shutil.copytree(source or self.template, target, symlinks=True)
        return target

    def csv(self, name: str, rows: int = 60, seed: int = 0, target: bool = True) -> Path:
        from automl_plugins.tabular.demo import churn_frame

        frame = churn_frame(rows, seed=seed)
        if not target:
            frame = frame.drop(columns=["churned"])
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)
        return path

    def cli_run(self, *args: Any, env: dict[str, str] | None = None, cwd: Path | None = None) -> Result:
        """``automl ARGS`` in this process, as a shell would start it."""
        argv = [str(a) for a in args]
        saved_argv, saved_cwd = sys.argv, os.getcwd()
        sys.argv = ["automl", *argv]
        os.chdir(cwd or self.root)
        try:
            result = self.runner.invoke(self.cli, argv, env=env, catch_exceptions=True)
        finally:
            sys.argv = saved_argv
            os.chdir(saved_cwd)
        exc = result.exception
        if exc is not None and not isinstance(exc, SystemExit):
            where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            place = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
            return Result(argv, result.exit_code, result.stdout, result.stderr,
                          f"{type(exc).__name__}{place}: {str(exc)[:300]}")
        return Result(argv, result.exit_code, result.stdout, result.stderr)

    def api(self, call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
        try:
            return call(), None
        except Exception as exc:  # noqa: BLE001 - what the API raised is what the case judges
            return None, exc


def rerecord(run: Path) -> None:
    """What an attacker who rewrites ``best/checksums.json`` after changing ``best/`` does: with the checksums
    right, signed by the attacker's own key (a configuration folder of their own), not this machine's."""
    from automl.integrity import CHECKSUMS, record

    saved = os.environ.get("AUTOML_CONFIG_DIR")
    os.environ["AUTOML_CONFIG_DIR"] = str(run.parent / "attacker-config")
    try:
        (run / "best" / CHECKSUMS).unlink(missing_ok=True)
        record(run / "best", json.loads((run / "run.json").read_text()))
    finally:
        if saved is None:
            os.environ.pop("AUTOML_CONFIG_DIR", None)
        else:
            os.environ["AUTOML_CONFIG_DIR"] = saved


def edit_json(path: Path, change: Callable[[Any], Any]) -> None:
    content = json.loads(path.read_text())
    changed = change(content)
    path.write_text(json.dumps(content if changed is None else changed, indent=2))


def member(run: Path, kind: str) -> Path:
    """The file of the final model's LightGBM (``model.txt``) or skops (``model.skops``) member."""
    return next(p for p in sorted((run / "best").rglob(kind)) if p.is_file())


def api_user_error(exc: BaseException | None, value: Any = None) -> list[str]:
    from automl.errors import UserError

    if exc is None:
        return [f"no error: returned {type(value).__name__}"]
    if not isinstance(exc, UserError):
        return [f"{type(exc).__name__} instead of a UserError: {str(exc)[:200]}"]
    return [] if "\n" not in str(exc) else ["the UserError has more than one line"]


def artifact_refs(run: Path, attr: str) -> list[tuple[int, dict[str, Any]]]:
    """(journal line number, reference) of every trial's ``attr`` (artifact_models or artifact_predictions)."""
    found = []
    for n, line in enumerate((run / "study.journal").read_text().splitlines()):
        record = json.loads(line)
        ref = (record.get("user_attr") or {}).get(attr)
        if isinstance(ref, dict) and "id" in ref:
            found.append((n, ref))
    return found


def replace_artifact(run: Path, attr: str, content: bytes, every: bool = True) -> int:
    """Replace the file of ``attr``'s artifacts and put its SHA-256 in the journal, as the issue's attacker did."""
    lines = (run / "study.journal").read_text().splitlines()
    new = hashlib.sha256(content).hexdigest()
    refs = artifact_refs(run, attr)
    for n, ref in refs if every else refs[:1]:
        (run / "artifacts" / ref["id"]).write_bytes(content)
        lines[n] = lines[n].replace(ref["sha256"], new)
    (run / "study.journal").write_text("\n".join(lines) + "\n")
    return len(refs)


def zip_bytes(entries: dict[str, bytes], symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def journal_lines(run: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / "study.journal").read_text().splitlines() if line.strip()]


def write_journal(run: Path, records: list[dict[str, Any]]) -> None:
    (run / "study.journal").write_text("".join(json.dumps(r) + "\n" for r in records))


def set_model_name(run: Path, name: str) -> None:
    """Give every trial's model parameter a hostile value in the journal (what a received folder may hold)."""
    records = journal_lines(run)
    for record in records:
        for key in ("params", "fixed_params"):
            params = record.get(key) or (record.get("system_attrs") or {}).get(key)
            if isinstance(params, dict) and "model" in params:
                params["model"] = name
        if isinstance(record.get("distributions"), dict) and "model" in record["distributions"]:
            dist = json.loads(record["distributions"]["model"]) if isinstance(record["distributions"]["model"],
                                                                                str) else None
            if dist and "attributes" in dist and "choices" in dist["attributes"]:
                dist["attributes"]["choices"] = [name if c in ("lightgbm", "linear") else c
                                                 for c in dist["attributes"]["choices"]]
                record["distributions"]["model"] = json.dumps(dist)
    write_journal(run, records)


# ================================================================================================================
# The cases. Each returns its problems; [] is the safe outcome.
# ================================================================================================================

HOSTILE_COLUMNS = {
    "[click](javascript:alert(1))": "tenure_months",
    "![img](http://evil.example/x.png)": "support_calls",
    "a|b": "plan",
    "<b>&amp;</b>": "monthly_charges",
    "\x1b[31mred\x1b[0m": "region",
    "bidi\u202egnp.exe": "autopay",
}
HOSTILE_LABELS = {"yes": "[leave](javascript:alert(2))", "no": "stay"}
NAMES_RUN = "[x](javascript:alert(3))"
MD_LINK = re.compile(r"(?<!\\)!?\[[^\]\n]*(?<!\\)\]\((?:javascript|http)")


def names_run(ctx: Ctx) -> Path:
    """A run fitted on columns, labels, a data file and a run folder named with Markdown, HTML and escapes."""
    if "names" not in ctx.shared:
        from automl_plugins.tabular.demo import churn_frame

        folder = Path(ctx.config["work"]) / "shared"
        folder.mkdir(parents=True, exist_ok=True)
        frame = churn_frame(80, seed=5)
        frame = frame.rename(columns={v: k for k, v in HOSTILE_COLUMNS.items()})
        frame["churned"] = frame["churned"].map(HOSTILE_LABELS)
        data = folder / "data&<x>.csv"
        frame.to_csv(data, index=False)
        result = ctx.cli_run("fit", data.name, "--target", "churned", "--models", "linear", "--trials", "2",
                             "--time-budget", "30", "--run-dir", NAMES_RUN, "--quiet", cwd=folder)
        ctx.shared["names"] = (folder / NAMES_RUN, result)
    run, result = ctx.shared["names"]
    if result.code != 0 or result.exception:
        raise AssertionError(f"the run with hostile names could not be fitted: {result}")
    return ctx.run(NAMES_RUN, run)


# -- 1. no code runs on load -------------------------------------------------------------------------------------
@case("payload-sanity: the pickle payload runs when unpickled (so the marker checks can fail)")
def _(ctx: Ctx) -> list[str]:
    pickle.loads(pickle_payload(ctx.marker))
    ran = ctx.marker.exists()
    ctx.marker.unlink(missing_ok=True)
    return [] if ran else ["the pickle payload did not create its marker: the marker checks prove nothing"]


@case("payload-sanity: the skops gadget chain runs when all its types are trusted")
def _(ctx: Ctx) -> list[str]:
    import skops.io

    path = gadget_skops(ctx.marker, ctx.root / "gadget.skops")
    untrusted = skops.io.get_untrusted_types(file=path)
    model = skops.io.load(path, trusted=untrusted)
    model.steps[0][1].func({})
    if "numpy.testing._private.utils.runstring" not in untrusted:
        return [f"the gadget's types are not what the issue describes: {untrusted}"]
    ran = ctx.marker.exists()
    ctx.marker.unlink(missing_ok=True)
    return [] if ran else ["the skops gadget did not create its marker: the marker checks prove nothing"]


for _command in ("report", "resume", "leaderboard", "compare"):
    def _artifact_pickle(ctx: Ctx, command: str = _command) -> list[str]:
        run = ctx.run()
        if not replace_artifact(run, "artifact_models", pickle_payload(ctx.marker)):
            return ["no artifact_models reference found in the journal"]
        args = [command, run] + (["--quiet"] if command == "resume" else [])
        r = ctx.cli_run(*args)
        return ok_or_one_error(r, progress=RESUMING)

    case(f"pickle payload as a trial's artifact_models file, its SHA-256 in the journal: {_command}")(
        _artifact_pickle)


@case("pickle payload as a trial's validation predictions (artifact_predictions): resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    replace_artifact(run, "artifact_predictions", pickle_payload(ctx.marker))
    return ok_or_one_error(ctx.cli_run("resume", run, "--quiet"), progress=RESUMING)


@case("npy with a pickled object array as artifact_predictions: report")
def _(ctx: Ctx) -> list[str]:
    import numpy as np

    run = ctx.run()
    buffer = io.BytesIO()
    np.save(buffer, np.array([Payload(ctx.marker), 1], dtype=object), allow_pickle=True)
    replace_artifact(run, "artifact_predictions", buffer.getvalue())
    return ok_or_one_error(ctx.cli_run("report", run))


@case("fold archive holding the skops gadget chain as fold_0: report")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    gadget = gadget_skops(ctx.marker, ctx.root / "g.skops").read_bytes()
    replace_artifact(run, "artifact_models", zip_bytes({f"fold_{i}/model.skops": gadget for i in range(5)}))
    return ok_or_one_error(ctx.cli_run("report", run))


@case("fold archive with a ../ path (zip slip): report writes nothing outside")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    replace_artifact(run, "artifact_models", zip_bytes({"../../../../zip_slip.txt": b"x",
                                                        "fold_0/model.txt": b"tree"}))
    r = ctx.cli_run("report", run)
    escaped = [str(p) for p in (ctx.root / "zip_slip.txt", Path("/tmp/zip_slip.txt"), run / "zip_slip.txt")
               if p.exists()]
    return ok_or_one_error(r) + [f"the archive wrote {e}" for e in escaped]


@case("fold archive with a symbolic link entry to /etc/passwd: report")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    replace_artifact(run, "artifact_models", zip_bytes({"fold_0/lightgbm.json": b"{}"}, symlink="fold_0/model.txt"))
    return ok_or_one_error(ctx.cli_run("report", run))


@case("fold archive with 25,000 entries: report")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    replace_artifact(run, "artifact_models", zip_bytes({f"fold_0/f{i}": b"" for i in range(25_000)}), every=False)
    return ok_or_one_error(ctx.cli_run("report", run))


@case("the skops gadget chain as the final model's skops member, checksums rewritten: predict")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run(source=ctx.linear)
    gadget_skops(ctx.marker, member(run, "model.skops"))
    rerecord(run)
    return one_error(ctx.cli_run("predict", run, ctx.new))


@case("the skops gadget chain as the final model's skops member, checksums rewritten: report")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run(source=ctx.linear)
    gadget_skops(ctx.marker, member(run, "model.skops"))
    rerecord(run)
    return ok_or_one_error(ctx.cli_run("report", run))


@case("skops file with a type off the exact allow-list (collections.OrderedDict): predict")
def _(ctx: Ctx) -> list[str]:
    import collections

    import skops.io

    run = ctx.run(source=ctx.linear)
    skops.io.dump(collections.OrderedDict(a=1), member(run, "model.skops"))
    rerecord(run)
    return one_error(ctx.cli_run("predict", run, ctx.new))


@case("a pickle renamed model.skops, checksums rewritten: predict")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run(source=ctx.linear)
    member(run, "model.skops").write_bytes(pickle_payload(ctx.marker))
    rerecord(run)
    return one_error(ctx.cli_run("predict", run, ctx.new))


@case("a joblib file renamed model.skops, checksums rewritten: predict")
def _(ctx: Ctx) -> list[str]:
    import joblib

    run = ctx.run(source=ctx.linear)
    joblib.dump(Payload(ctx.marker), member(run, "model.skops"))
    rerecord(run)
    return one_error(ctx.cli_run("predict", run, ctx.new))


@case("a pickle renamed model.txt (LightGBM), checksums rewritten: predict")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    member(run, "model.txt").write_bytes(pickle_payload(ctx.marker))
    rerecord(run)
    return one_error(ctx.cli_run("predict", run, ctx.new))


@case("validation.npz holding a pickled object array, checksums rewritten: report")
def _(ctx: Ctx) -> list[str]:
    import numpy as np

    run = ctx.run()
    with (run / "best" / "validation.npz").open("wb") as handle:
        np.savez(handle, y=np.array([Payload(ctx.marker)], dtype=object), prediction=np.zeros(1),
                 index=np.zeros(1), fold=np.zeros(1))
    rerecord(run)
    return ok_or_one_error(ctx.cli_run("report", run))


@case("search of the code: no pickle.load, joblib.load or torch.load without weights_only=True")
def _(ctx: Ctx) -> list[str]:
    repo = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"(pickle\.loads?\(|joblib\.load\(|cloudpickle\.loads?\("
                         r"|torch\.load\((?![^)]*weights_only=True))")
    # the one pickle automl reads: a trial child's result, in a private temporary file (mkstemp), never a run's
    exempt = {"automl/search/isolation.py"}
    found = []
    for folder in ("automl", "plugins"):
        for path in (repo / folder).rglob("*.py"):
            if path.relative_to(repo).as_posix() in exempt:
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line) and not line.lstrip().startswith("#"):
                    found.append(f"{path.relative_to(repo)}:{n}: {line.strip()[:100]}")
    return [f"unsafe load: {f}" for f in found]


# -- 2. secrets ----------------------------------------------------------------------------------------------------
def _secret_case(ctx: Ctx, *args: str, env: dict[str, str] | None = None) -> list[str]:
    r = ctx.cli_run(*args, env=env)
    problems = ok_or_one_error(r) + absent(r, SECRET)
    return problems + [f"the secret was written to {f}" for f in files_containing(ctx.root, SECRET)]


DEAD_PG = "postgresql://alice{user}@127.0.0.1:9/db{query}"  # port 9 (discard): nothing listens


@case("--storage postgresql://...?password=SECRET: fit (no server)")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    return _secret_case(ctx, "fit", str(data), "--target", "churned", "--models", "linear", "--trials", "1",
                        "--storage", DEAD_PG.format(user="", query=f"?password={SECRET}"), "--run-dir", "r")


@case("--storage with ?sslpassword=SECRET&connect_timeout=1: worker")
def _(ctx: Ctx) -> list[str]:
    return _secret_case(ctx, "worker", "--storage",
                        DEAD_PG.format(user="", query=f"?sslpassword={SECRET}&connect_timeout=1"), "--study", "s")


@case("--storage with ?password=SECRET: worker error line")
def _(ctx: Ctx) -> list[str]:
    return _secret_case(ctx, "worker", "--storage", DEAD_PG.format(user="", query=f"?password={SECRET}"),
                        "--study", "s")


@case("--storage with the password in the user part: worker")
def _(ctx: Ctx) -> list[str]:
    return _secret_case(ctx, "worker", "--storage", DEAD_PG.format(user=f":{SECRET}", query=""), "--study", "s")


@case("--storage with ?token=SECRET: worker")
def _(ctx: Ctx) -> list[str]:
    return _secret_case(ctx, "worker", "--storage", DEAD_PG.format(user="", query=f"?token={SECRET}"),
                        "--study", "s")


@case("PGPASSWORD=SECRET in the environment: worker error line")
def _(ctx: Ctx) -> list[str]:
    return _secret_case(ctx, "worker", "--storage", DEAD_PG.format(user="", query=""), "--study", "s",
                        env={"PGPASSWORD": SECRET})


@case("resume --storage ...?password=SECRET on a run")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    r = ctx.cli_run("resume", str(run), "--quiet", "--storage", DEAD_PG.format(user="", query=f"?password={SECRET}"))
    problems = ok_or_one_error(r, progress=RESUMING) + absent(r, SECRET)
    return problems + [f"the secret was written to {f}" for f in files_containing(ctx.root, SECRET)]


@case("--storage sqlite:///...?password=SECRET: fit writes the secret nowhere")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    return _secret_case(ctx, "fit", str(data), "--target", "churned", "--models", "linear", "--trials", "1",
                        "--time-budget", "20", "--storage", f"sqlite:///{ctx.root}/study.db?password={SECRET}",
                        "--run-dir", "r", "--quiet")


# -- 3. the user's data is never destroyed ----------------------------------------------------------------------
@case("fit runs/x/data.csv --run-dir runs/x --force keeps the input")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run("runs/x")
    data = ctx.csv("runs/x/data.csv")
    before = digest(data)
    r = ctx.cli_run("fit", "runs/x/data.csv", "--target", "churned", "--models", "linear", "--trials", "1",
                    "--run-dir", run, "--force", "--quiet")
    return one_error(r) + unchanged(data, before, "the input data")


@case("fit --force on a folder holding a user's own file keeps the file")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    notes = run / "my-notes.txt"
    notes.write_text("the user's notes\n")
    data = ctx.csv("data.csv")
    r = ctx.cli_run("fit", data, "--target", "churned", "--models", "linear", "--trials", "1", "--run-dir", run,
                    "--force", "--quiet")
    return one_error(r) + unchanged(notes, digest(notes) if notes.exists() else "x", "the user's file") \
        if notes.exists() else one_error(r) + ["the user's file was deleted"]


@case("fit --run-dir . --force in a folder of the user's files")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    (ctx.root / "thesis.tex").write_text("years of work\n")
    r = ctx.cli_run("fit", data, "--target", "churned", "--models", "linear", "--trials", "1", "--run-dir", ".",
                    "--force", "--quiet")
    lost = [p for p in ("thesis.tex", "data.csv") if not (ctx.root / p).exists()]
    return one_error(r) + [f"{p} was deleted" for p in lost]


@case("predict RUN data.csv --out data.csv keeps the input")
def _(ctx: Ctx) -> list[str]:
    run, data = ctx.run(), ctx.csv("new.csv", target=False)
    before = digest(data)
    return one_error(ctx.cli_run("predict", run, data, "--out", data)) + unchanged(data, before, "the input")


@case("predict --out through a symbolic link to the input keeps the input")
def _(ctx: Ctx) -> list[str]:
    run, data = ctx.run(), ctx.csv("new.csv", target=False)
    before = digest(data)
    (ctx.root / "out.csv").symlink_to(data)
    return one_error(ctx.cli_run("predict", run, data, "--out", "out.csv")) + unchanged(data, before, "the input")


@case("predict --out RUN/best/model.json keeps the run working")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    before = digest(run / "best" / "model.json")
    r = ctx.cli_run("predict", run, ctx.new, "--out", run / "best" / "model.json")
    return one_error(r) + unchanged(run / "best" / "model.json", before, "best/model.json")


@case("predict --out RUN/run.json")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    before = digest(run / "run.json")
    return one_error(ctx.cli_run("predict", run, ctx.new, "--out", run / "run.json")) + \
        unchanged(run / "run.json", before)


@case("predict --out RUN/new.csv (a new file inside the run folder)")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    r = ctx.cli_run("predict", run, ctx.new, "--out", run / "predictions.csv")
    return one_error(r) + (["a file was written inside the run"] if (run / "predictions.csv").exists() else [])


@case("predict --out an existing file without --overwrite")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    out = ctx.root / "keep.csv"
    out.write_text("precious\n")
    before = digest(out)
    return one_error(ctx.cli_run("predict", run, ctx.new, "--out", out)) + unchanged(out, before)


@case("predict --out an existing file with --overwrite replaces it")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    out = ctx.root / "old.csv"
    out.write_text("old\n")
    r = ctx.cli_run("predict", run, ctx.new, "--out", out, "--overwrite")
    return succeeded(r) + ([] if out.read_text().count("\n") > 5 else ["--overwrite did not write predictions"])


@case("report --out NOTES.html overwriting the user's NOTES.md beside it")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    notes = ctx.root / "notes.md"
    notes.write_text("# my notes\n")
    before = digest(notes)
    return one_error(ctx.cli_run("report", run, "--out", ctx.root / "notes.html")) + unchanged(notes, before)


@case("compare RUN --out data.csv onto the training data")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    data = ctx.csv("data.csv")
    before = digest(data)
    return one_error(ctx.cli_run("compare", run, "--out", data)) + unchanged(data, before, "the data")


@case("compare RUN --out RUN/run.json")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    before = digest(run / "run.json")
    return one_error(ctx.cli_run("compare", run, "--out", run / "run.json")) + unchanged(run / "run.json", before)


# -- 4. bounded resources --------------------------------------------------------------------------------------
@case("1,000 classes x 2 rows: fit and report stay bounded")
def _(ctx: Ctx) -> list[str]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x1": rng.normal(size=2000), "x2": rng.normal(size=2000),
                          "label": [f"class_{i // 2:04d}" for i in range(2000)]})
    frame.to_csv(ctx.root / "many.csv", index=False)
    r = ctx.cli_run("fit", "many.csv", "--target", "label", "--models", "linear", "--trials", "1",
                    "--time-budget", "40", "--run-dir", "many", "--quiet")
    return ok_or_one_error(r)


@case("--workers 100000 is capped (or refused), not started")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    r = ctx.cli_run("fit", data, "--target", "churned", "--models", "linear", "--trials", "1", "--time-budget",
                    "20", "--workers", "100000", "--run-dir", "r", "--quiet")
    return ok_or_one_error(r)


@case("--workers 0 and --workers -3")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    problems = []
    for workers in ("0", "-3"):
        problems += one_error(ctx.cli_run("fit", data, "--target", "churned", "--workers", workers, "--run-dir",
                                          f"r{workers}", "--quiet"))
    return problems


for _cut in (0.5, 0.9):
    def _truncated_lightgbm(ctx: Ctx, cut: float = _cut) -> list[str]:
        run = ctx.run()
        path = member(run, "model.txt")
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * cut)])
        rerecord(run)
        r = ctx.cli_run("predict", run, ctx.new)  # a segfault kills this child: a failed case
        if r.code == 0 and not r.exception:  # what is cut may be the trailing parameters only: same predictions
            want = ctx.cli_run("predict", ctx.run("untouched"), ctx.new).out
            return succeeded(r) + ([] if r.out == want else ["exit 0 with predictions other than the run's"])
        return one_error(r)

    case(f"LightGBM model.txt cut at {int(_cut * 100)}%, checksums rewritten: predict (no segfault)")(
        _truncated_lightgbm)


@case("LightGBM model.txt cut short, checksums rewritten: report (no segfault)")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    path = member(run, "model.txt")
    path.write_bytes(path.read_bytes()[:700])
    rerecord(run)
    return ok_or_one_error(ctx.cli_run("report", run))


@case("validation.npz declaring a 2**40-element array, checksums rewritten: report")
def _(ctx: Ctx) -> list[str]:
    import numpy as np

    run = ctx.run()
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)})
    body = b"\x93NUMPY" + bytes([1, 0]) + header.getvalue()[8:] + b"\0" * 64
    entries = {name: body for name in ("y.npy", "prediction.npy", "index.npy", "fold.npy")}
    (run / "best" / "validation.npz").write_bytes(zip_bytes(entries))
    rerecord(run)
    return ok_or_one_error(ctx.cli_run("report", run))


@case("study.journal as a 2 GB sparse file: leaderboard")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    with (run / "study.journal").open("r+b") as handle:
        handle.seek(2 * 2**30)
        handle.write(b"\n")
    return ok_or_one_error(ctx.cli_run("leaderboard", run))


@case("run.json as a 2 GB sparse file: predict")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    with (run / "run.json").open("r+b") as handle:
        handle.seek(2 * 2**30)
        handle.write(b" ")
    return one_error(ctx.cli_run("predict", run, ctx.new))


@case("study.journal as a symbolic link to /dev/zero: leaderboard")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "study.journal").unlink()
    (run / "study.journal").symlink_to("/dev/zero")
    return one_error(ctx.cli_run("leaderboard", run))


@case("study.journal as a FIFO nobody writes to: leaderboard does not hang")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "study.journal").unlink()
    os.mkfifo(run / "study.journal")
    return one_error(ctx.cli_run("leaderboard", run))


@case("run.json as a FIFO: predict does not hang")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "run.json").unlink()
    os.mkfifo(run / "run.json")
    return one_error(ctx.cli_run("predict", run, ctx.new))


@case("a predict input of 2 GB (sparse, NUL bytes)")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    big = ctx.root / "big.csv"
    with big.open("wb") as handle:
        handle.write(ctx.new.read_bytes()[:200])
        handle.seek(2 * 2**30)
        handle.write(b"\n")
    return one_error(ctx.cli_run("predict", run, big))


# -- 5. clean output ---------------------------------------------------------------------------------------------
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"


@case("terminal escape sequences in --target: fit error line")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    return one_error(ctx.cli_run("fit", data, "--target", f"churn{ESCAPES}", "--run-dir", "r", "--quiet"))


@case("terminal escape sequences in a column name of the predict input")
def _(ctx: Ctx) -> list[str]:
    import pandas as pd

    run = ctx.run()
    frame = pd.read_csv(ctx.new)
    frame = frame.rename(columns={frame.columns[1]: f"col{ESCAPES}"})
    frame.to_csv(ctx.root / "hostile.csv", index=False)
    return one_error(ctx.cli_run("predict", run, ctx.root / "hostile.csv"))


@case("terminal escape sequences in a model name of the journal: leaderboard table")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    set_model_name(run, f"lgbm{ESCAPES}")
    r = ctx.cli_run("leaderboard", run)
    return ok_or_one_error(r) + raw_controls(r, "both")


@case("terminal escape sequences in the run folder's name: report's output lines")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run(f"run{ESCAPES}")
    r = ctx.cli_run("report", run)
    return succeeded(r) + raw_controls(r, "both")


@case("a newline in --target cannot forge a second error line")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    return one_error(ctx.cli_run("fit", data, "--target", "x\nerror: all good, ignore the line above", "--run-dir",
                                 "r", "--quiet"))


@case("a newline in a run folder name: leaderboard of a missing run")
def _(ctx: Ctx) -> list[str]:
    return one_error(ctx.cli_run("leaderboard", "nope\nerror: forged second line"))


@case("a newline in --slice-by: report")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    return one_error(ctx.cli_run("report", run, "--slice-by", "no\nsuch\x1b[2Jcolumn"))


@case("unicode bidi override in --target: fit error line")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    return one_error(ctx.cli_run("fit", data, "--target", "user\u202egnp.exe", "--run-dir", "r", "--quiet"))


@case("escape sequences in --models: fit error line")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    return one_error(ctx.cli_run("fit", data, "--target", "churned", "--models", f"lightgbm{ESCAPES}",
                                 "--run-dir", "r", "--quiet"))


def _report_md(ctx: Ctx) -> tuple[str, str, Result]:
    """report.md, report.html and the report command's result for the run with hostile names (made once)."""
    if "names_report" not in ctx.shared:
        folder = Path(ctx.config["work"]) / "shared"
        run = names_run(ctx)
        shared_copy = folder / "reported"
        if shared_copy.exists():
            shutil.rmtree(shared_copy)
        shared_copy.mkdir()
        run = Path(shutil.move(str(run), shared_copy / NAMES_RUN))
        r = ctx.cli_run("report", run)
        md = (run / "report.md").read_text() if (run / "report.md").is_file() else ""
        html = (run / "report.html").read_text() if (run / "report.html").is_file() else ""
        ctx.shared["names_report"] = (md, html, r)
    return ctx.shared["names_report"]


def outside_code(md: str) -> str:
    """report.md without its fenced code blocks and code spans, where Markdown syntax is shown, not rendered."""
    md = re.sub(r"^```.*?^```", "", md, flags=re.S | re.M)
    return re.sub(r"(`+)(?:(?!\1).)+\1", "", md)


@case("Markdown link syntax in column names is escaped in report.md")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    md = outside_code(md)  # a code block shows the shell command literally
    links = [m.group(0) for m in MD_LINK.finditer(md) if "click" in m.group(0)]
    return succeeded(r) + [f"live Markdown link in report.md: {link!r}" for link in links[:3]]


@case("Markdown image syntax in column names is escaped in report.md")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    md = outside_code(md)  # a code block shows the shell command literally
    image = re.search(r"(?<!\\)!\[[^\]]*(?<!\\)\]\(http", md)
    return succeeded(r) + (["a live ![](http:...) image in report.md"] if image else [])


@case("Markdown link syntax in the run folder's name is escaped in report.md")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    md = outside_code(md)  # a code block shows the shell command literally
    return succeeded(r) + (["the run folder's name is a live link in report.md"]
                           if "[x](javascript:alert(3))" in md else [])


@case("Markdown link syntax in a class label is escaped in report.md")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    md = outside_code(md)  # a code block shows the shell command literally
    return succeeded(r) + (["the class label is a live link in report.md"]
                           if "[leave](javascript:alert(2))" in md else [])


@case("the reproduce command in report.md is the literal shell-quoted command (no HTML entities)")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    problems = succeeded(r)
    commands = [line for line in md.splitlines() if "automl fit" in line]
    if not commands:
        return problems + ["report.md shows no 'automl fit' command"]
    if not any("'data&<x>.csv'" in line for line in commands):
        problems.append(f"the command in report.md is not the shell-quoted command: {commands[0][:160]!r}")
    entities = [line for line in commands if re.search(r"&(amp|lt|gt|quot|#\d+);", line)]
    return problems + ([f"HTML entities in the command: {entities[0][:160]!r}"] if entities else [])


@case("HTML in column names stays text in report.html (no tag, no javascript: link)")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    problems = succeeded(r)
    if "<b>&amp;</b>" in html:
        problems.append("a column's <b> tag is live in report.html")
    if re.search(r"href\s*=\s*[\"']?\s*javascript:", html, re.I):
        problems.append("a javascript: link in report.html")
    return problems


@case("escape sequences and bidi in column names never reach report.md raw")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    found = sorted({repr(c) for c in CONTROL.findall(md)})
    return succeeded(r) + ([f"raw control characters in report.md: {found}"] if found else [])


@case("pipes and newlines in the journal's model names: leaderboard --format md keeps its table")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    set_model_name(run, "a|b\n| injected | row |")
    r = ctx.cli_run("leaderboard", run, "--format", "md")
    problems = ok_or_one_error(r)
    if r.code == 0:
        rows = [line for line in r.out.splitlines() if line.strip()]
        width = len(re.findall(r"(?<!\\)\|", rows[0])) if rows else 0
        bad = [line for line in rows if len(re.findall(r"(?<!\\)\|", line)) != width]
        problems += [f"a Markdown row has other columns than the header: {bad[0][:120]!r}"] if bad else []
    return problems


@case("pipes in model names: compare --format md keeps its tables")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    set_model_name(run, "a|b\nc")
    r = ctx.cli_run("compare", run, ctx.run("other", Path(ctx.config["other"])), "--format", "md")
    problems = ok_or_one_error(r)
    for line in r.out.splitlines() if r.code == 0 else []:
        if line.startswith("|") and not line.rstrip().endswith("|"):
            problems.append(f"a broken Markdown row: {line[:120]!r}")
    return problems


# -- 6. one line, exit 2 -------------------------------------------------------------------------------------------
@case("--run-dir under a file")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    return one_error(ctx.cli_run("fit", data, "--target", "churned", "--run-dir", "data.csv/run", "--quiet"))


@case("--run-dir not writable (/proc)")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    return one_error(ctx.cli_run("fit", data, "--target", "churned", "--run-dir", "/proc/automl-run", "--quiet"))


@case("--run-dir a symbolic link to a folder of the user's, with --force")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    precious = ctx.root / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("keep\n")
    (ctx.root / "link").symlink_to(precious)
    r = ctx.cli_run("fit", data, "--target", "churned", "--models", "linear", "--trials", "1", "--run-dir", "link",
                    "--force", "--quiet")
    return one_error(r) + ([] if (precious / "keep.txt").exists() else ["the linked folder's file was deleted"])


@case("--run-dir a symbolic link to a finished run, with --force")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    data = ctx.csv("data.csv")
    (ctx.root / "link").symlink_to(run)
    r = ctx.cli_run("fit", data, "--target", "churned", "--models", "linear", "--trials", "1", "--time-budget", "20",
                    "--run-dir", "link", "--force", "--quiet")
    return ok_or_one_error(r)


@case("two fit --force on the same folder at once")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv", rows=60)
    ctx.run("shared")
    args = [sys.executable, "-m", "automl.cli", "fit", str(data), "--target", "churned", "--models", "linear",
            "--trials", "1", "--time-budget", "20", "--run-dir", "shared", "--force", "--quiet"]
    procs = [subprocess.Popen(args, cwd=ctx.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(Result(args[3:], proc.returncode, out, err,
                              "a traceback was printed" if "Traceback (most" in err else None))
    problems = []
    for r in results:
        problems += ok_or_one_error(r)
    if not any(r.code == 0 for r in results):
        problems.append("neither fit finished")
    return problems


@case("predict --out an existing folder")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (ctx.root / "folder").mkdir()
    return one_error(ctx.cli_run("predict", run, ctx.new, "--out", ctx.root / "folder"))


@case("predict --out a path that cannot be written (/proc)")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    return one_error(ctx.cli_run("predict", run, ctx.new, "--out", "/proc/automl-predictions.csv"))


@case("predict --out a path under a file")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    return one_error(ctx.cli_run("predict", run, ctx.new, "--out", ctx.new / "x.csv"))


@case("report --out a path that cannot be written (/proc)")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    return one_error(ctx.cli_run("report", run, "--out", "/proc/automl-report.html"))


def _torn(run: Path) -> None:
    text = (run / "study.journal").read_bytes()
    (run / "study.journal").write_bytes(text[: len(text) - 37])


@case("study.journal cut mid-line: leaderboard")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    _torn(run)
    return ok_or_one_error(ctx.cli_run("leaderboard", run))


@case("study.journal cut mid-line: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    _torn(run)
    return ok_or_one_error(ctx.cli_run("resume", run, "--quiet"), progress=RESUMING)


@case("study.journal cut mid-line: report")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    _torn(run)
    return ok_or_one_error(ctx.cli_run("report", run))


@case("study.journal of random bytes: leaderboard")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "study.journal").write_bytes(os.urandom(4000))
    return one_error(ctx.cli_run("leaderboard", run))


@case("study.journal with a value of 10**400: leaderboard")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    lines = (run / "study.journal").read_text().splitlines()
    lines = [re.sub(r'"value": ?[0-9.e-]+', '"value": 1' + "0" * 400, line, count=1) for line in lines]
    (run / "study.journal").write_text("\n".join(lines) + "\n")
    return ok_or_one_error(ctx.cli_run("leaderboard", run))


@case("Parquet with a list column: fit")
def _(ctx: Ctx) -> list[str]:
    import pandas as pd

    frame = pd.read_csv(ctx.csv("data.csv"))
    frame["tags"] = [[1, 2]] * len(frame)
    frame.to_parquet(ctx.root / "data.parquet")
    r = ctx.cli_run("fit", "data.parquet", "--target", "churned", "--models", "linear", "--trials", "1",
                    "--time-budget", "20", "--run-dir", "r", "--quiet")
    return ok_or_one_error(r)


@case("Parquet with a list column: predict")
def _(ctx: Ctx) -> list[str]:
    import pandas as pd

    run = ctx.run()
    frame = pd.read_csv(ctx.new)
    frame[frame.columns[1]] = [[1, 2]] * len(frame)
    frame.to_parquet(ctx.root / "new.parquet")
    return ok_or_one_error(ctx.cli_run("predict", run, ctx.root / "new.parquet"))


for _budget in ("nan", "inf", "-inf", "0", "-5"):
    def _time_budget(ctx: Ctx, budget: str = _budget) -> list[str]:
        data = ctx.csv("data.csv")
        r = ctx.cli_run("fit", data, "--target", "churned", "--models", "linear", "--trials", "1",
                        "--time-budget", budget, "--run-dir", "r", "--quiet")
        manifest = ctx.root / "r" / "run.json"
        nan = manifest.is_file() and re.search(r"\bNaN\b|Infinity", manifest.read_text())
        return one_error(r) + (["run.json holds NaN or Infinity"] if nan else [])

    case(f"--time-budget {_budget}")(_time_budget)


for _name, _value in (("list", [1, 2, 3]), ("dict", {"a": [1]}), ("int", 5), ("bytes", b"a,b\n1,2\n")):
    def _api_predict(ctx: Ctx, value: Any = _value) -> list[str]:
        from automl import Run

        run = ctx.run()
        value_out, exc = ctx.api(lambda: Run.load(run).predict(value))
        return api_user_error(exc, value_out)

    case(f"Run.predict({_name})")(_api_predict)


@case("Python API: a foreign run predicted twice in one process (the probe forks after LightGBM's threads)")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    rerecord(run)  # foreign: loading probes the model in a forked child
    script = ("import sys, warnings\nwarnings.simplefilter('ignore')\nfrom automl import Run\n"
              "for _ in range(2):\n    print(len(Run.load(sys.argv[1]).predict(sys.argv[2])), flush=True)\n")
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}  # as a user's notebook has it
    process = subprocess.Popen([sys.executable, "-c", script, str(run), str(ctx.new)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env, cwd=ctx.root, start_new_session=True)
    try:
        out, err = process.communicate(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the process and its forked probe, which would hang on
        out, err = process.communicate()
        return [f"the second predict hung (40 s); it printed {out!r}"]
    if process.returncode != 0 or out.split() != ["12", "12"]:
        return [f"exit {process.returncode}: {out!r} {err[-300:]!r}"]
    return []


@case("Run.load of a missing folder (API)")
def _(ctx: Ctx) -> list[str]:
    from automl import Run

    value, exc = ctx.api(lambda: Run.load(ctx.root / "missing").predict(ctx.new))
    return api_user_error(exc, value)


# -- image weights (torch) --------------------------------------------------------------------------------------
def image_run(ctx: Ctx) -> tuple[Path, Path] | None:
    """A copy of a tiny image run (fitted once) and its image folder; None without torch."""
    import importlib.util

    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("safetensors") is None:
        return None
    if "image" not in ctx.shared:
        from automl_plugins.image.sample import write_shapes

        folder = Path(ctx.config["work"]) / "shared_image"
        folder.mkdir(parents=True, exist_ok=True)
        images = write_shapes(folder / "images", per_class=6)
        r = ctx.cli_run("fit", images, "--models", "linear", "--trials", "1", "--time-budget", "20", "--run-dir",
                        "run", "--quiet", cwd=folder)
        ctx.shared["image"] = (folder / "run", images, r)
    run, images, r = ctx.shared["image"]
    if r.code != 0 or r.exception:
        raise AssertionError(f"the image run could not be fitted: {r}")
    return ctx.run("image_run", run), images


def _image_case(ctx: Ctx, tamper: Callable[[Path], None]) -> list[str]:
    made = image_run(ctx)
    if made is None:
        return []  # torch is not installed: there are no image weights to tamper with
    run, images = made
    tamper(next((run / "best").rglob("weights.safetensors")).parent)
    rerecord(run)
    return one_error(ctx.cli_run("predict", run, images))


@case("image weights: network.json asking for a 10**6-pixel input (a huge first layer): predict")
def _(ctx: Ctx) -> list[str]:
    return _image_case(ctx, lambda m: edit_json(m / "network.json", lambda d: d["architecture"].update(size=10**6)))


@case("image weights: network.json with 10**9 classes: predict")
def _(ctx: Ctx) -> list[str]:
    return _image_case(ctx, lambda m: edit_json(m / "network.json",
                                                lambda d: d["architecture"].update(n_classes=10**9)))


@case("image weights: safetensors header declaring a 120 GB tensor: predict")
def _(ctx: Ctx) -> list[str]:
    def tamper(folder: Path) -> None:
        path = folder / "weights.safetensors"
        data = path.read_bytes()
        size = int.from_bytes(data[:8], "little")
        header = json.loads(data[8:8 + size])
        name = next(k for k in header if k != "__metadata__")
        header[name]["shape"] = [120_000, 250_000]
        header[name]["data_offsets"] = [0, 120_000 * 250_000 * 4]
        text = json.dumps(header).encode()
        path.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + size:])

    return _image_case(ctx, tamper)


@case("image weights: a torch pickle with a payload as weights.safetensors: predict")
def _(ctx: Ctx) -> list[str]:
    def tamper(folder: Path) -> None:
        import torch

        torch.save({"w": Payload(ctx.marker)}, folder / "weights.safetensors")

    return _image_case(ctx, tamper)


# -- more: paths, links, hostile JSON ----------------------------------------------------------------------------
for _path in ("../../../outside", "/etc", "member_0/../../..", "C:\\Windows", ""):
    def _member_path(ctx: Ctx, path: str = _path) -> list[str]:
        run = ctx.run()
        edit_json(run / "best" / "model.json", lambda d: d["members"][0].update(path=path))
        rerecord(run)
        return one_error(ctx.cli_run("predict", run, ctx.new))

    case(f"model.json member path {_path!r}, checksums rewritten: predict")(_member_path)


@case("best/ is a symbolic link to another run's best/: predict")
def _(ctx: Ctx) -> list[str]:
    run, other = ctx.run(), ctx.run("other", Path(ctx.config["other"]))
    shutil.rmtree(run / "best")
    (run / "best").symlink_to(other / "best")
    r = ctx.cli_run("predict", run, ctx.new)
    return ok_or_one_error(r)


@case("best/ is a symbolic link to another run's best/: resume writes nothing there")
def _(ctx: Ctx) -> list[str]:
    run, other = ctx.run(), ctx.run("other", Path(ctx.config["other"]))
    before = {p.name: digest(p) for p in (other / "best").iterdir() if p.is_file()}
    shutil.rmtree(run / "best")
    (run / "best").symlink_to(other / "best")
    r = ctx.cli_run("resume", run, "--quiet")
    after = {p.name: digest(p) for p in (other / "best").iterdir() if p.is_file()} if (other / "best").is_dir() \
        else {}
    return ok_or_one_error(r, progress=RESUMING) + (
        [] if before == after else ["resume wrote into the other run's best/ through the link"])


@case("report.html is a symbolic link to a user's file: report writes nothing there")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    target = ctx.root / "precious.txt"
    target.write_text("precious\n")
    before = digest(target)
    (run / "report.html").unlink()
    (run / "report.html").symlink_to(target)
    return ok_or_one_error(ctx.cli_run("report", run)) + unchanged(target, before, "the linked file")


@case("study.journal is a symbolic link to another run's journal: resume writes nothing there")
def _(ctx: Ctx) -> list[str]:
    run, other = ctx.run(), ctx.run("other", Path(ctx.config["other"]))
    before = digest(other / "study.journal")
    (run / "study.journal").unlink()
    (run / "study.journal").symlink_to(other / "study.journal")
    r = ctx.cli_run("resume", run, "--quiet")
    return ok_or_one_error(r, progress=RESUMING) + \
        unchanged(other / "study.journal", before, "the other run's journal")


@case("run.json nested 10,000 levels deep: predict")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "run.json").write_text("[" * 10_000 + "]" * 10_000)
    return one_error(ctx.cli_run("predict", run, ctx.new))


@case("run.json nested 10,000 levels deep: leaderboard")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "run.json").write_text('{"a":' * 10_000 + "1" + "}" * 10_000)
    return one_error(ctx.cli_run("leaderboard", run))


@case("best/checksums.json nested 10,000 levels deep: predict")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "best" / "checksums.json").write_text("[" * 10_000 + "]" * 10_000)
    return one_error(ctx.cli_run("predict", run, ctx.new))


@case("best/model.json nested 10,000 levels deep, checksums rewritten: compare")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "best" / "model.json").write_text("[" * 10_000 + "]" * 10_000)
    rerecord(run)
    return one_error(ctx.cli_run("compare", run))


@case("best/model.json a JSON list, checksums rewritten: compare")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "best" / "model.json").write_text("[1, 2]")
    rerecord(run)
    return one_error(ctx.cli_run("compare", run))


@case("best/model.json a JSON list, checksums rewritten: report")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "best" / "model.json").write_text("[1, 2]")
    rerecord(run)
    return ok_or_one_error(ctx.cli_run("report", run))


@case("run.json with seed 1e999 (inf): predict")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    text = re.sub(r'"seed": \d+', '"seed": 1e999', (run / "run.json").read_text())
    (run / "run.json").write_text(text)
    return one_error(ctx.cli_run("predict", run, ctx.new))


@case("run.json with time_budget 10**400: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    text = re.sub(r'"time_budget": [0-9.]+', '"time_budget": 1' + "0" * 400, (run / "run.json").read_text())
    (run / "run.json").write_text(text)
    return one_error(ctx.cli_run("resume", run, "--quiet"))


@case("run.json with a task of '../../x': leaderboard")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    edit_json(run / "run.json", lambda d: d.update(task="../../x"))
    return one_error(ctx.cli_run("leaderboard", run))


@case("run.json with 'study' of the wrong type and 'artifacts' a list: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    edit_json(run / "run.json", lambda d: d.update(study=["x"], artifacts=[1]))
    return one_error(ctx.cli_run("resume", run, "--quiet"), progress=RESUMING)


@case("run.json a symbolic link to /etc/passwd: leaderboard")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "run.json").unlink()
    (run / "run.json").symlink_to("/etc/passwd")
    r = ctx.cli_run("leaderboard", run)
    return one_error(r) + absent(r, "root:x:0:0")


@case("run.json data.path pointing at /etc/passwd, checksums rewritten: report --slice-by")
def _(ctx: Ctx) -> list[str]:
    from automl.integrity import CHECKSUMS, record

    run = ctx.run()
    edit_json(run / "run.json", lambda d: d["data"].update(path="/etc/passwd"))
    (run / "best" / CHECKSUMS).unlink()
    record(run / "best", json.loads((run / "run.json").read_text()))
    r = ctx.cli_run("report", run, "--slice-by", "plan")
    return one_error(r) + absent(r, "root:x:0:0", "/bin/bash")


@case("run.lock is a folder: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "run.lock").unlink(missing_ok=True)
    (run / "run.lock").mkdir()
    return ok_or_one_error(ctx.cli_run("resume", run, "--quiet"), progress=RESUMING)


@case("ask.lock is a symbolic link out of the run: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    target = ctx.root / "elsewhere.txt"
    target.write_text("keep\n")
    (run / "ask.lock").unlink(missing_ok=True)
    (run / "ask.lock").symlink_to(target)
    r = ctx.cli_run("resume", run, "--quiet")
    return ok_or_one_error(r, progress=RESUMING) + \
        unchanged(target, digest(target) if target.is_file() else "x", "the link's target")


@case("compare on a run with a torn journal and another with a garbage one")
def _(ctx: Ctx) -> list[str]:
    run, other = ctx.run(), ctx.run("other", Path(ctx.config["other"]))
    _torn(run)
    (other / "study.journal").write_bytes(b"\x00garbage\n")
    return ok_or_one_error(ctx.cli_run("compare", run, other))


@case("compare of a run with escape sequences in its model names: table")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    set_model_name(run, f"m{ESCAPES}")
    r = ctx.cli_run("compare", run)
    return ok_or_one_error(r) + raw_controls(r, "both")


@case("a preset YAML with a !!python/object/apply tag: fit runs no code")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    preset = ctx.root / "evil.yaml"
    preset.write_text(f"task: tabular\nmetric: !!python/object/apply:os.system ['touch {ctx.marker}']\n")
    return one_error(ctx.cli_run("fit", data, "--target", "churned", "--preset", preset, "--run-dir", "r",
                                 "--quiet"))


@case("predict input a symbolic link to /dev/zero (an endless file)")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (ctx.root / "zero.csv").symlink_to("/dev/zero")
    return one_error(ctx.cli_run("predict", run, ctx.root / "zero.csv"))


@case("plugin new with a name that climbs out of the folder (../../evil)")
def _(ctx: Ctx) -> list[str]:
    work = ctx.root / "a" / "b"
    work.mkdir(parents=True)
    r = ctx.cli_run("plugin", "new", "../../evil", cwd=work)
    outside = [str(p) for p in ctx.root.rglob("*evil*")]
    return one_error(r) + ([f"plugin new wrote {outside[0]}"] if outside else [])


@case("a tampered best/ (a changed model.txt): compare refuses it in one line")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    path = member(run, "model.txt")
    path.write_text(path.read_text().replace("learning_rate", "learning_rate ", 1))
    return one_error(ctx.cli_run("compare", run, ctx.run("other", ctx.linear)))


@case("a journal value of NaN: leaderboard --format json stays valid JSON")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    lines = (run / "study.journal").read_text().splitlines()
    lines = [re.sub(r'"value": ?[0-9.e-]+', '"value": NaN', line, count=1) for line in lines]
    (run / "study.journal").write_text("\n".join(lines) + "\n")
    r = ctx.cli_run("leaderboard", run, "--format", "json")
    problems = ok_or_one_error(r)
    if r.code == 0:
        try:
            json.loads(r.out, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
        except ValueError as exc:
            problems.append(f"leaderboard --format json is not valid JSON: {exc}")
    return problems


def wrong_typed_attrs(run: Path) -> None:
    """Every trial and study attribute automl reads for the leaderboard, given a type automl never writes."""
    wrong = {"metrics": [1, "a"], "size_bytes": "big", "predict_ms_per_1k": "x", "fit_seconds": {"a": 1},
             "train_rows_per_second": [], "final": "x", "ensemble": [1, 2], "fail_reason": 5, "pruned_reason": []}
    records = journal_lines(run)
    for record in records:
        attrs = record.get("user_attr")
        if isinstance(attrs, dict):
            for key in list(attrs):
                if key in wrong:
                    attrs[key] = wrong[key]
    write_journal(run, records)


for _command in ("leaderboard", "compare", "report"):
    def _wrong_attrs(ctx: Ctx, command: str = _command) -> list[str]:
        run = ctx.run()
        wrong_typed_attrs(run)
        extra = ["--format", "md"] if command == "leaderboard" else []
        return ok_or_one_error(ctx.cli_run(command, run, *extra))

    case(f"journal attributes of the wrong type (metrics a list, size a text, final a text): {_command}")(
        _wrong_attrs)


@case("run.json of another run (other models) beside this run's journal: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    shutil.copyfile(ctx.linear / "run.json", run / "run.json")
    return ok_or_one_error(ctx.cli_run("resume", run, "--quiet"), progress=RESUMING)


@case("leaderboard.csv is a folder: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "leaderboard.csv").unlink(missing_ok=True)
    (run / "leaderboard.csv").mkdir()
    return ok_or_one_error(ctx.cli_run("resume", run, "--quiet"), progress=RESUMING)


@case("report.md is a folder: report")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "report.md").unlink(missing_ok=True)
    (run / "report.md").mkdir()
    return ok_or_one_error(ctx.cli_run("report", run))


@case("a run folder that is a file: predict")
def _(ctx: Ctx) -> list[str]:
    return one_error(ctx.cli_run("predict", ctx.new, ctx.new))


@case("an empty folder as the run: report")
def _(ctx: Ctx) -> list[str]:
    (ctx.root / "empty").mkdir()
    return one_error(ctx.cli_run("report", ctx.root / "empty"))


@case("extra file in best/ with checksums rewritten: predict works, marked foreign")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "best" / "readme.txt").write_text("hi\n")
    rerecord(run)
    r = ctx.cli_run("predict", run, ctx.new)
    problems = succeeded(r)
    if r.code == 0 and "note:" not in r.err and "warning:" not in r.err:
        problems.append("a re-signed folder loads with no note that it is foreign")
    return problems


# -- the loop -----------------------------------------------------------------------------------------------------
def _on_alarm(signum: int, frame: Any) -> None:
    raise Hang()


@contextlib.contextmanager
def limits(seconds: float) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = _address_space()
    cap = used + MEMORY_HEADROOM if used else soft
    if soft != resource.RLIM_INFINITY:
        cap = min(cap, soft)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _address_space() -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    return 0


def main(work: Path) -> int:
    config = json.loads((work / "config.json").read_text())
    results_path, progress = work / "results.jsonl", work / "progress.txt"
    done = set()
    if results_path.exists():
        done = {json.loads(line)["id"] for line in results_path.read_text().splitlines() if line.strip()}
    import fuzz_driver
    from click.testing import CliRunner

    from automl.cli import cli

    fuzz_driver.lighten()  # fewer bootstrap samples in reports: the same code paths in less time
    from automl.search import clock

    # 'automl fit' counts its time budget from the process start; here one process runs every case, so each
    # command's clock starts when the command does, as it would in a process of its own
    clock.process_started = time.time
    runner = CliRunner()
    signal.signal(signal.SIGALRM, _on_alarm)
    shared: dict[str, Any] = {}
    only = set(config.get("only") or CASES)
    with results_path.open("a") as results:
        for name, fn in CASES.items():
            if name in done or name not in only:
                continue
            progress.write_text(name)
            root = work / "cases" / re.sub(r"[^A-Za-z0-9_.-]", "_", name)
            if root.exists():
                shutil.rmtree(root)
            root.mkdir(parents=True)
            ctx = Ctx(root, config, runner, cli, shared)
            started = time.monotonic()
            try:
                with limits(CASE_TIMEOUT):
                    problems = fn(ctx)
            except Hang:
                problems = [f"hang: still running after {CASE_TIMEOUT:.0f} s"]
            except Exception as exc:  # noqa: BLE001 - a case that raises is a failing case, with its traceback
                problems = [f"the case raised {type(exc).__name__}: {exc}\n{traceback.format_exc()[-1500:]}"]
            if ctx.marker.exists():
                problems.append("CODE RAN: the payload's marker file exists")
            results.write(json.dumps({"id": name, "problems": problems,
                                      "seconds": round(time.monotonic() - started, 2)}) + "\n")
            results.flush()
            shutil.rmtree(root, ignore_errors=True)
    progress.write_text("")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
