"""Leaderboard rows from the study: one source for the table, CSV, Markdown and JSON.

Rows are computed from the study alone (plus the ensemble and final choice it
records), so the leaderboard always equals the study's contents.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import optuna
import pandas as pd
from optuna.trial import TrialState

from automl.errors import UserError
from automl.runs import RunDir, quoted_command
from automl.search.finalize import ENSEMBLE_ATTR, FINAL_ATTR, tie_break_metric
from automl.search.space import MODEL_PARAM, model_params
from automl.trial_attrs import TrialRecord, finite_number, finite_numbers, mapping, text

COLUMNS = ["rank", "trial", "model", "status", "score", "metric", "fit_seconds", "predict_ms_per_1k",
           "size_bytes", "params"]
FORMATS = ("table", "csv", "md", "json")
SPEED_COLUMNS = ("rows_per_second", "train_rows_per_second")  # inference, and training examples per second


class NoStudy(UserError, KeyError):
    """The run's storage holds no study: one error line for a command, a ``KeyError`` for code that expects one."""

    __str__ = BaseException.__str__  # the message as it is, not KeyError's quoted repr


def load_study(run: RunDir, storage: str | None = None) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return optuna.load_study(study_name=run.study_name, storage=run.storage(storage))
    except KeyError:
        where = run.storage_url(storage) and "its storage" or run.journal_path
        raise NoStudy(
            f"run {run.path} has no study '{run.study_name}' in {where} (it stopped before its first trial, or "
            f"the study was deleted or replaced); continue it with {quoted_command('automl', 'resume', run.path)} "
            "or start a new run"
        ) from None


def rows(study: optuna.Study, metric: str) -> list[dict[str, Any]]:
    """Every trial that ran, plus the ensemble, best first; failures and pruned trials last.

    The study's attributes come from a journal anyone holding the run folder can
    edit, so each value is taken only if it has the type automl writes (a number,
    a text, an object of numbers); anything else shows as empty, never as a traceback.
    """
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    final = mapping(study.user_attrs.get(FINAL_ATTR))
    chosen = {n for n in final.get("trials", []) if _is_int(n)} if isinstance(final.get("trials"), list) else set()
    final_ensemble = final.get("ensemble") is True
    scored: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for trial in study.get_trials(deepcopy=False):
        if trial.state == TrialState.WAITING:
            continue
        key = str(trial.params.get(MODEL_PARAM, "?"))
        record = TrialRecord.of(trial.user_attrs)
        note = record.fail_reason or record.pruned_reason
        score = finite_number(trial.value) if trial.state == TrialState.COMPLETE else None
        row = {
            "trial": trial.number,
            "model": key,
            "status": "SKIPPED" if note.startswith("skipped") else trial.state.name,
            "score": score,
            "metric": metric,
            "fit_seconds": record.fit_seconds,
            "predict_ms_per_1k": record.predict_ms_per_1k,
            "size_bytes": record.size_bytes,
            "train_rows_per_second": record.train_rows_per_second,
            "params": model_params(key, trial.params),
            "metrics": record.metrics,
            "note": note,
            "selected": trial.number in chosen and not final_ensemble,
        }
        (scored if row["score"] is not None else others).append(row)
    ensemble = mapping(study.user_attrs.get(ENSEMBLE_ATTR))
    weights = finite_numbers(ensemble.get("weights"))
    if len(weights) > 1 and finite_number(ensemble.get("score")) is not None:
        costs = TrialRecord.of(ensemble)  # the blend's summed costs and metrics, under a trial's names
        scored.append(
            {
                "trial": None,
                "model": "ensemble",
                "status": "COMPLETE",
                "score": finite_number(ensemble["score"]),
                "metric": metric,
                "fit_seconds": costs.fit_seconds,
                "predict_ms_per_1k": costs.predict_ms_per_1k,
                "size_bytes": costs.size_bytes,
                "train_rows_per_second": None,
                "params": {"weights": weights},
                "metrics": costs.metrics,
                # a run from before automl recorded how the blend was built: say only what is sure
                "note": text(ensemble.get("note")) or "a weighted blend of the best trials",
                "selected": final_ensemble,
            }
        )
    sign = -1.0 if maximize else 1.0
    tie = tie_break_metric(study)
    scored.sort(key=lambda r: (sign * r["score"], r["metrics"].get(tie, 0.0) if tie else 0.0))
    others.sort(key=lambda r: r["trial"])
    ordered = scored + others
    for rank, row in enumerate(ordered, start=1):
        row["rank"] = rank
        ms = row["predict_ms_per_1k"]
        row["rows_per_second"] = round(1e6 / ms, 1) if ms and ms > 0 else None  # throughput (images/s, texts/s)
    return [{k: row[k] for k in (*COLUMNS, *SPEED_COLUMNS, "metrics", "note", "selected")} for row in ordered]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def to_frame(board: list[dict[str, Any]]) -> pd.DataFrame:
    """A flat frame: secondary metrics become columns, parameters a compact string."""
    records = []
    for row in board:
        record = {k: row[k] for k in (*COLUMNS, *SPEED_COLUMNS) if k != "params"}
        for name, value in row["metrics"].items():
            if name != row["metric"]:
                record[name] = value
        record["params"] = format_params(row["params"])
        record["selected"] = row["selected"]
        record["note"] = row["note"]
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    for column in ("trial", "size_bytes"):
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame


