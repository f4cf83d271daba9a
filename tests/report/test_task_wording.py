"""Each task's report speaks its own words (issue 16, point 4).

One tiny run per task (module-scoped, in-process: about half a minute for all six), then its report.md must
carry its own unit and what it predicts, its metric in plain words, no other task's phrases, no "'the target'",
no HTML entity, no "1 trials", and hints with the run's real path. The parts behind it (a blend named as one,
a preset's words winning, neutral words for a task that declares none, a score axis that shows differences,
the interrupt hint) are checked on their own below.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from automl.api import AutoML, Run
from automl.records import MemberRecord, ModelRecord, RunRecord
from automl.report import summary, words
from automl.specs import TaskWords

ENTITY = re.compile(r"(?<!\\)&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);")
ONE_PLURAL = re.compile(r"(?<![\d.,])1 (trials|models|model families|rows|images|messages|users|periods)\b")

# What only one task says; text and finetune share their words (both read messages).
OWN_PHRASES = {
    "tabular": ["for each row"],
    "text": ["each message"],
    "finetune": ["each message"],
    "image": ["each image", "images"],
    "recommend": ["each user"],
    "forecast": ["the next periods"],
}
SIBLINGS = {"text": "finetune", "finetune": "text"}


def _tabular(base: Path) -> Run:
    from automl_plugins.tabular.demo import churn_frame

    churn_frame(200, seed=0).to_csv(base / "churn.csv", index=False)
    return AutoML(task="tabular", trials=2, time_budget=180, models=["linear"], run_dir=base / "tabular").fit(
        base / "churn.csv", target="churned")


def _text(base: Path) -> Run:
    from automl_plugins.text.sample import tickets_frame

    tickets_frame(150, seed=0).to_csv(base / "tickets.csv", index=False)
    return AutoML(task="text", trials=2, time_budget=180, models=["complement_nb"], run_dir=base / "text").fit(
        base / "tickets.csv", target="team")


def _finetune(base: Path) -> Run:
    pytest.importorskip("transformers", reason="the finetune extra is not installed")
    from automl_plugins.text.finetune.sample import reviews_frame
    from automl_plugins.text.finetune.tiny import make_tiny_bert

    frame = reviews_frame(60, seed=0)
    frame.to_csv(base / "reviews.csv", index=False)
    backbone = make_tiny_bert(base / "tiny-bert", frame["review"], hidden=16, layers=1)  # the smallest: seconds
    return AutoML(task="finetune", trials=2, time_budget=180, run_dir=base / "finetune").fit(
        base / "reviews.csv", target="sentiment", backbone=[str(backbone)])


def _image(base: Path) -> Run:
    pytest.importorskip("torch", reason="the image extra is not installed")
    from automl_plugins.image.sample import write_shapes

    folder = write_shapes(base / "shapes", per_class=10, seed=1)
    return AutoML(task="image", trials=2, time_budget=180, models=["linear"], run_dir=base / "image").fit(folder)


def _recommend(base: Path) -> Run:
    """One trial (so the report must say '1 trial') and --top-k 5 (so the words must say 'top 5')."""
    from automl_plugins.recommend.sample import interactions_frame

    interactions_frame(n_users=80, n_items=50, seed=0).to_csv(base / "interactions.csv", index=False)
    return AutoML(task="recommend", trials=1, time_budget=180, models=["itemknn"], run_dir=base / "recommend").fit(
        base / "interactions.csv", top_k=5)


def _forecast(base: Path) -> Run:
    from automl_plugins.forecast.sample import sales_frame

    sales_frame(n_series=2, n_months=40, seed=1).to_csv(base / "sales.csv", index=False)
    return AutoML(task="forecast", trials=3, time_budget=180, models=["seasonal_naive", "ets", "theta"],
                  run_dir=base / "forecast").fit(base / "sales.csv", target="units", horizon=6)


FITS: dict[str, Callable[[Path], Run]] = {"tabular": _tabular, "text": _text, "finetune": _finetune,
                                          "image": _image, "recommend": _recommend, "forecast": _forecast}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("task wording")  # a space in the path: the hints must quote it


@pytest.fixture(scope="module")
def reports(base: Path) -> dict[str, tuple[Run, str, str]]:
    """Each task's run, report.md and report.html, made once; a task whose extra is missing is left out."""
    made = {}
    for task, fit in FITS.items():
        started = time.perf_counter()
        try:
            run = fit(base)
        except pytest.skip.Exception:
            continue
        html = run.report()
        print(f"{task}: fit and report in {time.perf_counter() - started:.1f} s")
        made[task] = (run, html.with_suffix(".md").read_text(), html.read_text())
    return made


