"""The plain data that plugins register, and the objects the core hands them.

Tasks, models and metrics are frozen dataclasses so a plugin cannot change a
spec after registering it, and the core can check them all the same way.
Predictions are opaque to the core: a task decides what its models output
(class probabilities, values, rankings) and its metrics read that output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

import numpy as np

if TYPE_CHECKING:  # pandas is imported lazily so that `automl --help` stays fast
    import pandas as pd

DataSource: TypeAlias = "str | Path | pd.DataFrame"
Fold = tuple[np.ndarray, np.ndarray]
Direction = Literal["maximize", "minimize"]


class Estimator(Protocol):
    """What ``ModelSpec.build`` returns.

    ``predict`` returns the task's raw output (for classifiers, an array of
    class probabilities with one column per class), which metrics and ensembles
    consume directly. ``refit_params`` returns the parameters to use when
    refitting on all the data, e.g. the number of boosting rounds early stopping
    found; the default, ``{}``, means "refit with the searched parameters". A
    class that subclasses ``Estimator`` inherits that default; one that only
    matches the protocol may leave the method out (:func:`refit_params_of`).
    """

    def fit(self, X: Any, y: Any, X_valid: Any = None, y_valid: Any = None) -> Estimator: ...

    def predict(self, X: Any) -> np.ndarray: ...

    def refit_params(self) -> dict[str, Any]:
        """The parameters to refit with on all the data; ``{}``: the trial's searched parameters."""
        return {}


def refit_params_of(estimator: Any) -> dict[str, Any]:
    """``estimator.refit_params()``, or ``{}`` (refit with the searched parameters) when it has none.

    Third-party models matched the protocol before ``refit_params`` was part of
    it and do not subclass ``Estimator``, so they lack the default body; they
    must keep working. A value that is not a dict counts as ``{}`` too.
    """
    method = getattr(estimator, "refit_params", None)
    found = method() if callable(method) else None
    return dict(found) if isinstance(found, dict) else {}


@dataclass(frozen=True)
class MetricSpec:
    """A score for a task. ``fn(y_true, raw_prediction) -> float``.

    The last three fields tell the report how to put a bootstrap interval
    around the score, which must resample what the score averages over: a
    metric that is a mean over something other than rows (NDCG over users)
    gives ``unit_scores(y_true, raw_prediction)``, one value per unit whose
    mean is ``fn``'s score, and names the unit (``"users"``); resampling its
    rows instead would drop some of each user's held-out items and bias every
    resample below the score. ``bootstrap=False`` says no interval means
    anything (a property of the whole set, like catalogue coverage).

    ``tie_breaker`` marks a smooth score of the same predictions (log-loss)
    that settles ties of a coarse one: trials whose accuracy or F1 are equal,
    or within one bootstrap standard error, are ordered by it. At most one
    metric of a task and kind should set it; it must be minimised.
    """

    name: str
    fn: Callable[[np.ndarray, np.ndarray], float]
    direction: Direction
    needs_proba: bool = False
    tasks: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    description: str = ""
    unit: str = "rows"
    unit_scores: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    bootstrap: bool = True
    tie_breaker: bool = False

    def applies_to(self, task: str, kind: str) -> bool:
        return task in self.tasks and (not self.kinds or kind in self.kinds)

    def better(self, a: float, b: float) -> bool:
        """True when score ``a`` is strictly better than ``b``."""
        return a > b if self.direction == "maximize" else a < b

    def worst(self) -> float:
        return -np.inf if self.direction == "maximize" else np.inf


@dataclass
class Dataset:
    """A loaded training set, ready for a task's splits and models.

    ``schema`` is JSON-serialisable: it is saved beside the final model and is
    everything the task needs to check and prepare new data at predict time.
    """

    task: str
    kind: str
    X: Any
    y: np.ndarray | None
    schema: dict[str, Any]
    classes: list[Any] | None = None
    ids: pd.Series | None = None
    notes: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.X)


