"""One leaderboard across several runs (of the same data or not).

Runs are grouped by their metric and its direction: within a group trials are
ordered by score, but a roc_auc is never ranked against an rmse, and the
output says so. The HTML and Markdown pages are drawn by
:mod:`automl.compare_page`; this module gathers the facts and the text formats.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from automl.errors import UserError
from automl.records import RunRecord
from automl.runs import quoted_command
from automl.terminal import printable

SUFFIX_FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".csv": "csv", ".json": "json"}
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
PARAMS_WIDTH = 60


@dataclass
class RunFacts:
    """What the comparison shows of one run; ``name`` is unique among the compared runs."""

    name: str
    path: Path
    record: RunRecord
    board: list[dict[str, Any]]
    final_score: float | None

    @property
    def metric(self) -> str:
        return self.record.metric

    @property
    def direction(self) -> str:
        return self.record.direction

    @property
    def best(self) -> dict[str, Any] | None:
        return next((row for row in self.board if _finite(row["score"])), None)

    @property
    def n_trials(self) -> int:
        return sum(1 for row in self.board if row["trial"] is not None)

    @property
    def data_name(self) -> str:
        path = self.record.data.path
        if not path:
            return "–"
        return "(a data frame)" if Path(path).parent == self.path.resolve() else Path(path).name

    @property
    def wall_seconds(self) -> float | None:
        started, finished = self.record.created, self.record.finished
        if not (started and finished):
            return None
        try:
            return (datetime.strptime(finished, TIME_FORMAT) - datetime.strptime(started, TIME_FORMAT)).total_seconds()
        except ValueError:
            return None

    def summary_row(self) -> dict[str, Any]:
        best = self.best
        return {"run": self.name, "task": self.record.task, "kind": self.record.kind,
                "target": self.record.target, "data": self.data_name, "metric": self.metric,
                "direction": self.direction, "best_model": best["model"] if best else None,
                "best_score": best["score"] if best else None, "trials": self.n_trials,
                "wall_seconds": self.wall_seconds, "final_score": self.final_score,
                "status": self.record.status or ""}


@dataclass
class MetricGroup:
    """Runs scored by the same metric in the same direction: the only runs ranked together."""

    metric: str
    direction: str
    runs: list[RunFacts] = field(default_factory=list)

    @property
    def maximize(self) -> bool:
        return self.direction == "maximize"

    def board(self) -> list[dict[str, Any]]:
        """Every trial of the group's runs, scored ones best first, then the rest by run."""
        rows = [{"run": run.name, **row} for run in self.runs for row in run.board]
        sign = -1.0 if self.maximize else 1.0
        scored = sorted((r for r in rows if _finite(r["score"])), key=lambda r: sign * r["score"])
        return scored + [r for r in rows if not _finite(r["score"])]

    def best_scores(self) -> list[tuple[str, float]]:
        """(run, best score), best first: what the chart draws."""
        pairs = [(run.name, float(run.best["score"])) for run in self.runs if run.best is not None]
        return sorted(pairs, key=lambda pair: -pair[1] if self.maximize else pair[1])


@dataclass
class Comparison:
    runs: list[RunFacts]
    groups: list[MetricGroup]
    notes: list[str]


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def load_runs(run_dirs: Sequence[str | Path]) -> list[RunFacts]:
    from automl.api import Run

    paths = [Path(p) for p in run_dirs]
    names = [p.resolve().name for p in paths]
    runs = []
    for path, name in zip(paths, names, strict=True):
        if not path.exists():
            raise UserError(f"run directory {path} not found; pass folders that 'automl fit' created")
        run = Run.load(path)
        final = _final_score(run)
        runs.append(RunFacts(str(path) if names.count(name) > 1 else name, path, run.record, _board(run), final))
    return runs


def _final_score(run: Any) -> float | None:
    """The final model's validation score, from its checked ``model.json`` (None before the run finished)."""
    if not (run.dir.best / "model.json").is_file():
        return None
    score = run.model_record().validation_score  # verified: a tampered best/ is one error line
    return float(score) if _finite(score) and not isinstance(score, bool) else None


def _board(run: Any) -> list[dict[str, Any]]:
    try:
        return run.leaderboard_rows()
    except KeyError:  # the study was never created: the run stopped before its first trial
        return []


