"""Property-based tests of the CSV sniffing (automl.data.tables) and the tabular type inference.

The properties: reading any file (random bytes, mixed encodings, ragged rows,
quoted delimiters, a header without rows) either gives a well-formed frame
(unique text column names) or raises a one-line :class:`UserError`, never any
other exception; and the tabular loader on such a frame either succeeds with
a consistent schema or raises a one-line ``UserError``.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from automl.data import read_table
from automl.errors import UserError
from automl_plugins.tabular.task import load

EXAMPLES = int(os.environ.get("AUTOML_PROPERTY_EXAMPLES", "150"))  # raise it to hunt for bugs
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DELIMITERS = [",", ";", "\t", "|"]
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]

# cells: words, numbers, markers, quotes, delimiters and non-ASCII letters
_cell_text = st.text(
    alphabet=list("abcxyz019 .-_,;|\t\"'?éüß€ñ\r\n"), max_size=8
)
_cell = st.one_of(
    _cell_text,
    st.integers(-1000, 1000).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda f: f"{f:g}"),
    st.sampled_from(["", "?", "NA", "yes", "no", "2024-01-05", "1,5", "3,25"]),
)


_SCRATCH: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _scratch(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One folder for every example (pytest removes old ones); each example overwrites its file."""
    _SCRATCH[:] = [tmp_path_factory.mktemp("csvprop")]


def _write(data: bytes, suffix: str = ".csv") -> Path:
    path = _SCRATCH[0] / f"data{suffix}"
    path.write_bytes(data)
    return path


def _read(path: Path) -> pd.DataFrame | None:
    """The frame, or ``None`` for a one-line UserError; any other exception fails the test."""
    try:
        frame = read_table(path)
    except UserError as exc:
        message = str(exc)
        assert message and "\n" not in message and "\r" not in message, repr(message)
        return None
    assert isinstance(frame, pd.DataFrame)
    names = list(frame.columns)
    assert all(isinstance(n, str) for n in names), names
    assert len(set(names)) == len(names), names
    assert isinstance(frame.index, pd.RangeIndex), "no field may become an index and shift the columns"
    assert len(frame) > 0
    return frame


def _csv_text(rows: list[list[str]], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


# -- reading never fails with anything but a one-line UserError ---------------------------------
@SETTINGS
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".tsv", ".txt", ".parquet"]))
@example(data=b"\xff\xfe", suffix=".csv")
@example(data=b"PAR1garbage", suffix=".csv")
@example(data=b"a,b\n", suffix=".csv")
@example(data=b'"', suffix=".csv")
@example(data=b"\xef\xbb\xbf", suffix=".csv")
def test_random_bytes(data, suffix):
    _read(_write(data, suffix))


@SETTINGS
@given(
    rows=st.lists(st.lists(_cell, min_size=1, max_size=5), min_size=1, max_size=8),
    delimiter=st.sampled_from(DELIMITERS),
    encoding=st.sampled_from(ENCODINGS),
    ragged=st.booleans(),
)
def test_ragged_rows_and_encodings(rows, delimiter, encoding, ragged):
    if not ragged:  # a rectangle: every row as wide as the header
        width = len(rows[0])
        rows = [(r + [""] * width)[:width] for r in rows]
    text = _csv_text(rows, delimiter)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode(encoding, errors="replace")
    _read(_write(data))


@SETTINGS
@given(
    first=st.text(alphabet="abcé,;\n", min_size=1, max_size=40),
    second=st.text(alphabet="abcü€,;\n", min_size=1, max_size=40),
)
def test_mixed_encodings_in_one_file(first, second):
    data = b"name,value\n" + first.encode("utf-8") + b",1\n" + second.encode("cp1252", errors="replace") + b",2\n"
    _read(_write(data))


@SETTINGS
@given(
    names=st.lists(
        st.one_of(st.text(alphabet="ab _1", max_size=3), st.integers(0, 2), st.none(), st.booleans()),
        min_size=1, max_size=5,
    ),
)
def test_frames_with_any_column_names(names):
    frame = pd.DataFrame([list(range(len(names)))], columns=names)
    try:
        out = read_table(frame)
    except UserError as exc:
        assert "\n" not in str(exc) and "duplicate" in str(exc)
        return
    assert all(isinstance(n, str) for n in out.columns) and len(set(out.columns)) == len(names)


# -- specific properties ---------------------------------------------------------------------------
@SETTINGS
@given(
    delimiter=st.sampled_from(DELIMITERS),
    words=st.lists(st.text(alphabet="abcxyz ", min_size=1, max_size=6), min_size=2, max_size=3),
    n_rows=st.integers(2, 6),
)
def test_a_quoted_delimiter_stays_one_field(delimiter, words, n_rows):
    quoted = delimiter.join(words)  # e.g. "ab,c x": the delimiter inside a quoted field
    assume(quoted.strip() == quoted and quoted.strip(delimiter + " ") == quoted)
    rows = [["id", "note", "amount"]] + [[f"r{i}", quoted, str(i * 7)] for i in range(n_rows)]
    text = "\n".join(delimiter.join(f'"{c}"' if c == quoted else c for c in row) for row in rows) + "\n"
    frame = _read(_write(text.encode()))
    assert frame is not None
    assert list(frame.columns) == ["id", "note", "amount"]
    assert frame["note"].tolist() == [quoted] * n_rows
    assert frame["amount"].tolist() == [i * 7 for i in range(n_rows)]


