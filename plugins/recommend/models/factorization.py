"""ALS and BPR matrix factorisation from the ``implicit`` library (the ``recommend`` extra).

``implicit`` is imported only when a model is fitted: scoring a saved model is
a product of its factor matrices, so predicting needs numpy alone. Both
report the validation score as they train, for pruning, and stop cleanly at
the trial's deadline with the factors learnt so far.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from automl.kit import SearchContext, require
from automl_plugins.recommend.models.base import Interactions, Recommender, Validation, common_space, model_spec

REPORTS = 10  # intermediate scores per fit


class _OutOfTime(Exception):
    pass


def _implicit(purpose: str) -> Any:
    return require("implicit", "recommend", purpose)


class _Factorization(Recommender):
    user_factors: np.ndarray
    item_factors: np.ndarray

    def _estimator(self) -> Any:
        raise NotImplementedError

    def _fit(self, data: Interactions, validation: Validation | None) -> None:
        from threadpoolctl import threadpool_limits

        with warnings.catch_warnings(), threadpool_limits(1, "blas"):  # implicit runs its own threads
            warnings.simplefilter("ignore", RuntimeWarning)  # implicit's advice on BLAS threads, followed here
            self._train(data, validation)

    def _train(self, data: Interactions, validation: Validation | None) -> None:
        estimator = self._estimator()
        iterations = int(self.params["iterations"])
        every = max(1, iterations // REPORTS)

        def callback(iteration: int, *_: Any) -> None:
            step = iteration + 1
            self.user_factors, self.item_factors = estimator.user_factors, estimator.item_factors
            if validation is not None and (step % every == 0 or step == iterations):
                self.history["last_score"] = validation.report(step)
            if self.out_of_time():
                self.history["stopped_at"] = step
                raise _OutOfTime

        with contextlib.suppress(_OutOfTime):
            estimator.fit(self._matrix(data), show_progress=False, callback=callback)
        self.user_factors = np.asarray(estimator.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(estimator.item_factors, dtype=np.float32)

    def _matrix(self, data: Interactions) -> Any:
        return data.profile

    def _scores(self, users: np.ndarray) -> np.ndarray:
        return np.asarray(self.user_factors[users], dtype=np.float32) @ np.asarray(self.item_factors).T

    def arrays(self) -> dict[str, np.ndarray]:
        return {"user_factors": self.user_factors, "item_factors": self.item_factors}

    def restore(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        self.user_factors, self.item_factors = arrays["user_factors"], arrays["item_factors"]


class ALS(_Factorization):
    """Implicit-feedback ALS (Hu, Koren and Volinsky 2008): confidence alpha times the (recency) weight."""

    key = "als"

    def _estimator(self) -> Any:
        _implicit("the ALS model")
        from implicit.cpu.als import AlternatingLeastSquares

        p = self.params
        return AlternatingLeastSquares(
            factors=int(p["factors"]), regularization=float(p["regularization"]), alpha=float(p["alpha"]),
            iterations=int(p["iterations"]), calculate_training_loss=False, random_state=self.seed,
            num_threads=self.n_threads,
        )


class BPR(_Factorization):
    """Bayesian personalised ranking (Rendle et al. 2009), trained by SGD on sampled item pairs."""

    key = "bpr"

    def _estimator(self) -> Any:
        _implicit("the BPR model")
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        p = self.params
        return BayesianPersonalizedRanking(
            factors=int(p["factors"]), learning_rate=float(p["learning_rate"]),
            regularization=float(p["regularization"]), iterations=int(p["iterations"]), random_state=self.seed,
            num_threads=self.n_threads,
        )

    def _matrix(self, data: Interactions) -> Any:
        return data.positive


def als_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        "factors": trial.suggest_int("factors", 16, 256, log=True),
        "regularization": trial.suggest_float("regularization", 1e-3, 10.0, log=True),
        "alpha": trial.suggest_float("alpha", 0.5, 100.0, log=True),
        "iterations": trial.suggest_int("iterations", 5, 40),
        **common_space(trial, ctx),
    }


def bpr_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        "factors": trial.suggest_int("factors", 16, 256, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 1e-3, 0.2, log=True),
        "regularization": trial.suggest_float("regularization", 1e-5, 0.1, log=True),
        "iterations": trial.suggest_int("iterations", 20, 400, log=True),
        **common_space(trial, ctx, recency=False),
    }


ALS_SPEC = model_spec(
    ALS, als_space,
    defaults={"factors": 64, "regularization": 0.05, "alpha": 5.0, "iterations": 15, "rating_threshold": 0.0,
              "recency": 3.0},
    description="implicit-feedback ALS (the implicit library), confidence-weighted",
    cost_params=("iterations",),
)
BPR_SPEC = model_spec(
    BPR, bpr_space,
    defaults={"factors": 100, "learning_rate": 0.01, "regularization": 0.01, "iterations": 100,
              "rating_threshold": 0.0},
    description="Bayesian personalised ranking matrix factorisation (the implicit library)",
    cost_params=("iterations",),
)
