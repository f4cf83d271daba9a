"""The ``automl`` command.

Only click is imported at start-up; every command imports what it needs, so
``automl --help`` never loads torch, transformers or LightGBM. A
:class:`~automl.errors.UserError` becomes one ``error:`` line and exit code 2;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from automl.cli_options import TaskOptionsCommand, given_task_options
from automl.errors import ForeignRunWarning, UnverifiedRunWarning, UserError

if TYPE_CHECKING:
    from automl.workflow import FitOptions

EXIT_USER_ERROR = 2


class AutoMLGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {_line(exc)}", err=True)
            ctx.exit(EXIT_USER_ERROR)
        except click.ClickException as exc:  # a usage error quotes what was typed: shown, never obeyed
            exc.message = _line(exc.message)
            raise
        except Exception as exc:
            if type(exc).__module__.split(".")[0] != "sqlalchemy" or (ctx.obj and ctx.obj.get("debug")):
                raise
            from automl.storage import error_line

            # a database error (never with its password): one line, like a user error
            click.echo(f"error: the study's storage failed: {_line(error_line(exc))}", err=True)
            ctx.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo(_line(_interrupted((ctx.obj or {}).get("run"))), err=True)
            ctx.exit(130)


def _interrupted(run: Path | None) -> str:
    """What Ctrl-C leaves: the command that continues the run, with its real folder, once the folder exists."""
    if run is None:
        return "interrupted"
    if not (run / "run.json").is_file():
        return f"interrupted before the run folder {run} was made; nothing was saved"
    from automl.runs import quoted_command

    return f"interrupted: completed trials are saved; continue with {quoted_command('automl', 'resume', run)}"


def _line(text: object) -> str:
    """One line for the terminal: no secret (:func:`automl.redact.scrub`), no raw control character."""
    from automl.redact import scrub
    from automl.terminal import printable

    return printable(scrub(str(text)))


def _echo(message: str) -> None:
    """A ``note:``, progress or result line on stderr, made safe by :func:`_line`."""
    click.echo(_line(message), err=True)


def _out(text: str, nl: bool = True, data: bool = False) -> None:
    """Standard output: a table or listing automl laid out, or ``data`` (CSV, JSON, Markdown) kept exact
    when it goes to a pipe or a file; on a terminal, control characters in either are shown as escapes."""
    from automl.terminal import printable_lines

    if data and not sys.stdout.isatty():  # exact: click.echo would strip what looks like a colour code
        sys.stdout.write(text + ("\n" if nl else ""))
        sys.stdout.flush()
        return
    click.echo(printable_lines(text), nl=nl)


@click.group(cls=AutoMLGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="automl")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Plugin-based AutoML: a CSV or a folder in; a tuned model, a leaderboard and a report out."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    from automl.redact import remember
    from automl.terminal import safe_log_lines

    remember(sys.argv)  # a secret typed on the command line is scrubbed from every message
    safe_log_lines()
    _plugin_warnings_as_one_line()


def _plugin_warnings_as_one_line() -> None:
    """A plugin that fails to import is reported once, as one ``warning:`` line."""
    import warnings

    from automl.journal import JournalNote
    from automl.plugins import DISABLE_ENV, PluginLoadWarning

    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001, ANN202
        if issubclass(category, PluginLoadWarning):
            click.echo(f"warning: {_line(message)} (hide it with {DISABLE_ENV}=<name>)", err=True)
        elif issubclass(category, UnverifiedRunWarning):
            click.echo(f"warning: {_line(message)}", err=True)
        elif issubclass(category, ForeignRunWarning | JournalNote):
            click.echo(f"note: {_line(message)}", err=True)
        else:
            default(_line(message), category, filename, lineno, file, line)

    warnings.showwarning = show
    warnings.filterwarnings("once", category=PluginLoadWarning)


@cli.command(cls=TaskOptionsCommand)
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--target", help="Column to predict.")
@click.option("--task", default="auto", show_default=True, help="Task plugin, or auto to detect it.")
@click.option("--metric", help="Metric to optimise (default: the task's).")
@click.option("--time-budget", type=float, default=300.0, show_default=True, help="Wall seconds for the whole run.")
@click.option("--trials", type=int, help="Stop after this many trials.")
@click.option("--trial-timeout", type=float,
              help="Seconds one trial may take; trials then run in a child process, killed when it is over.")
@click.option("--workers", type=int, default=1, show_default=True, help="Local search processes.")
@click.option("--storage", help="Optuna storage URL (e.g. postgresql://user@host/db; the password may come from "
                               "PGPASSWORD) instead of the run's journal; other machines join with 'automl worker'.")
@click.option("--study", "study_name", help="The study's name in --storage (default: automl); one per run.")
@click.option("--artifacts", help="Where trials' models go: a folder every worker can reach (NFS) or "
                                  "s3://bucket/prefix (needs boto3). Default: the run's artifacts/.")
@click.option("--run-dir", type=click.Path(path_type=Path), help="Run directory (default: runs/<data name>).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--models", help="Comma-separated model keys to search (default: all of the task's).")
@click.option("--force", is_flag=True,
              help="Replace an existing run in --run-dir (only automl's own files are deleted; a folder holding "
                   "anything else, or the data, is refused).")
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.option("--preset", help="A use-case preset (see 'automl presets') or a preset .yaml file: its task, metric, "
                               "budget and options are the defaults, and the report uses its words.")
def fit(path: Path, target: str | None, task: str, metric: str | None, time_budget: float, trials: int | None,
        trial_timeout: float | None, workers: int, storage: str | None, study_name: str | None,
        artifacts: str | None, run_dir: Path | None, seed: int, models: str | None, force: bool, quiet: bool,
        preset: str | None, **task_flags: Any) -> None:
    """Search for the best model for the data at PATH."""
    from automl.api import Run
    from automl.search import isolation
    from automl.search.clock import process_started
    from automl.workflow import FitOptions, default_run_dir, start_run

    isolation.allow_budget_forks()  # this process runs no model while searching: each trial can be killed

    options = FitOptions(task_options=given_task_options(task_flags),
        task=task, target=target, metric=metric, time_budget=time_budget, trials=trials, workers=workers,
        storage=storage, study=study_name, artifacts=artifacts, run_dir=run_dir, seed=seed,
        trial_timeout=trial_timeout, force=force, quiet=quiet,
        models=[m.strip() for m in models.split(",") if m.strip()] if models is not None else None,
        started=process_started(),  # the budget counts the command's start-up and data loading too
    )
    if preset:
        options = _apply_preset(preset, options)
    _remember_run(Path(options.run_dir) if options.run_dir else default_run_dir(path))
    run = start_run(path, options, echo=_echo, open_run=Run)
    _finish(run.path, deadline=None if options.time_budget is None else options.started + options.time_budget)


def _apply_preset(name_or_path: str, options: FitOptions) -> FitOptions:
    """The preset's values fill in every fit option the user did not type on the command line."""
    from click.core import ParameterSource

    from automl import presets
    from automl.catalog import build_catalog

    catalog = build_catalog()
    chosen = presets.load(name_or_path, catalog.pm)
    presets.check(chosen, catalog)
    ctx = click.get_current_context()
    explicit = {name for name in presets.PRESET_FIELDS
                if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP, None)}
    options = presets.apply(chosen, options, explicit)
    _echo(presets.describe(chosen, options))
    return options


