"""What the cases of the hostile corpus share: the registry, the checks, the payloads, the context of a case.

The cases live in the themed modules ``hostile_cases_*.py``, each registering
its cases with :func:`case` into :data:`CASES`; the child process
(``python hostile.py WORK``) imports them in section order and runs them. The
registry lives here, in a module that is never run as a script, so that the
child (which is ``__main__``) and the case modules share the one ``CASES``: a
``from hostile import case`` in a case module would load a second copy of
hostile.py with a registry of its own.

Each check returns a list of problems (``[]`` is a pass); :func:`one_error`
is the safe outcome of most attacks: exit 2 with exactly one ``error:`` line
(``warning:`` and ``note:`` lines may precede it), no traceback and no raw
control character on the terminal.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import re
import shutil
import sys
import traceback
import zipfile
from collections.abc import Callable
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


# -- hostile names, shared by the cases ---------------------------------------------------------------------------

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



ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"  # a window title, a screen clear and a colour


def tear_journal(run: Path) -> None:
    """Cut ``study.journal`` mid-line, as a process killed while appending leaves it."""
    text = (run / "study.journal").read_bytes()
    (run / "study.journal").write_bytes(text[: len(text) - 37])
