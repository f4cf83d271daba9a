"""The hostile corpus, sections 3 and 4: the user's data is never destroyed, and resources stay bounded.

``--force``, ``--out`` and ``--overwrite`` aimed at the user's files and at
the run's own; and inputs built to exhaust memory, time or threads (huge
declared arrays, sparse 2 GB files, FIFOs, ``/dev/zero``, absurd worker counts).

Registered into hostile_kit.CASES when imported (hostile.py imports the case
modules in section order, which is the order the corpus runs in). Each case
returns its problems; ``[]`` is the safe outcome.
"""

from __future__ import annotations

import io
import os

from hostile_kit import (
    Ctx,
    case,
    digest,
    member,
    ok_or_one_error,
    one_error,
    rerecord,
    succeeded,
    unchanged,
    zip_bytes,
)


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
