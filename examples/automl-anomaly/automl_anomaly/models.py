"""The detectors of the anomaly task: isolation forest, local outlier factor and robust covariance.

Each learns what the rows labelled normal look like (the known anomalies are
left out of its fit) and scores any row by how unusual it is. Raw scores are
on each detector's own scale, so a :class:`Calibration` turns them into the
share of training rows that look more normal: 0.99 means more unusual than
99% of the training rows, whichever detector speaks, and the task flags the
rows above ``1 - contamination``. The mapping is strictly increasing, so the
ranking (and average precision) is the detector's own.

Models are saved without pickle: scikit-learn estimators with skops, trusting
only the exact extra types their fitted state holds, and the rest as JSON.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from automl.kit import ModelSpec, SearchContext, UserError

from automl_anomaly.task import NAME

DETECTOR_FILE = "detector.json"
SKOPS_FILE = "model.skops"
REFERENCE_POINTS = 1001


class Calibration:
    """Raw scores (higher: more unusual) to the share of the reference scores below them, strictly increasing.

    Between the reference quantiles the share is interpolated; beyond them it approaches 0 or 1 without
    reaching it, so rows more extreme than any training row still keep their order.
    """

    def __init__(self, values: list[float], shares: list[float], spread: float) -> None:
        self.values, self.shares = np.asarray(values, dtype=float), np.asarray(shares, dtype=float)
        self.spread = float(spread)

    @classmethod
    def of(cls, scores: np.ndarray) -> Calibration:
        scores = np.asarray(scores, dtype=float)
        edge = 0.5 / len(scores)
        probabilities = np.linspace(edge, 1.0 - edge, min(len(scores), REFERENCE_POINTS))
        quantiles = np.quantile(scores, probabilities)
        values, inverse = np.unique(quantiles, return_inverse=True)
        shares = np.bincount(inverse, weights=probabilities) / np.bincount(inverse)  # tied quantiles: their mean
        spread = float(np.std(scores)) or 1.0
        return cls(values.tolist(), shares.tolist(), spread)

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=float)
        low, high = self.values[0], self.values[-1]
        out = np.interp(raw, self.values, self.shares) if len(self.values) > 1 else np.full(len(raw), 0.5)
        above, below = raw > high, raw < low
        out[above] = 1.0 - (1.0 - self.shares[-1]) / (1.0 + (raw[above] - high) / self.spread)
        out[below] = self.shares[0] / (1.0 + (low - raw[below]) / self.spread)
        return out

    def state(self) -> dict[str, Any]:
        return {"values": self.values.tolist(), "shares": self.shares.tolist(), "spread": self.spread}


class Detector:
    """Fit on the rows labelled normal; ``predict`` returns calibrated anomaly scores."""

    key: ClassVar[str]

    def __init__(self, params: dict[str, Any], seed: int = 0, n_threads: int = 1) -> None:
        self.params, self.seed, self.n_threads = dict(params), seed, n_threads
        self.calibration: Calibration | None = None

    def fit(self, X: Any, y: Any, X_valid: Any = None, y_valid: Any = None) -> Detector:
        X = np.asarray(X, dtype=float)
        known = np.zeros(len(X), dtype=bool) if y is None else np.asarray(y) == 1
        if (~known).sum() < 3:  # (no labels to go by): every row is taken as normal
            known[:] = False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a singular covariance or duplicated rows: the scores still rank
            fitted = self._fit(X[~known])
            scores = np.concatenate([fitted, self._raw(X[known])]) if known.any() else fitted
        self.calibration = Calibration.of(scores)  # training rows, anomalies too: flags keep their share
        return self

    def predict(self, X: Any) -> np.ndarray:
        if self.calibration is None:
            raise RuntimeError(f"{self.key}: predict before fit")
        return self.calibration(self._raw(np.asarray(X, dtype=float)))

    def _fit(self, X: np.ndarray) -> np.ndarray:
        """Fit on ``X``; return the raw scores of its rows (each scored without itself where the detector can)."""
        raise NotImplementedError

    def _raw(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def save(self, folder: Path) -> None:
        assert self.calibration is not None
        state = {"key": self.key, "params": self.params, "seed": self.seed,
                 "calibration": self.calibration.state(), **self._state()}
        (Path(folder) / DETECTOR_FILE).write_text(json.dumps(state))

    def _state(self) -> dict[str, Any]:
        return {}

    @classmethod
    def load(cls, folder: Path) -> Detector:
        path = Path(folder) / DETECTOR_FILE
        if not path.is_file():
            raise UserError(f"model file {path} is missing; the run's best/ folder is incomplete")
        state = json.loads(path.read_text())
        if state.get("key") != cls.key:
            raise UserError(f"model file {path} holds a '{state.get('key')}' detector, not '{cls.key}'")
        detector = cls(state["params"], int(state["seed"]))
        detector.calibration = Calibration(**state["calibration"])
        detector._restore(Path(folder), state)
        return detector

    def _restore(self, folder: Path, state: dict[str, Any]) -> None:
        raise NotImplementedError


class SklearnDetector(Detector):
    """A scikit-learn detector saved with skops; ``trusted`` names the exact types its state holds."""

    trusted: ClassVar[tuple[str, ...]] = ()
    model: Any

    def _raw(self, X: np.ndarray) -> np.ndarray:
        return -self.model.score_samples(X)  # scikit-learn scores normality; ours grow with unusualness

    def save(self, folder: Path) -> None:
        import skops.io

        super().save(folder)
        skops.io.dump(self.model, Path(folder) / SKOPS_FILE)

    def _restore(self, folder: Path, state: dict[str, Any]) -> None:
        import skops.io

        path = folder / SKOPS_FILE
        untrusted = set(skops.io.get_untrusted_types(file=path)) - set(self.trusted)
        if untrusted:
            raise UserError(f"model file {path} holds types this plugin does not trust ({', '.join(sorted(untrusted))})"
                            "; refusing to load it")
        self.model = skops.io.load(path, trusted=list(self.trusted))


class IsolationForestDetector(SklearnDetector):
    key = "isolation_forest"
    trusted = ("sklearn.tree._tree.Tree",)

    def _fit(self, X: np.ndarray) -> np.ndarray:
        from sklearn.ensemble import IsolationForest

        p = self.params
        self.model = IsolationForest(n_estimators=int(p["n_estimators"]),
                                     max_samples=min(int(p["max_samples"]), len(X)),
                                     max_features=float(p["max_features"]), random_state=self.seed,
                                     n_jobs=self.n_threads).fit(X)
        return self._raw(X)


class LofDetector(SklearnDetector):
    key = "lof"
    trusted = ("sklearn.neighbors._kd_tree.KDTree", "sklearn.neighbors._ball_tree.BallTree",
               "sklearn.metrics._dist_metrics.EuclideanDistance64", "sklearn.metrics._dist_metrics.ManhattanDistance64")

    def _fit(self, X: np.ndarray) -> np.ndarray:
        from sklearn.neighbors import LocalOutlierFactor

        neighbours = max(1, min(int(self.params["n_neighbors"]), len(X) - 1))
        self.model = LocalOutlierFactor(n_neighbors=neighbours, p=int(self.params["p"]), novelty=True,
                                        n_jobs=self.n_threads).fit(X)
        return -self.model.negative_outlier_factor_  # each fitted row without itself among its neighbours


class RobustCovarianceDetector(Detector):
    """The Mahalanobis distance from a minimum-covariance-determinant fit: robust to the unknown anomalies."""

    key = "robust_covariance"
    location: np.ndarray
    precision: np.ndarray

    def _fit(self, X: np.ndarray) -> np.ndarray:
        from sklearn.covariance import MinCovDet

        fitted = MinCovDet(support_fraction=float(self.params["support_fraction"]), random_state=self.seed).fit(X)
        self.location, self.precision = fitted.location_, fitted.get_precision()
        return self._raw(X)

    def _raw(self, X: np.ndarray) -> np.ndarray:
        centred = X - self.location
        return np.einsum("ij,jk,ik->i", centred, self.precision, centred)

    def _state(self) -> dict[str, Any]:
        return {"location": self.location.tolist(), "precision": self.precision.tolist()}

    def _restore(self, folder: Path, state: dict[str, Any]) -> None:
        self.location = np.asarray(state["location"], dtype=float)
        self.precision = np.asarray(state["precision"], dtype=float)


def _rows(ctx: SearchContext) -> int:
    """Rows of a training fold, at most (every fold trains on fewer than the whole data)."""
    return int(ctx.info.get("n_rows", 1000))


def forest_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        "n_estimators": trial.suggest_int("n_estimators", 50, 300, log=True),
        "max_samples": trial.suggest_int("max_samples", 32, max(32, min(1024, _rows(ctx))), log=True),
        "max_features": trial.suggest_float("max_features", 0.5, 1.0),
    }


def lof_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        "n_neighbors": trial.suggest_int("n_neighbors", 5, max(5, min(100, _rows(ctx) // 4)), log=True),
        "p": trial.suggest_int("p", 1, 2),  # 1: Manhattan distance, 2: Euclidean
    }


def covariance_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {"support_fraction": trial.suggest_float("support_fraction", 0.5, 1.0)}


def _spec(detector: type[Detector], space: Any, defaults: dict[str, Any], description: str,
          cost_params: tuple[str, ...] = ()) -> ModelSpec:
    def build(params: dict[str, Any], ctx: SearchContext) -> Detector:
        return detector(params, ctx.seed, ctx.n_threads)

    def save(model: Detector, folder: Path) -> None:
        model.save(folder)

    return ModelSpec(key=detector.key, task=NAME, search_space=space, build=build, save=save, load=detector.load,
                     defaults=defaults, description=description, cost_params=cost_params)


ISOLATION_FOREST = _spec(IsolationForestDetector, forest_space,
                         {"n_estimators": 100, "max_samples": 256, "max_features": 1.0},
                         "isolation forest: how few random splits set a row apart", ("n_estimators",))
LOF = _spec(LofDetector, lof_space, {"n_neighbors": 20, "p": 2},
            "local outlier factor: how much sparser a row's neighbourhood is than its neighbours'")
ROBUST_COVARIANCE = _spec(RobustCovarianceDetector, covariance_space, {"support_fraction": 0.9},
                          "Mahalanobis distance from a robust (minimum covariance determinant) fit")

MODELS = (ISOLATION_FOREST, LOF, ROBUST_COVARIANCE)
