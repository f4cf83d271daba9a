"""Read CSV, TSV and Parquet files into DataFrames, or fail with one clear line.

Users bring files exported from spreadsheets and databases: unknown delimiters,
Windows encodings, ``?`` for missing values, binary files renamed to .csv. Each
of these is handled or named here, once, for every task plugin.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

from automl.data.encoding import detect_encoding, display_name
from automl.data.records import check_quotes
from automl.errors import UserError
from automl.specs import DataSource

MISSING_MARKERS = ["", "?", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "-"]
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"
_PARQUET_MAGIC = b"PAR1"
_DECIMAL_COMMA = r"[+-]?\d+(,\d+)?"


def source_name(source: DataSource) -> str:
    return "the data frame" if isinstance(source, pd.DataFrame) else str(source)


def read_table(source: DataSource, notes: list[str] | None = None) -> pd.DataFrame:
    """A DataFrame from a frame, CSV, TSV or Parquet path, with missing markers as NaN.

    What the reading decided that the user should know (an encoding other
    than UTF-8, quotes read as text, rows spanning several lines) is appended
    to ``notes``, which a task's loader passes on as ``Dataset.notes``.
    """
    if isinstance(source, pd.DataFrame):
        names = [str(c).strip() for c in source.columns]
        _check_duplicate_columns(names, "the data frame", final=True)
        frame = source.copy()
        frame.columns = names  # as in a CSV, and as the JSON schema saved with a model records them
        return _markers_to_nan(frame)
    path = Path(source)
    if not path.exists():
        raise UserError(f"file not found: {path}; check the path")
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a table; pass a CSV, TSV or Parquet file")
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    truncated = path.stat().st_size > len(head)
    if not head.strip():
        raise UserError(f"{path} is empty; it needs a header row and at least one data row")
    if head.startswith(_PARQUET_MAGIC) or path.suffix.lower() in {".parquet", ".pq"}:
        return _read_parquet(path)
    encoding = detect_encoding(path)
    text_head = head.decode(encoding.codec, errors="replace")
    if truncated:  # the last line may be cut short
        text_head = text_head[: text_head.rfind("\n") + 1] or text_head
    delimiter = _sniff_delimiter(text_head, path)
    try:  # newline="": a bare \r ends a line, as it does for pandas
        header = next(csv.reader(io.StringIO(text_head, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:
        raise UserError(f"cannot parse the header of {path}: {exc}; check the delimiter and quoting") from exc
    _check_duplicate_columns([h.strip() for h in header], str(path))
    frame = _read_checked(path, delimiter, encoding.codec, notes if notes is not None else [])
    if encoding.note and notes is not None:
        notes.insert(0, encoding.note)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise UserError(f"{path} has a header but no data rows")
    if delimiter != ",":
        _decimal_commas(frame)
    return frame


def _read_checked(path: Path, delimiter: str, codec: str, notes: list[str]) -> pd.DataFrame:
    """The file read so that every line is kept (see :mod:`automl.data.records`), or a one-line UserError."""
    try:
        frame: pd.DataFrame | None = _read_csv(path, delimiter, codec)
        unparsed: UserError | None = None
    except UserError as exc:  # e.g. a stray quote that runs to the end of the file
        frame, unparsed = None, exc
    reading = check_quotes(path, codec, delimiter)
    if reading.quoting != csv.QUOTE_MINIMAL:
        frame = _read_csv(path, delimiter, codec, reading.quoting)
    if frame is None:
        raise unparsed or UserError(f"cannot parse {path} as a table; check the delimiter and quoting")
    if reading.rows is not None and len(frame) != reading.rows:
        raise UserError(
            f"{path} has {reading.rows:,} records but {len(frame):,} rows were read; check its quoting and line ends"
        )
    if reading.note:
        notes.append(reading.note)
    return frame


def _read_csv(path: Path, delimiter: str, codec: str, quoting: int = csv.QUOTE_MINIMAL) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                path,
                sep=delimiter,
                encoding=codec,
                quoting=quoting,
                na_values=MISSING_MARKERS,
                keep_default_na=True,
                skipinitialspace=True,
                low_memory=False,
                index_col=False,  # extra fields never become an index that shifts the columns
            )
    except UnicodeDecodeError as exc:  # detect_encoding decoded the whole file: only a file changed meanwhile
        raise UserError(f"cannot decode {path} as {display_name(codec)}; save it as UTF-8 and try again") from exc
    except pd.errors.ParserWarning as exc:  # rows wider than the header (trailing delimiters are fine)
        raise UserError(
            f"rows of {path} have more fields than its header has column names; check the delimiter and "
            "quoting, or name every column in the header"
        ) from exc
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise UserError(f"cannot parse {path} as a table: {first}; check the delimiter and quoting") from exc


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for bad files
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(f"cannot read {path} as Parquet: {first}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    _check_duplicate_columns(list(frame.columns), str(path), final=True)
    if frame.empty:
        raise UserError(f"{path} has no rows")
    return _markers_to_nan(frame)


def columns_listing(frame: pd.DataFrame, limit: int = 30) -> str:
    """The frame's column names for an error message: the first ``limit``, then how many in all."""
    names = [str(c) for c in frame.columns]
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def nested_kind(column: pd.Series, sample: int = 100) -> str | None:
    """``"list"``, ``"struct"`` or ``"map"`` when a column holds nested values, else None.

    Parquet (and a DataFrame) can hold a list, a struct or a map in one cell;
    pandas gives them to us as arrays, dicts and lists of pairs, which no
    column type understands and which break hashing (``nunique``), so each task
    must leave them out, or refuse them, by name. Only the first ``sample``
    present values are looked at: a column is nested or it is not.
    """
    if not pd.api.types.is_object_dtype(column.dtype):
        return None
    for value in column.dropna().head(sample):
        if isinstance(value, dict):
            return "struct"
        if isinstance(value, list | tuple | set | frozenset) or hasattr(value, "__array__"):
            pairs = len(value) > 0 and all(isinstance(v, tuple) and len(v) == 2 for v in value)
            return "map" if pairs else "list"
    return None


