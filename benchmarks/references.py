"""Reference systems for binary-classification benchmarks, run as a child process by a benchmark.

Usage (normally called by a benchmark module, not by hand)::

    python benchmarks/references.py {lightgbm,flaml} --train T.csv --test T.csv --target COL \
        --positive LABEL --budget SECONDS --cores N --out proba.csv

It fits on the training CSV and writes the positive-class probability of every
test row (in file order) plus the in-process fit seconds. The parent computes
ROC-AUC itself, so every system, ours included, is scored by the same code.
Running in a child keeps wall time and peak memory comparable with our CLI.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

SYSTEMS = ("lightgbm", "flaml")
MISSING = "?"


def read_xy(path: Path, target: str, positive: str,
            categories: dict[str, pd.Index] | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Features with text columns as pandas categories and ``?`` as missing; ``y`` is 1 for ``positive``.

    The test frame reuses the training categories (unseen levels become missing),
    so category codes mean the same thing at fit and predict time.
    """
    frame = pd.read_csv(path, na_values=[MISSING], skipinitialspace=True)
    y = (frame.pop(target).astype(str).str.strip() == positive).to_numpy(dtype=int)
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            continue
        values = frame[column].astype("string").str.strip()
        levels = categories[column] if categories is not None else pd.Index(sorted(values.dropna().unique()))
        frame[column] = pd.Categorical(values, categories=levels)
    return frame, y


def categories_of(frame: pd.DataFrame) -> dict[str, pd.Index]:
    return {c: frame[c].cat.categories for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)}


def fit_lightgbm(X: pd.DataFrame, y: np.ndarray, budget: float, cores: int):  # noqa: ANN201 - a fitted model
    """LightGBM with default hyperparameters: the floor any AutoML should clear.

    ``n_jobs`` only sets the thread count (to the pinned cores); it does not change the model.
    """
    from lightgbm import LGBMClassifier

    return LGBMClassifier(n_jobs=cores, verbose=-1).fit(X, y)


def fit_flaml(X: pd.DataFrame, y: np.ndarray, budget: float, cores: int):  # noqa: ANN201 - a fitted model
    """FLAML with the same time budget, metric and cores: the AutoML our system is compared with."""
    from flaml import AutoML

    model = AutoML()
    model.fit(X, y, task="classification", time_budget=budget, metric="roc_auc", n_jobs=cores, seed=0)
    print(f"flaml best estimator: {model.best_estimator} {model.best_config}", flush=True)
    return model


FITTERS = {"lightgbm": fit_lightgbm, "flaml": fit_flaml}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system", choices=SYSTEMS)
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--positive", required=True, help="Label of the positive class.")
    parser.add_argument("--budget", type=float, required=True, help="Seconds, for the systems that take one.")
    parser.add_argument("--cores", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="CSV of positive-class probabilities.")
    args = parser.parse_args(argv)

    X, y = read_xy(args.train, args.target, args.positive)
    X_test, _ = read_xy(args.test, args.target, args.positive, categories_of(X))
    start = time.perf_counter()
    model = FITTERS[args.system](X, y, args.budget, args.cores)
    fit_seconds = time.perf_counter() - start
    proba = np.asarray(model.predict_proba(X_test))[:, 1]
    pd.DataFrame({"proba": proba}).to_csv(args.out, index=False)
    args.out.with_suffix(".json").write_text(json.dumps({"fit_seconds": fit_seconds}))


if __name__ == "__main__":
    main()
