"""Everything the report templates show, gathered from a run directory.

Each part is computed on its own and a part that cannot be computed (no
matplotlib, a plugin no longer installed, a run that never finished) becomes a
note on the page instead of an error, because a partial report is still worth
mailing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from automl.evidence import deployment
from automl.evidence import validation as evidence
from automl.evidence.validation import Validation
from automl.report import charts, document, study_charts, summary, words
from automl.search import counts

if TYPE_CHECKING:
    from automl.api import Run
    from automl.records import ModelRecord, RunRecord

CLASSIFICATION_KINDS = ("binary", "multiclass")
log = logging.getLogger(__name__)


def build(run: Run, slice_by: str | None = None) -> dict[str, Any]:
    from automl.leaderboard import format_params

    manifest = run.record
    board = run.leaderboard_rows()
    for row in board:
        row["params_text"] = format_params(row["params"])
    complete = [r for r in board if r["score"] is not None]
    final = run.model_record() if (run.dir.best / "model.json").is_file() else None
    validation = evidence.load_validation(run.dir.best) if final else None
    metric = _metric(run, manifest)
    wording = summary.Wording.from_record(manifest, words.task_words(run))
    notes: list[str] = []
    page = {
        "manifest": manifest,
        "preset": manifest.preset,
        "board": board,
        "best": complete[0] if complete else None,
        "families": best_per_family(complete),
        "final": final,
        "n_trials": sum(1 for r in board if r.get("trial") is not None and r.get("status") != "SKIPPED"),
        "summary": _summary(manifest, final, validation, complete, run, wording),
        "confidence": _confidence(metric, validation, manifest, run),
        "search_charts": [],
        "prediction_charts": [],
        "data": _data_summary(manifest),
        "cost": cost(run, manifest),
        "fairness": None,
        "sections": plugin_sections(run),
        "notes": notes,
        "generated": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "words": words.page_words(run, final),
    }
    if slice_by:
        page["fairness"] = fairness_table(manifest, metric, validation, slice_by)
    if not charts.available():
        notes.append(f"Charts are missing because matplotlib is not installed: {charts.INSTALL_HINT}")
        return page
    study = run.study()
    maximize = manifest.direction == "maximize"
    page["search_charts"] = _drawn([
        lambda: study_charts.optimization_history(study, manifest.metric),
        lambda: study_charts.family_comparison(study, manifest.metric, maximize),
        lambda: study_charts.param_importances(study, page["families"][0]["model"]) if page["families"] else None,
    ], notes)
    if validation is not None and final is not None:
        page["prediction_charts"] = _drawn([lambda: _prediction_charts(manifest, final, validation, wording)], notes)
    return page


def _data_summary(manifest: RunRecord) -> dict[str, Any]:
    """The data facts of run.json, with the class balance cut to the largest classes plus "others"."""
    from automl import limits

    data = manifest.data
    summary = dict(data.summary or {"rows": data.rows})
    if isinstance(summary.get("class_counts"), dict):
        summary["class_counts"] = limits.top_with_others(summary["class_counts"])
    return summary


def _drawn(makers: list[Any], notes: list[str] | None = None) -> list[charts.Chart]:
    """Run each chart maker; one that fails is logged and left out, never the whole report.

    A chart refused for its size (:class:`~automl.report.charts.ChartTooLarge`) or
    one that ran out of memory also gets a note on the page, so its absence is explained.
    """
    drawn: list[charts.Chart] = []
    for make in makers:
        try:
            made = make()
        except (charts.ChartTooLarge, MemoryError) as exc:
            log.warning("a report chart was left out: %s", exc)
            if notes is not None:
                notes.append(str(exc) if isinstance(exc, charts.ChartTooLarge) else "A chart was left out: it ran "
                             "out of memory.")
            continue
        except Exception as exc:  # noqa: BLE001 - a chart is never worth losing the report
            log.warning("a report chart was left out: %s", exc)
            continue
        if made is None:
            continue
        drawn.extend(made if isinstance(made, list) else [made])
    return drawn


def _metric(run: Run, manifest: RunRecord) -> Any:
    try:
        return run.catalog.metric(manifest.task, manifest.kind, manifest.metric)
    except Exception:  # noqa: BLE001 - the plugin may be gone; the report still has the leaderboard
        return None


def _classes(final: ModelRecord, wording: summary.Wording) -> list[str]:
    return [wording.label(c) for c in final.classes or []]


def _prediction_charts(manifest: RunRecord, final: ModelRecord, validation: Validation,
                       wording: summary.Wording) -> list[charts.Chart]:
    from automl.report import prediction_charts

    classes = final.classes or []
    if manifest.kind in CLASSIFICATION_KINDS and len(classes) == 2:
        positive = summary.positive_class(classes, validation.y, wording)
        proba = prediction_charts.probabilities(validation, 2)
        cut = None if proba is None else summary.operating_point(
            (np.asarray(validation.y).astype(int) == positive).astype(int), proba[:, positive])
        return prediction_charts.classification_charts(validation, _classes(final, wording), positive, cut)
    if manifest.kind in CLASSIFICATION_KINDS and classes:
        return prediction_charts.classification_charts(validation, _classes(final, wording), positive=1)
    if manifest.kind == "regression" and validation.y.ndim == 1:
        return prediction_charts.regression_charts(validation, str(manifest.target))
    return []


def _summary(manifest: RunRecord, final: ModelRecord | None, validation: Validation | None,
             complete: list[dict[str, Any]], run: Run, wording: summary.Wording) -> summary.Summary:
    kind, classes = manifest.kind, final.classes if final is not None else None
    try:
        if validation is not None and kind == "binary" and classes and len(classes) == 2:
            return summary.binary_summary(validation, classes, wording)
        if validation is not None and kind == "multiclass" and classes:
            return summary.multiclass_summary(validation, classes, wording)
        if validation is not None and kind == "regression" and validation.y.ndim == 1 \
                and validation.prediction.ndim == 1:
            return summary.regression_summary(validation, wording)
    except (ValueError, TypeError) as exc:
        log.warning("the plain-words summary fell back to scores: %s", exc)
    return summary.score_summary(complete[0] if complete else None, _baseline_row(run, complete),
                                 manifest.metric, wording, final)


def _baseline_row(run: Run, complete: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The best trial of a model marked as the task's baseline, if the search tried one."""
    task = run.record.task
    for row in complete:
        try:
            if run.catalog.model(task, row["model"]).baseline:
                return row
        except Exception:  # noqa: BLE001 - an ensemble row or a model no longer installed
            continue
    return None