def _report(reports: dict[str, tuple[Run, str, str]], task: str) -> tuple[Run, str, str]:
    if task not in reports:
        pytest.skip(f"the {task} extra is not installed")
    return reports[task]


@pytest.mark.parametrize("task", list(FITS))
def test_each_report_speaks_its_own_words(reports: dict[str, tuple[Run, str, str]], task: str) -> None:
    run, markdown, _ = _report(reports, task)
    task_words = run.catalog.task(task).words
    assert isinstance(task_words, TaskWords), f"the {task} plugin declares no words"
    first_line = markdown.splitlines()[2]
    predicted = words.predicts(run.record, task_words)
    assert f"predicting **{predicted}**" in first_line, first_line
    metric = words.metric_name(run.record.metric, run.record, task_words)
    assert metric != run.record.metric and f"optimised for {metric}" in first_line, first_line
    assert task_words.units in markdown
    for phrase in OWN_PHRASES[task]:
        assert phrase in markdown, f"{task}: its own phrase {phrase!r} is missing"
    for other, phrases in OWN_PHRASES.items():
        if other in (task, SIBLINGS.get(task)):
            continue
        for phrase in phrases:
            assert phrase not in markdown, f"{task}'s report says {other}'s {phrase!r}"
    assert "the next values" not in markdown and "'the target'" not in markdown and "the target" not in markdown


@pytest.mark.parametrize("task", list(FITS))
def test_no_entities_no_wrong_plurals_and_real_paths(reports: dict[str, tuple[Run, str, str]], task: str) -> None:
    run, markdown, html = _report(reports, task)
    assert not ENTITY.search(markdown), ENTITY.search(markdown)
    assert not ONE_PLURAL.search(markdown), ONE_PLURAL.search(markdown)
    assert not ONE_PLURAL.search(re.sub(r"<[^>]+>", " ", html)), "the HTML report has a wrong plural"
    folder = str(run.path.resolve())
    assert " " in folder, "the test's folder has a space, so the hint must quote it"
    quoted = f"'{folder}'"
    serve = f"automl predict {quoted}" + ("" if task == "forecast" else " new.csv")
    assert f"serve it with `{serve}`" in markdown
    assert f"Serve it with <code>{serve.replace(chr(39), '&#39;')}</code>" in html
    assert "automl predict RUN" not in markdown and f"automl predict {run.manifest['name']} " not in html


def test_one_trial_is_one_trial(reports: dict[str, tuple[Run, str, str]]) -> None:
    _, markdown, _ = _report(reports, "recommend")
    assert "chosen among 1 trial;" in markdown
    assert "the 5 items each user is most likely to pick next" in markdown, "the run's --top-k fills the words"


def test_image_report_names_the_class_not_a_target(reports: dict[str, tuple[Run, str, str]]) -> None:
    _, markdown, _ = _report(reports, "image")
    headline = next(line for line in markdown.splitlines() if line.startswith("**"))
    assert headline.startswith("**The model gives the right class for ") and " of images;" in headline, headline


def test_every_report_glosses_its_jargon(reports: dict[str, tuple[Run, str, str]]) -> None:
    run, markdown, html = _report(reports, "forecast")
    glossary = markdown.split("Words used here:", 1)[1].split("\n## ", 1)[0]
    for term in ("validation", "trial", "backtest", "seasonal naive"):
        assert f"- *{term}*: " in glossary, glossary
    assert "MASE" in glossary and 'id="glossary"' in html
    assert markdown.index("Words used here:") < markdown.index("## Leaderboard"), "glossed before the tables"


# -- the parts behind the words ----------------------------------------------------------------------------------

