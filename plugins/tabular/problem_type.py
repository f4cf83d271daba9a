"""Which problem a tabular target is: binary, multiclass or regression, inferred or asked for.

An integer target with few values (ratings, counts, days) can be read either
way: as classes or as a number. The data alone cannot settle it, so the user
can: ``--problem-type`` names the type, and a metric that scores only one type
(``--metric rmse``) implies it. When the choice was automl's own and the other
reading was possible, the returned note says so and how to ask for the other.
Every combination that cannot work (regression on text, binary with 7 values,
``--metric rmse --problem-type multiclass``) is one error line saying what to
change, before any model is trained.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from automl.kit import UserError

PROBLEM_TYPES = ("binary", "multiclass", "regression")
CLASSIFICATION = frozenset({"binary", "multiclass"})
MAX_CLASSES_FOR_INTEGERS = 20  # more integer values than this are read as a number (see infer_kind)
SHOWN_VALUES = 5


@dataclass(frozen=True)
class Request:
    """What the user said about the problem: ``--problem-type``, and the kinds ``--metric`` scores.

    ``metric_kinds`` comes from the core (the named metric's ``MetricSpec.kinds`` for this task);
    empty when no metric was named or it scores every kind.
    """

    problem_type: str | None = None
    metric: str | None = None
    metric_kinds: frozenset[str] = frozenset()

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Request:
        given = options.get("problem_type")
        if given is not None and given not in PROBLEM_TYPES:
            raise UserError(f"--problem-type must be one of {', '.join(PROBLEM_TYPES)}, not {given!r}")
        kinds = frozenset(options.get("metric_kinds") or ()) & frozenset(PROBLEM_TYPES)
        return cls(given, options.get("metric"), kinds)


def choose_kind(values: pd.Series, name: str, request: Request) -> tuple[str, str | None]:
    """The problem type of a target (its present values) and a ``note:`` when the choice deserves one."""
    n_values = int(values.nunique())
    inferred = infer_kind(values)
    if request.problem_type is not None:
        if request.metric_kinds and request.problem_type not in request.metric_kinds:
            raise UserError(
                f"--metric {request.metric} scores {_words(request.metric_kinds)}, not a {request.problem_type} "
                f"problem; drop --metric {request.metric}, or --problem-type {request.problem_type}"
            )
        check_fits(values, name, request.problem_type, f"--problem-type {request.problem_type}")
        return request.problem_type, None
    if request.metric_kinds and inferred not in request.metric_kinds:
        if request.metric_kinds == {"regression"}:
            check_fits(values, name, "regression", f"--metric {request.metric}")
            return "regression", (f"--metric {request.metric} scores numbers: target '{name}' "
                                  f"({n_values} {_value_word(values)}) is treated as a regression")
        if "multiclass" in request.metric_kinds and _integral(values):
            return "multiclass", (f"--metric {request.metric} scores classes: target '{name}' "
                                  f"({n_values} integer values) is treated as {n_values} classes")
        return inferred, None  # no type fits the metric: the core names the metrics that do
    if request.metric_kinds or not _integral(values) or not 3 <= n_values <= MAX_CLASSES_FOR_INTEGERS:
        return inferred, None  # the user chose by the metric, or there is no real choice to point out
    if inferred == "multiclass":
        return inferred, (f"target '{name}' has {n_values} integer values: multiclass; pass --problem-type "
                          "regression to treat it as a number")
    return inferred, (f"target '{name}' has {n_values} integer values: regression (too few rows per value for "
                      "classes); pass --problem-type multiclass to treat each value as a class")


def infer_kind(values: pd.Series) -> str:
    """Two values are a binary problem; text, or integers with few values, classes; other numbers, a regression."""
    import numpy as np

    n_classes = values.nunique()
    if n_classes == 2:
        return "binary"
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "multiclass"
    with np.errstate(invalid="ignore"):  # an infinite value is not integral (and is refused later)
        integral = np.allclose(values.to_numpy(dtype=float) % 1, 0)
    if integral and n_classes <= MAX_CLASSES_FOR_INTEGERS and n_classes <= max(3, 0.1 * len(values)):
        return "multiclass"
    return "regression"


def check_fits(values: pd.Series, name: str, kind: str, asked_by: str) -> None:
    """Refuse, in one line, a type the target's values cannot have; ``asked_by`` is the option that asked."""
    n_values = int(values.nunique())
    if kind == "regression":
        numeric = pd.to_numeric(values, errors="coerce") if not pd.api.types.is_bool_dtype(values) else None
        if numeric is None or numeric.isna().any():
            bad = values.iloc[0] if numeric is None else values[numeric.isna()].iloc[0]
            raise UserError(f"{asked_by} needs a numeric target, but '{name}' holds values such as {_plain(bad)!r}; "
                            f"drop {asked_by} (its {n_values} values are then classes) or choose a numeric target")
    elif kind == "binary" and n_values != 2:
        other = "multiclass" + (" or regression" if _integral(values) else "")
        raise UserError(f"{asked_by} needs a target with 2 values, but '{name}' has {n_values} "
                        f"({_listing(values)}); pass --problem-type {other} instead")
    elif kind == "multiclass" and n_values == 2:
        raise UserError(f"{asked_by} needs 3 or more classes, but '{name}' has 2 ({_listing(values)}); "
                        "pass --problem-type binary instead")


def _integral(values: pd.Series) -> bool:
    """Whole numbers (not booleans): the targets that can be read as classes or as a number."""
    import numpy as np

    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    numbers = values.to_numpy(dtype=float)
    return bool(np.isfinite(numbers).all() and np.allclose(numbers % 1, 0))


def _words(kinds: frozenset[str]) -> str:
    if kinds == {"regression"}:
        return "numbers (regression)"
    if kinds <= CLASSIFICATION:
        return " or ".join(sorted(kinds)) + " classes"
    return " or ".join(sorted(kinds)) + " problems"


def _value_word(values: pd.Series) -> str:
    return "integer values" if _integral(values) else "values"


def _listing(values: pd.Series) -> str:
    unique = sorted(values.unique().tolist(), key=lambda v: (str(type(v)), v))
    shown = ", ".join(repr(_plain(v)) if isinstance(v, str) else str(_plain(v)) for v in unique[:SHOWN_VALUES])
    return shown + (", ..." if len(unique) > SHOWN_VALUES else "")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value
