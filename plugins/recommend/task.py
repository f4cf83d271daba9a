"""The recommend task: an interactions log in, a recommender and top-K lists out.

The core sees rows, and here a row is one interaction:

- ``X`` is a DataFrame with integer codes ``user`` and ``item``, the
  ``rating`` (1.0 without a rating column) and the ``time`` (the row's position
  without a time column);
- ``y`` is the int array ``[[user, item], ...]`` of the same rows, so metrics
  can group the held-out interactions by user;
- a model's ``predict(X)`` returns, for every row, its user's top-K list as a
  float array of shape ``(rows, 2, K)``: item codes in ``[:, 0]`` (-1 where a
  user has fewer than K candidates) and scores in ``[:, 1]``. A user's items
  from training are never recommended again.

Codes are positions in the sorted id lists kept in the schema (``user_ids``,
``item_ids``): ``prepare`` and ``format_predictions`` only get the schema, and
they turn ids into codes and back.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.kit import (
    Batch,
    Dataset,
    DataSource,
    Fold,
    TaskOption,
    TaskSpec,
    TaskWords,
    UserError,
    read_table,
    source_name,
)
from automl_plugins.recommend import catalogue
from automl_plugins.recommend import columns as cols
from automl_plugins.recommend.report import section

NAME = "recommend"
KIND = "interactions"
HOLDOUT_SHARE = 0.2
DEFAULT_TOP_K = 10
MAX_TOP_K = 1000
DETECTED = 0.9
# options only this task reads: naming a user or item column with --task auto picks this task
OWN_OPTIONS = ("user_column", "item_column")


def detect(source: DataSource, options: Mapping[str, Any]) -> float:
    """Only when asked: an interactions log looks like any table, so ``--task recommend`` (or a user/item
    column option) chooses this task."""
    return DETECTED if any(options.get(name) for name in OWN_OPTIONS) else 0.0


def top_k_option(options: Mapping[str, Any], default: int = DEFAULT_TOP_K) -> int:
    value = options.get("top_k")
    if value is None or value == "":
        return default
    try:
        k = int(value)
    except (TypeError, ValueError):
        k = 0
    if k < 1 or k > MAX_TOP_K or str(k) != str(value).strip():
        raise UserError(f"--top-k must be a whole number from 1 to {MAX_TOP_K}, not {value!r}")
    return k


def _codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), sort=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def load(source: DataSource, options: Mapping[str, Any]) -> Dataset:
    where = source_name(source)
    notes: list[str] = []
    frame = read_table(source, notes)
    found = cols.find_columns(frame, options, where)
    top_k = top_k_option(options)
    if options.get("items"):  # checked now, so a wrong --items stops the fit rather than the report
        catalogue.read_catalogue(options["items"], found.item)
    cols.check_ids(frame, found.user, "user", where)
    cols.check_ids(frame, found.item, "item", where)
    rating = cols.ratings(frame, found.rating, where) if found.rating else np.ones(len(frame))
    time = cols.times(frame, found.time, where, notes) if found.time else np.arange(len(frame), dtype=float)
    rated = ~np.isnan(rating)
    if not rated.all():
        notes.append(f"ignored {int((~rated).sum())} interactions whose rating '{found.rating}' is missing")
        frame, rating, time = frame.loc[rated].reset_index(drop=True), rating[rated], time[rated]
    user, user_keys = _codes(cols.id_keys(frame[found.user]))
    item, item_keys = _codes(cols.id_keys(frame[found.item]))
    _check_shape(user, item, user_keys, item_keys, found, where)
    # one row per (user, item): a repeated interaction keeps its latest time and rating
    order = np.lexsort((np.arange(len(user)), time, item, user))
    last = np.ones(len(order), dtype=bool)
    last[:-1] = (user[order][1:] != user[order][:-1]) | (item[order][1:] != item[order][:-1])
    keep = np.sort(order[last])
    if len(keep) < len(user):
        notes.append(f"{len(user) - len(keep)} repeated (user, item) interactions were merged into their latest one")
    user, item, rating, time = user[keep], item[keep], rating[keep], time[keep]
    X = pd.DataFrame({"user": user, "item": item, "rating": rating.astype(float), "time": time.astype(float)})
    y = np.column_stack([user, item]).astype(np.int64)
    schema = {
        "user_column": found.user, "item_column": found.item, "rating_column": found.rating,
        "time_column": found.time, "top_k": top_k, "n_users": len(user_keys), "n_items": len(item_keys),
        "user_ids": cols.json_ids(user_keys), "item_ids": cols.json_ids(item_keys),
    }
    has_rating = found.rating is not None and float(np.ptp(rating)) > 0
    info = {
        "n_users": len(user_keys), "n_items": len(item_keys), "n_interactions": len(user),
        "density": len(user) / (len(user_keys) * len(item_keys)),
        "has_rating": has_rating, "rating_min": float(rating.min()), "rating_max": float(rating.max()),
        "has_time": found.time is not None, "top_k": top_k,
        "columns": {"user": found.user, "item": found.item, "rating": found.rating, "time": found.time},
    }
    return Dataset(task=NAME, kind=KIND, X=X, y=y, schema=schema, notes=notes, info=info)


def _check_shape(user: np.ndarray, item: np.ndarray, user_keys: np.ndarray, item_keys: np.ndarray,
                 found: cols.Columns, where: str) -> None:
    if len(user_keys) < 2:
        raise UserError(
            f"column '{found.user}' of {where} has only one user ({user_keys[0]!r}); a recommender learns from the "
            f"interactions of many users: check that '{found.user}' is the user column (or name it with --user-col)"
        )
    if len(item_keys) < 2:
        raise UserError(
            f"column '{found.item}' of {where} has only one item ({item_keys[0]!r}); there is nothing to rank: check "
            f"that '{found.item}' is the item column (or name it with --item-col)"
        )
    if np.bincount(user).max() < 2:
        raise UserError(
            f"no user repeats in column '{found.user}' of {where}: every user has one interaction, so there is no "
            f"history to learn from or to validate on; is '{found.user}' really the user column? Name it with "
            "--user-col, or give a log with several interactions per user"
        )


def split(dataset: Dataset, seed: int) -> list[Fold]:
    """Per user: the latest 20% of interactions (at least one) are held out; random without times.

    A user with a single interaction stays in training only.
    """
    X = dataset.X
    user = X["user"].to_numpy()
    if dataset.info.get("has_time"):
        order = np.lexsort((np.arange(len(user)), X["time"].to_numpy(), user))
    else:
        order = np.lexsort((np.random.default_rng(seed).random(len(user)), user))
    counts = np.bincount(user)
    sorted_users = user[order]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.arange(len(user)) - starts[sorted_users]
    n = counts[sorted_users]
    held = np.where(n >= 2, np.maximum(1, np.floor(HOLDOUT_SHARE * n)), 0)
    valid = position >= n - held
    return [(np.sort(order[~valid]), np.sort(order[valid]))]


def default_metric(dataset: Dataset) -> str:
    return "ndcg"


def _user_column(frame: pd.DataFrame, schema: Mapping[str, Any], where: str) -> str:
    name = schema.get("user_column")
    if name in frame.columns:
        return str(name)
    if len(frame.columns) == 1:
        return str(frame.columns[0])
    for candidate in ("user", "user_id", "userId"):
        if candidate in frame.columns:
            return candidate
    raise UserError(
        f"no user column '{name}' in {where} (columns: {cols.columns_listing(frame)}); give a CSV with a column "
        f"'{name}' of the users to recommend for"
    )


def prepare(source: DataSource, schema: Mapping[str, Any]) -> Batch:
    """One row per distinct user of the file, in order of appearance; unknown users get code -1."""
    where = source_name(source)
    frame = read_table(source)
    column = _user_column(frame, schema, where)
    cols.check_ids(frame, column, "user", where)
    keys = cols.id_keys(frame[column])
    first = np.sort(np.unique(keys, return_index=True)[1])
    keys, originals = keys[first], frame[column].iloc[first].reset_index(drop=True)
    known = pd.Series(np.arange(len(schema["user_ids"])), index=[str(u) for u in schema["user_ids"]])
    codes = known.reindex(keys).fillna(-1).to_numpy(dtype=np.int64)
    top_k = top_k_option(schema, DEFAULT_TOP_K)
    X = pd.DataFrame({"user": codes})
    X.attrs["top_k"] = top_k
    X.attrs["serving"] = True  # models serve from every interaction they were given (held-out rows included)
    return Batch(X=X, ids=originals.rename("user"), extra={"known": codes >= 0, "top_k": top_k})


def format_predictions(raw: np.ndarray, batch: Batch, schema: Mapping[str, Any]) -> pd.DataFrame:
    """``user, rank, item, score, fallback``: K rows per user, best first, with the original ids."""
    raw = np.asarray(raw, dtype=float)
    k = min(int(batch.extra.get("top_k", raw.shape[2])), raw.shape[2])
    items, scores = raw[:, 0, :k].astype(np.int64), raw[:, 1, :k]
    n = len(items)
    users = np.repeat(np.asarray(batch.ids, dtype=object), k) if batch.ids is not None else np.repeat(np.arange(n), k)
    fallback = np.repeat(~np.asarray(batch.extra.get("known", np.ones(n, dtype=bool))), k)
    flat, present = items.ravel(), items.ravel() >= 0
    item_ids = np.asarray(schema["item_ids"], dtype=object)
    return pd.DataFrame({
        "user": users[present],
        "rank": np.tile(np.arange(1, k + 1), n)[present],
        "item": item_ids[flat[present]],
        "score": np.round(scores.ravel()[present], 6),
        "fallback": fallback[present],
    })


def sample_data(folder: Path) -> tuple[DataSource, dict[str, Any]]:
    """Generated interactions with planted taste groups, for the conformance kit and the demo."""
    from automl_plugins.recommend.sample import interactions_frame

    path = Path(folder) / "interactions.csv"
    interactions_frame(n_users=150, n_items=100, seed=0).to_csv(path, index=False)
    return path, {}


WORDS = TaskWords(
    unit="user",
    units="users",
    predicts="the {top_k} items each user is most likely to pick next",
    target="the next items",
    metrics={
        "ndcg": "ranking quality of each user's top {top_k} (NDCG)",
        "recall": "share of each user's next items found in their top {top_k} (recall)",
        "map": "precision along each user's top {top_k} (MAP)",
        "hit_rate": "share of users whose next item is in their top {top_k} (hit rate)",
        "coverage": "share of the catalogue recommended to at least one user (coverage)",
    },
    metric_glosses={
        "ndcg": "1 when each user's held-out items are at the top of their list, less the lower they sit, 0 when "
                "none is in the top {top_k}; averaged over users",
        "recall": "of the items each user really picked next, the share the top {top_k} contains; averaged over users",
        "map": "how early in the top {top_k} the held-out items appear (mean average precision over users)",
        "hit_rate": "the share of users with at least one of their next items in the top {top_k}",
        "coverage": "the share of all items that appear in someone's top {top_k}: low means only the popular ones",
    },
    glossary={
        "held-out items": "each user's latest items (or a random few), hidden from the models and used to score "
                          "their recommendations",
    },
    placeholders={"top_k": str(DEFAULT_TOP_K)},
)


RECOMMEND = TaskSpec(
    name=NAME,
    detect=detect,
    load=load,
    split=split,
    default_metric=default_metric,
    prepare=prepare,
    format_predictions=format_predictions,
    sample_data=sample_data,
    ensemble=False,
    description="a user-item interactions log: top-K recommendations (popularity, item-kNN, EASE, ALS, BPR, NCF)",
    options=(
        TaskOption("user_column", "The user id column (default: detected, e.g. userId)."),
        TaskOption("item_column", "The item id column (default: detected, e.g. movieId)."),
        TaskOption("rating_column", "The rating column, or 'none' for implicit feedback only."),
        TaskOption("time_column", "The timestamp column, or 'none' for a random per-user split."),
        TaskOption("top_k", "Items per user that validation scores and predict recommends.", type=int, minimum=1,
                   default=DEFAULT_TOP_K, at_predict=True),
        TaskOption("items", "Item metadata CSV (titles, genres).", type=Path),
    ),
    words=WORDS,
    report=section,
)
