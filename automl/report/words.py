"""The words a report uses: the task's own (:class:`~automl.specs.TaskWords`), a preset's, or neutral ones.

The core writes every task's report, so it must not guess that a run predicts
"the next values" or the class of "rows": the task declares its unit, what it
predicts, plain names for its metrics and a gloss for its jargon, and this
module fills them in. A task that declares nothing (a third-party plugin
written before) gets neutral words: "rows" and the metric's own name.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automl.search.counts import plural
from automl.specs import TaskWords

if TYPE_CHECKING:
    from automl.api import Run
    from automl.records import ModelRecord, RunRecord

NEUTRAL = TaskWords()

# Jargon every report uses, whatever the task; a task's glossary adds its own (and may reword these).
CORE_GLOSSARY = {
    "validation": "scores are measured on data the model was not trained on, so they estimate how it does "
                  "on new data",
    "trial": "one model family fitted with one set of settings and scored on the validation data",
    "model family": "a kind of model (each one named in the first leaderboard table), tried with several "
                    "settings",
    "blend": "the final model averages the predictions of several trials, which usually beats any one of them",
}


def task_words(run: Run) -> TaskWords:
    """The run's task's words, or neutral ones when the task declares none or is no longer installed."""
    try:
        words = run.catalog.task(run.record.task).words
    except Exception:  # noqa: BLE001 - the report of a run whose plugin is gone still renders
        return NEUTRAL
    return words if isinstance(words, TaskWords) else NEUTRAL


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return key.replace("_", " ")


def fill(text: str, manifest: RunRecord, words: TaskWords) -> str:
    """``text`` with ``{target}`` and task-option placeholders (``{top_k}``) filled from the run."""
    target = manifest.target
    values = _Blank({**{str(k): str(v) for k, v in words.placeholders.items()},
                     **{str(k): str(v) for k, v in manifest.task_options.items()
                        if isinstance(v, str | int | float) and not isinstance(v, bool)},
                     "target": f"'{target}'" if target else words.target})
    try:
        return string.Formatter().vformat(text, (), values)
    except (ValueError, IndexError):  # a stray brace in a plugin's words: shown as written
        return text


def predicts(manifest: RunRecord, words: TaskWords) -> str:
    """What the run predicts, for the report's first line."""
    return fill(words.predicts, manifest, words)


def metric_name(name: str, manifest: RunRecord, words: TaskWords) -> str:
    """The metric in plain words with its key: ``ranking quality (AUC)``; the key alone without words."""
    return fill(words.metric(name), manifest, words)


def glossary(manifest: RunRecord, words: TaskWords, ensemble: bool) -> list[tuple[str, str]]:
    """The terms the report uses with a one-line gloss each, core terms first; the task's may reword them."""
    terms = {**CORE_GLOSSARY, **{str(k): str(v) for k, v in words.glossary.items()}}
    if not ensemble:
        terms.pop("blend", None)
    metric = manifest.metric
    if metric in words.metric_glosses:
        terms[metric_name(metric, manifest, words)] = str(words.metric_glosses[metric])
    return [(term, fill(gloss, manifest, words)) for term, gloss in terms.items()]


def blend_phrase(final: ModelRecord, apposition: bool = False) -> str:
    """The delivered model from best/model.json's members, as a reader would describe it: ``a single ets model``
    (``ets`` in ``apposition``, "The final model, ets, ..."), ``an equal-weight blend of 2 models (ets, theta)``."""
    members = list(final.members)
    if not members:
        return "no model"
    names = [str(m.model) for m in members]
    if len(members) == 1:
        return names[0] if apposition else f"a single {names[0]} model"
    weights = [float(m.weight or 0.0) for m in members]
    if max(weights) - min(weights) <= 1e-6 * max(abs(max(weights)), 1.0):
        return f"an equal-weight blend of {plural(len(members), 'model')} ({', '.join(names)})"
    shares = ", ".join(f"{name} {weight / sum(weights):.0%}" for name, weight in zip(names, weights, strict=True))
    return f"a weighted blend of {plural(len(members), 'model')} ({shares})"


def command(*parts: str | Path) -> str:
    """A command line a hint tells the user to type, each part shell-quoted when it needs to be."""
    from automl.runs import shell_command

    return shell_command(*parts)


def page_words(run: Run, final: ModelRecord | None) -> dict[str, Any]:
    """Everything the report templates say in the task's words, with the hints' real commands."""
    manifest = run.record
    words = task_words(run)
    try:
        needs_input = run.catalog.task(manifest.task).needs_input
    except Exception:  # noqa: BLE001 - the plugin may be gone: the usual form of the command
        needs_input = True
    folder = run.path.resolve()
    return {
        "predicts": predicts(manifest, words),
        "metric": metric_name(manifest.metric, manifest, words),
        "unit": words.unit,
        "units": words.units,
        "glossary": glossary(manifest, words, bool(final and final.ensemble)),
        "final_model": blend_phrase(final) if final else None,
        "serve": command("automl", "predict", folder, *(["new.csv"] if needs_input else [])),
        "resume": command("automl", "resume", folder),
    }
