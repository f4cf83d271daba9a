"""Generated monthly sales with a trend, a yearly season and noise: demo and test data owned by the project."""

from __future__ import annotations

import numpy as np
import pandas as pd


def sales_frame(n_series: int = 3, n_months: int = 60, seed: int = 0, start: str = "2019-01-01") -> pd.DataFrame:
    """Long format: ``store, month, units``; each store has its own level, growth and seasonal swing."""
    rng = np.random.default_rng(seed)
    months = pd.date_range(start, periods=n_months, freq="MS")
    frames = []
    for index in range(n_series):
        level = rng.uniform(80, 400)
        growth = rng.uniform(0.002, 0.012)
        swing = rng.uniform(0.1, 0.35)
        t = np.arange(n_months)
        units = level * (1 + growth) ** t * (1 + swing * np.sin(2 * np.pi * (t % 12) / 12 + index))
        units = units * rng.normal(1.0, 0.03, n_months)
        frames.append(pd.DataFrame({"store": f"store_{index + 1}", "month": months.strftime("%Y-%m-%d"),
                                    "units": np.round(units, 1)}))
    return pd.concat(frames, ignore_index=True)
