"""A trial's child process and the search: results, exceptions, reports and kills, with no pickle on the way."""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import signal
import socket
import time

import numpy as np
import optuna
import pytest

from automl.search import isolation, wire
from automl.search.objective import FoldResults


def _no_report(_step: int, _value: float) -> None:
    return None


def _isolated(work, report=_no_report, seconds: float = 60.0):
    return isolation.run_isolated(work, report, time.time() + seconds)


def _arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "float32_2d": rng.random((7, 3), dtype=np.float32),
        "float64": np.array([1.5, math.nan, math.inf, -0.0]),
        "int64": np.arange(-5, 5, dtype=np.int64),
        "uint8": np.arange(256, dtype=np.uint8),
        "bool": np.array([True, False, True]),
        "big_endian": np.arange(4, dtype=">i4"),
        "fortran": np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4)),
        "strided": np.arange(20, dtype=np.int16)[::3],
        "text": np.array(["yes", "no", "perhaps"]),
        "bytes": np.array([b"a", b"bc"]),
        "dates": np.array(["2024-01-01", "2024-03-05"], dtype="datetime64[ns]"),
        "complex": np.array([1 + 2j, -3j]),
        "zero_d": np.array(3.25),
        "empty": np.zeros((0, 5), dtype=np.float32),
        "recommend_like": rng.random((4, 2, 3)).astype(np.float32),
    }


def _folds() -> FoldResults:
    return FoldResults(predictions=[np.arange(6, dtype=np.float32).reshape(3, 2), np.array([0.25, 0.75])],
                       refit_params=[{"n_estimators": 120, "learning_rate": 0.05, "kind": "gbdt", "extra": None,
                                      "flag": True, "layers": (64, 32), "nan": math.nan, "np_int": np.int64(7),
                                      "np_float": np.float32(0.5)}],
                       throughputs=[1234.5], fit_seconds=1.25, predict_seconds=0.01, train_rows=300, n_folds=2,
                       packed="/tmp/automl-trial-x/models.zip")


def _assert_same(got, expected) -> None:
    assert type(got) is type(expected), (got, expected)
    if isinstance(expected, np.ndarray):
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
    elif isinstance(expected, dict):
        assert list(got) == list(expected)
        for key in expected:
            _assert_same(got[key], expected[key])
    elif isinstance(expected, list | tuple):
        assert len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            _assert_same(a, b)
    elif isinstance(expected, FoldResults):
        _assert_same(vars(got), vars(expected))
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected


def _round_trip(value):
    parts = wire.frame(value)
    data = b"".join(bytes(memoryview(part).cast("B")) for part in parts)
    text, _ = wire.HEADER.unpack(data[:wire.HEADER.size])
    return wire.decode(data[wire.HEADER.size:wire.HEADER.size + text], memoryview(data)[wire.HEADER.size + text:])


def test_every_supported_value_survives_the_format() -> None:
    value = {"arrays": _arrays(), "folds": _folds(), 1: "int key", (2, "b"): [None, -1, 2**70, "é"],
             "inf": -math.inf, "empty": {}, "tuple": ()}
    _assert_same(_round_trip(value), value)


def test_the_result_of_a_child_comes_back_whole() -> None:
    sent = {"folds": _folds(), "arrays": _arrays()}
    _assert_same(_isolated(lambda report: sent), sent)


def test_a_function_returning_none_returns_none() -> None:  # the refit's use
    assert _isolated(lambda report: None) is None


