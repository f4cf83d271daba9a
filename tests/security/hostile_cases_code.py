"""The hostile corpus, sections 1 and 2: no code runs when a run is loaded, and no secret leaks.

Pickle and skops payloads (each creates a marker file if it runs) planted in a
run's artifacts, fold archives and final model, with the checksums rewritten
as an attacker would; and database passwords given on the command line or in
the environment, which must be printed and written nowhere.

Registered into hostile_kit.CASES when imported (hostile.py imports the case
modules in section order, which is the order the corpus runs in). Each case
returns its problems; ``[]`` is the safe outcome.
"""

from __future__ import annotations

import io
import pickle
import re
from pathlib import Path

from hostile_kit import (
    RESUMING,
    SECRET,
    Ctx,
    Payload,
    absent,
    case,
    files_containing,
    gadget_skops,
    member,
    ok_or_one_error,
    one_error,
    pickle_payload,
    replace_artifact,
    rerecord,
    zip_bytes,
)


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
    found = []  # no exemption: a trial child's result comes back as JSON and raw arrays (automl/search/wire.py)
    for folder in ("automl", "plugins"):
        for path in (repo / folder).rglob("*.py"):
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