def test_the_headline_describes_the_delivered_blend_not_a_trial() -> None:
    final = ModelRecord.from_json({"validation_score": 0.61, "members": [{"model": "ets", "weight": 0.5},
                                                                         {"model": "theta", "weight": 0.5}]})
    best = {"model": "ets", "score": 0.58}
    baseline = {"model": "seasonal_naive", "score": 1.02}
    wording = summary.Wording.from_record(RunRecord(metric="mase", target="units"),
                                          TaskWords(metrics={"mase": "error against the seasonal naive (MASE)"}))
    headline = summary.score_summary(best, baseline, "mase", wording, final).headline
    assert headline == ("The final model, an equal-weight blend of 2 models (ets, theta), has a validation "
                        "error against the seasonal naive (MASE) of 0.61; the simplest baseline (seasonal_naive) "
                        "scores 1.02.")
    weighted = replace(final, members=[MemberRecord(model="a", weight=3.0), MemberRecord(model="b", weight=1.0)])
    assert words.blend_phrase(weighted) == "a weighted blend of 2 models (a 75%, b 25%)"
    assert words.blend_phrase(ModelRecord(members=[MemberRecord(model="ets", weight=1.0)])) == "a single ets model"


def test_a_preset_overrides_the_task_words_and_a_task_without_words_gets_neutral_ones() -> None:
    task_words = TaskWords(unit="message", units="messages", target="the label", metrics={"f1": "balance (F1)"})
    record = RunRecord(metric="f1", preset={"wording": {"entity": "tickets", "target": "team"}})
    preset = summary.Wording.from_record(record, task_words)
    assert (preset.entity, preset.target, preset.metric) == ("tickets", "team", "balance (F1)")
    plain = summary.Wording.from_record(RunRecord(metric="f1"), task_words)
    assert (plain.entity, plain.target, plain.count(1), plain.count(2)) == ("messages", "the label", "1 message",
                                                                            "2 messages")
    neutral = summary.Wording.from_record(RunRecord(metric="f1", target="y"))
    assert (neutral.entity, neutral.target, neutral.metric) == ("rows", "'y'", "f1")


def test_score_bars_zoom_on_close_scores_and_say_so() -> None:
    from automl.report.charts import available, bar_chart, score_axis

    low, high = score_axis([0.93, 0.91, 0.90])
    assert 0.85 < low < 0.90 and 0.93 < high < 0.96
    assert score_axis([0.2, 0.9]) is None and score_axis([-0.1, 0.05]) is None and score_axis([0.5]) is None
    if not available():
        pytest.skip("matplotlib is not installed")
    chart = bar_chart("family_comparison", "t", ["a", "b"], [0.93, 0.90], zoom=True, value_format="{:.4g}")
    assert "The axis starts at 0.8" in chart.caption and "not 0" in chart.caption
    assert "not 0" not in bar_chart("importance", "t", ["a", "b"], [0.93, 0.90]).caption


def test_interrupt_hint_names_the_real_run_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import automl.workflow
    from automl.cli import cli

    folder = tmp_path / "my runs" / "churn"

    def interrupted(_path: object, options: automl.workflow.FitOptions, echo: object = None, **_: object) -> None:
        Path(options.run_dir).mkdir(parents=True)
        (Path(options.run_dir) / "run.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(automl.workflow, "start_run", interrupted)
    (tmp_path / "d.csv").write_text("x,y\n1,2\n")
    result = CliRunner().invoke(cli, ["fit", str(tmp_path / "d.csv"), "--run-dir", str(folder)])
    assert result.exit_code == 130
    assert f"continue with \"automl resume '{folder}'\"" in result.output, result.output
    assert "resume RUN" not in result.output


def test_a_run_without_a_final_model_says_how_to_finish_it(reports: dict[str, tuple[Run, str, str]],
                                                             base: Path) -> None:
    import shutil

    run, _, _ = _report(reports, "recommend")
    copy = base / "no final model"
    shutil.copytree(run.path, copy)
    shutil.rmtree(copy / "best")
    markdown = Run.load(copy).report().with_suffix(".md").read_text()
    assert f"finish the run with `automl resume '{copy.resolve()}'`" in markdown
    assert markdown.count("**The best model, itemknn, has a validation ranking quality") == 1
