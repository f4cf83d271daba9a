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

from automl.runs import RunDir
from automl.search.finalize import ENSEMBLE_ATTR, FINAL_ATTR, TIE_BREAK_METRIC
from automl.search.objective import FAIL_REASON
from automl.search.space import MODEL_PARAM, model_params

COLUMNS = ["rank", "trial", "model", "status", "score", "metric", "fit_seconds", "predict_ms_per_1k",
           "size_bytes", "params"]
FORMATS = ("table", "csv", "md", "json")
SPEED_COLUMNS = ("rows_per_second", "train_rows_per_second")  # inference, and training examples per second


def load_study(run: RunDir, storage: str | None = None) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.load_study(study_name=run.study_name, storage=run.storage(storage))


def rows(study: optuna.Study, metric: str) -> list[dict[str, Any]]:
    """Every trial that ran, plus the ensemble, best first; failures and pruned trials last."""
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    final = study.user_attrs.get(FINAL_ATTR, {})
    chosen = set(final.get("trials", []))
    scored: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for trial in study.get_trials(deepcopy=False):
        if trial.state == TrialState.WAITING:
            continue
        key = trial.params.get(MODEL_PARAM, "?")
        attrs = trial.user_attrs
        note = attrs.get(FAIL_REASON) or attrs.get("pruned_reason") or ""
        row = {
            "trial": trial.number,
            "model": key,
            "status": "SKIPPED" if note.startswith("skipped") else trial.state.name,
            "score": trial.value if trial.state == TrialState.COMPLETE else None,
            "metric": metric,
            "fit_seconds": attrs.get("fit_seconds"),
            "predict_ms_per_1k": attrs.get("predict_ms_per_1k"),
            "size_bytes": attrs.get("size_bytes"),
            "train_rows_per_second": attrs.get("train_rows_per_second"),
            "params": model_params(key, trial.params),
            "metrics": attrs.get("metrics", {}),
            "note": note,
            "selected": trial.number in chosen and not final.get("ensemble", False),
        }
        (scored if row["score"] is not None else others).append(row)
    ensemble = study.user_attrs.get(ENSEMBLE_ATTR)
    if ensemble and len(ensemble.get("weights", {})) > 1:
        scored.append(
            {
                "trial": None,
                "model": "ensemble",
                "status": "COMPLETE",
                "score": ensemble["score"],
                "metric": metric,
                "fit_seconds": ensemble.get("fit_seconds"),
                "predict_ms_per_1k": ensemble.get("predict_ms_per_1k"),
                "size_bytes": ensemble.get("size_bytes"),
                "train_rows_per_second": None,
                "params": {"weights": ensemble["weights"]},
                "metrics": ensemble.get("metrics", {}),
                "note": ensemble.get("note", "greedy ensemble selection over the best trials"),
                "selected": bool(final.get("ensemble", False)),
            }
        )
    sign = -1.0 if maximize else 1.0
    scored.sort(key=lambda r: (sign * r["score"], float(r["metrics"].get(TIE_BREAK_METRIC, 0.0))))
    others.sort(key=lambda r: r["trial"])
    ordered = scored + others
    for rank, row in enumerate(ordered, start=1):
        row["rank"] = rank
        ms = row["predict_ms_per_1k"]
        row["rows_per_second"] = round(1e6 / ms, 1) if ms else None  # prediction throughput (images/s, texts/s)
    return [{k: row[k] for k in (*COLUMNS, *SPEED_COLUMNS, "metrics", "note", "selected")} for row in ordered]


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
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "*" if value else ""
    if isinstance(value, float):
        return f"{value:.0f}" if abs(value) >= 10_000 else f"{value:.4g}"  # throughputs: no exponents
    return str(value).replace("|", "\\|")


def _markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


def _table(frame: pd.DataFrame) -> str:
    from rich.console import Console
    from rich.table import Table

    shown = {"rank": "#", "trial": "trial", "model": "model", "status": "status", "score": "score",
             "fit_seconds": "fit s", "train_rows_per_second": "train rows/s", "rows_per_second": "pred rows/s",
             "size_bytes": "bytes", "selected": "final",
             "params": "params"}
    table = Table(title=f"leaderboard ({frame['metric'].iloc[0] if len(frame) else ''})", title_justify="left")
    for column, title in shown.items():
        table.add_column(title, no_wrap=True, overflow="ellipsis", max_width=48 if column == "params" else None)
    for _, row in frame.iterrows():
        table.add_row(*[_cell(row[c]) for c in shown])
    console = Console(width=160, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


def write_leaderboard_files(run: RunDir, study: optuna.Study) -> None:
    board = rows(study, run.manifest["metric"])
    (run.path / "leaderboard.csv").write_text(render(board, "csv"))
