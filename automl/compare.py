"""One leaderboard across several runs (of the same data or not)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd


def compare_frame(run_dirs: Sequence[Path]) -> pd.DataFrame:
    from automl.api import Run

    frames = []
    for path in run_dirs:
        run = Run.load(path)
        board = run.leaderboard()
        board.insert(0, "run", run.dir.name)
        frames.append(board)
    return pd.concat(frames, ignore_index=True)


def compare_runs(run_dirs: Sequence[Path], fmt: str = "table") -> str:
    frame = compare_frame(run_dirs)
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        return frame.to_json(orient="records", indent=2)
    if fmt == "md":
        from automl.leaderboard import _markdown

        return _markdown(frame)
    return frame.to_string(index=False)
