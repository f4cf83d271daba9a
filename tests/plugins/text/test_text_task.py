"""The text task: detection, loading, clear errors on bad input, and real fits (English and Chinese)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl import AutoML
from automl.catalog import build_catalog
from automl.errors import UserError
from automl.specs import SearchContext, take
from automl.workflow import detect_task
from automl_plugins.tabular.demo import churn_frame
from automl_plugins.text.columns import MAX_CHARS
from automl_plugins.text.metrics import METRICS
from automl_plugins.text.models import LOGREG
from automl_plugins.text.sample import tickets_frame
from automl_plugins.text.task import TEXT

_CHINESE = {
    "正面": ["这家餐厅的菜非常好吃，服务也很周到，下次还会再来", "产品质量很好，物流很快，非常满意这次购物",
             "电影情节精彩，演员表演自然，值得推荐给朋友们", "酒店房间干净整洁，前台态度热情，位置也方便"],
    "负面": ["等了一个小时才上菜，味道一般，服务员态度很差", "收到的商品有破损，客服一直不回复，非常失望",
             "电影太无聊了，剧情拖沓，浪费了两个小时的时间", "房间有异味，空调坏了也没人来修，不会再住了"],
}


def _chinese_frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = "正面" if i % 2 else "负面"
        parts = rng.choice(_CHINESE[label], size=2, replace=False)
        rows.append({"评论": "。".join(parts) + f"（第{i}条）", "情感": label})
    return pd.DataFrame(rows)


@pytest.fixture
def tickets_csv(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.csv"
    tickets_frame(300, seed=1).to_csv(path, index=False)
    return path


# -- detection -----------------------------------------------------------------------
def test_detect_picks_text_for_a_text_csv_and_not_for_tabular_data(tickets_csv: Path, churn_csv: Path) -> None:
    assert TEXT.detect(tickets_csv, {"target": "team"}) > 0.5
    assert TEXT.detect(churn_csv, {"target": "churned"}) == 0
    catalog = build_catalog()
    assert detect_task(catalog, tickets_csv, {"target": "team"}).name == "text"
    assert detect_task(catalog, churn_csv, {"target": "churned"}).name == "tabular"


def test_detect_ignores_short_strings_and_folders(tmp_path: Path) -> None:
    frame = pd.DataFrame({"city": ["Paris", "Lyon", "Nice", "Lille"] * 10, "y": ["a", "b"] * 20})
    assert TEXT.detect(frame, {"target": "y"}) == 0
    assert TEXT.detect(tmp_path, {}) == 0


# -- loading ---------------------------------------------------------------------------
def test_load_finds_text_id_and_classes(tickets_csv: Path) -> None:
    dataset = TEXT.load(tickets_csv, {"target": "team"})
    assert dataset.schema["text_column"] == "message"
    assert dataset.schema["id_column"] == "ticket_id"
    assert dataset.kind == "multiclass" and dataset.classes == ["account", "billing", "shipping", "technical"]
    assert TEXT.default_metric(dataset) == "f1_macro"
    assert len(TEXT.split(dataset, 0)) == 5  # k-fold on small data


def test_empty_texts_become_empty_strings_and_long_ones_are_cut() -> None:
    frame = tickets_frame(60, seed=2)
    frame.loc[0, "message"] = np.nan
    frame.loc[1, "message"] = "word " * 10_000
    dataset = TEXT.load(frame, {"target": "team"})
    assert dataset.X[0] == ""
    assert len(dataset.X[1]) == MAX_CHARS


def test_text_column_option_overrides_the_choice() -> None:
    frame = tickets_frame(60, seed=3)
    frame["notes"] = frame["message"].str.upper() + " and a much longer appendix so this column is longest"
    assert TEXT.load(frame, {"target": "team"}).schema["text_column"] == "notes"
    assert TEXT.load(frame, {"target": "team", "text_column": "message"}).schema["text_column"] == "message"


def test_binary_default_metric_depends_on_the_positive_share() -> None:
    frame = tickets_frame(200, seed=4)
    frame["urgent"] = np.where(np.arange(200) % 10 == 0, "yes", "no")  # 10% positive
    assert TEXT.default_metric(TEXT.load(frame, {"target": "urgent"})) == "f1"
    frame["urgent"] = np.where(np.arange(200) % 2 == 0, "yes", "no")
    assert TEXT.default_metric(TEXT.load(frame, {"target": "urgent"})) == "accuracy"


# -- bad input ---------------------------------------------------------------------------
def test_no_text_column_is_a_clear_error() -> None:
    with pytest.raises(UserError, match="no text column"):
        TEXT.load(churn_frame(100, seed=0), {"target": "churned"})


def test_all_empty_texts_is_a_clear_error() -> None:
    frame = tickets_frame(40, seed=0)
    frame["message"] = "   "
    with pytest.raises(UserError, match="every text in column 'message'.* is empty"):
        TEXT.load(frame, {"target": "team", "text_column": "message"})


def test_a_single_class_is_a_clear_error() -> None:
    frame = tickets_frame(40, seed=0).assign(team="billing")
    with pytest.raises(UserError, match="constant"):
        TEXT.load(frame, {"target": "team"})


def test_unknown_target_lists_the_columns() -> None:
    with pytest.raises(UserError, match="column 'label' not found.*columns are: ticket_id, channel, message, team"):
        TEXT.load(tickets_frame(40, seed=0), {"target": "label"})


def test_unknown_target_from_the_cli_is_one_line(tickets_csv: Path, cli, user_error) -> None:  # noqa: ANN001
    result = cli("fit", tickets_csv, "--target", "label", "--task", "text", cwd=tickets_csv.parent)
    user_error(result, "'label' not found", "message")


# -- fitting -------------------------------------------------------------------------------
def test_generated_tickets_beat_chance_clearly() -> None:
    dataset = TEXT.load(tickets_frame(400, seed=5), {"target": "team"})
    train, valid = TEXT.split(dataset, 0)[0]
    f1_macro = next(m for m in METRICS if m.name == "f1_macro")
    ctx = SearchContext(task="text", kind=dataset.kind, metric=f1_macro, classes=dataset.classes,
                        info=dataset.info)
    model = LOGREG.build(dict(LOGREG.defaults), ctx)
    model.fit(take(dataset.X, train), dataset.y[train])
    score = f1_macro.fn(dataset.y[valid], model.predict(take(dataset.X, valid)))
    assert score > 0.6, f"macro F1 {score:.3f}; chance is about 0.25"


def test_chinese_text_fits_and_predicts(tmp_path: Path) -> None:
    path = tmp_path / "评论.csv"
    _chinese_frame().to_csv(path, index=False, encoding="utf-8")
    assert TEXT.detect(path, {"target": "情感"}) > 0.5
    run = AutoML(trials=2, run_dir=tmp_path / "run").fit(path, target="情感")
    assert run.model_record().task == "text"
    predictions = run.predict(path)
    assert list(predictions.columns) == ["prediction", "proba_正面", "proba_负面"]
    truth = pd.read_csv(path)["情感"]
    assert (predictions["prediction"] == truth).mean() > 0.9
