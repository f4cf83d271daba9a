"""Reading tables, inferring column types and analysing the target of the tabular task."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from automl.data import read_table
from automl.data.schema import RARE, describe_column, infer_columns, to_features
from automl.errors import UserError
from automl_plugins.tabular.demo import churn_frame
from automl_plugins.tabular.target import analyse_target, infer_kind
from automl_plugins.tabular.task import TABULAR


def describe(values, name: str = "col") -> dict:
    series = pd.Series(values, name=name)
    return describe_column(name, series, len(series))


# -- column types -------------------------------------------------------------------------------
def test_numeric_column():
    rng = np.random.default_rng(0)
    values = rng.normal(size=50).round(3)
    assert describe(values) == {"type": "numeric"}
    features = to_features(pd.DataFrame({"x": values}), {"x": {"type": "numeric"}})
    np.testing.assert_allclose(features["x"].to_numpy(), values)


def test_numbers_stored_as_text_are_numeric():
    values = pd.Series(["1.5", "2", " 3.25", "4", "5"] * 10, dtype=object)
    assert describe(values) == {"type": "numeric"}
    features = to_features(pd.DataFrame({"x": values}), {"x": {"type": "numeric"}})
    assert features["x"].dtype == float
    assert features["x"].iloc[2] == 3.25


def test_infinite_numbers_become_missing(tmp_path):
    """A ratio exported from a spreadsheet holds inf where it divided by zero; models reject inf."""
    path = tmp_path / "data.csv"
    path.write_text("ratio\n1.5\ninf\n-Infinity\n2\n")
    frame = read_table(path)
    assert describe(frame["ratio"]) == {"type": "numeric"}
    features = to_features(frame, {"ratio": {"type": "numeric"}})["ratio"]
    assert features.isna().tolist() == [False, True, True, False]
    assert features.iloc[0] == 1.5


def test_categorical_groups_rare_levels():
    values = ["red"] * 30 + ["blue"] * 20 + ["green"] * 2 + ["pink"]
    spec = describe(values)
    assert spec == {"type": "categorical", "levels": ["blue", "red", RARE]}
    new = pd.DataFrame({"col": ["red", "green", "pink", "blue", None]})
    coded = to_features(new, {"col": spec})["col"]
    assert isinstance(coded.dtype, pd.CategoricalDtype)
    assert list(coded.cat.categories) == ["blue", "red", RARE]
    assert coded.iloc[:4].tolist() == ["red", RARE, RARE, "blue"]
    assert pd.isna(coded.iloc[4])


def test_categorical_without_rare_levels_has_no_rare_bucket():
    spec = describe(["a", "b", "c"] * 10)
    assert spec == {"type": "categorical", "levels": ["a", "b", "c"]}


def test_unseen_category_becomes_missing():
    spec = describe(["basic", "premium"] * 20, name="plan")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas deprecates (and will reject) values outside the categories
        coded = to_features(pd.DataFrame({"plan": ["premium", "platinum", " basic"]}), {"plan": spec})["plan"]
    assert coded.iloc[0] == "premium"
    assert pd.isna(coded.iloc[1])
    assert coded.iloc[2] == "basic"


def test_codes_read_as_floats_at_predict_time_match_the_training_levels():
    """Codes like 10/20/X1: a new file with only numbers and a gap is read as floats (10.0)."""
    spec = describe(["10", "20", "X1"] * 10, name="code")
    assert spec == {"type": "categorical", "levels": ["10", "20", "X1"]}
    coded = to_features(pd.DataFrame({"code": [10.0, np.nan, 20.0]}), {"code": spec})["code"]
    assert coded.iloc[0] == "10" and coded.iloc[2] == "20"
    assert pd.isna(coded.iloc[1])


@pytest.mark.parametrize(
    "values", [["yes", "no"], ["Yes", "NO"], ["true", "false"], ["Y", "n"]], ids=["yes-no", "case", "true", "y-n"]
)
def test_boolean_strings(values):
    column = pd.Series((values * 15) + [None], dtype=object)
    assert describe(column) == {"type": "boolean"}
    features = to_features(pd.DataFrame({"col": column}), {"col": {"type": "boolean"}})["col"]
    assert features.iloc[0] == 1.0 and features.iloc[1] == 0.0
    assert np.isnan(features.iloc[-1])


def test_datetime_strings_become_calendar_features():
    dates = pd.date_range("2023-01-01", periods=40, freq="9D").strftime("%Y-%m-%d")
    spec = describe(list(dates), name="signup")
    assert spec["type"] == "datetime"
    assert {"year", "month"} <= set(spec["parts"])
    assert "hour" not in spec["parts"]
    frame = pd.DataFrame({"signup": ["2024-03-15", "not a date"]})
    features = to_features(frame, {"signup": spec})
    assert list(features.columns) == [f"signup__{part}" for part in spec["parts"]]
    assert features["signup__year"].tolist()[0] == 2024
    assert features["signup__month"].tolist()[0] == 3
    assert features.iloc[1].isna().all()


def test_timestamps_with_hours_keep_the_hour():
    stamps = pd.date_range("2023-01-01 08:30", periods=40, freq="7h").strftime("%Y-%m-%d %H:%M")
    spec = describe(list(stamps))
    assert spec["type"] == "datetime" and "hour" in spec["parts"]


def test_dates_with_mixed_utc_offsets():
    """Local times exported across a daylight-saving change carry two offsets."""
    stamps = ["2023-03-20T09:00:00+01:00", "2023-04-20T09:00:00+02:00", "2023-05-01T18:30:00+02:00"] * 10
    spec = describe(stamps, name="at")
    assert spec["type"] == "datetime"
    features = to_features(pd.DataFrame({"at": stamps[:2]}), {"at": spec})
    assert features["at__month"].tolist() == [3.0, 4.0]
    assert features["at__year"].tolist() == [2023.0, 2023.0]


def test_id_like_text_column_is_dropped():
    spec = describe([f"C{100000 + i}" for i in range(50)], name="customer_id")
    assert "id-like" in spec["drop"]


def test_consecutive_integer_column_is_dropped_as_id():
    assert "id-like" in describe(np.arange(1000, 1050), name="row")["drop"]
    assert "id-like" in describe(np.random.default_rng(0).permutation(5000)[:50] * 7, name="user_id")["drop"]


def test_unique_measurements_are_not_ids():
    assert describe(np.random.default_rng(0).permutation(5000)[:50] * 7, name="amount") == {"type": "numeric"}


def test_free_text_column_is_dropped():
    words = ["late", "delivery", "great", "service", "broken", "screen", "refund", "please", "thanks", "slow"]
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(words, size=8)) for _ in range(50)]
    assert "free text" in describe(texts, name="comment")["drop"]


@pytest.mark.parametrize("values", [[7] * 30, ["x"] * 30, [np.nan] * 29 + [3.0]], ids=["number", "text", "one-value"])
def test_constant_column_is_dropped(values):
    assert "constant" in describe(values)["drop"]


def test_all_missing_column_is_dropped():
    assert "missing" in describe([np.nan] * 30)["drop"]


def test_infer_columns_splits_kept_and_dropped():
    frame = churn_frame(100, seed=0).drop(columns=["churned"]).assign(country="DE")
    kept, dropped = infer_columns(frame)
    assert set(dropped) == {"customer_id", "country"}
    assert kept["plan"]["type"] == "categorical"
    assert kept["tenure_months"]["type"] == "numeric"
    assert kept["autopay"]["type"] == "boolean"
    assert kept["signup_date"]["type"] == "datetime"


def test_load_picks_the_id_column_and_keeps_it_out_of_the_features():
    dataset = TABULAR.load(churn_frame(100, seed=0), {"target": "churned"})
    assert dataset.schema["id_column"] == "customer_id"
    assert "customer_id" not in dataset.schema["columns"]
    assert not any(f.startswith("customer_id") for f in dataset.schema["features"])
    assert dataset.ids is not None and dataset.ids.iloc[0] == "C100000"
    assert dataset.kind == "binary" and dataset.classes == ["no", "yes"]
    assert any("customer_id" in note for note in dataset.notes)


def test_prepare_maps_unseen_categories_to_missing():
    dataset = TABULAR.load(churn_frame(100, seed=0), {"target": "churned"})
    new = churn_frame(5, seed=1).drop(columns=["churned"])
    new.loc[0, "plan"] = "platinum"
    batch = TABULAR.prepare(new, dataset.schema)
    assert list(batch.X.columns) == dataset.schema["features"]
    assert pd.isna(batch.X.loc[0, "plan"])
    assert batch.X.loc[1, "plan"] == new.loc[1, "plan"]


def test_frame_with_integer_column_names_round_trips_through_the_schema():
    """A frame built from a NumPy array has columns 0, 1, 2; the schema is JSON, so names are text."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)))
    dataset = TABULAR.load(X.assign(y=(X[0] > 0).map({True: "up", False: "down"})), {"target": "y"})
    assert list(dataset.schema["columns"]) == ["0", "1", "2"]
    batch = TABULAR.prepare(X.head(5), dataset.schema)
    np.testing.assert_allclose(batch.X.to_numpy(), X.head(5).to_numpy())


