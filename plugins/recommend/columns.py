"""Which columns hold the user, the item, the rating and the time, and their checks.

Columns are found by name (``userId``, ``user_id``, ``customer``; ``movieId``,
``item_id``, ``product``; ``rating``, ``score``; ``timestamp``, ``date``), and
options name them explicitly. Every problem is one :class:`UserError` line that
names the column and says how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl.kit import UserError, columns_listing, date_order, parse_dates, refuse_non_finite

NONE_NAMES = {"", "none", "no", "-"}  # `--rating-col none` turns a detected column off
OPTION_FLAGS = {"user_column": "--user-col", "item_column": "--item-col", "rating_column": "--rating-col",
                "time_column": "--time-col"}

# normalised names (lower case, no separators), exact matches first, then name parts
_EXACT = {
    "user_column": ("userid", "user", "users", "uid", "customerid", "customer", "clientid", "client", "visitorid",
                    "visitor", "memberid", "member", "accountid", "account", "reviewerid", "reviewer", "viewerid",
                    "listenerid", "readerid", "buyerid", "sessionid", "personid"),
    "item_column": ("itemid", "item", "items", "iid", "movieid", "movie", "productid", "product", "sku", "articleid",
                    "article", "trackid", "track", "songid", "song", "bookid", "book", "isbn", "asin", "contentid",
                    "videoid", "video", "courseid", "course", "postid", "businessid", "restaurantid", "artistid",
                    "animeid", "gameid", "recipeid", "title"),
    "rating_column": ("rating", "ratings", "score", "stars", "star", "preference", "feedback", "value", "weight",
                      "playcount", "plays", "count", "clicks", "quantity", "qty"),
    "time_column": ("timestamp", "time", "date", "datetime", "ts", "eventtime", "createdat", "ratedat", "when",
                    "unixtime", "unixreviewtime", "eventdate", "orderdate", "day"),
}
_PARTS = {
    "user_column": ("user", "customer", "client", "visitor", "member", "reviewer"),
    "item_column": ("item", "movie", "product", "sku", "article", "track", "song", "book", "video", "course"),
    "rating_column": ("rating", "score", "stars"),
    "time_column": ("timestamp", "time", "date"),
}


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _by_name(frame: pd.DataFrame, role: str, taken: set[str]) -> str | None:
    free = [c for c in frame.columns if c not in taken]
    names = {c: _normalise(c) for c in free}
    for wanted in _EXACT[role]:
        for column, name in names.items():
            if name == wanted:
                return column
    for part in _PARTS[role]:
        for column, name in names.items():
            if part in name and not (role == "user_column" and "item" in name):
                return column
    return None


@dataclass(frozen=True)
class Columns:
    user: str
    item: str
    rating: str | None
    time: str | None


def find_columns(frame: pd.DataFrame, options: Mapping[str, Any], where: str) -> Columns:
    """The four roles: named by an option (which must exist), else detected by name."""
    chosen: dict[str, str | None] = {}
    taken: set[str] = set()
    for role in ("user_column", "item_column", "rating_column", "time_column"):
        named = options.get(role)
        if role == "rating_column" and named is None and options.get("target"):
            named = options["target"]  # `--target rating` names the rating column
        if named is not None and str(named).strip().lower() in NONE_NAMES and role in ("rating_column", "time_column"):
            chosen[role] = None
            continue
        if named is not None and str(named).strip():
            name = str(named).strip()
            if name not in frame.columns:
                raise UserError(
                    f"{role.replace('_', ' ')} '{name}' ({OPTION_FLAGS[role]}) not found in {where}; columns are: "
                    f"{columns_listing(frame)}"
                )
            if name in taken:
                raise UserError(f"column '{name}' of {where} was given two roles; each of user, item, rating and "
                                "time needs its own column")
            chosen[role] = name
        else:
            chosen[role] = _by_name(frame, role, taken)
        if chosen[role] is not None:
            taken.add(str(chosen[role]))
    for role in ("user_column", "item_column"):
        if chosen[role] is None:
            what = role.split("_")[0]
            raise UserError(
                f"no {what} column found in {where} (columns: {columns_listing(frame)}); the recommend task needs "
                f"one column of user ids and one of item ids: name the {what} column with {OPTION_FLAGS[role]}"
            )
    return Columns(str(chosen["user_column"]), str(chosen["item_column"]), chosen["rating_column"],
                   chosen["time_column"])


def id_keys(values: pd.Series) -> np.ndarray:
    """Ids as text keys that match across files: ``7``, ``7.0`` and ``" 7"`` are the same id."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype(str).to_numpy(dtype=object)
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype=float)
        if np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)):
            return values.to_numpy(dtype=float).astype(np.int64).astype(str).astype(object)
        return values.astype(str).to_numpy(dtype=object)
    text = values.astype(str).str.strip()
    as_number = pd.to_numeric(text, errors="coerce")
    integral = as_number.notna() & (as_number == as_number.round()) & text.str.fullmatch(r"[+-]?\d+(\.0*)?")
    if integral.all():  # "007" stays "007" unless every id is a plain integer written as one
        return as_number.astype(np.int64).astype(str).to_numpy(dtype=object)
    return text.to_numpy(dtype=object)