def _markers_to_nan(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells such as ``?`` or ``N/A`` become missing, as they do when a CSV is read."""
    for name in frame.columns[_text_columns(frame)]:
        column = frame[name]
        is_marker = column.astype("string").str.strip().isin(MISSING_MARKERS).fillna(False).to_numpy(dtype=bool)
        if is_marker.any():
            frame[name] = column.mask(is_marker)
    return frame


def _decimal_commas(frame: pd.DataFrame) -> None:
    """Numbers written with a decimal comma (``1,5``), as European spreadsheets export them."""
    for name in frame.columns[_text_columns(frame)]:
        text = frame[name].dropna().astype(str).str.strip()
        if len(text) and text.str.fullmatch(_DECIMAL_COMMA).all() and text.str.contains(",", regex=False).any():
            dotted = frame[name].astype("string").str.strip().str.replace(",", ".", regex=False)
            frame[name] = pd.to_numeric(dotted).astype(float)


def _text_columns(frame: pd.DataFrame) -> list[bool]:
    return [
        pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)
        for dtype in frame.dtypes
    ]


def _sniff_delimiter(text: str, path: Path) -> str:
    lines = text.splitlines()
    sample = "\n".join(lines[:50]) if len(lines) > 1 else text
    if path.suffix.lower() == ".tsv":
        return "\t"
    header_fields = {d: len(next(csv.reader([lines[0]], delimiter=d), [])) for d in _DELIMITERS} if lines else {}
    if header_fields and max(header_fields.values()) == 1:
        return ","  # a one-column file: commas inside its (quoted) texts are not delimiters
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in _DELIMITERS}
        best = max(counts, key=counts.__getitem__)
        return best if counts[best] else ","


def _check_duplicate_columns(columns: list[str], where: str, final: bool = False) -> None:
    # in a CSV header, blank names (a trailing delimiter, an index column) are named "Unnamed: N" by pandas;
    # in a frame or a Parquet file (``final``) the names are kept as they are, so blank ones must be unique too
    duplicated = sorted(name for name, count in Counter(columns).items() if count > 1 and (name or final))
    if duplicated:
        names = ", ".join(repr(n) for n in duplicated)
        raise UserError(f"duplicate column names in {where}: {names}; give every column a unique name")
