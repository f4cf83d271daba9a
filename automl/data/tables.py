"""Read CSV, TSV and Parquet files into DataFrames, or fail with one clear line.

Users bring files exported from spreadsheets and databases: unknown delimiters,
Windows encodings, ``?`` for missing values, binary files renamed to .csv. Each
of these is handled or named here, once, for every task plugin.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pandas as pd

from automl.errors import UserError
from automl.specs import DataSource

MISSING_MARKERS = ["", "?", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "-"]
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
_SNIFF_BYTES = 64 * 1024
_PARQUET_MAGIC = b"PAR1"


def source_name(source: DataSource) -> str:
    return "the data frame" if isinstance(source, pd.DataFrame) else str(source)


def read_table(source: DataSource) -> pd.DataFrame:
    """A DataFrame from a frame, CSV, TSV or Parquet path, with missing markers as NaN."""
    if isinstance(source, pd.DataFrame):
        _check_duplicate_columns(list(map(str, source.columns)), "the data frame")
        return source.copy()
    path = Path(source)
    if not path.exists():
        raise UserError(f"file not found: {path}; check the path")
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a table; pass a CSV, TSV or Parquet file")
    head = path.read_bytes()[:_SNIFF_BYTES] if path.stat().st_size else b""
    if not head.strip():
        raise UserError(f"{path} is empty; it needs a header row and at least one data row")
    if head.startswith(_PARQUET_MAGIC) or path.suffix.lower() in {".parquet", ".pq"}:
        return _read_parquet(path)
    if b"\x00" in head:
        raise UserError(
            f"{path} looks like a binary file, not CSV text; export it as CSV, TSV or Parquet"
        )
    encoding = _detect_encoding(head, path)
    text_head = head.decode(encoding, errors="replace")
    delimiter = _sniff_delimiter(text_head, path)
    header = next(csv.reader(io.StringIO(text_head), delimiter=delimiter), [])
    _check_duplicate_columns([h.strip() for h in header], str(path))
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            encoding=encoding,
            na_values=MISSING_MARKERS,
            keep_default_na=True,
            skipinitialspace=True,
            low_memory=False,
        )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise UserError(f"cannot parse {path} as a table: {first}; check the delimiter and quoting") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise UserError(f"{path} has a header but no data rows")
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for bad files
        raise UserError(f"cannot read {path} as Parquet: {exc}") from exc
    _check_duplicate_columns(list(map(str, frame.columns)), str(path))
    if frame.empty:
        raise UserError(f"{path} has no rows")
    return frame


def _detect_encoding(head: bytes, path: Path) -> str:
    for encoding in _ENCODINGS:
        try:
            head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise UserError(f"cannot decode {path}: it is neither UTF-8 nor Windows-1252 text")


def _sniff_delimiter(text: str, path: Path) -> str:
    lines = text.splitlines()
    sample = "\n".join(lines[:50]) if len(lines) > 1 else text
    if path.suffix.lower() == ".tsv":
        return "\t"
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t|"}
        best = max(counts, key=counts.__getitem__)
        return best if counts[best] else ","


def _check_duplicate_columns(columns: list[str], where: str) -> None:
    duplicated = sorted(name for name, count in Counter(columns).items() if count > 1)
    if duplicated:
        names = ", ".join(repr(n) for n in duplicated)
        raise UserError(f"duplicate column names in {where}: {names}; give every column a unique name")