def json_ids(keys: np.ndarray) -> list[Any]:
    """Ids for the JSON schema: integers when every id is one, else text."""
    try:
        numbers = [int(k) for k in keys]
    except ValueError:
        return [str(k) for k in keys]
    return numbers if all(str(n) == k for n, k in zip(numbers, keys, strict=True)) else [str(k) for k in keys]


def _rows(mask: np.ndarray, limit: int = 3) -> str:
    rows = np.flatnonzero(mask)[:limit] + 1
    return ", ".join(str(r) for r in rows) + (", ..." if mask.sum() > limit else "")


def check_ids(frame: pd.DataFrame, column: str, role: str, where: str) -> None:
    missing = frame[column].isna().to_numpy()
    if missing.any():
        raise UserError(
            f"column '{column}' of {where} has {int(missing.sum())} missing {role} ids (data rows {_rows(missing)}); "
            f"every interaction needs a {role}: fill them in or drop those rows"
        )


def ratings(frame: pd.DataFrame, column: str, where: str) -> np.ndarray:
    values = frame[column]
    numbers = pd.to_numeric(values, errors="coerce")
    bad = (numbers.isna() & values.notna()).to_numpy()
    if bad.any():
        example = values[bad].iloc[0]
        raise UserError(
            f"column '{column}' of {where} must hold numeric ratings, but {int(bad.sum())} values are not numbers "
            f"(e.g. {example!r} in data row {_rows(bad, 1)}); fix them, name another column with --rating-col, "
            "or pass --rating-col none to treat every row as one interaction"
        )
    refuse_non_finite(values, column, where, numeric_only=False, role="rating")
    return numbers.to_numpy(dtype=float)


def times(frame: pd.DataFrame, column: str, where: str, notes: list[str] | None = None) -> np.ndarray:
    """Seconds (or any increasing number) per row: numbers as they are, dates parsed.

    A column of mostly numbers is numbers: a word among Unix times (``yesterday``)
    is the value the error quotes, not a valid time beside it. Dates written
    ``04/02/2021`` are read day or month first as the column shows (a note
    says which), or refused when it cannot tell.
    """
    values = frame[column]
    present = values.notna() & (values.astype("string").str.strip() != "").fillna(False)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        parsed = values.to_numpy(dtype=float)
    else:
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().sum() >= 0.5 * max(int(present.sum()), 1):
            parsed = numbers.to_numpy(dtype=float)
        else:
            reading = date_order(values, column, where)
            if reading.note and notes is not None:
                notes.append(reading.note)
            parsed = _seconds(parse_dates(values, reading.order))
    bad = np.isnan(parsed)
    if bad.any():
        unreadable = bad & present.to_numpy(dtype=bool)
        first = unreadable if unreadable.any() else bad
        example = values[first].iloc[0]
        raise UserError(
            f"column '{column}' of {where} has {int(bad.sum())} missing or unreadable times (e.g. {example!r} in "
            f"data row {_rows(first, 1)}); fix them, or pass --time-col none to split users at random instead"
        )
    return parsed


def _seconds(dates: pd.Series) -> np.ndarray:
    """Seconds since 1970 of naive (UTC) datetimes; NaN where NaT."""
    out = np.full(len(dates), np.nan)
    ok = dates.notna().to_numpy()
    out[ok] = (dates[ok] - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy()
    return out
