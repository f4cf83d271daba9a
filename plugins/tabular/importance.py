"""The column importances of the report, computed once when the fit finishes and read by every later report.

Permutation importance and SHAP predict the validation rows dozens of times
through every fold model: seconds on census income (8 s of the 10 s
``automl report`` took). They depend only on the final model, its validation
predictions and the training data, none of which changes once the run is
saved, so :func:`save` computes them in the ``automl_fit_finished`` hook, within
what is left of the time budget, and the report section reads them with
:func:`load`. A run saved before this (or whose saved file is unreadable, of
another model or out of shape) gets them computed by :func:`compute` as
before, or left out with a note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from automl_plugins.tabular import explain

FILE = "column_importance.json"
MAX_ROUNDS = 100  # shuffle rounds a saved file may claim
MAX_SOURCE_CHARS = 200
LEFT_OUT = "left_out"  # the saved note of a fit that had no time for them


@dataclass(frozen=True)
class Importances:
    """What the section shows: permutation importances (best first), their shuffle rounds, the rows used, SHAP."""

    permutation: list[explain.Importance]
    rounds: int
    rows: int
    shap: list[explain.Importance]
    shap_from: str


def is_final_tabular(run: Any) -> bool:
    return run.record.task == "tabular" and (run.dir.best / "model.json").is_file()


def compute(run: Any) -> Importances | str | None:
    """The importances of the final model, a note saying why they are left out, or None (no validation evidence)."""
    from automl.kit import load_validation

    validation = load_validation(run.dir.best)
    if validation is None:
        return None
    record, schema = run.record, run.schema()
    features = explain.training_features(record, schema)
    if features is None:
        return (f"Column importances need the training data {record.data.path} as it was when the "
                "run started; it is gone or changed, so they are left out.")
    if not explain.fold_models_available(run):
        return ("Column importances need each member's fold models, which this run does not hold in a safe "
                "format (it was saved by an older automl), so they are left out.")
    seed = int(record.seed or 0)
    rows = explain.sample_rows(validation, seed)
    X = features.iloc[validation.index[rows]].reset_index(drop=True)
    y = validation.y[rows]
    groups = explain.feature_groups(schema)
    metric = run.catalog.metric(record.task, record.kind, record.metric)
    predictor = explain.FoldPredictor(run, validation, rows)
    permutation, rounds = explain.permutation_importance(predictor.predict, X, y, metric, groups, seed=seed)
    if not rounds:
        return ("Column importances are left out: the run's time budget ended before one round of shuffles "
                f"could run; 'automl report {run.path}' computes them without a budget.")
    shap, shap_from = shap_values(run, predictor, X, groups)
    return Importances(permutation, rounds, len(X), shap, shap_from)


def shap_values(run: Any, predictor: explain.FoldPredictor, X: Any,
                groups: dict[str, list[str]]) -> tuple[list[explain.Importance], str]:
    """SHAP per column and what it was computed for; empty with the reason when there is no LightGBM model."""
    import logging

    try:
        source = explain.shap_source(run, predictor)
        if source is None:
            return [], "No LightGBM model was trained, so there are no SHAP values (they are computed for LightGBM)."
        models, described = source
        return explain.lightgbm_shap(models, predictor.fold, X, groups), described
    except Exception as exc:  # noqa: BLE001 - SHAP is a bonus; the permutation importance stands on its own
        logging.getLogger(__name__).warning("SHAP values left out: %s", exc)
        return [], f"SHAP values could not be computed ({exc})."


def save(run: Any) -> None:
    """At the end of a fit: compute the importances and save them in ``best/`` (nothing is saved for a note)."""
    from automl.kit import cache

    if not is_final_tabular(run):
        return
    found = compute(run)
    if isinstance(found, Importances):
        cache.save_json(run.dir.best, FILE, to_json(found))
    elif isinstance(found, str):  # the fit's own report reads the note instead of trying again, out of time
        cache.save_json(run.dir.best, FILE, {LEFT_OUT: found})


def load(run: Any) -> Importances | str | None:
    """The importances saved for this run's final model; None when not saved, unreadable or another model's.

    When the fit had to leave them out, the note it saved is returned inside a budgeted fit (the report
    that ends the fit, with even less time left), and None otherwise: ``automl report`` computes them.
    """
    from automl.kit import budget, cache

    content = cache.load_json(run, FILE)
    if content is None:
        return None
    if isinstance(content, dict) and isinstance(content.get(LEFT_OUT), str):
        return content[LEFT_OUT] if math.isfinite(budget.seconds_left()) else None
    try:
        return from_json(content, set(explain.feature_groups(run.schema())))
    except (TypeError, ValueError, KeyError) as exc:
        import logging

        logging.getLogger(__name__).warning("%s is not what automl saves (%s); it is computed again",
                                            run.dir.best / FILE, exc)
        return None


def to_json(found: Importances) -> dict[str, Any]:
    def rows(items: list[explain.Importance]) -> list[list[Any]]:
        return [[i.column, _finite(i.mean), _finite(i.std)] for i in items]

    return {"permutation": rows(found.permutation), "rounds": found.rounds, "rows": found.rows,
            "shap": rows(found.shap), "shap_from": found.shap_from[:MAX_SOURCE_CHARS]}


def from_json(content: Any, columns: set[str]) -> Importances:
    """Importances from saved JSON, every value checked: only the schema's columns, numbers or None, sane counts."""
    if not isinstance(content, dict):
        raise TypeError("not an object")
    rounds, rows, shap_from = content["rounds"], content["rows"], content["shap_from"]
    if not _is_int(rounds) or not 1 <= rounds <= MAX_ROUNDS:  # not REPEATS: a run fitted with another setting
        raise ValueError(f"rounds {rounds!r}")
    if not _is_int(rows) or not 1 <= rows <= explain.MAX_ROWS:
        raise ValueError(f"rows {rows!r}")
    if not isinstance(shap_from, str) or len(shap_from) > MAX_SOURCE_CHARS:
        raise ValueError("shap_from")
    permutation = _importances(content["permutation"], columns)
    if not permutation:
        raise ValueError("no permutation importance")
    return Importances(permutation, rounds, rows, _importances(content["shap"], columns), shap_from)


def _importances(items: Any, columns: set[str]) -> list[explain.Importance]:
    if not isinstance(items, list) or len(items) > len(columns):
        raise ValueError("not a list of at most one entry per column")
    found = []
    for item in items:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str) and item[0] in columns):
            raise ValueError(f"entry {str(item)[:80]!r} is not [column of the schema, mean, std]")
        found.append(explain.Importance(item[0], _number(item[1]), _number(item[2])))
    if len({i.column for i in found}) != len(found):
        raise ValueError("a column is listed twice")
    return found


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _number(value: Any) -> float:
    """A saved number (None for a value that was not finite, shown as '–')."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