@SETTINGS
@given(
    names=st.lists(st.text(alphabet="abcxyz_é", min_size=1, max_size=8), min_size=1, max_size=6, unique=True),
    delimiter=st.sampled_from(DELIMITERS),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    ending=st.sampled_from(["", "\n", "\r\n", "\n\n"]),
)
def test_a_header_without_rows_says_so(names, delimiter, encoding, ending):
    data = (delimiter.join(names) + ending).encode(encoding)
    path = _write(data)
    with pytest.raises(UserError) as caught:
        read_table(path)
    message = str(caught.value)
    assert "\n" not in message
    assert "no data rows" in message or "no rows" in message, message


@pytest.mark.parametrize("text", ["a,b\n1,2,3\n4,5,6\n", "a,b\n1,2,3,4\n", "a;b\n1;2;3\n"])
def test_rows_wider_than_the_header_are_refused_not_shifted(text):
    """pandas would make the extra leading fields an index and shift every value one column to the right."""
    with pytest.raises(UserError, match="more fields than its header"):
        read_table(_write(text.encode()))


def test_trailing_delimiters_are_fine():
    frame = read_table(_write(b"a,b\n1,2,\n3,4,\n"))
    assert frame.to_dict("list") == {"a": [1, 3], "b": [2, 4]}


def test_a_bare_carriage_return_in_the_header_is_not_a_crash():
    _read(_write(b"\r\x01"))
    _read(_write(b"a,b\rc\n1,2\n"))


def test_a_header_without_rows_parquet():
    path = _write(b"")
    path = path.with_suffix(".parquet")
    pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=str)}).to_parquet(path)
    with pytest.raises(UserError, match="no rows"):
        read_table(path)


# -- type inference ----------------------------------------------------------------------------
def _column_values(kind: str, n: int, rng: np.random.Generator) -> list:
    if kind == "numeric":
        values = list(rng.normal(size=n).round(3))
    elif kind == "int":
        values = list(rng.integers(0, 4, n))
    elif kind == "categorical":
        values = list(rng.choice(["red", "green", "blue"], n))
    elif kind == "bool":
        values = list(rng.choice(["yes", "no"], n))
    elif kind == "date":
        values = [f"2024-0{1 + i % 9}-1{i % 10}" for i in range(n)]
    elif kind == "id":
        values = list(range(n))
    elif kind == "constant":
        values = ["same"] * n
    elif kind == "missing":
        values = [None] * n
    elif kind == "objects":  # a frame built in Python: mixed types in one column
        values = list(rng.choice(np.array([1, "a", 2.5, True, None, "b", float("inf")], dtype=object), n))
    elif kind == "inf":
        values = list(rng.choice([1.0, 2.0, np.inf, -np.inf, np.nan], n))
    else:  # mixed junk: numbers, words, markers
        values = list(rng.choice(["1", "2.5", "x", "?", "", "NA", "1,5", "ü", "-3"], n))
    return values


@SETTINGS
@given(
    kinds=st.lists(
        st.sampled_from(["numeric", "int", "categorical", "bool", "date", "id", "constant", "missing", "mixed",
                         "objects", "inf"]),
        min_size=1, max_size=5,
    ),
    target=st.sampled_from(["binary", "multiclass", "regression", "constant", "missing", "mixed", "lonely",
                            "inf", "objects", "bool"]),
    n=st.integers(1, 60),
    seed=st.integers(0, 10),
    missing_share=st.sampled_from([0.0, 0.2, 0.9]),
    via_csv=st.booleans(),
)
def test_type_inference(kinds, target, n, seed, missing_share, via_csv):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"c{i}_{kind}": _column_values(kind, n, rng) for i, kind in enumerate(kinds)})
    frame = frame.mask(rng.random(frame.shape) < missing_share)
    frame["label"] = {
        "binary": lambda: rng.choice(["a", "b"], n),
        "multiclass": lambda: rng.choice([1, 2, 3], n),
        "regression": lambda: rng.normal(size=n),
        "constant": lambda: ["k"] * n,
        "missing": lambda: [None] * n,
        "mixed": lambda: rng.choice(["1", "x", "2.5"], n),
        "lonely": lambda: ["a"] * (n - 1) + ["b"],
        "inf": lambda: np.where(np.arange(n) == 0, np.inf, rng.normal(size=n)),
        "objects": lambda: list(rng.choice(np.array([1, "a", 2.5, True], dtype=object), n)),
        "bool": lambda: rng.choice([True, False], n),
    }[target]()
    source = frame
    if via_csv:
        source = _write(b"")
        frame.to_csv(source, index=False)
    try:
        dataset = load(source, {"target": "label"})
    except UserError as exc:
        assert "\n" not in str(exc), str(exc)
        return
    schema = dataset.schema
    assert schema["target"] == "label"
    assert set(schema["columns"]).isdisjoint(schema["dropped"])
    assert set(schema["columns"]) | set(schema["dropped"]) == set(frame.columns) - {"label"}
    assert list(dataset.X.columns) == schema["features"]
    assert len(dataset.X) == len(dataset.y) == dataset.n_rows
    for spec in schema["columns"].values():
        assert spec["type"] in {"numeric", "boolean", "datetime", "categorical"}
        if spec["type"] == "categorical":
            assert spec["levels"] and all(isinstance(level, str) for level in spec["levels"])
    if schema["kind"] == "regression":
        assert schema["classes"] is None and np.isfinite(dataset.y).all()
    else:
        assert len(schema["classes"]) >= 2 and set(np.unique(dataset.y)) <= set(range(len(schema["classes"])))
    # the schema applied to the same rows again (as predict does) gives the same features
    from automl.kit import to_features

    inputs = read_table(source).drop(columns=["label"])
    again = to_features(inputs, schema["columns"])
    assert list(again.columns) == schema["features"]