def format_params(params: dict[str, Any]) -> str:
    def short(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}:{short(v)}" for k, v in value.items()) + "}"
        return str(value)

    return ", ".join(f"{k}={short(v)}" for k, v in params.items())


TABLE_ROWS = 15


def render(board: list[dict[str, Any]], fmt: str, limit: int | None = None) -> str:
    """The leaderboard as text; ``limit`` shortens only the terminal table (other formats are data)."""
    if fmt == "table" and limit is not None and len(board) > limit:
        shown = [r for r in board if r["selected"] or r["rank"] <= limit]
        hidden = len(board) - len(shown)
        return _table(to_frame(shown)) + f"... and {hidden} more rows: 'automl leaderboard' shows them all\n"
    if fmt == "json":
        return json.dumps(_json_safe(board), indent=2)
    frame = to_frame(board)
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "md":
        return _markdown(frame)
    return _table(frame)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _cell(value: Any) -> str:
    """A value as short text, for the terminal table (:func:`_table` escapes it) and the Markdown one."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "*" if value else ""
    if isinstance(value, float):
        return f"{value:.0f}" if abs(value) >= 10_000 else f"{value:.4g}"  # throughputs: no exponents
    return str(value)


def _markdown(frame: pd.DataFrame) -> str:
    from automl.markdown import cell

    header = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(_cell(v)) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


def _table(frame: pd.DataFrame) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from automl.terminal import printable

    shown = {"rank": "#", "trial": "trial", "model": "model", "status": "status", "score": "score",
             "fit_seconds": "fit s", "train_rows_per_second": "train rows/s", "rows_per_second": "pred rows/s",
             "size_bytes": "bytes", "selected": "final",
             "params": "params"}
    # Text(), not str: rich would read '[...]' in a model name or a note as markup
    metric = printable(frame["metric"].iloc[0]) if len(frame) else ""
    table = Table(title=Text(f"leaderboard ({metric})"), title_justify="left")
    for column, title in shown.items():
        table.add_column(title, no_wrap=True, overflow="ellipsis", max_width=48 if column == "params" else None)
    for _, row in frame.iterrows():
        table.add_row(*[Text(printable(_cell(row[c]))) for c in shown])
    console = Console(width=160, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


def write_leaderboard_files(run: RunDir, study: optuna.Study) -> None:
    from automl import atomic

    board = rows(study, run.record.metric)
    atomic.write_text(run.path / "leaderboard.csv", render(board, "csv"))


def delivered_line(study: optuna.Study, metric: str) -> str:
    """One line for 'automl fit': the final model, its validation score and, unless it tops the board, why.

    The leaderboard ranks candidates by validation score; the delivered model can
    sit lower (the one-standard-error rule, an equal-weight family blend, a refit
    cut short by the time budget), and a reader comparing the two needs the reason.
    """
    board = rows(study, metric)
    chosen = next((r for r in board if r["selected"]), None)
    if chosen is None or chosen["score"] is None:
        return ""
    if chosen["trial"] is None:
        models = {str(r["trial"]): r["model"] for r in board if r["trial"] is not None}
        parts = [f"{n} ({models.get(n, '?')}) {float(w):.3g}" for n, w in chosen["params"]["weights"].items()]
        what = f"an ensemble of trials {', '.join(parts)}"
    else:
        what = f"trial {chosen['trial']} ({chosen['model']})"
    line = f"final model: {what}; validation {metric} {chosen['score']:.4g}"
    if chosen["rank"] == 1:
        return f"{line}, the top row of the leaderboard"
    top = board[0]
    above = f"trial {top['trial']}" if top["trial"] is not None else top["model"]
    reason = text(mapping(study.user_attrs.get(FINAL_ATTR)).get("reason")) or "no reason was recorded"
    return f"{line}, not the leaderboard's top row ({above}, {top['score']:.4g}); why: {reason}"