def test_a_large_result_comes_through_the_pipe() -> None:
    big = np.random.default_rng(1).random((50 * 2**20) // 8)  # 50 MB of float64
    started = time.perf_counter()
    back = _isolated(lambda report: FoldResults(predictions=[big, big[:10].astype(np.float32)], n_folds=2))
    seconds = time.perf_counter() - started
    np.testing.assert_array_equal(back.predictions[0], big)
    assert back.predictions[1].dtype == np.float32 and back.n_folds == 2
    assert seconds < 30, seconds


@pytest.mark.parametrize("value, named", [
    (np.array(["a", 1], dtype=object), "dtype object"),
    (FoldResults(models=[object()]), "builtins.object"),
    ({"when": np.datetime64("2024-01-01")}, "numpy.datetime64"),
    (np.ma.masked_array([1, 2]), "MaskedArray"),
    ({1, 2}, "builtins.set"),
    (FoldResults, "builtins.type"),  # the class, not an instance
])
def test_a_type_the_format_does_not_know_is_refused_by_name(value, named) -> None:
    with pytest.raises(TypeError, match=named):
        wire.frame(value)
    with pytest.raises(isolation.ChildFailed, match=f"TypeError: .*{named}"):
        _isolated(lambda report: value)


@pytest.mark.parametrize("text", [
    b'{"pickle": "x"}', b'{"array": ["|O8", [1], 0]}', b'{"array": ["<f8", [100], 0]}', b"NaN",
    b'{"dataclass": ["os.PathLike", {"dict": []}]}', b'{"dict": [[[1], 2]]}', b'{"scalar": ["<U3", "abc"]}',
])
def test_a_frame_not_in_the_format_is_refused(text: bytes) -> None:
    with pytest.raises(wire.WireError):
        wire.decode(text, memoryview(b""))


def test_an_exception_in_the_child_is_raised_with_its_type_and_message() -> None:
    def work(report):
        raise ValueError("the model broke on purpose")

    with pytest.raises(isolation.ChildFailed, match="^ValueError: the model broke on purpose$"):
        _isolated(work)


def test_pruning_in_the_child_and_by_the_parent_is_a_trial_pruned() -> None:
    def prunes_itself(report):
        raise optuna.TrialPruned("not good enough")

    with pytest.raises(optuna.TrialPruned, match="not good enough"):
        _isolated(prunes_itself)

    seen = []

    def parent_report(step: int, value: float) -> None:
        seen.append((step, value))
        if step == 2:
            raise optuna.TrialPruned(f"pruned at step {step}")

    def reports(report):
        for step in range(5):
            report(np.int64(step), np.float32(step / 4))
        return "never"

    with pytest.raises(optuna.TrialPruned, match="pruned at step 2"):
        _isolated(reports, parent_report)
    assert seen == [(0, 0.0), (1, 0.25), (2, 0.5)]


def test_a_child_past_its_deadline_is_killed() -> None:
    def hangs(report):
        report(0, 0.0)
        time.sleep(600)

    started = time.time()
    with pytest.raises(isolation.TrialTimeout, match="killed after"):
        _isolated(hangs, seconds=1.0)
    assert time.time() - started < 10
    assert not multiprocessing.active_children()


def test_a_child_past_its_deadline_while_sending_is_killed() -> None:
    def stalls(report):  # the frame's header promises more than ever comes: the parent must not wait for it
        sock = _child_socket()
        sock.sendall(wire.HEADER.pack(10, 2**20))
        time.sleep(600)

    started = time.time()
    with pytest.raises(isolation.TrialTimeout):
        _isolated(stalls, seconds=1.0)
    assert time.time() - started < 10
    assert not multiprocessing.active_children()


def test_a_child_that_dies_fails_the_trial_without_waiting_for_the_deadline() -> None:
    started = time.time()
    with pytest.raises(isolation.TrialProcessDied, match="SIGKILL"):
        _isolated(lambda report: os.kill(os.getpid(), signal.SIGKILL), seconds=60)
    with pytest.raises(isolation.TrialProcessDied, match="exit code 3"):
        _isolated(lambda report: os._exit(3), seconds=60)
    assert time.time() - started < 10


def test_a_child_dying_halfway_through_its_frame_fails_the_trial() -> None:
    def half(report):
        sock = _child_socket()
        parts = wire.frame({"kind": "done", "packages": [], "result": np.zeros(2**20)})
        sock.sendall(parts[0])
        sock.sendall(parts[1])
        sock.sendall(memoryview(parts[2])[:1000])
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(isolation.TrialProcessDied, match="SIGKILL"):
        _isolated(half, seconds=30)


def test_the_reader_reports_a_closed_end_and_frames_in_pieces() -> None:
    left, right = socket.socketpair()
    with left, right:
        parts = wire.frame({"a": np.arange(5.0)})
        data = b"".join(bytes(memoryview(part).cast("B")) for part in parts)
        right.settimeout(0.1)
        reader = wire.FrameReader(right)
        for byte in range(len(data) - 1):
            left.sendall(data[byte:byte + 1])
            assert reader.pump() is None
        left.sendall(data[-1:])
        got = None
        while got is None:
            got = reader.pump()
        np.testing.assert_array_equal(got["a"], np.arange(5.0))
        left.sendall(data[:20])
        left.close()
        with pytest.raises(EOFError):
            while True:
                reader.pump()


def _child_socket() -> socket.socket:
    """The child's end of the socket pair: the one open socket in the child."""
    found = [o for o in gc.get_objects() if isinstance(o, socket.socket) and o.fileno() >= 0]
    assert len(found) == 1, found
    return found[0]


def test_nothing_in_automl_unpickles() -> None:
    import re
    from pathlib import Path

    root = Path(isolation.__file__).resolve().parents[1]
    pattern = re.compile(r"\b(pickle|joblib|marshal|cloudpickle)\.(loads?|Unpickler)\b|\.recv\(\)")
    found = [f"{path}:{n}" for path in root.rglob("*.py")
             for n, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert not found, found