def _confidence(metric: Any, validation: Validation | None, manifest: RunRecord, run: Run) -> str | None:
    from automl.evidence import saved_interval

    if metric is None or validation is None:
        return None
    try:
        folds = evidence.fold_scores(metric, validation)
        interval = saved_interval.interval(run, metric, validation, int(manifest.seed or 0))  # fit time
    except (ValueError, TypeError) as exc:
        log.warning("no confidence interval: %s", exc)
        return None
    plain = words.metric_name(manifest.metric, manifest, words.task_words(run))  # as the page names it
    return summary.confidence_sentence(folds, interval, plain)


def best_per_family(complete: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for row in complete:
        if row.get("trial") is None:
            continue
        entry = seen.setdefault(row["model"], {"model": row["model"], "score": row["score"], "trial": row["trial"],
                                               "trials": 0})
        entry["trials"] += 1
    return list(seen.values())


def cost(run: Run, manifest: RunRecord) -> dict[str, Any]:
    """Compute time, trials, model size, latency and memory, as far as the run recorded them."""
    facts: dict[str, Any] = dict(deployment.load(run.dir.best))
    try:
        study = run.study()
    except Exception:  # noqa: BLE001 - an unreadable study still leaves the rest of the facts
        return facts
    trials = study.get_trials(deepcopy=False)
    facts["trial_states"] = counts.state_counts(trials)  # trials that ran: never a queued or a skipped one
    facts["trials"] = sum(facts["trial_states"].values())
    facts["compute_seconds"] = round(sum(t.duration.total_seconds() for t in trials if t.duration), 1)
    started, finished = manifest.created, manifest.finished
    if started and finished:
        fmt = "%Y-%m-%dT%H:%M:%S%z"
        try:  # 'finished' is rewritten after the model is saved, so its checksum does not cover it
            facts["wall_seconds"] = round((datetime.strptime(finished, fmt) - datetime.strptime(started, fmt))
                                          .total_seconds(), 1)
        except (TypeError, ValueError):
            log.warning("run.json's 'created' or 'finished' is not a time automl wrote; the wall time is left out")
    return facts


def fairness_table(manifest: RunRecord, metric: Any, validation: Validation | None,
                   column: str) -> dict[str, Any]:
    from automl.errors import UserError
    from automl.report import fairness

    if validation is None or metric is None:
        raise UserError("--slice-by needs a finished run with its validation predictions (best/validation.npz)")
    overall, rows = fairness.slice_scores(metric, validation, fairness.slice_column(manifest, column))
    chart = _drawn([lambda: fairness.slice_chart(rows, column, manifest.metric)])
    return {"column": column, "overall": overall, "rows": rows, "flagged": [r for r in rows if r.flagged],
            "chart": chart[0] if chart else None, "threshold_points": round(100 * fairness.FLAG_POINTS)}


def plugin_sections(run: Run) -> list[dict[str, str]]:
    """The run's task's own sections (``TaskSpec.report``), then those of cross-cutting plugins
    (``automl_report_sections``); a malformed one is skipped with a warning naming its plugin."""
    from automl.plugins import call_each

    sections = [_rendered(section) for section in _task_sections(run)]
    for plugin, returned in call_each(run.catalog.pm, "automl_report_sections", run=run):
        for section in returned or []:
            if isinstance(section, document.Section):
                sections.append(_rendered(section))
            elif isinstance(section, dict) and "title" in section and ("html" in section or "markdown" in section):
                sections.append({"title": str(section["title"]), "html": section.get("html"),  # the older form
                                 "markdown": str(section.get("markdown") or "")})
            else:
                log.warning("plugin '%s' returned a report section that is neither a Section nor a dict with a "
                            "title and html or markdown; skipped", plugin)
    return sections


def _task_sections(run: Run) -> list[document.Section]:
    """The sections the run's task declares for its runs; none when they fail (the rest of the report stands)."""
    from automl.errors import UserError

    try:
        task = run.catalog.task(run.record.task)
        returned = task.report(run) if task.report is not None else None
    except UserError as exc:  # a damaged or missing input, said in one line
        log.warning("the %s task's report sections were left out: %s", run.record.task, exc)
        return []
    except Exception:  # noqa: BLE001 - a section is never worth losing the report
        log.warning("the %s task's report sections failed", run.record.task, exc_info=True)
        return []
    sections = [s for s in returned or [] if isinstance(s, document.Section)]
    if len(sections) != len(returned or []):
        log.warning("the %s task's report returned something other than Section objects; skipped", run.record.task)
    return sections


def _rendered(section: document.Section) -> dict[str, str]:
    return {"title": section.title, "html": section.html(), "markdown": section.markdown()}
