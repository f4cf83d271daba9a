"""No silent data change: every line of the file is a row, every encoding reads as written, bad targets and
ambiguous dates are refused with one line quoting the value that is wrong (issue 16, point 5).

The loaders are called directly (no fits), so the whole file runs in seconds.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl.data import read_table
from automl.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("AUTOML_SHARED_DATA", ROOT.parent / "shared" / "data"))
SMS = SHARED / "sms_spam" / "sms_spam.tsv"


def _one_line(caught: pytest.ExceptionInfo) -> str:
    message = str(caught.value)
    assert message and "\n" not in message, message
    return message


# -- every line is a row ---------------------------------------------------------------------------
@pytest.mark.skipif(not SMS.is_file(), reason=f"the shared SMS data is not at {SMS}")
def test_the_sms_file_gives_every_message():
    notes: list[str] = []
    frame = read_table(SMS, notes)
    assert len(frame) == 5574
    assert list(frame.columns) == ["Label", "SMS"]
    assert set(frame["Label"]) == {"ham", "spam"}
    assert not frame["SMS"].str.contains("\n", regex=False).any(), "no message swallowed the next lines"
    assert any("quote" in n and "5,574" in n for n in notes), notes


def _rows(n: int) -> list[str]:
    return [f"{'spam' if i % 5 == 0 else 'ham'}\tmessage number {i} about things" for i in range(n)]


def test_a_tsv_with_a_stray_quote_keeps_every_line(tmp_path):
    """As in the SMS file: a message opens a quote that the next message but one closes."""
    lines = _rows(30)
    lines[7] = 'ham\t"Keep ur problems in ur heart... win the battle. G 9t.. Sweet dreams'
    lines[9] = 'ham\t"HI BABE UAWAKE? SHIT.JUSTFOUND OUT" ok bye'
    path = tmp_path / "messages.tsv"
    path.write_text("label\ttext\n" + "\n".join(lines) + "\n")
    notes: list[str] = []
    frame = read_table(path, notes)
    assert len(frame) == 30
    assert frame["text"].iloc[7].startswith('"Keep ur') and frame["text"].iloc[8] == lines[8].split("\t")[1]
    assert len(notes) == 1 and "lines 9-11" in notes[0] and "30 data lines" in notes[0], notes


def test_a_field_that_is_not_one_quoted_field_keeps_its_quotes(tmp_path):
    lines = _rows(30)
    lines[7] = 'ham\t"the cave" was nice, see you there'
    path = tmp_path / "messages.tsv"
    path.write_text("label\ttext\n" + "\n".join(lines) + "\n")
    notes: list[str] = []
    frame = read_table(path, notes)
    assert frame["text"].iloc[7] == '"the cave" was nice, see you there'
    assert len(notes) == 1 and "line 9" in notes[0], notes


def test_properly_quoted_fields_lose_only_their_quoting(tmp_path):
    path = tmp_path / "quoted.tsv"
    pd.DataFrame({"a": ["x", 'say "hi"', "z"], "b": [1, 2, 3]}).to_csv(path, sep="\t", index=False, quoting=1)
    notes: list[str] = []
    frame = read_table(path, notes)
    assert frame["a"].tolist() == ["x", 'say "hi"', "z"] and notes == []


def test_a_quote_left_open_to_the_end_keeps_every_line(tmp_path):
    lines = _rows(12)
    lines[3] = 'ham\t"never closed'
    path = tmp_path / "messages.csv"
    path.write_text("label\ttext\n" + "\n".join(lines) + "\n")
    frame = read_table(path)
    assert len(frame) == 12 and frame["text"].iloc[3] == '"never closed'


def test_quotes_that_merge_whole_rows_are_named_by_line(tmp_path):
    """A CSV whose other quotes are real (a comma inside) cannot be read with quotes as text: refuse."""
    rows = [f'{i},"Smith, John",{i * 3}' for i in range(10)]
    rows[4] = '4,"broken,12'
    path = tmp_path / "people.csv"
    path.write_text("id,name,score\n" + "\n".join(rows) + "\n")
    with pytest.raises(UserError) as caught:
        read_table(path)
    message = _one_line(caught)
    assert "people.csv" in message and "lines 6-" in message, message


def test_line_breaks_inside_quoted_fields_are_kept_and_counted(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text('id,comment,score\n1,"first line\nsecond line",3\n2,plain,4\n3,"a\nb\nc",5\n')
    notes: list[str] = []
    frame = read_table(path, notes)
    assert frame["comment"].tolist() == ["first line\nsecond line", "plain", "a\nb\nc"]
    assert any(n.startswith("2 rows of") and "span several lines" in n for n in notes), notes


def test_the_reading_notes_reach_the_dataset(tmp_path):
    from automl_plugins.tabular.task import load

    lines = [f"{i % 3}\t{i}\t{'yes' if i % 2 else 'no'}" for i in range(40)]
    lines[5] = '2\t"5\tno'
    path = tmp_path / "table.tsv"
    path.write_text("a\tb\tlabel\n" + "\n".join(lines) + "\n")
    dataset = load(path, {"target": "label"})
    assert dataset.n_rows == 40
    assert any("quote" in n for n in dataset.notes), dataset.notes


# -- encodings -----------------------------------------------------------------------------------
JAPANESE = "名前,年齢,都市\n田中,30,東京\n鈴木,25,大阪\n佐藤,41,名古屋\n"
CHINESE = "姓名,年龄,城市\n张三,30,北京\n李四,25,上海\n王五,41,广州\n"
WESTERN = "name,city,dish\nJosé,Málaga,Crème brûlée\nFrançois,Besançon,Pâté\nJürgen,Köln,Spätzle\n"


@pytest.mark.parametrize(
    ("text", "encoding", "named"),
    [
        (JAPANESE, "shift_jis", "Shift-JIS"),
        (JAPANESE, "cp932", "Shift-JIS"),
        (CHINESE, "gbk", "GBK"),
        (CHINESE, "gb2312", "GBK"),
        ("名前,値\n田中,1\n", "shift_jis", "Shift-JIS"),  # two lines: where detectors guess
        ("名字,值\n张三,1\n", "gbk", "GBK"),
        (JAPANESE, "utf-16", "UTF-16"),
        (CHINESE, "utf-16-le", "UTF-16"),
        (WESTERN, "utf-16-be", "UTF-16"),
        (WESTERN, "latin-1", "Windows-1252"),
        (WESTERN + "Zoë,Paris,“Tarte” 5€\n", "cp1252", "Windows-1252"),
    ],
)
def test_encodings_are_read_as_written(tmp_path, text, encoding, named):
    path = tmp_path / "people.csv"
    path.write_bytes(text.encode(encoding))
    notes: list[str] = []
    frame = read_table(path, notes)
    expected = pd.read_csv(pd.io.common.StringIO(text))
    assert list(frame.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(frame, expected)
    assert len(notes) == 1 and named in notes[0] and "people.csv" in notes[0], notes


def test_utf8_files_get_no_encoding_note(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(JAPANESE, encoding="utf-8")
    notes: list[str] = []
    assert read_table(path, notes).columns[0] == "名前"
    assert notes == []


def test_text_no_encoding_reads_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "garbled.csv"
    path.write_bytes(b"a,b\n" + bytes(range(0x80, 0x100)) * 4 + b",1\n")
    with pytest.raises(UserError) as caught:
        read_table(path)
    message = _one_line(caught)
    assert "garbled.csv" in message and "UTF-8" in message, message


# -- non-finite targets, in every task --------------------------------------------------------------
def _inf_at(n: int, row: int, values: list) -> list:
    values = list(values)
    values[row] = "inf"
    return values


@pytest.mark.parametrize("target", ["regression", "classes"])
def test_tabular_refuses_an_infinite_target(tmp_path, target):
    from automl_plugins.tabular.task import load

    y = [float(i % 7) * 1.5 for i in range(40)] if target == "regression" else [i % 2 for i in range(40)]
    path = tmp_path / "data.csv"
    pd.DataFrame({"x": range(40), "z": [i % 3 for i in range(40)], "y": _inf_at(40, 12, y)}).to_csv(path, index=False)
    with pytest.raises(UserError) as caught:
        load(path, {"target": "y"})
    message = _one_line(caught)
    assert "'y'" in message and "data row 13" in message and "inf" in message, message


def test_text_refuses_an_infinite_label(tmp_path):
    from automl_plugins.text.task import load

    texts = [f"message number {i} with some words in it" for i in range(40)]
    path = tmp_path / "texts.csv"
    pd.DataFrame({"text": texts, "label": _inf_at(40, 3, [i % 2 for i in range(40)])}).to_csv(path, index=False)
    with pytest.raises(UserError) as caught:
        load(path, {"target": "label"})
    message = _one_line(caught)
    assert "'label'" in message and "data row 4" in message, message


def test_recommend_refuses_an_infinite_rating(tmp_path):
    pytest.importorskip("automl_plugins.recommend.columns")
    from automl_plugins.recommend.columns import ratings

    frame = pd.DataFrame({"rating": _inf_at(10, 6, [float(i % 5) for i in range(10)])})
    frame["rating"] = pd.to_numeric(frame["rating"])
    with pytest.raises(UserError) as caught:
        ratings(frame, "rating", "ratings.csv")
    message = _one_line(caught)
    assert "'rating'" in message and "data row 7" in message, message


def _series(n: int = 48) -> pd.DataFrame:
    dates = pd.date_range("2020-01-01", periods=n, freq="MS").strftime("%Y-%m-%d")
    return pd.DataFrame({"date": dates, "sales": np.arange(n, dtype=float) + 10})


def test_forecast_refuses_an_infinite_value(tmp_path):
    from automl_plugins.forecast.task import load

    frame = _series()
    frame["sales"] = frame["sales"].astype(object)
    frame.loc[30, "sales"] = "inf"
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(UserError) as caught:
        load(path, {"target": "sales", "horizon": 6})
    message = _one_line(caught)
    assert "'sales'" in message and "data row 31" in message, message


def test_forecast_refuses_an_all_missing_target(tmp_path):
    from automl_plugins.forecast.task import load

    frame = _series()
    frame["sales"] = np.nan
    frame["other"] = 1.0
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(UserError) as caught:
        load(path, {"target": "sales", "horizon": 6})
    assert "'sales'" in _one_line(caught) and "missing" in str(caught.value)


def test_forecast_refuses_a_series_without_values(tmp_path):
    from automl_plugins.forecast.task import load

    one, two = _series().assign(store="a"), _series().assign(store="b")
    two["sales"] = np.nan
    path = tmp_path / "sales.csv"
    pd.concat([one, two]).to_csv(path, index=False)
    with pytest.raises(UserError) as caught:
        load(path, {"target": "sales", "horizon": 6, "id_column": "store"})
    message = _one_line(caught)
    assert "'b'" in message and "store" in message, message


def test_forecast_cli_refuses_inf_with_one_line(cli, user_error, tmp_path):
    frame = _series()
    frame["sales"] = frame["sales"].astype(object)
    frame.loc[5, "sales"] = "-inf"
    frame.to_csv(tmp_path / "sales.csv", index=False)
    result = cli("fit", "sales.csv", "--task", "forecast", "--target", "sales", "--horizon", "6",
                 "--run-dir", "run", "--trials", "1", "--quiet", cwd=tmp_path)
    user_error(result, "'sales'", "data row 6")


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80\x80" * 2)) + \
        chunk(b"IEND", b"")


def test_image_csv_refuses_an_infinite_label(tmp_path):
    from automl_plugins.image.sources import training_listing

    for i in range(6):
        (tmp_path / f"img{i}.png").write_bytes(_png())
    labels = ["1", "2", "1", "inf", "2", "1"]
    (tmp_path / "labels.csv").write_text("path,label\n" + "".join(f"img{i}.png,{v}\n" for i, v in enumerate(labels)))
    with pytest.raises(UserError) as caught:
        training_listing(tmp_path / "labels.csv", {"target": "label"})
    message = _one_line(caught)
    assert "'label'" in message and "data row 4" in message, message


# -- dates ----------------------------------------------------------------------------------------
def _mixed_dates(extra: list[str]) -> pd.DataFrame:
    iso = [f"2021-{1 + i % 12:02d}-{1 + i % 27:02d}" for i in range(80)]
    dates = iso + extra
    rng = np.random.default_rng(0)
    return pd.DataFrame({"when": dates, "x": rng.normal(size=len(dates)), "y": rng.integers(0, 2, len(dates))})


def test_tabular_reads_day_first_dates_as_the_column_shows(tmp_path):
    from automl.kit import to_features
    from automl_plugins.tabular.task import load

    path = tmp_path / "data.csv"
    _mixed_dates(["04/02/2021", "13/02/2021"] * 10).to_csv(path, index=False)
    dataset = load(path, {"target": "y"})
    assert dataset.schema["columns"]["when"]["order"] == "dayfirst"
    assert "note" not in dataset.schema["columns"]["when"]
    assert dataset.X["when__month"].iloc[80] == 2 and dataset.X["when__day"].iloc[80] == 4
    note = next(n for n in dataset.notes if "'when'" in n)
    assert "day/month/year" in note and "4 February 2021" in note, note
    again = to_features(read_table(path), dataset.schema["columns"])  # as predict reads new data
    assert again["when__month"].iloc[80] == 2


def test_tabular_refuses_dates_that_read_both_ways(tmp_path):
    from automl_plugins.tabular.task import load

    path = tmp_path / "data.csv"
    _mixed_dates(["04/02/2021", "05/03/2021"] * 10).to_csv(path, index=False)
    with pytest.raises(UserError) as caught:
        load(path, {"target": "y"})
    message = _one_line(caught)
    assert "'when'" in message and "'04/02/2021'" in message and "ISO" in message, message


def test_day_first_and_month_first_in_one_column_are_refused(tmp_path):
    from automl_plugins.tabular.task import load

    path = tmp_path / "data.csv"
    _mixed_dates(["13/02/2021", "02/13/2021"] * 10).to_csv(path, index=False)
    with pytest.raises(UserError) as caught:
        load(path, {"target": "y"})
    message = _one_line(caught)
    assert "'13/02/2021'" in message and "'02/13/2021'" in message, message


def test_forecast_reads_day_first_dates_as_the_column_shows(tmp_path):
    from automl_plugins.forecast.task import load

    dates = pd.date_range("2020-01-01", periods=48, freq="D")
    text = [d.strftime("%Y-%m-%d") if i % 5 else d.strftime("%d/%m/%Y") for i, d in enumerate(dates)]
    path = tmp_path / "sales.csv"
    pd.DataFrame({"date": text, "sales": np.arange(48.0)}).to_csv(path, index=False)
    dataset = load(path, {"target": "sales", "horizon": 7})
    assert dataset.n_rows == 48, "no date was swapped into a gap or a duplicate"
    assert dataset.schema["date_order"] == "dayfirst"
    assert any("day/month/year" in n for n in dataset.notes), dataset.notes


def test_forecast_refuses_ambiguous_dates(tmp_path):
    from automl_plugins.forecast.task import load

    dates = pd.date_range("2020-01-01", periods=12, freq="MS")
    path = tmp_path / "sales.csv"
    pd.DataFrame({"date": dates.strftime("%m/%d/%Y"), "sales": np.arange(12.0)}).to_csv(path, index=False)
    with pytest.raises(UserError) as caught:
        load(path, {"target": "sales", "horizon": 2, "date_column": "date"})
    assert "'date'" in _one_line(caught) and "ISO" in str(caught.value)


def _timestamps_with(word: str, at: int, n: int = 40) -> pd.Series:
    values = [str(1_609_459_200 + 86_400 * i) for i in range(n)]
    values[at] = word
    return pd.Series(values, dtype=object)


def test_a_word_among_unix_times_is_the_value_quoted_by_recommend():
    from automl_plugins.recommend.columns import times

    frame = pd.DataFrame({"timestamp": _timestamps_with("yesterday", 17)})
    with pytest.raises(UserError) as caught:
        times(frame, "timestamp", "log.csv")
    message = _one_line(caught)
    assert "'yesterday'" in message and "data row 18" in message and "1 missing or unreadable" in message, message


def test_a_word_among_unix_times_is_the_value_quoted_by_forecast():
    from automl_plugins.forecast.columns import read_dates

    frame = pd.DataFrame({"timestamp": _timestamps_with("yesterday", 17)})
    with pytest.raises(UserError) as caught:
        read_dates(frame, "timestamp", "log.csv")
    message = _one_line(caught)
    assert "'yesterday'" in message and "line 19" in message, message


def test_unix_times_are_dates_for_forecast():
    from automl_plugins.forecast.columns import read_dates

    frame = pd.DataFrame({"timestamp": [1_609_459_200 + 86_400 * i for i in range(5)]})
    assert read_dates(frame, "timestamp", "log.csv").dt.day.tolist() == [1, 2, 3, 4, 5]
