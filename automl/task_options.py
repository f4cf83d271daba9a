"""Task options: the task-specific flags of ``automl fit`` and what the core adds for the task.

Each task declares the options it reads (``TaskSpec.options``, a tuple of
:class:`automl.specs.TaskOption`); ``automl fit`` makes its flags from them
(:mod:`automl.cli_options`). Whatever the values come from (flags,
``AutoML(options={...})``, ``fit(text_column=...)`` or a preset's
``options:``), :func:`check_given` checks them here against the same
declarations, in one line per problem: an option no task declares gets a
"did you mean"; one another task reads is refused, because an option that is
accepted and then ignored leaves the user believing it worked.

The core also tells the task which problem kinds the named metric scores
(``metric_kinds``): a metric that fits only one kind (``rmse``) can decide a
question the data alone cannot (is an integer target classes or a number?).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automl.errors import UserError
from automl.specs import TaskOption

if TYPE_CHECKING:
    from automl.catalog import Catalog
    from automl.specs import TaskSpec

_TYPE_WORDS = {str: "text", int: "a whole number", float: "a number", Path: "a path"}


def flag(name: str) -> str:
    """The ``automl fit`` flag of a task option: ``text_column`` is ``--text-col``, ``top_k`` is ``--top-k``."""
    words = name.removesuffix("_column") + "_col" if name.endswith("_column") else name
    return "--" + words.replace("_", "-")


def declared(catalog: Catalog) -> dict[str, tuple[TaskOption, list[str]]]:
    """Every option the installed tasks declare, by name, with the tasks that read it (in task order).

    Two tasks may read the same option (``text_column``: text and finetune); the first declaration gives
    its type and help. A later task declaring the same name with another type keeps the first's.
    """
    found: dict[str, tuple[TaskOption, list[str]]] = {}
    for task in catalog.tasks:
        for option in task.declared_options:
            if option.name in found:
                found[option.name][1].append(task.name)
            else:
                found[option.name] = (option, [task.name])
    return found


def check_given(task: TaskSpec, given: Mapping[str, Any], catalog: Catalog | None = None) -> dict[str, Any]:
    """The options given to ``task``, checked and in their declared types (a path made absolute).

    An option left at ``None`` (or an empty list) is not given. One :class:`UserError` for the first
    problem: an option no installed task declares (with a "did you mean" when one is close), one that
    another task reads, or a value of the wrong type or out of its choices or range.
    """
    checked: dict[str, Any] = {}
    for name, value in given.items():
        if value is None or (isinstance(value, list | tuple) and not value):
            continue
        if not task.takes_option(name):
            raise UserError(_not_for(task, name, catalog))
        option = task.option(name)
        checked[name] = value if option is None else coerce(option, value)
    return checked


def check_at_predict(task: TaskSpec, given: Mapping[str, Any]) -> dict[str, Any]:
    """The prediction options given (``top_k``...), checked: each must be one the task declares ``at_predict``."""
    checked = {}
    for name, value in given.items():
        if value is None:
            continue
        option = task.option(name)
        if option is not None and option.at_predict:
            checked[name] = coerce(option, value)
        elif task.options is None:  # a task that declares nothing reads what it knows
            checked[name] = value
        else:
            takes = ", ".join(flag(o.name) for o in task.declared_options if o.at_predict) or "none"
            raise UserError(f"{flag(name)} is not a prediction option of the {task.name} task "
                            f"(its prediction options: {takes}); remove it")
    return checked


def _not_for(task: TaskSpec, name: str, catalog: Catalog | None) -> str:
    takes = ", ".join(flag(o.name) for o in task.declared_options) or "none"
    known = declared(catalog) if catalog is not None else {}
    if catalog is not None and name not in known:
        names = sorted({*known, *(o.name for o in task.declared_options)})
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {flag(close[0])}?" if close else f" (the {task.name} task's options: {takes})"
        return f"{flag(name)} is not an option of any installed task{hint}"
    return f"{flag(name)} does not apply to the {task.name} task (its options: {takes}); remove it"


def coerce(option: TaskOption, value: Any) -> Any:
    """``value`` as ``option`` declares it, or one :class:`UserError` naming the option's flag."""
    if option.multiple:
        values = list(value) if isinstance(value, list | tuple) else [value]
        return [_one(option, v) for v in values]
    if isinstance(value, list | tuple):
        raise UserError(f"{flag(option.name)} takes one value, not a list ({_shown(value)}); give one")
    return _one(option, value)


def _one(option: TaskOption, value: Any) -> Any:
    wanted = _TYPE_WORDS[option.type]
    where = flag(option.name)
    if option.type is Path:
        if not isinstance(value, str | os.PathLike) or not str(value):
            raise UserError(f"{where} must be {wanted} to a file or folder, not {_shown(value)}")
        return str(Path(value).expanduser().resolve())
    if option.type is str:
        if not isinstance(value, str) or not value:
            raise UserError(f"{where} must be {wanted}, not {_shown(value)}")
        if option.choices and value not in option.choices:
            close = difflib.get_close_matches(value, option.choices, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UserError(f"{where} must be one of {', '.join(option.choices)}, not {value!r}{hint}")
        return value
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or (option.type is int and isinstance(value, float) and not value.is_integer()):
        raise UserError(f"{where} must be {wanted}, not {_shown(value)}")
    number = int(value) if option.type is int else float(value)
    if option.minimum is not None and number < option.minimum:
        raise UserError(f"{where} must be at least {option.minimum:g}, not {number:g}")
    if option.maximum is not None and number > option.maximum:
        raise UserError(f"{where} must be at most {option.maximum:g}, not {number:g}")
    return number


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def metric_hint(catalog: Catalog, task: str, metric: str | None) -> dict[str, Any]:
    """``metric`` and the problem kinds it scores for ``task`` (``metric_kinds``), for the task's ``load``.

    Empty when no metric is named, the name is unknown (the core refuses it later, listing the valid ones),
    or the metric scores every kind: then it says nothing about the problem.
    """
    if not metric:
        return {}
    specs = [spec for spec in catalog.metrics if spec.name == metric and task in spec.tasks]
    if not specs or any(not spec.kinds for spec in specs):
        return {}
    return {"metric": metric, "metric_kinds": sorted({kind for spec in specs for kind in spec.kinds})}
