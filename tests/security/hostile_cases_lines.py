"""The hostile corpus, section 6 and the image weights: every refusal is one line and exit 2.

Run folders and outputs that cannot be written, torn and garbage journals,
inputs of the wrong shape, the Python API's errors, and tampered image
network weights (torch): each ends in exactly one ``error:`` line.

Registered into hostile_kit.CASES when imported (hostile.py imports the case
modules in section order, which is the order the corpus runs in). Each case
returns its problems; ``[]`` is the safe outcome.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hostile_kit import (
    RESUMING,
    Ctx,
    Payload,
    Result,
    api_user_error,
    case,
    edit_json,
    ok_or_one_error,
    one_error,
    rerecord,
    tear_journal,
)


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


@case("study.journal cut mid-line: leaderboard")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    tear_journal(run)
    return ok_or_one_error(ctx.cli_run("leaderboard", run))


@case("study.journal cut mid-line: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    tear_journal(run)
    return ok_or_one_error(ctx.cli_run("resume", run, "--quiet"), progress=RESUMING)


@case("study.journal cut mid-line: report")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    tear_journal(run)
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
