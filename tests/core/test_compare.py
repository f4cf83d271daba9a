"""`automl compare`: several runs on one page, never ranking one metric against another."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

from automl import AutoML
from automl.compare import compare, compare_runs
from automl.report import charts

BINARY = "leads <v1> & co | q1"  # markup and a Markdown pipe: both must be escaped
TARGET = "converted<y>"
FAST = {"trials": 3, "time_budget": 30, "models": ["linear"]}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A binary run (from a CSV), a regression run (from a frame) and an unfinished copy of the latter."""
    root = tmp_path_factory.mktemp("compare")
    X, y = make_classification(160, 5, n_informative=3, random_state=0)
    leads = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)]).assign(**{TARGET: y})
    leads.to_csv(root / "leads.csv", index=False)
    AutoML(run_dir=root / BINARY, **FAST).fit(root / "leads.csv", target=TARGET)
    X, y = make_regression(160, 4, noise=5.0, random_state=0)
    AutoML(run_dir=root / "price", **FAST).fit(pd.DataFrame(X, columns=list("abcd")).assign(price=y), target="price")
    shutil.copytree(root / "price", root / "price-unfinished")
    shutil.rmtree(root / "price-unfinished" / "best")
    manifest = json.loads((root / "price-unfinished" / "run.json").read_text())
    (root / "price-unfinished" / "run.json").write_text(json.dumps({**manifest, "status": "searching"}))
    return root


def _without_svg_namespaces(html: str) -> str:
    """The page minus the xmlns attributes of inline SVG, the only URLs a self-contained page may hold."""
    return re.sub(r'\sxmlns(:\w+)?="https?://[^"]*"', "", html)


def test_html_has_both_runs_a_chart_per_metric_and_nothing_external(cli, runs):
    result = cli("compare", BINARY, "price", "--out", "out/compare.html", cwd=runs)
    assert result.returncode == 0, result
    html = (runs / "out/compare.html").read_text()
    assert "leads &lt;v1&gt; &amp; co | q1" in html and BINARY not in html
    assert "converted&lt;y&gt;" in html and TARGET not in html
    assert ">price<" in html and "leads.csv" in html
    if charts.available():
        figures = re.findall(r'<figure class="chart" data-chart="best_scores"><svg', html)
        assert len(figures) == 2  # roc_auc and rmse are charted apart
    else:
        assert "pip install &#39;automl[report]&#39;" in html
    assert "different metrics" in html and "never ranked against each other" in html
    outside = _without_svg_namespaces(html)
    assert "http://" not in outside and "https://" not in outside
    assert not re.search(r"<script|<link|<img|@import|url\((?!#)", outside)


def test_html_leaderboards_hold_every_trial_with_its_run(runs):
    comparison = compare([runs / BINARY, runs / "price"])
    html = compare_runs([runs / BINARY, runs / "price"], "html")
    tables = re.findall(r'<table class="leaderboard" data-metric="(\w+)">(.*?)</table>', html, re.DOTALL)
    assert [metric for metric, _ in tables] == ["roc_auc", "rmse"]
    for (_, table), group in zip(tables, comparison.groups, strict=True):
        assert table.count("<tr") - 1 == len(group.board()) == sum(len(r.board) for r in group.runs) > 0


def _cells(line: str) -> list[str]:
    return re.split(r"(?<!\\)\|", line.strip())[1:-1]


def test_markdown_has_both_runs_with_pipes_escaped(cli, runs):
    result = cli("compare", BINARY, "price", "--out", "compare.md", cwd=runs)
    assert result.returncode == 0, result
    text = (runs / "compare.md").read_text()
    assert "leads \\<v1> & co \\| q1" in text and "| price |" in text  # tags in data show as text, no entities
    table = [line for line in text.splitlines() if line.startswith("|")]
    header = next(line for line in table if line.startswith("| run | task |"))
    rows = [line for line in table if _cells(line)[:1] in ([" leads \\<v1> & co \\| q1 "], [" price "])]
    trials = sum(len(run.board) for run in compare([runs / BINARY, runs / "price"]).runs)
    assert len(rows) == 2 + trials  # one summary row per run, then every leaderboard row
    for line in rows[:2]:
        assert len(_cells(line)) == len(_cells(header)) == 11


def test_csv_is_the_combined_leaderboard_with_a_run_column(cli, runs):
    result = cli("compare", BINARY, "price", "--out", "compare.csv", cwd=runs)
    assert result.returncode == 0, result
    frame = pd.read_csv(runs / "compare.csv")
    assert frame.columns[0] == "run" and set(frame["run"]) == {BINARY, "price"}
    assert dict(frame.groupby("run")["metric"].first()) == {BINARY: "roc_auc", "price": "rmse"}


def test_json_on_standard_output(runs):
    data = json.loads(compare_runs([runs / BINARY, runs / "price"], "json"))
    assert [r["run"] for r in data["runs"]] == [BINARY, "price"]
    assert {row["run"] for row in data["leaderboard"]} == {BINARY, "price"}
    assert any("different metrics" in note for note in data["notes"])


def test_runs_of_one_metric_share_one_ordering_and_an_unfinished_run_keeps_its_trials(runs):
    comparison = compare([runs / "price", runs / "price-unfinished"])
    assert len(comparison.groups) == 1
    board = comparison.groups[0].board()
    assert {row["run"] for row in board} == {"price", "price-unfinished"}
    scores = [row["score"] for row in board]
    assert scores == sorted(scores)  # rmse: lower first, across both runs
    unfinished = comparison.runs[1]
    assert unfinished.final_score is None and unfinished.n_trials == 3
    assert any("price-unfinished has no final model yet" in note for note in comparison.notes)
    assert not any("different data" in note for note in comparison.notes)  # same data fingerprint
    text = compare_runs([runs / "price", runs / "price-unfinished"], "md")
    assert "no final model" in text


def test_table_format_on_standard_output(cli, runs):
    result = cli("compare", "price", "price-unfinished", cwd=runs)
    assert result.returncode == 0, result
    summary, leaderboard = result.stdout.split("leaderboard (rmse, lower is better)\n")
    assert [line.split()[0] for line in summary.splitlines()[2:4]] == ["price", "price-unfinished"]
    assert "no final model yet" in summary
    assert len(leaderboard.strip().splitlines()) == 1 + 6  # header, 3 trials of each run


def test_unknown_suffix_is_a_user_error(cli, user_error, runs):
    user_error(cli("compare", "price", "--out", "compare.txt", cwd=runs), "compare.txt", ".html", ".md", ".csv")
    assert not (runs / "compare.txt").exists()


def test_a_missing_or_non_run_folder_is_a_user_error(cli, user_error, runs):
    user_error(cli("compare", "price", "nope", cwd=runs), "run directory nope not found")
    (runs / "empty").mkdir()
    user_error(cli("compare", "price", "empty", cwd=runs), "empty is not a run directory (no run.json)")
