"""The hostile corpus of issue 15: every attack the issue lists, and more, one test each.

The attacks run in two child processes, each a half of the cases in their
order (tests/security/hostile.py; a new child after a case that kills it), so
the corpus pays automl's import time twice and uses both cores of a 2-core
machine; each test here then asserts its own case's outcome. The count of cases, and of
failures, is printed at the end of the module (``-s``) and written beside the
results.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import batch  # noqa: E402
import hostile  # noqa: E402

CHILD = Path(__file__).with_name("hostile.py")
CHILD_TIMEOUT = 600.0
IDS = list(hostile.CASES)


@pytest.fixture(scope="module")
def corpus(fitted_runs, tmp_path_factory, request) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("hostile")
    selected = [item.callspec.params["name"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec") and "name" in item.callspec.params]
    selected = selected or IDS
    halves = [selected[: (len(selected) + 1) // 2], selected[(len(selected) + 1) // 2:]]
    shards = []
    for number, only in enumerate(half for half in halves if half):
        shard = work / f"shard{number}"  # its own cases, shared fits and results: the halves never meet
        shard.mkdir()
        config = {"work": str(shard), "run": str(fitted_runs.run), "other": str(fitted_runs.other),
                  "data": str(fitted_runs.data), "new": str(fitted_runs.new), "only": only}
        (shard / "config.json").write_text(json.dumps(config))
        shards.append(shard)
    started = time.monotonic()
    with ThreadPoolExecutor(len(shards)) as pool:
        running = [pool.submit(batch.drive, CHILD, shard, CHILD_TIMEOUT) for shard in shards]
        try:
            for future in running:
                future.result()
        except RuntimeError as exc:
            pytest.fail(str(exc))
    results = {r["id"]: r for shard in shards for r in batch.results(shard)}
    failing = sorted(name for name, r in results.items() if r["problems"])
    seconds = time.monotonic() - started
    summary = f"hostile corpus: {len(results)} cases, {len(results) - len(failing)} safe, {len(failing)} failing, " \
              f"{seconds:.0f} s"
    (work / "summary.txt").write_text(summary + "\n" + "\n".join(failing) + "\n")
    yield {"results": results, "work": work}
    print("\n" + summary)


@pytest.mark.parametrize("name", IDS)
def test_hostile_case(corpus, name):
    result = corpus["results"].get(name)
    assert result is not None, f"case {name!r} did not run"
    assert not result["problems"], "\n".join(result["problems"])


def test_the_corpus_counts_the_issue_cases():
    """Every hostile input the issue lists has a case (and the corpus is larger than the list)."""
    assert len(IDS) >= 60
    listed = ["pickle payload", "skops gadget", "password=", "--run-dir runs/x --force", "--out data.csv",
              "--out RUN/best/model.json", "1,000 classes", "--workers 100000", "model.txt cut", "escape sequences",
              "newline", "Markdown link", "Markdown image", "HTML entities", "under a file", "not writable",
              "symbolic link", "two fit --force", "--out an existing folder", "cut mid-line", "Parquet",
              "--time-budget nan", "--time-budget inf", "Run.predict(list)"]
    missing = [item for item in listed if not any(item.lower() in name.lower() for name in IDS)]
    assert not missing, missing
