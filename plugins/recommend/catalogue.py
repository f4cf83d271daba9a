"""The item catalogue a user gives with ``--items``: a table of item ids and titles.

Interactions logs rarely carry titles (MovieLens keeps them in ``movies.csv``),
so without a catalogue the report's example users read as lists of ids. The
file is checked when the run starts, so a wrong path or a file that is not a
catalogue (no item column, no title) is one error line at fit time instead of
an option accepted and then ignored. Titles are read again when the report is
written; the catalogue is never copied into the run folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from automl.kit import UserError, read_table

# normalised column names (lower case, no separators) that hold an item's name, the most telling first
TITLE_NAMES = ("title", "name", "itemtitle", "itemname", "producttitle", "productname", "movietitle", "moviename",
               "booktitle", "songtitle", "songname", "trackname", "tracktitle", "articletitle", "description")


def normalised(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def title_column(frame: pd.DataFrame, exclude: set[object] | frozenset[object] = frozenset()) -> str | None:
    """The title-like column of ``frame`` (``title``, ``name``...), leaving out the columns in ``exclude``."""
    names = {normalised(c): c for c in frame.columns if c not in exclude}
    return next((names[n] for n in TITLE_NAMES if n in names), None)


def read_catalogue(path: str | Path, item_column: str) -> tuple[pd.DataFrame, str]:
    """The catalogue table and its title column; one error line when it cannot serve as one."""
    frame = read_table(Path(path))
    shown = ", ".join(map(str, frame.columns[:12])) + (", ..." if len(frame.columns) > 12 else "")
    if item_column not in frame.columns:
        raise UserError(f"--items {path} has no column '{item_column}' (the item column of the interactions), so "
                        f"its rows cannot be matched to items; its columns are: {shown}")
    title = title_column(frame, {item_column})
    if title is None:
        raise UserError(f"--items {path} has no title column ({', '.join(TITLE_NAMES[:4])}...) to show items by; "
                        f"its columns are: {shown}")
    return frame, title


def titles(path: str | Path, item_column: str) -> dict[str, str]:
    """Item id (as the text key the run's schema uses) -> title, from the catalogue file."""
    from automl_plugins.recommend.columns import id_keys

    frame, title = read_catalogue(path, item_column)
    pairs = frame[[item_column, title]].dropna()
    keys = id_keys(pairs[item_column])
    return {str(k): str(v) for k, v in zip(keys, pairs[title].to_numpy(), strict=True)}
