"""The neural text model: it learns, saves without pickle, handles Chinese and empty texts, reports and stops."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import optuna
import pytest

from automl.catalog import build_catalog
from automl.specs import SearchContext
from automl_plugins.text.models import MODELS
from automl_plugins.text.models.neural import DEFAULTS, NEURAL_TEXT, Vocabulary, tokenize
from automl_plugins.text.sample import tickets_frame

pytest.importorskip("torch", reason="the neural text model needs the text extra")
from automl_plugins.text.models.neural_net import NeuralTextModel  # noqa: E402

FAST = {**DEFAULTS, "epochs": 10}
_TOPICS = {
    "退款": ["我要退款", "发票开错了", "重复扣费", "付款失败", "价格不对"],
    "物流": ["快递还没到", "包裹破损", "物流很慢", "送错地址", "运单号查不到"],
    "账号": ["忘记密码", "无法登录", "账号被锁", "修改手机号", "注销账户"],
}
_FILLERS = ["你好", "请帮忙处理", "谢谢", "很着急", "昨天", "今天", ""]


def context(classes: list, **overrides) -> SearchContext:  # noqa: ANN003
    metric = build_catalog().metric("text", "multiclass", "accuracy")
    return SearchContext(**{"task": "text", "kind": "multiclass", "metric": metric, "seed": 0, "n_threads": 1,
                            "classes": classes, **overrides})


def chinese(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(len(_TOPICS), size=n)
    texts = [f"{rng.choice(_FILLERS)}，{rng.choice(list(_TOPICS.values())[k])}。{rng.choice(_FILLERS)}" for k in y]
    return texts, y


@pytest.fixture(scope="module")
def tickets() -> tuple:
    frame = tickets_frame(320, seed=3, noise=0.0)
    classes = sorted(frame["team"].unique())
    X, y = frame["message"].tolist(), frame["team"].map(classes.index).to_numpy()
    return classes, X[:240], y[:240], X[240:], y[240:]


@pytest.fixture(scope="module")
def bigru(tickets: tuple) -> NeuralTextModel:
    classes, X, y, Xv, yv = tickets
    return NeuralTextModel(FAST, context(classes)).fit(X, y, Xv, yv)


def accuracy(model: NeuralTextModel, X: list[str], y: np.ndarray) -> float:
    return float(np.mean(model.predict(X).argmax(axis=1) == y))


def test_registered_after_the_cheap_models_and_samples_its_defaults() -> None:
    assert MODELS[-1] is NEURAL_TEXT and not NEURAL_TEXT.cheap
    params = NEURAL_TEXT.search_space(optuna.trial.FixedTrial(dict(DEFAULTS)), context(["a", "b"]))
    assert params == DEFAULTS


def test_bigru_beats_chance_clearly_and_refits_for_the_chosen_epochs(bigru: NeuralTextModel, tickets: tuple) -> None:
    classes, X, y, Xv, yv = tickets
    proba = bigru.predict(Xv)
    assert proba.shape == (len(Xv), 4) and np.allclose(proba.sum(axis=1), 1.0)
    assert accuracy(bigru, Xv, yv) >= 0.75  # chance is 0.25
    epochs = bigru.refit_params()["epochs"]
    assert epochs == bigru.history["best_epoch"] >= 1
    refit = NeuralTextModel(bigru.refit_params(), context(classes)).fit(X[:80], y[:80])
    assert refit.history["epochs_run"] == epochs and refit.history["stop_reason"] == "completed"


def test_cnn_beats_chance_clearly_and_the_same_seed_gives_the_same_model(tickets: tuple) -> None:
    classes, X, y, Xv, yv = tickets
    first, second = (NeuralTextModel({**FAST, "architecture": "cnn"}, context(classes)).fit(X, y, Xv, yv)
                     for _ in range(2))
    assert accuracy(first, Xv, yv) >= 0.75
    np.testing.assert_array_equal(first.predict(Xv), second.predict(Xv))


def test_save_load_round_trip_and_pickle_keep_predictions(bigru: NeuralTextModel, tickets: tuple,
                                                         tmp_path: Path) -> None:
    Xv = tickets[3]
    before = bigru.predict(Xv)
    NEURAL_TEXT.save(bigru, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["network.json", "weights.safetensors"]
    assert json.loads((tmp_path / "network.json").read_text())["architecture"]["architecture"] == "bigru"
    assert np.allclose(NEURAL_TEXT.load(tmp_path).predict(Xv), before)
    joblib.dump(bigru, tmp_path / "model.joblib")
    assert np.allclose(joblib.load(tmp_path / "model.joblib").predict(Xv), before)


def test_padding_does_not_change_a_prediction(bigru: NeuralTextModel, tickets: tuple) -> None:
    """Masked pooling: a short text scores the same alone or batched with long ones."""
    Xv = tickets[3]
    short = min(Xv, key=len)
    together = bigru.predict([short, *Xv, "word " * 200])[0]
    assert np.allclose(bigru.predict([short])[0], together, atol=1e-6)


def test_chinese_characters_and_empty_texts() -> None:
    X, y = chinese(200, seed=0)
    Xv, yv = chinese(60, seed=1)
    params = {**FAST, "unit": "char", "architecture": "cnn", "min_count": 1}
    model = NeuralTextModel(params, context(list(_TOPICS))).fit(X, y, Xv, yv)
    assert accuracy(model, Xv, yv) >= 0.8  # chance is 0.33
    proba = model.predict(["", "   ", "从未见过的字"])
    assert proba.shape == (3, 3) and np.all(np.isfinite(proba))


def test_tokens_and_vocabulary() -> None:
    assert tokenize("Hello, World 我要退款!", "word") == ["hello", ",", "world", "我", "要", "退", "款", "!"]
    assert tokenize("  a \n b ", "char") == ["a", " ", "b"]
    vocabulary = Vocabulary.build(["a a b", "a c"], "word", max_size=3, min_count=1, max_length=2)
    assert vocabulary.tokens == ["a"] and len(vocabulary) == 3  # padding, unknown and "a"
    assert [list(s) for s in vocabulary.encode(["a b a", "", "zzz"])] == [[2, 1], [1], [1]]


def test_every_epoch_is_reported_and_pruning_stops_training(tickets: tuple) -> None:
    classes, X, y, Xv, yv = tickets
    steps: list[tuple[int, float]] = []

    def reporter(step: int, value: float) -> None:
        steps.append((step, value))
        if step == 3:
            raise optuna.TrialPruned("pruned at step 3")

    with pytest.raises(optuna.TrialPruned):
        NeuralTextModel({**FAST, "architecture": "cnn"}, context(classes, reporter=reporter)).fit(X, y, Xv, yv)
    assert [s for s, _ in steps] == [1, 2, 3] and all(0.0 <= v <= 1.0 for _, v in steps)


def test_training_stops_at_the_deadline_with_a_usable_model(tickets: tuple) -> None:
    classes, X, y, Xv, yv = tickets
    steps: list[int] = []
    ctx = context(classes, deadline=time.time() - 1, reporter=lambda step, value: steps.append(step))
    model = NeuralTextModel({**FAST, "epochs": 30}, ctx).fit(X, y, Xv, yv)
    assert model.history["stop_reason"] == "deadline" and model.history["epochs_run"] == 1 and steps == [1]
    assert model.predict(Xv).shape == (len(Xv), 4)


def test_not_registered_without_torch_and_never_imported_at_registration() -> None:
    code = (
        "import importlib, sys\n"
        "import automl_plugins.text.models as m\n"
        "assert 'torch' not in sys.modules, 'registering the text plugin imported torch'\n"
        "assert m.MODELS[-1].key == 'neural_text'\n"
        "sys.modules['torch'] = None\n"
        "importlib.reload(m)\n"
        "assert 'neural_text' not in [s.key for s in m.MODELS]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
