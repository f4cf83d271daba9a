"""The forecast task's report section: each series' recent history, the backtest and the forecast.

The forecast is the final model's own (``Run.predict()`` without data: the
``horizon`` periods after the training data) with its 80% and 95% intervals;
the history is read again from the run's data file through the task's loader;
the backtest is the final model's out-of-fold forecasts of the last windows
(``best/validation.npz``), which is what the validation score was computed on.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from automl.kit import Figures, Paragraph, Section, Table, note_section, plural

log = logging.getLogger(__name__)

TITLE = "Forecast"
MAX_SERIES = 4
SEASONS_SHOWN = 3
MIN_HISTORY = 24
MAX_TABLE_ROWS = 60


def load_history(run: Any) -> Any:
    """The run's Dataset, loaded again from its data file; a reason string when that is impossible."""
    from automl.kit import training_source
    from automl_plugins.forecast.task import load

    schema = run.schema()
    found = training_source(run, schema)
    if isinstance(found, str):
        return found
    path, options = found
    for option, key in (("date_column", "date_column"), ("id_column", "id_column"), ("horizon", "horizon")):
        if schema.get(key) is not None:
            options.setdefault(option, schema[key])
    return load(path, options)


def _dates(t: np.ndarray, schema: dict[str, Any]) -> pd.DatetimeIndex:
    from automl_plugins.forecast.task import format_dates

    return pd.to_datetime(format_dates(np.asarray(t, dtype=np.int64), schema))


def series_panels(run: Any, schema: dict[str, Any], forecast: pd.DataFrame, dataset: Any,
                  validation: Any) -> list[dict[str, Any]]:
    """Per shown series: its id, recent history, backtest segments and forecast with interval bounds."""
    ids = [str(s) for s in schema["series_ids"]]
    id_column = schema.get("id_column")
    season = int(schema.get("season_length") or 1)
    horizon = int(schema.get("horizon") or 1)
    panels = []
    for code, name in enumerate(ids[:MAX_SERIES]):
        rows = forecast[forecast[id_column].astype(str) == name] if id_column else forecast
        panel: dict[str, Any] = {
            "name": name,
            "forecast": pd.DataFrame({
                "date": pd.to_datetime(rows[schema["date_column"]]).to_numpy(),
                **{c: rows[c].to_numpy(dtype=float) for c in ("prediction", "lo_80", "hi_80", "lo_95", "hi_95")},
            }),
            "history": None,
            "backtest": [],
        }
        if dataset is not None:
            series = dataset.X["series"].to_numpy()
            mine = np.flatnonzero(series == code)
            backtest_points = 0
            if validation is not None:
                backtest_points = int(np.isin(np.asarray(validation.index, dtype=int), mine).sum())
            keep = max(SEASONS_SHOWN * season, MIN_HISTORY, backtest_points + season, 2 * horizon)
            mine = mine[-keep:]
            t = dataset.X["t"].to_numpy()[mine]
            panel["history"] = pd.DataFrame({"date": _dates(t, schema), "value": dataset.y[mine, 0]})
            if validation is not None:
                index = np.asarray(validation.index, dtype=int)
                prediction = np.asarray(validation.prediction, dtype=float)
                for fold in np.unique(validation.fold):
                    rows_in = np.flatnonzero((validation.fold == fold) & np.isin(index, mine))
                    if len(rows_in):
                        order = rows_in[np.argsort(dataset.X["t"].to_numpy()[index[rows_in]])]
                        panel["backtest"].append(pd.DataFrame({
                            "date": _dates(dataset.X["t"].to_numpy()[index[order]], schema),
                            "value": prediction[order, 0] if prediction.ndim == 2 else prediction[order]}))
        panels.append(panel)
    return panels


def forecast_chart(panels: list[dict[str, Any]], target: str, caption: str) -> Any:
    """One panel per series: history (line), backtest (dashed), forecast with 80% and 95% bands."""
    from automl.kit import MUTED, PALETTE, Chart, canvas, short, to_svg

    n = len(panels)
    cols = 1 if n == 1 else 2
    rows = (n + cols - 1) // cols
    width = 6.4 if cols == 1 else 10.0
    with canvas(width, 3.0 * rows) as (fig, ax):
        ax.remove()
        for i, panel in enumerate(panels):
            axis = fig.add_subplot(rows, cols, i + 1)
            if panel["history"] is not None:
                axis.plot(panel["history"]["date"], panel["history"]["value"], color=PALETTE[0], linewidth=1.2,
                          label="history")
            for j, segment in enumerate(panel["backtest"]):
                axis.plot(segment["date"], segment["value"], color=PALETTE[1], linestyle="--", linewidth=1,
                          label="backtest" if j == 0 else None)
            future = panel["forecast"]
            if len(future):
                axis.fill_between(future["date"], future["lo_95"], future["hi_95"], color=PALETTE[2], alpha=0.18,
                                  linewidth=0, label="95% interval")
                axis.fill_between(future["date"], future["lo_80"], future["hi_80"], color=PALETTE[2], alpha=0.35,
                                  linewidth=0, label="80% interval")
                axis.plot(future["date"], future["prediction"], color=PALETTE[2], linewidth=1.4,
                          marker="o" if len(future) <= 24 else None, markersize=2.5, label="forecast")
                if panel["history"] is not None and len(panel["history"]):
                    axis.axvline(panel["history"]["date"].iloc[-1], color=MUTED, linewidth=0.8, linestyle=":")
            axis.set_title(short(panel["name"], 40))
            axis.set_ylabel(short(target, 30))
            axis.spines["top"].set_visible(False)
            axis.spines["right"].set_visible(False)
            axis.tick_params(axis="x", labelrotation=30, labelsize=7)
            if i == 0:
                axis.legend(fontsize=7, frameon=False, loc="upper left")
        return Chart("forecast", TITLE, to_svg(fig), caption)


