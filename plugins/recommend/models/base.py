"""What every recommender shares: the interaction matrices, batched top-K scoring, and files.

A model sees only rows (see :mod:`automl_plugins.recommend.task`): ``fit``
turns the training rows into sparse user-item matrices and remembers each
user's seen items, which are never recommended again; ``predict`` scores users
in batches of whole rows of the item catalogue (a matrix product per batch,
never a loop over users) and keeps the top K. Users without training history
(unknown at predict time) get the most popular items.

Files: ``arrays.npz`` (numpy arrays, loaded with ``allow_pickle=False``) and
``model.json`` (the parameters); a model may add its own files (the neural
model adds a safetensors file). Loading never unpickles.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from automl.kit import ModelSpec, SearchContext, UserError

FORMAT_VERSION = 1
ARRAYS_FILE, META_FILE = "arrays.npz", "model.json"
SCORE_CELLS = 1 << 22  # users x items scored at once (32 MB of float64)
TIE_BREAK = 1e-6  # equal scores are ordered by popularity
VALIDATION_USERS = 2000  # users scored for the intermediate reports of iterative models
THRESHOLDS = (0.0, 0.3, 0.5, 0.7)  # share of the rating scale below which an interaction is not a positive


def common_space(trial: Any, ctx: SearchContext, recency: bool = True) -> dict[str, Any]:
    """The feedback parameters: the rating threshold (with ratings) and the recency weighting (with times)."""
    params: dict[str, Any] = {"rating_threshold": 0.0, "recency": 0.0}
    if ctx.info.get("has_rating"):
        params["rating_threshold"] = trial.suggest_categorical("rating_threshold", list(THRESHOLDS))
    if recency and ctx.info.get("has_time"):
        params["recency"] = trial.suggest_float("recency", 0.0, 10.0)
    return params


@dataclass
class Interactions:
    """The training rows as users x items matrices (float32 CSR)."""

    seen: sp.csr_matrix  # every training interaction, 1.0
    positive: sp.csr_matrix  # interactions at or above the rating threshold, 1.0
    profile: sp.csr_matrix  # the positives weighted by recency: 1 for a user's latest, exp(-recency) the oldest
    counts: np.ndarray  # training interactions per item
    rows: dict[str, np.ndarray]  # the positives as rows: user, item, time


def _matrix(user: np.ndarray, item: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    matrix = sp.csr_matrix((values.astype(np.float32), (user, item)), shape=shape)
    matrix.sum_duplicates()
    return matrix


def recency_weights(user: np.ndarray, time: np.ndarray, recency: float) -> np.ndarray:
    """exp(-recency * age), the age going from 0 (a user's latest interaction) to 1 (the oldest)."""
    if recency <= 0 or len(user) == 0:
        return np.ones(len(user))
    order = np.lexsort((np.arange(len(user)), time, user))
    counts = np.bincount(user)
    sorted_users = user[order]
    position = np.arange(len(user)) - (np.cumsum(counts) - counts)[sorted_users]
    n = counts[sorted_users]
    age = np.empty(len(user))
    age[order] = (n - 1 - position) / np.maximum(n - 1, 1)
    return np.exp(-recency * age)


def build_interactions(X: pd.DataFrame, shape: tuple[int, int], params: dict[str, Any],
                       info: dict[str, Any]) -> Interactions:
    user, item = X["user"].to_numpy(np.int64), X["item"].to_numpy(np.int64)
    time = X["time"].to_numpy(float)
    seen = _matrix(user, item, np.ones(len(user)), shape)
    seen.data[:] = 1.0
    keep = positive_rows(X, params, info)
    user, item, time = user[keep], item[keep], time[keep]
    positive = _matrix(user, item, np.ones(len(user)), shape)
    positive.data[:] = 1.0
    profile = weighted_profile(user, item, time, shape, params)
    counts = np.asarray(seen.sum(axis=0)).ravel().astype(np.float64)
    return Interactions(seen, positive, profile, counts, {"user": user, "item": item, "time": time})


def weighted_profile(user: np.ndarray, item: np.ndarray, time: np.ndarray, shape: tuple[int, int],
                     params: dict[str, Any]) -> sp.csr_matrix:
    return _matrix(user, item, recency_weights(user, time, float(params.get("recency") or 0.0)), shape)


def positive_rows(X: pd.DataFrame, params: dict[str, Any], info: dict[str, Any]) -> np.ndarray:
    """Which rows count as positives under the rating threshold."""
    rating = X["rating"].to_numpy(float)
    share = float(params.get("rating_threshold") or 0.0)
    low, high = float(info.get("rating_min", 0.0)), float(info.get("rating_max", 0.0))
    keep = rating >= low + share * (high - low) if share > 0 and high > low else np.ones(len(X), dtype=bool)
    return keep if keep.any() else np.ones(len(X), dtype=bool)


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best columns of each row, best first; -1 and NaN where a row has fewer finite scores."""
    n, n_items = scores.shape
    kept = min(k, n_items)
    items = np.full((n, k), -1, dtype=np.int64)
    values = np.full((n, k), np.nan)
    if n == 0 or kept == 0:
        return items, values
    part = np.argpartition(-scores, kept - 1, axis=1)[:, :kept]
    picked = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-picked, axis=1, kind="stable")
    part, picked = np.take_along_axis(part, order, axis=1), np.take_along_axis(picked, order, axis=1)
    finite = np.isfinite(picked)
    items[:, :kept] = np.where(finite, part, -1)
    values[:, :kept] = np.where(finite, picked, np.nan)
    return items, values


class Validation:
    """Scores a model in the middle of its training on (a sample of) the validation users."""

    def __init__(self, model: Recommender, X_valid: pd.DataFrame, y_valid: np.ndarray, ctx: SearchContext) -> None:
        users = X_valid["user"].to_numpy(np.int64)
        distinct = np.unique(users)
        if len(distinct) > VALIDATION_USERS:
            chosen = np.random.default_rng(ctx.seed).choice(distinct, VALIDATION_USERS, replace=False)
            rows = np.isin(users, chosen)
            users, y_valid = users[rows], np.asarray(y_valid)[rows]
        self.model, self.users, self.y, self.ctx = model, users, np.asarray(y_valid), ctx

    def score(self) -> float:
        frame = pd.DataFrame({"user": self.users})
        value = float(self.ctx.metric.fn(self.y, self.model.predict(frame)))
        return value if np.isfinite(value) else self.ctx.metric.worst()

    def report(self, step: int) -> float:
        """Report the score at ``step`` (the pruner may stop the trial here) and return it."""
        value = self.score()
        self.ctx.report(step, value)
        return value


class Recommender:
    """Base estimator; subclasses implement ``_fit`` and ``_scores`` (and ``arrays``/``restore`` for files)."""

    key: ClassVar[str] = ""

    def __init__(self, params: dict[str, Any], ctx: SearchContext | None) -> None:
        self.params = dict(params)
        self.ctx = ctx
        info = ctx.info if ctx is not None else {}
        self.info = {k: info[k] for k in ("rating_min", "rating_max", "has_rating", "has_time") if k in info}
        self.n_users, self.n_items = int(info.get("n_users", 0)), int(info.get("n_items", 0))
        self.top_k = int(info.get("top_k", 10))
        self.seed = ctx.seed if ctx is not None else 0
        self.n_threads = max(1, ctx.n_threads) if ctx is not None else 1
        self.seen: sp.csr_matrix | None = None
        self.profile: sp.csr_matrix | None = None
        self.popularity = np.zeros(0)
        self.history: dict[str, Any] = {}
        # a model fitted with validation rows keeps them, with its training positives, to serve from the
        # users' whole history (see ``serving``); a model refit on all the data has none
        self.rows: dict[str, np.ndarray] | None = None
        self.held_out: dict[str, np.ndarray] | None = None
        self._serving: Recommender | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "ctx": None, "_serving": None}  # the context holds the live trial

    # -- training -------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Any = None, X_valid: pd.DataFrame | None = None,
            y_valid: Any = None) -> Recommender:
        from threadpoolctl import threadpool_limits

        frames = [X] if X_valid is None else [X, X_valid]
        self.n_users = max(self.n_users, *(int(f["user"].max()) + 1 for f in frames))
        self.n_items = max(self.n_items, *(int(f["item"].max()) + 1 for f in frames))
        data = build_interactions(X, (self.n_users, self.n_items), self.params, self.info)
        self.seen, self.profile, self.popularity = data.seen, data.profile, data.counts
        validation = None
        if X_valid is not None and len(X_valid):
            self.rows = data.rows
            self.held_out = {"user": X_valid["user"].to_numpy(np.int64), "item": X_valid["item"].to_numpy(np.int64),
                             "time": X_valid["time"].to_numpy(float),
                             "positive": positive_rows(X_valid, self.params, self.info)}
            if y_valid is not None and self.ctx is not None:
                validation = Validation(self, X_valid, y_valid, self.ctx)
        with threadpool_limits(self.n_threads):
            self._fit(data, validation)
        self.ctx = None
        return self

    def _fit(self, data: Interactions, validation: Validation | None) -> None:
        raise NotImplementedError

    def out_of_time(self) -> bool:
        return self.ctx is not None and self.ctx.out_of_time()

    # -- scoring --------------------------------------------------------------------
    def _scores(self, users: np.ndarray) -> np.ndarray:
        """Scores of every item for ``users`` (all known, with history): an array (len(users), n_items)."""
        raise NotImplementedError

    def _popular_scores(self, n: int) -> np.ndarray:
        return np.tile(self.popularity / max(float(self.popularity.max(initial=0.0)), 1.0), (n, 1))

    def recommend(self, users: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k item codes and scores per user; users without history get the most popular items."""
        assert self.seen is not None and self.profile is not None, "fit the model first"
        users = np.asarray(users, dtype=np.int64)
        items, scores = np.full((len(users), k), -1, dtype=np.int64), np.full((len(users), k), np.nan)
        known = (users >= 0) & (users < self.seen.shape[0])
        warm = known.copy()
        warm[known] = np.diff(self.profile.indptr)[users[known]] > 0
        untrained = self.popularity <= 0  # e.g. items seen only in the validation rows: never recommended
        tie = TIE_BREAK * self.popularity / max(float(self.popularity.max(initial=0.0)), 1.0)
        batch = max(1, SCORE_CELLS // max(self.n_items, 1))
        for group, model_scores in ((np.flatnonzero(warm), True), (np.flatnonzero(~warm), False)):
            for start in range(0, len(group), batch):
                rows = group[start:start + batch]
                block = self._scores(users[rows]) if model_scores else self._popular_scores(len(rows))
                block = np.array(block, dtype=np.float64) + tie
                block[~np.isfinite(block)] = -np.inf
                block[:, untrained] = -np.inf
                self._exclude_seen(block, users[rows])
                items[rows], scores[rows] = top_k(block, k)
        return items, scores

    def _exclude_seen(self, block: np.ndarray, users: np.ndarray) -> None:
        assert self.seen is not None
        rows = np.flatnonzero((users >= 0) & (users < self.seen.shape[0]))
        if len(rows) == 0:
            return
        sub = self.seen[users[rows]]
        block[np.repeat(rows, np.diff(sub.indptr)), sub.indices] = -np.inf

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Per row, its user's list: shape (rows, 2, K), item codes then scores (see the task module).

        ``X.attrs["top_k"]`` overrides K; ``X.attrs["serving"]`` (set by the task's ``prepare``) serves
        from every interaction the model was given, held-out rows included (see ``serving``).
        """
        users = X["user"].to_numpy(np.int64)
        k = int(X.attrs.get("top_k") or self.top_k)
        distinct, inverse = np.unique(users, return_inverse=True)
        model = self.serving() if X.attrs.get("serving") else self
        items, scores = model.recommend(distinct, k)
        # float32 holds item codes exactly below 2**24 and halves the validation predictions the core stores
        out = np.empty((len(users), 2, k), dtype=np.float32 if self.n_items < 2**24 else np.float64)
        out[:, 0, :], out[:, 1, :] = items[inverse], scores[inverse]
        return out

    def serving(self) -> Recommender:
        """This model with the held-out rows folded into the users' histories, when it was fitted with them.

        The core may keep a trial's fold model as the final model when a refit would not fit in the time
        budget. A recommender that forgot each user's latest interactions would recommend them again and miss
        the recent taste the recency weighting relies on, so the held-out rows join the seen items, the
        (recency-weighted) profiles and the popularity counts; learnt weights and factors stay as they are.
        """
        if self.held_out is None or self.rows is None or self.seen is None:
            return self
        if self._serving is None:
            held, rows, shape = self.held_out, self.rows, self.seen.shape
            view = object.__new__(type(self))  # not copy.copy: that goes through __getstate__, which may slim
            view.__dict__.update(self.__dict__)
            extra = _matrix(held["user"], held["item"], np.ones(len(held["user"])), shape)
            view.seen = (self.seen + extra).tocsr()
            view.seen.data[:] = 1.0
            positive = held["positive"]
            view.profile = weighted_profile(np.concatenate([rows["user"], held["user"][positive]]),
                                            np.concatenate([rows["item"], held["item"][positive]]),
                                            np.concatenate([rows["time"], held["time"][positive]]), shape, self.params)
            view.popularity = np.asarray(view.seen.sum(axis=0)).ravel().astype(np.float64)
            view.rows = view.held_out = None
            view.reset_caches()
            self._serving = view
        return self._serving

    def reset_caches(self) -> None:
        """Drop anything derived from ``profile`` (subclasses cache such things)."""
        return None

    # -- files ----------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        return {}

    def restore(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        return None

    def meta(self) -> dict[str, Any]:
        return {}

    def save_extra(self, folder: Path) -> None:
        return None


def _sparse_arrays(name: str, matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    return {f"{name}.data": matrix.data, f"{name}.indices": matrix.indices, f"{name}.indptr": matrix.indptr,
            f"{name}.shape": np.asarray(matrix.shape, dtype=np.int64)}


def sparse_from(arrays: dict[str, np.ndarray], name: str) -> sp.csr_matrix:
    shape = tuple(int(s) for s in arrays[f"{name}.shape"])
    return sp.csr_matrix((arrays[f"{name}.data"], arrays[f"{name}.indices"], arrays[f"{name}.indptr"]), shape=shape)


def save(model: Recommender, folder: Path) -> None:
    assert model.seen is not None and model.profile is not None, "fit the model first"
    folder = Path(folder)
    arrays = {**_sparse_arrays("seen", model.seen), **_sparse_arrays("profile", model.profile),
              "popularity": model.popularity, **model.arrays()}
    if model.rows is not None and model.held_out is not None:
        arrays.update({f"rows.{k}": v for k, v in model.rows.items()})
        arrays.update({f"held_out.{k}": v for k, v in model.held_out.items()})
    np.savez(folder / ARRAYS_FILE, **arrays)
    meta = {"format": FORMAT_VERSION, "model": model.key, "params": model.params, "n_users": model.n_users,
            "n_items": model.n_items, "top_k": model.top_k, "info": model.info, "history": model.history,
            **model.meta()}
    (folder / META_FILE).write_text(json.dumps(meta, indent=1, default=_json_default) + "\n")
    model.save_extra(folder)


def _json_default(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else str(value)


def loader(cls: type[Recommender]) -> Callable[[Path], Recommender]:
    def load(folder: Path) -> Recommender:
        folder = Path(folder)
        meta_path, arrays_path = folder / META_FILE, folder / ARRAYS_FILE
        if not meta_path.is_file() or not arrays_path.is_file():
            raise UserError(f"model files are missing from {folder}; the run's best/ folder is incomplete")
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != FORMAT_VERSION or meta.get("model") != cls.key:
            raise UserError(f"{meta_path} holds a '{meta.get('model')}' model of format {meta.get('format')}; "
                            f"expected '{cls.key}' format {FORMAT_VERSION}")
        model = cls(meta["params"], None)
        model.n_users, model.n_items, model.top_k = int(meta["n_users"]), int(meta["n_items"]), int(meta["top_k"])
        model.info, model.history = meta.get("info", {}), meta.get("history", {})
        with np.load(arrays_path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        model.seen, model.profile = sparse_from(arrays, "seen"), sparse_from(arrays, "profile")
        model.popularity = arrays["popularity"]
        if "rows.user" in arrays:
            model.rows = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("rows.")}
            model.held_out = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("held_out.")}
        model.restore(arrays, folder)
        return model

    return load


def building(cls: type[Recommender]) -> Callable[[dict[str, Any], SearchContext], Recommender]:
    def build(params: dict[str, Any], ctx: SearchContext) -> Recommender:
        return cls(params, ctx)

    return build


def model_spec(cls: type[Recommender], search_space: Callable[[Any, SearchContext], dict[str, Any]],
               build: Callable[[dict[str, Any], SearchContext], Recommender] | None = None,
               **fields: Any) -> ModelSpec:
    """A recommender's :class:`ModelSpec`: its key, the task, the shared files (:func:`save`, :func:`loader`)
    and :func:`building` unless ``build`` is given; ``fields`` are the rest (defaults, description...)."""
    return ModelSpec(key=cls.key, task="recommend", search_space=search_space, build=build or building(cls),
                     save=save, load=loader(cls), **fields)