def compare(run_dirs: Sequence[str | Path]) -> Comparison:
    runs = load_runs(run_dirs)
    groups: dict[tuple[str, str], MetricGroup] = {}
    for run in runs:
        groups.setdefault((run.metric, run.direction), MetricGroup(run.metric, run.direction)).runs.append(run)
    return Comparison(runs, list(groups.values()), _notes(runs, list(groups.values())))


def _notes(runs: list[RunFacts], groups: list[MetricGroup]) -> list[str]:
    notes = []
    if len(groups) > 1:
        listed = "; ".join(f"{g.metric} ({'higher' if g.maximize else 'lower'} is better): "
                           f"{', '.join(r.name for r in g.runs)}" for g in groups)
        notes.append(f"These runs use different metrics ({listed}), so each metric has its own chart and "
                     "leaderboard: scores of different metrics are never ranked against each other.")
    for group in groups:
        prints = {r.record.data.fingerprint for r in group.runs}
        if len(group.runs) > 1 and len(prints) > 1:
            notes.append(f"The {group.metric} runs were trained on different data, so their scores say how well "
                         "each problem was solved rather than which model is better.")
    for run in runs:
        if run.final_score is None:
            notes.append(f"Run {run.name} has no final model yet (status: {run.record.status or 'unknown'}); "
                         f"its trials are shown; finish it with {quoted_command('automl', 'resume', run.path)}.")
        if run.best is None:
            notes.append(f"Run {run.name} has no completed trial.")
    return notes


def runs_frame(comparison: Comparison) -> pd.DataFrame:
    return pd.DataFrame.from_records([run.summary_row() for run in comparison.runs])


def leaderboard_frame(comparison: Comparison) -> pd.DataFrame:
    """The combined leaderboard with a run column: metric group by metric group, each best first."""
    from automl.leaderboard import to_frame

    frames = []
    for group in comparison.groups:
        board = group.board()
        frame = to_frame(board) if board else pd.DataFrame()
        if not frame.empty:
            frame.insert(0, "run", [row["run"] for row in board])
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["run"])


def compare_frame(run_dirs: Sequence[Path]) -> pd.DataFrame:
    return leaderboard_frame(compare(run_dirs))


def render(comparison: Comparison, fmt: str) -> str:
    """The comparison as text in ``fmt``: table, csv, md, json or html."""
    if fmt in ("html", "md"):
        from automl.compare_page import render_page

        return render_page(comparison, fmt)
    if fmt == "csv":
        return leaderboard_frame(comparison).to_csv(index=False)
    if fmt == "json":
        from automl.leaderboard import _json_safe

        return json.dumps(_json_safe({
            "runs": [run.summary_row() for run in comparison.runs],
            "notes": comparison.notes,
            "leaderboard": [{"run": row["run"], **{k: v for k, v in row.items() if k != "run"}}
                            for group in comparison.groups for row in group.board()],
        }), indent=2, default=str) + "\n"
    parts = ["runs", _printable(runs_frame(comparison)).to_string(index=False), *map(printable, comparison.notes), ""]
    for group in comparison.groups:
        frame = leaderboard_frame(Comparison(group.runs, [group], []))
        shown = [c for c in ("run", "rank", "trial", "model", "status", "score", "fit_seconds", "params")
                 if c in frame]
        if "params" in frame:  # the full parameters are in the other formats
            frame = frame.assign(params=frame["params"].str.slice(0, PARAMS_WIDTH))
        parts += [printable(f"leaderboard ({group.metric}, {'higher' if group.maximize else 'lower'} is better)"),
                  _printable(frame[shown]).to_string(index=False) if len(frame) else "(no trials)", ""]
    return "\n".join(parts)


def _printable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with control characters in its text escaped: a run or model name cannot break the table."""
    return frame.map(lambda value: printable(value) if isinstance(value, str) else value)


def compare_runs(run_dirs: Sequence[Path], fmt: str = "table") -> str:
    return render(compare(run_dirs), fmt)


def format_of(out: Path) -> str:
    fmt = SUFFIX_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise UserError(f"cannot tell the format of {out} from its suffix '{out.suffix}'; "
                        f"write to a file ending in {', '.join(sorted(set(SUFFIX_FORMATS) - {'.htm'}))}")
    return fmt


def write_comparison(run_dirs: Sequence[Path], out: Path) -> Path:
    """Write the comparison to ``out`` in the format its suffix names; the suffix is checked first."""
    fmt = format_of(out)
    from automl.userdata import write_output

    return write_output(out, compare_runs(run_dirs, fmt))  # atomic