def test_integer_target_name_is_found():
    frame = pd.DataFrame({0: [1.0, 2.0, 3.0] * 10, 1: ["a", "b"] * 15})
    target = analyse_target(read_table(frame), 1, "test data")
    assert target.name == "1" and target.classes == ["a", "b"]


def test_prepare_names_a_missing_column():
    dataset = TABULAR.load(churn_frame(100, seed=0), {"target": "churned"})
    with pytest.raises(UserError, match="'region' is missing"):
        TABULAR.prepare(churn_frame(5, seed=1).drop(columns=["region"]), dataset.schema)


# -- missing markers and file formats -----------------------------------------------------------
def test_missing_markers_in_a_csv(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("age,city,score\n31,?,1.5\n?,Paris,NA\n40, N/A,-\n28,Lyon,2.0\n")
    frame = read_table(path)
    assert frame["age"].dtype.kind in "fi" and frame["age"].isna().sum() == 1
    assert frame["score"].dtype == float and frame["score"].isna().sum() == 2
    assert frame["city"].isna().tolist() == [True, False, True, False]


def test_missing_markers_in_a_frame():
    frame = read_table(pd.DataFrame({"city": ["Paris", "?", " N/A", None], "n": [1, 2, 3, 4]}))
    assert frame["city"].isna().tolist() == [False, True, True, True]
    assert frame["n"].tolist() == [1, 2, 3, 4]


def test_read_table_does_not_change_the_callers_frame():
    original = pd.DataFrame({"city": ["Paris", "?"]})
    read_table(original)
    assert original["city"].tolist() == ["Paris", "?"]


def _expected() -> pd.DataFrame:
    return pd.DataFrame({"city": ["Zürich", "Málaga", "Köln"], "price": [1.5, 2.25, 3.0], "n": [1, 2, 3]})


def _check(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == ["city", "price", "n"]
    assert frame["city"].tolist() == ["Zürich", "Málaga", "Köln"]
    assert frame["price"].tolist() == [1.5, 2.25, 3.0]
    assert frame["n"].tolist() == [1, 2, 3]


def test_tsv(tmp_path):
    path = tmp_path / "data.tsv"
    _expected().to_csv(path, sep="\t", index=False)
    _check(read_table(path))


def test_tab_separated_text_with_a_csv_name(tmp_path):
    path = tmp_path / "data.csv"
    _expected().to_csv(path, sep="\t", index=False)
    _check(read_table(path))


def test_semicolon_csv(tmp_path):
    path = tmp_path / "data.csv"
    _expected().to_csv(path, sep=";", index=False)
    _check(read_table(path))


def test_semicolon_csv_with_decimal_commas(tmp_path):
    path = tmp_path / "data.csv"
    _expected().to_csv(path, sep=";", decimal=",", index=False)
    assert "1,5" in path.read_text()
    _check(read_table(path))


def test_cp1252_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes("city,price,n\nZürich,1.5,1\nMálaga,2.25,2\nKöln,3.0,3\n".encode("cp1252"))
    _check(read_table(path))


def test_cp1252_character_after_the_sniffed_head(tmp_path):
    path = tmp_path / "data.csv"
    rows = "city,n\n" + "Basel,1\n" * 12000 + "Zürich,2\n"
    path.write_bytes(rows.encode("cp1252"))
    assert path.stat().st_size > 64 * 1024
    frame = read_table(path)
    assert frame["city"].iloc[-1] == "Zürich"


def test_utf8_character_cut_by_the_sniffed_head(tmp_path):
    """A multi-byte character straddling the sniffed 64 KiB must not make the file look like cp1252."""
    path = tmp_path / "data.csv"
    header = "city,n\n"
    filler = "a" * (64 * 1024 - len(header) - 1)  # "ü" then starts on the last sniffed byte
    path.write_bytes(f"{header}{filler}ü,1\nZürich,2\n".encode())
    assert path.read_bytes()[64 * 1024 - 1] == "ü".encode()[0]
    frame = read_table(path)
    assert frame["city"].tolist() == [f"{filler}ü", "Zürich"]


def test_utf16_export(tmp_path):
    path = tmp_path / "data.txt"
    _expected().to_csv(path, sep="\t", index=False, encoding="utf-16")
    _check(read_table(path))


def test_utf8_with_bom(tmp_path):
    path = tmp_path / "data.csv"
    _expected().to_csv(path, index=False, encoding="utf-8-sig")
    _check(read_table(path))


def test_trailing_delimiter_is_not_a_duplicate_column(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("city,price,n,,\nZürich,1.5,1,,\nMálaga,2.25,2,,\nKöln,3.0,3,,\n")
    frame = read_table(path)
    _check(frame[["city", "price", "n"]])
    kept, dropped = infer_columns(frame)
    assert set(kept) == {"city", "price", "n"}
    assert set(dropped) == {"Unnamed: 3", "Unnamed: 4"}
    assert all("missing" in why for why in dropped.values())


def test_duplicate_columns_in_a_frame():
    frame = pd.DataFrame([[1, 2, 3]], columns=["a", "b", "a"])
    with pytest.raises(UserError, match="duplicate column names in the data frame: 'a'"):
        read_table(frame)


def test_parquet(tmp_path):
    path = tmp_path / "data.parquet"
    _expected().to_parquet(path)
    _check(read_table(path))


def test_parquet_without_its_suffix(tmp_path):
    path = tmp_path / "export.bin"
    _expected().to_parquet(path)
    _check(read_table(path))


def test_broken_parquet_is_a_one_line_user_error(tmp_path):
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(UserError, match="cannot read .*data.parquet as Parquet") as info:
        read_table(path)
    assert "\n" not in str(info.value)


# -- the target ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["yes", "no"] * 20, "binary"),
        ([0, 1] * 20, "binary"),
        ([True, False] * 20, "binary"),
        (["a", "b", "c"] * 20, "multiclass"),
        ([1, 2, 3, 4, 5] * 20, "multiclass"),
        (list(np.linspace(0, 10, 60)), "regression"),
        (list(range(100)), "regression"),
    ],
    ids=["yes-no", "0-1", "bool", "labels", "ratings", "floats", "many-integers"],
)
def test_infer_kind(values, kind):
    assert infer_kind(pd.Series(values)) == kind


def test_analyse_target_encodes_classes_and_skips_missing_rows():
    frame = pd.DataFrame({"x": range(30), "y": ["no", "yes", None] * 10})
    target = analyse_target(frame, "y", "test data")
    assert target.kind == "binary"
    assert target.classes == ["no", "yes"]
    assert target.keep.tolist() == [True, True, False] * 10
    assert target.y.tolist() == [0, 1] * 10


def test_analyse_target_classes_are_plain_python_values():
    frame = pd.DataFrame({"y": np.array([0, 1, 2] * 10, dtype=np.int64)})
    target = analyse_target(frame, "y", "test data")
    assert target.kind == "multiclass"
    assert target.classes == [0, 1, 2]
    assert all(type(c) is int for c in target.classes)


def test_analyse_target_regression_values():
    frame = pd.DataFrame({"y": np.linspace(0, 1, 40)})
    target = analyse_target(frame, "y", "test data")
    assert target.kind == "regression" and target.classes is None
    np.testing.assert_allclose(target.y, np.linspace(0, 1, 40))


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"y": ["a"] * 30}), "constant"),
        (pd.DataFrame({"y": [np.nan] * 30}), "all values missing"),
        (pd.DataFrame({"y": ["a", "b"] * 15 + ["c"]}), "'c'.*only one row"),
        (pd.DataFrame({"y": ["a", "b"] * 5}), "only 10 rows"),
        (pd.DataFrame({"z": ["a", "b"] * 5}), "'y' not found.*columns are: z"),
    ],
    ids=["constant", "missing", "lonely-class", "too-few-rows", "absent"],
)
def test_analyse_target_errors(frame, message):
    with pytest.raises(UserError, match=message):
        analyse_target(frame, "y", "test data")


def test_one_column_csv_of_prose_keeps_its_commas(tmp_path):
    path = tmp_path / "texts.csv"
    pd.DataFrame({"text": ["hello, world, again", "no comma here", "a; b | c, d"] * 5}).to_csv(path, index=False)
    frame = read_table(path)
    assert list(frame.columns) == ["text"]
    assert frame["text"].iloc[0] == "hello, world, again"
