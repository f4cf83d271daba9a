"""The task flags of ``automl fit`` and ``automl predict``, made from the options the installed tasks declare.

No task flag is written in :mod:`automl.cli`: a task plugin declares its
options (:class:`automl.specs.TaskOption`) and its flags appear here, listed
under the task in ``--help``. The catalog is built only when one of these
commands runs or shows its help, so ``automl --help`` still imports no plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from automl.specs import TaskOption

_CLICK_TYPES: dict[type, Any] = {str: click.STRING, int: click.INT, float: click.FLOAT,
                                 Path: click.Path(path_type=Path)}
_CACHE_KEY = "automl.task_flags"


class TaskOptionsCommand(click.Command):
    """A command whose task flags come from the catalog; ``at_predict`` keeps those that apply to predictions.

    The flags are built once per invocation (kept on the click context), so a
    plugin registered in-process between two invocations gets its flags too.
    """

    def __init__(self, *args: Any, at_predict: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.at_predict = at_predict

    def task_flags(self, ctx: click.Context) -> list[tuple[click.Option, list[str]]]:
        """The generated options, each with the tasks that read it."""
        if _CACHE_KEY not in ctx.meta:
            ctx.meta[_CACHE_KEY] = self._build(ctx)
        return ctx.meta[_CACHE_KEY]

    def _build(self, ctx: click.Context) -> list[tuple[click.Option, list[str]]]:
        from automl.catalog import build_catalog
        from automl.task_options import declared

        own = {param.name for param in self.params}
        built = []
        for name, (option, tasks) in declared(build_catalog()).items():
            if name in own or (self.at_predict and not option.at_predict):
                continue  # a task option may not shadow one of the command's own
            built.append((_click_option(option, show_default=not self.at_predict), tasks))
        return built

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        generated = [option for option, _ in self.task_flags(ctx)]
        help_option = self.get_help_option(ctx)
        if help_option is not None and params and params[-1] is help_option:
            return [*params[:-1], *generated, help_option]
        return [*params, *generated]

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command's own options, then one section per task with the task's own flags."""
        flags = self.task_flags(ctx)
        generated = {id(option) for option, _ in flags}
        own = [p.get_help_record(ctx) for p in self.get_params(ctx)
               if isinstance(p, click.Option) and id(p) not in generated]
        with formatter.section("Options"):
            formatter.write_dl([record for record in own if record])
        by_task: dict[str, list[tuple[str, str]]] = {}
        for option, tasks in flags:
            record = option.get_help_record(ctx)
            for task in tasks:
                if record:
                    by_task.setdefault(task, []).append(record)
        for task, records in sorted(by_task.items()):
            with formatter.section(f"Options of the {task} task"):
                formatter.write_dl(records)


def _click_option(option: TaskOption, show_default: bool) -> click.Option:
    from automl.task_options import flag

    help_text = option.help
    if option.multiple and "repeat" not in help_text.lower():
        help_text += " Repeat it for several."
    if option.minimum is not None or option.maximum is not None:
        low = "" if option.minimum is None else f"{option.minimum:g}"
        high = "" if option.maximum is None else f"{option.maximum:g}"
        help_text += f"  [range: {low}..{high}]"
    if show_default and option.default is not None:
        help_text += f"  [default: {option.default}]"
    return click.Option(
        [flag(option.name), option.name],
        type=click.Choice(option.choices) if option.choices else _CLICK_TYPES[option.type],
        multiple=option.multiple,
        default=None,  # not given: the task decides (the declared default is only shown)
        help=help_text,
    )


def given_task_options(values: dict[str, Any]) -> dict[str, Any]:
    """The task flags that were given, as the task options they set (a repeated flag is a list)."""
    given = {}
    for name, value in values.items():
        if value is None or value == ():
            continue
        given[name] = [str(v) if isinstance(v, Path) else v for v in value] if isinstance(value, tuple) \
            else str(value) if isinstance(value, Path) else value
    return given