def _remember_run(path: Path) -> None:
    """The run folder this command works on, for the hint printed if it is interrupted."""
    click.get_current_context().obj["run"] = path


def _finish(path: Path, deadline: float | None = None) -> None:
    """Print the leaderboard and write the report; ``deadline`` is when the fit's time budget ends."""
    from automl.api import Run
    from automl.evidence import budget
    from automl.leaderboard import TABLE_ROWS, render

    run = Run.load(path)
    with budget.ending_by(deadline):  # the report's optional parts shrink to what is left of the budget
        report = run.report()
    _out(render(run.leaderboard_rows(), "table", limit=TABLE_ROWS))
    _out(_line(f"model: {run.dir.best}"))
    _out(_line(f"report: {report}"))


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--storage", help="Storage URL, if the run uses an external one.")
@click.option("--quiet", is_flag=True)
def resume(run_dir: Path, storage: str | None, quiet: bool) -> None:
    """Continue an interrupted run until its budget is used."""
    from automl.api import Run
    from automl.search import isolation
    from automl.workflow import resume_run

    isolation.allow_budget_forks()
    _remember_run(run_dir)
    resume_run(run_dir, quiet=quiet, storage=storage, echo=_echo, open_run=Run)
    _finish(run_dir)


@cli.command()
@click.argument("run_dir", required=False, type=click.Path(path_type=Path))
@click.option("--storage", help="Storage URL shared by the workers (the password may come from PGPASSWORD).")
@click.option("--study", "study_name", help="With --storage and no RUN_DIR: the study to join ('automl fit --study').")
@click.option("--threads", type=click.IntRange(min=1),
              help="Threads for this worker's models (default: every CPU it may run on). Several workers on one "
                   "machine: give each its share, or pin them with taskset.")
def worker(run_dir: Path | None, storage: str | None, study_name: str | None, threads: int | None) -> None:
    """Join a run's search as one more worker, until its budget is used.

    RUN_DIR is the run folder (local or on a shared mount). On a machine without
    it, 'automl worker --storage URL --study NAME' reads the run from the study;
    the training data and the artifact folder must then be at the same paths.
    """
    import os

    from automl.workflow import REMOTE_WORKER_INDEX, worker_main

    worker_main(str(run_dir) if run_dir else None, index=REMOTE_WORKER_INDEX + os.getpid() % 100_000, deadline=None,
                max_trials=None, storage=storage, study_name=study_name, threads=threads)


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "md", "json"]), default="table", show_default=True)
def leaderboard(run_dir: Path, fmt: str) -> None:
    """Show every trial of a run, best first."""
    from automl.api import Run
    from automl.leaderboard import render

    _out(render(Run.load(run_dir).leaderboard_rows(), fmt), nl=fmt == "table", data=fmt != "table")


@cli.command(cls=TaskOptionsCommand, at_predict=True)
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("input_path", required=False, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path),
              help="CSV file to write (default: standard output); never the input, nor inside a run folder.")