def section(run: Any) -> list[Section] | None:
    """The forecast section of a forecast run (``TaskSpec.report``)."""
    if not (run.dir.best / "model.json").is_file():
        return None
    try:
        return [_section(run)]
    except Exception as exc:  # noqa: BLE001 - a section is never worth losing the report
        log.warning("the forecast section was left out: %s", exc)
        return [note_section(TITLE, f"The forecast could not be drawn: {exc}")]


def _section(run: Any) -> Section:
    from automl.kit import load_validation

    schema = run.schema()
    forecast = run.predict(None)
    blocks: list[Any] = []
    try:
        dataset = load_history(run)
    except Exception as exc:  # noqa: BLE001 - the forecast alone is still worth showing
        dataset = f"the training data could not be read ({exc})"
    if isinstance(dataset, str):
        blocks.append(Paragraph(f"No history: {dataset}."))
        dataset = None
    validation = load_validation(run.dir.best)
    if dataset is not None and validation is not None and \
            np.asarray(validation.index, dtype=int).max(initial=-1) >= len(dataset.y):
        validation = None
    ids = [str(s) for s in schema["series_ids"]]
    horizon, frequency = int(schema.get("horizon") or 0), schema.get("frequency") or ""
    shown = (f"the {len(ids)} series" if len(ids) <= MAX_SERIES else
             f"the first {MAX_SERIES} of {len(ids)} series")
    periods = plural(horizon, f"{frequency} period".strip())
    caption = (f"The recent history of {shown}, the final model's backtest forecasts (dashed, the windows the "
               f"validation score was computed on) and its forecast of the next {periods} "
               "with 80% and 95% intervals (shaded).")
    drawn = _chart(series_panels(run, schema, forecast, dataset, validation), str(schema.get("target") or "value"),
                   caption)
    header, rows = _table_rows(forecast, schema, ids[:MAX_SERIES])
    more = len(ids) > MAX_SERIES or len(rows) > MAX_TABLE_ROWS
    blocks.append(Figures([drawn]) if drawn is not None else Paragraph(caption))
    blocks.append(Table(header, rows[:MAX_TABLE_ROWS], css_id="forecast-table", numeric=(len(header) - 3,),
                        collapsed="the forecast as a table" if drawn is not None else None))
    if more:
        blocks.append(Paragraph(f"The forecast of {shown}" + (f" (first {MAX_TABLE_ROWS} rows)"
                                if len(rows) > MAX_TABLE_ROWS else "") + "; 'automl predict' writes every series."))
    return Section(TITLE, blocks)


def _chart(panels: Any, target: str, caption: str) -> Any:
    """The forecast chart, or None (no Matplotlib, nothing to draw, or it failed: the table has the numbers)."""
    from automl.kit import charts

    if not charts.available() or not panels:
        return None
    try:
        return forecast_chart(panels, target, caption)
    except Exception as exc:  # noqa: BLE001 - the table still has the numbers
        log.warning("the forecast chart was left out: %s", exc)
        return None


def _table_rows(forecast: pd.DataFrame, schema: dict[str, Any], ids: list[str]) -> tuple[list[str], list[list[str]]]:
    id_column, date_column = schema.get("id_column"), schema["date_column"]
    frame = forecast[forecast[id_column].astype(str).isin(ids)] if id_column else forecast
    header = ([str(id_column)] if id_column else []) + [str(date_column), "forecast", "80% interval", "95% interval"]
    rows = []
    for _, row in frame.iterrows():
        cells = [str(row[id_column])] if id_column else []
        cells += [str(row[date_column]), _number(row["prediction"]),
                  f"{_number(row['lo_80'])} – {_number(row['hi_80'])}",
                  f"{_number(row['lo_95'])} – {_number(row['hi_95'])}"]
        rows.append(cells)
    return header, rows


def _number(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
