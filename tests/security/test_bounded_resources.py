"""Bounded resources: a small input never makes automl allocate or start without end.

A 98 KB CSV with 1,000 classes x 2 rows once grew the report to 23 GB (the
kernel killed it without a word), and ``--workers 100000`` started processes
without end. Here the same file is fitted and reported under a 4 GB address
space limit; per-class charts and tables are checked to draw at most
``MAX_CLASSES_DRAWN`` classes plus "others"; ``--workers`` is capped with a
note; nested Parquet columns are a note, not a traceback.
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl import limits
from automl.errors import UserError
from automl.report import charts
from automl.report.evidence import Validation, check_npz_size
from automl.report.prediction_charts import classification_charts

MEMORY_LIMIT = 4 << 30
N_CLASSES = 1000


def _many_classes_csv(path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 2 * N_CLASSES
    pd.DataFrame({
        "a": rng.normal(size=n).round(4), "b": rng.normal(size=n).round(4), "c": rng.integers(0, 100, n),
        "d": rng.normal(size=n).round(4), "e": rng.choice(["red", "green", "blue"], n),
        "y": np.repeat([f"class_{i}" for i in range(N_CLASSES)], 2),
    }).to_csv(path, index=False)
    return path


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _automl(*args: str | Path, cwd: Path, limit_memory: bool = False, timeout: float = 240,
            one_cpu: bool = False) -> subprocess.CompletedProcess:
    def prepare() -> None:
        if limit_memory:
            _limited()
        if one_cpu:
            import os

            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    return subprocess.run([sys.executable, "-m", "automl.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=prepare)


def _figure(page: str, name: str) -> str:
    start = page.index(f'data-chart="{name}"')
    return page[start:page.index("</figure>", start)]


def test_a_thousand_classes_fit_and_report_within_4_gb(tmp_path: Path) -> None:
    """The 98 KB file of the issue, fitted and reported under RLIMIT_AS 4 GB (the report alone took 23 GB):
    the confusion matrix and the class balance show 20 classes and "others". A linear model keeps it quick;
    the forest, whose node tables grow with the classes, is checked on its own below."""
    data = _many_classes_csv(tmp_path / "classes.csv")
    done = _automl("fit", data, "--target", "y", "--models", "linear", "--trials", "1",
                   "--time-budget", "60", "--run-dir", tmp_path / "run", "--quiet", cwd=tmp_path, limit_memory=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "bad_alloc" not in done.stderr, done.stderr[-3000:]
    assert "note: 1,000 classes: boosted models are held to 50 rounds" in done.stderr
    page = (tmp_path / "run" / "report.html").read_text()
    matrix = _figure(page, "confusion_matrix")
    drawn = set(re.findall(r">(class_\d+)</text>", matrix))
    assert 0 < len(drawn) <= limits.MAX_CLASSES_DRAWN
    assert limits.others_label(N_CLASSES - limits.MAX_CLASSES_DRAWN) in matrix
    balance = page[page.index('id="class-balance"'):]
    balance = balance[:balance.index("</table>")]
    assert balance.count("<tr>") == 1 + limits.MAX_CLASSES_DRAWN + 1  # header, top classes, others
    markdown = (tmp_path / "run" / "report.md").read_text()
    assert limits.others_label(N_CLASSES - limits.MAX_CLASSES_DRAWN) in markdown


def test_per_class_charts_draw_at_most_the_cap_plus_others() -> None:
    """In process, with 300 classes: every per-class chart of the prediction charts stays within the cap."""
    rng = np.random.default_rng(0)
    n_classes, n = 300, 3000
    y = rng.integers(0, n_classes, n)
    proba = rng.dirichlet(np.ones(n_classes), n)
    validation = Validation(y, proba, np.arange(n), np.zeros(n, dtype=int))
    names = [f"k{i}" for i in range(n_classes)]
    drawn = {chart.name: chart for chart in classification_charts(validation, names, positive=1)}
    matrix = drawn["confusion_matrix"].svg
    assert len(set(re.findall(r">(k\d+)</text>", matrix))) <= limits.MAX_CLASSES_DRAWN
    assert limits.others_label(n_classes - limits.MAX_CLASSES_DRAWN) in matrix
    for curve in ("roc_curve", "pr_curve"):
        assert len(set(re.findall(r">(k\d+) \(", drawn[curve].svg))) <= limits.MAX_CLASSES_DRAWN


def test_the_others_group_keeps_every_row() -> None:
    counts = {f"c{i}": 100 - i for i in range(50)}
    capped = limits.top_with_others(counts, limit=5)
    assert list(capped)[:5] == ["c0", "c1", "c2", "c3", "c4"]
    assert capped[limits.others_label(45)] == sum(counts.values()) - sum(100 - i for i in range(5))
    assert limits.top_with_others({"a": 1}, limit=5) == {"a": 1}
    grouped = limits.group_codes(np.array([0, 7, 3, 9]), kept=[7, 3], n_classes=10)
    assert grouped.tolist() == [2, 0, 1, 2]


def test_a_chart_too_large_is_refused_before_it_is_drawn() -> None:
    with pytest.raises(charts.ChartTooLarge), charts.canvas(450.0, 450.0):
        pass


def test_a_forest_of_many_classes_stays_under_its_memory_cap() -> None:
    """1,000 classes: a tree keeps 8 KB per node; 300 trees of leaf size 1 were 2 GB per fold."""
    from sklearn.ensemble import ExtraTreesClassifier

    from automl_plugins.tabular.models.forest import MODEL_BYTES, ForestModel

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(1600, 4)), columns=list("abcd"))
    y = np.repeat(np.arange(N_CLASSES), 2)[:1600]
    params = {"n_estimators": 300, "min_samples_leaf": 1}
    model = ForestModel(ExtraTreesClassifier(n_estimators=300, min_samples_leaf=1, n_jobs=1, random_state=0),
                        "multiclass", N_CLASSES, "tree", params).fit(X, y)
    assert model._bytes() <= MODEL_BYTES
    assert model.params["n_estimators"] >= 50  # larger leaves, not a handful of trees
    assert model.predict(X.head(3)).shape == (3, N_CLASSES)


def test_boosting_rounds_shrink_with_the_classes() -> None:
    assert limits.boosting_rounds(10_000, 1) == 10_000
    assert limits.boosting_rounds(10_000, 1000) == limits.MAX_TREES // 1000
    assert limits.boosting_rounds(10_000, 10**7) == limits.MIN_ROUNDS


def test_worker_caps() -> None:
    assert limits.cap_workers(1, 8, None) == (1, None)
    assert limits.cap_workers(100_000, 8, None) == (8, "--workers 100000 capped to 8 (8 CPUs available)")
    assert limits.cap_workers(6, 8, 3) == (3, "--workers 6 capped to 3 (--trials 3)")
    assert limits.cap_workers(3, 1, None)[0] == 1


def test_an_npz_declaring_a_huge_array_is_refused_before_reading(tmp_path: Path) -> None:
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**5)})
    path = tmp_path / "validation.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("prediction.npy", header.getvalue() + bytes(4096))
    with pytest.raises(UserError, match="declares an array"):
        check_npz_size(path)


@pytest.fixture
def nested_parquet(tmp_path: Path) -> Path:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    n = 120
    table = pa.table({
        "a": rng.normal(size=n), "b": rng.integers(0, 4, n),
        "tags": [[1, 2, 3][: i % 3 + 1] for i in range(n)],
        "point": [{"x": i, "y": "k"} for i in range(n)],
        "y": rng.integers(0, 2, n),
    })
    path = tmp_path / "nested.parquet"
    pq.write_table(table, path)
    return path


def test_workers_are_capped_and_a_nested_parquet_column_is_a_note(tmp_path: Path, nested_parquet: Path) -> None:
    """One fit: ``--workers 100000`` on one CPU runs one process with a note; list and struct columns are
    dropped with a note each, naming the column and its type; predict reads the same file."""
    done = _automl("fit", nested_parquet, "--target", "y", "--workers", "100000", "--models", "linear",
                   "--trials", "1", "--time-budget", "30", "--run-dir", tmp_path / "run", "--quiet", cwd=tmp_path,
                   one_cpu=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert "note: --workers 100000 capped to 1 (" in done.stderr
    assert "note: dropped column 'tags': nested values (list per cell)" in done.stderr
    assert "note: dropped column 'point': nested values (struct per cell)" in done.stderr
    assert '"workers": 1' in (tmp_path / "run" / "run.json").read_text()
    predicted = _automl("predict", tmp_path / "run", nested_parquet, cwd=tmp_path)
    assert predicted.returncode == 0, predicted.stderr
    assert len(predicted.stdout.splitlines()) == 121


def test_workers_zero_is_one_line(tmp_path: Path, churn_csv: Path, cli, user_error) -> None:
    user_error(cli("fit", churn_csv, "--target", "churned", "--workers", "0", cwd=tmp_path), "--workers", "0")


def test_negative_workers_are_refused(churn_csv: Path, tmp_path: Path) -> None:
    from automl.api import Run
    from automl.workflow import FitOptions, start_run

    with pytest.raises(UserError, match="--workers must be at least 1"):
        start_run(churn_csv, FitOptions(workers=-4, target="churned", run_dir=tmp_path / "run"), open_run=Run)
    assert not (tmp_path / "run").exists()


def test_a_nested_target_is_refused_by_name(nested_parquet: Path) -> None:
    """The CLI prints a UserError as one line (tests/core/test_bad_input.py); here: it names column and type."""
    from automl.data import read_table
    from automl_plugins.tabular.target import analyse_target

    with pytest.raises(UserError, match=r"target 'tags' .* nested values \(list per cell\)"):
        analyse_target(read_table(nested_parquet), "tags", str(nested_parquet))
