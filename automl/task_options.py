"""Task options: the task-specific flags of ``automl fit`` and what the core adds for the task.

The flags (``--text-col``, ``--horizon``, ``--problem-type``...) reach a task as
keys of ``FitOptions.task_options`` (``text_column``, ``horizon``,
``problem_type``). A task declares the keys it reads (``TaskSpec.options``);
any other key given to it is refused here, in one line, because an option that
is accepted and then ignored leaves the user believing it worked.

The core also tells the task which problem kinds the named metric scores
(``metric_kinds``): a metric that fits only one kind (``rmse``) can decide a
question the data alone cannot (is an integer target classes or a number?).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from automl.errors import UserError

if TYPE_CHECKING:
    from automl.catalog import Catalog
    from automl.specs import TaskSpec


def flag(name: str) -> str:
    """The ``automl fit`` flag of a task option: ``text_column`` is ``--text-col``, ``top_k`` is ``--top-k``."""
    words = name.removesuffix("_column") + "_col" if name.endswith("_column") else name
    return "--" + words.replace("_", "-")


def check_given(task: TaskSpec, given: Mapping[str, Any]) -> None:
    """Refuse, in one line, the first option the task does not read (an option left at ``None`` is not given)."""
    foreign = [name for name, value in given.items() if value is not None and not task.takes_option(name)]
    if not foreign:
        return
    takes = ", ".join(flag(name) for name in task.options or ()) or "none"
    raise UserError(f"{flag(foreign[0])} does not apply to the {task.name} task (its options: {takes}); remove it")


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
