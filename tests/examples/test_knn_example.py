"""The example third-party plugin in examples/automl-knn works as its README says.

It is installed (editable) into the current environment, exactly as a user
would install a plugin from PyPI, and always uninstalled afterwards so the
environment stays clean for the other tests.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from example_plugins import EXAMPLES, automl, explain, installed, run

from automl_plugins.tabular.demo import churn_frame

pytestmark = pytest.mark.slow

EXAMPLE = EXAMPLES / "automl-knn"
DISTRIBUTION = "automl-knn"


@pytest.fixture(scope="module")
def knn_installed() -> Iterator[Path]:
    """automl-knn installed editable for this module's tests; uninstalled afterwards, whatever happens."""
    with installed(EXAMPLE, DISTRIBUTION) as folder:
        yield folder


def test_example_plugin_end_to_end(knn_installed: Path, tmp_path: Path) -> None:
    # 1. the plugin's own test suite: automl's conformance kit plus its behavioural test
    done = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", cwd=knn_installed)
    assert done.returncode == 0, explain(done)
    assert " passed" in done.stdout and "skipped" not in done.stdout, explain(done)

    # 2. `automl plugins` finds it through its entry point
    done = automl("plugins", cwd=tmp_path)
    assert done.returncode == 0, explain(done)
    assert "knn  (automl_knn)" in done.stdout, explain(done)
    block = done.stdout.split("knn  (automl_knn)", 1)[1].split("\n\n", 1)[0]
    assert "models:  knn" in block, explain(done)
    assert "tabular  (automl_plugins.tabular:PLUGIN)" in done.stdout, explain(done)
    assert "Warning" not in done.stderr, explain(done)

    # 3. a search that uses it, and its rows on the leaderboard
    churn_frame(300, seed=0).to_csv(tmp_path / "customers.csv", index=False)
    done = automl("fit", "customers.csv", "--target", "churned", "--models", "knn,linear", "--trials", "4",
                  "--run-dir", "run", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, explain(done)
    done = automl("leaderboard", "run", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, explain(done)
    rows = json.loads(done.stdout)
    knn_rows = [row for row in rows if row["model"] == "knn"]
    assert knn_rows, f"no knn row on the leaderboard: {[row['model'] for row in rows]}"
    assert any(row["status"] == "COMPLETE" and row["score"] > 0.6 for row in knn_rows), knn_rows
    assert {"n_neighbors", "weights", "p"} <= set(knn_rows[0]["params"]), knn_rows[0]