@click.option("--overwrite", is_flag=True, help="Replace the --out file if it exists.")
def predict(run_dir: Path, input_path: Path | None, out: Path | None, overwrite: bool, **task_flags: Any) -> None:
    """Predict INPUT_PATH with the final model of RUN_DIR (a forecast needs no INPUT_PATH: the next periods)."""
    from automl.api import Run
    from automl.search.counts import plural
    from automl.userdata import check_out, write_output

    if out:
        check_out(out, overwrite, inputs=[input_path])  # before the model loads: nothing is lost on a typo
    predictions = Run.load(run_dir).predict(input_path, **given_task_options(task_flags))
    if out:
        write_output(out, predictions.to_csv(index=False))
        _echo(f"wrote {plural(len(predictions), 'prediction')} to {out}")
    else:
        _out(predictions.to_csv(index=False), nl=False, data=True)


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path),
              help="HTML file to write (a .md is written beside it), outside any run folder.")
@click.option("--overwrite", is_flag=True, help="Replace the --out files if they exist.")
@click.option("--slice-by", help="A column of the training data: the score for each of its groups (fairness).")
def report(run_dir: Path, out: Path | None, overwrite: bool, slice_by: str | None) -> None:
    """Write the stakeholder report of a run: report.html (self-contained) and report.md."""
    from automl.api import Run
    from automl.userdata import check_out

    if out:
        if out.suffix.lower() == ".md":  # the .md is written beside the HTML: the HTML would be lost under it
            raise UserError(f"--out {out}: name the HTML file ({out.with_suffix('.html')}); the .md goes beside it")
        for path in (out, out.with_suffix(".md")):
            check_out(path, overwrite)
    html_path = Run.load(run_dir).report(out, slice_by=slice_by)
    _out(_line(f"report: {html_path}"))
    _out(_line(f"        {html_path.with_suffix('.md')}"))


@cli.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "md", "json"]), default="table",
              show_default=True, help="Format for standard output.")
@click.option("--out", type=click.Path(path_type=Path),
              help="File to write instead; its suffix picks the format: .html, .md, .csv or .json.")
@click.option("--overwrite", is_flag=True, help="Replace the --out file if it exists.")
def compare(run_dirs: tuple[Path, ...], fmt: str, out: Path | None, overwrite: bool) -> None:
    """Several runs on one leaderboard, with the best score of each (runs of the same data or not)."""
    from automl.compare import compare_runs, write_comparison
    from automl.userdata import check_out

    if out is not None:
        check_out(out, overwrite)
        _out(_line(f"comparison: {write_comparison(run_dirs, out)}"))
    else:
        _out(compare_runs(run_dirs, fmt), nl=False, data=fmt != "table")  # every format ends with its own newline


@cli.command("presets")
def presets_command() -> None:
    """The use-case presets the plugins register, for 'automl fit --preset NAME'."""
    from automl.presets import listing, registered

    for line in listing(registered()):
        _out(_line(line))


@cli.command()
def plugins() -> None:
    """Installed plugins with their tasks, models and metrics."""
    from automl.catalog import build_catalog
    from automl.plugins import installed_plugins

    catalog = build_catalog()
    declared = installed_plugins()  # where each comes from: its entry point ('module' or 'module:object')
    for name, plugin in catalog.pm.list_name_plugin():
        if plugin is None:
            continue
        tasks = catalog.tasks.owned_by(name)
        models = [k.split(":", 1)[1] for k in catalog.models.owned_by(name)]
        metrics = sorted({k.split(":", 1)[1] for k in catalog.metrics.owned_by(name)})
        click.echo(f"{name}  ({declared.get(name) or getattr(plugin, '__name__', type(plugin).__name__)})")
        click.echo(f"  tasks:   {', '.join(tasks) or '-'}")
        click.echo(f"  models:  {', '.join(models) or '-'}")
        click.echo(f"  metrics: {', '.join(metrics) or '-'}")
    for broken in getattr(catalog.pm, "broken", []):
        _out(_line(f"{broken.name}  BROKEN ({broken.module}): {broken.error}"))


@cli.group("plugin")
def plugin_group() -> None:
    """Write your own plugin."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--dir", "folder", type=click.Path(path_type=Path), help="Folder to create (default: ./automl-NAME).")
@click.option("--force", is_flag=True, help="Write into an existing non-empty folder, overwriting generated files.")
def plugin_new(name: str, folder: Path | None, force: bool) -> None:
    """Scaffold the plugin package automl-NAME: a toy task, two models, a metric and tests."""
    from automl.scaffold import PluginNames, default_folder, render_plugin

    written = render_plugin(name, folder, force=force)
    names = PluginNames.from_name(name)
    root = folder if folder is not None else default_folder(name)
    for path in written:
        click.echo(f"  {path}")
    click.echo(f"created plugin {names.distribution} (task '{names.task}') in {root}; next:")
    click.echo(f"  cd {root} && pip install -e . && automl plugins && python -m pytest -q")


def main() -> None:
    cli(prog_name="automl")


if __name__ == "__main__":
    main()