@dataclass
class Batch:
    """New data prepared for prediction, with the ids to write beside it."""

    X: Any
    ids: pd.Series | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SearchContext:
    """What a model's search space and builder may know about the run."""

    task: str
    kind: str
    metric: MetricSpec
    seed: int = 0
    n_threads: int = 1
    classes: list[Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    deadline: float | None = None
    reporter: Callable[[int, float], None] | None = None

    def report(self, step: int, value: float) -> None:
        """Report an intermediate validation score; may raise ``optuna.TrialPruned``."""
        if self.reporter is not None:
            self.reporter(step, value)

    def time_left(self) -> float:
        return np.inf if self.deadline is None else self.deadline - time.time()

    def out_of_time(self) -> bool:
        return self.time_left() <= 0


@dataclass(frozen=True)
class ModelSpec:
    """A model family for one task: its search space, builder and file format.

    ``defaults`` is a known-good configuration, queued before the search when
    ``cheap`` is true so a baseline exists within seconds. ``portfolio`` holds
    further strong starting points, queued after the defaults. A ``baseline``
    (seasonal naive, popularity) is searched and shown for reference but never
    blended into a task's family-champion combination. ``cost_params`` names
    the numeric parameters a trial's time grows in proportion to (trees,
    epochs, iterations; ``"1/x"`` for one it shrinks with, as early-stopped
    boosting's rounds with ``1/learning_rate``): the search scales the
    family's measured time by them to decide whether a trial still fits in
    the time budget.
    """

    key: str
    task: str
    search_space: Callable[[Any, SearchContext], dict[str, Any]]
    build: Callable[[dict[str, Any], SearchContext], Estimator]
    save: Callable[[Estimator, Path], None]
    load: Callable[[Path], Estimator]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    portfolio: tuple[Mapping[str, Any], ...] = ()
    kinds: tuple[str, ...] = ()
    cheap: bool = True
    baseline: bool = False
    description: str = ""
    cost_params: tuple[str, ...] = ()
    preload: tuple[str | Callable[[], object], ...] = ()

    def supports(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


@dataclass(frozen=True)
class TaskWords:
    """How a task's report speaks to someone who never trained a model.

    The core writes the summary, the hints and the leaderboard notes for every
    task, but only the task knows that it predicts the team of a *message*, the
    class of an *image* or the next periods of a *series*: so the task declares
    its words and the core fills them in. A use-case preset (its ``wording``,
    docs/presets.md) still overrides them; a task that declares none
    gets neutral words ("rows", the metric's own name).

    ``unit``/``units`` name one example, singular and plural. ``predicts`` is
    the phrase after "predicting" in the report's first line, and may name
    ``{target}`` (the column the user chose, quoted, else ``target``) or a task
    option (``{top_k}``: its value in the run, else ``placeholders``). ``target``
    is the thing predicted when the data names no column (an image's "class").
    ``metrics`` gives plain names ({"roc_auc": "ranking quality (AUC)"});
    ``glossary`` gives a one-line gloss of each jargon term the task's report
    uses ({"backtest": "..."}), shown the first time the report uses the term;
    ``metric_glosses`` one for each metric, shown when the run optimises it.
    """

    unit: str = "row"
    units: str = "rows"
    predicts: str = "{target}"
    target: str = "the target"
    metrics: Mapping[str, str] = field(default_factory=dict, hash=False)
    glossary: Mapping[str, str] = field(default_factory=dict, hash=False)
    metric_glosses: Mapping[str, str] = field(default_factory=dict, hash=False)
    placeholders: Mapping[str, str] = field(default_factory=dict, hash=False)

    def count(self, n: int) -> str:
        """``1 image``, ``2 images``."""
        return f"{n:,} {self.unit if n == 1 else self.units}"

    def metric(self, name: str) -> str:
        """The metric's plain name, else its own."""
        return self.metrics.get(name, name)


OPTION_TYPES: tuple[type, ...] = (str, int, float, Path)


@dataclass(frozen=True)
class TaskOption:
    """One option a task reads, declared once: the ``automl fit`` flag, the key of
    ``AutoML(options={...})`` and of a preset's ``options:``, and the help line.

    The flag is made from ``name``: ``text_column`` is ``--text-col``, ``top_k``
    is ``--top-k``. ``type`` is ``str``, ``int``, ``float`` or ``Path`` (a file
    or folder the task reads: made absolute, so a resumed run finds it, and
    never deleted by ``--force``). ``choices`` limits the values; ``multiple``
    lets the flag repeat, and the task then gets a list. ``minimum`` and
    ``maximum`` bound a number. ``default`` is the value the task uses when the option is not given
    (shown in the help); ``None`` means the task decides from the data, as
    ``help`` should say. ``at_predict`` makes it an option of ``automl
    predict`` and ``Run.predict`` too (recommend's ``top_k``).

    Every value given, from the command line, Python or a preset, is checked
    against this declaration before the task sees it.
    """

    name: str
    help: str
    type: type = str
    choices: tuple[str, ...] = ()
    multiple: bool = False
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None
    at_predict: bool = False

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or not self.name.islower():
            raise ValueError(f"task option {self.name!r}: the name must be a lower-case Python identifier")
        if self.type not in OPTION_TYPES:
            raise ValueError(f"task option {self.name!r}: type must be one of str, int, float, Path")
        if self.choices and self.type is not str:
            raise ValueError(f"task option {self.name!r}: choices are for str options")


@dataclass(frozen=True)
class TaskSpec:
    """A kind of problem: how to recognise, load, split and predict its data.

    ``needs_input`` is false for a task that can predict from its model alone
    (a forecast of the periods after the training data): ``prepare`` then gets
    ``None`` when the user gives no file. ``fold_models_serve`` is false when a
    model fitted on a validation fold cannot stand in for the refit (a fold's
    forecaster forecasts its backtest window, not the future).

    ``combination`` is how the final blend is chosen: ``greedy`` ensemble
    selection on the validation predictions, or ``family_champions``, the
    equal-weight mean of each model family's best trial. Greedy weights fit the
    validation data; where that data is a few backtest windows (forecasting),
    equal weights over different families predict the future better (the
    "forecast combination puzzle", borne out by the M3 and M4 competitions).

    ``words`` is how its report speaks (:class:`TaskWords`); ``None`` gives neutral words.
    ``report(run)`` returns the task's own report sections
    (:class:`automl.kit.Section`, rendered and escaped by the core), asked for
    only for runs of this task; a cross-cutting plugin uses the
    ``automl_report_sections`` hook instead.

    ``options`` declares the task options it reads (:class:`TaskOption`:
    ``problem_type``, ``text_column``, ``horizon``...); ``automl fit`` makes a
    flag of each (``--text-col`` for ``text_column``). Any other option given
    to the task is refused in one line rather than silently ignored. A plain
    name instead of a declaration still works (a text option with no help).
    """

    name: str
    detect: Callable[[DataSource, Mapping[str, Any]], float]
    load: Callable[[DataSource, Mapping[str, Any]], Dataset]
    split: Callable[[Dataset, int], list[Fold]]
    default_metric: Callable[[Dataset], str]
    prepare: Callable[[DataSource, Mapping[str, Any]], Batch]
    format_predictions: Callable[[np.ndarray, Batch, Mapping[str, Any]], pd.DataFrame]
    sample_data: Callable[[Path], tuple[DataSource, dict[str, Any]]] | None = None
    ensemble: bool = True
    combination: Literal["greedy", "family_champions"] = "greedy"
    needs_input: bool = True
    fold_models_serve: bool = True
    description: str = ""
    options: tuple[TaskOption | str, ...] | None = None
    words: TaskWords | None = None
    report: Callable[[Any], Sequence[Any] | None] | None = None

    def __post_init__(self) -> None:
        if self.options is not None:  # a bare name is a text option; one declaration type from here on
            declared = tuple(o if isinstance(o, TaskOption) else TaskOption(o, "") for o in self.options)
            object.__setattr__(self, "options", declared)

    @property
    def declared_options(self) -> tuple[TaskOption, ...]:
        return tuple(o for o in self.options or () if isinstance(o, TaskOption))

    def option(self, name: str) -> TaskOption | None:
        """The declaration of option ``name``, or None when this task does not read it."""
        return next((o for o in self.declared_options if o.name == name), None)

    def takes_option(self, name: str) -> bool:
        """Whether ``name`` (a key of ``FitOptions.task_options``) is one this task reads; a task that
        declares no ``options`` (``None``, third-party plugins written before) is given all of them."""
        return self.options is None or self.option(name) is not None


def take(X: Any, index: np.ndarray) -> Any:
    """Rows of ``X`` by position, whatever container the task uses."""
    import pandas as pd

    if isinstance(X, pd.DataFrame | pd.Series):
        return X.iloc[index]
    if isinstance(X, np.ndarray):
        return X[index]
    return [X[i] for i in index]
