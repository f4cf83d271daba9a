"""Generated interactions with planted structure: groups of users who like groups of items.

Each user belongs to one of ``n_groups`` taste groups and each item to one of
as many item groups. Most of a user's interactions come from the items of the
user's group, the rest from a global popularity curve, so popularity alone is
a weak recommender and a collaborative model that finds the groups is a strong
one. Ratings are higher inside the group; timestamps increase per user.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def interactions_frame(n_users: int = 150, n_items: int = 100, n_groups: int = 4, per_user: tuple[int, int] = (12, 30),
                       in_group: float = 0.8, seed: int = 0) -> pd.DataFrame:
    """Columns ``user_id`` (``u0001``...), ``item_id`` (``i001``...), ``rating`` (1-5) and ``timestamp``."""
    rng = np.random.default_rng(seed)
    user_group = rng.integers(n_groups, size=n_users)
    item_group = rng.permutation(np.arange(n_items) % n_groups)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8
    popularity = rng.permutation(popularity / popularity.sum())
    rows_user, rows_item, rows_rating, rows_time = [], [], [], []
    start = 1_600_000_000
    for user in range(n_users):
        count = int(rng.integers(per_user[0], per_user[1] + 1))
        liked = np.flatnonzero(item_group == user_group[user])
        taste = popularity[liked] / popularity[liked].sum()
        from_group = rng.random(count) < in_group
        items = np.where(from_group, rng.choice(liked, size=count, p=taste), rng.choice(n_items, size=count,
                                                                                         p=popularity))
        items = list(dict.fromkeys(items.tolist()))  # distinct, first occurrence kept
        match = item_group[items] == user_group[user]
        ratings = np.clip(np.where(match, rng.normal(4.2, 0.7, len(items)), rng.normal(2.6, 1.0, len(items))), 1, 5)
        times = start + np.sort(rng.integers(0, 90 * 86400, size=len(items)))
        rows_user += [f"u{user + 1:04d}"] * len(items)
        rows_item += [f"i{i + 1:03d}" for i in items]
        rows_rating += (np.round(ratings * 2) / 2).tolist()
        rows_time += times.tolist()
    return pd.DataFrame({"user_id": rows_user, "item_id": rows_item, "rating": rows_rating, "timestamp": rows_time})
