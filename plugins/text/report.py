"""The text task's report section: the terms that go with each predicted class, and texts it got wrong.

Both come from the final model's out-of-fold predictions (``best/validation.npz``)
and the training texts, read again from the run's data file (the row positions
in the evidence file are positions in that data). The terms are the words most
associated with the class the model *predicted* for each validation text
(chi-squared of word presence, one class against the rest), so they describe
what the model's decisions go with; they are associations, not the model's own
weights. The finetune task reuses this section (its data is the text task's).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from automl.kit import ClassPredictions, Figures, Paragraph, Section, Table, note_section

log = logging.getLogger(__name__)

MAX_CLASSES = 6
TERMS_PER_CLASS = 8
MAX_WRONG = 6
TEXT_CHARS = 200
MIN_TEXTS = 10
MAX_TEXTS = 20_000  # texts the terms are computed on (a seeded sample beyond): seconds, not minutes
TITLE = "Most informative terms"


# -- data ---------------------------------------------------------------------------------------------
def load_texts(run: Any) -> tuple[np.ndarray, np.ndarray] | str:
    """The training texts and label codes, read again from the run's data; a reason string when impossible."""
    from automl.kit import saved_schema, training_source
    from automl_plugins.text.task import load

    schema = saved_schema(run)
    found = training_source(run, schema)
    if isinstance(found, str):
        return f"{found}, so the texts cannot be shown"
    path, options = found
    if schema.get("text_column"):
        options["text_column"] = schema["text_column"]
    dataset = load(path, options)
    return np.asarray(dataset.X, dtype=object), np.asarray(dataset.y)


# -- informative terms --------------------------------------------------------------------------------
def informative_terms(texts: Sequence[str], labels: np.ndarray, classes: Sequence[Any],
                      per_class: int = TERMS_PER_CLASS,
                      max_classes: int = MAX_CLASSES) -> list[tuple[str, list[tuple[str, float, float]]]]:
    """For the most frequent classes: ``(class, [(term, share_in, share_out), ...])``.

    The terms are the ``per_class`` most associated with the class (chi-squared of a term's presence
    in the class's texts against the others', kept only when the term is more frequent in the class),
    listed by ``share_in``, the share of the class's texts containing the term (``share_out``: of the
    other texts).
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.feature_selection import chi2

    labels = np.asarray(labels)
    matrix, vocabulary = _vectorize(list(texts), CountVectorizer)
    if matrix is None:
        return []
    counts = np.bincount(labels.astype(int), minlength=len(classes))
    order = [int(k) for k in np.argsort(-counts, kind="stable") if counts[k] > 0]
    if len(classes) == 2:
        order = [1, 0] if counts[1] > 0 and counts[0] > 0 else order
    present = np.asarray(matrix.sum(axis=0)).ravel()
    result = []
    for k in order[:max_classes]:
        inside = labels == k
        if inside.all() or not inside.any():
            continue
        scores, _ = chi2(matrix, inside.astype(int))
        scores = np.nan_to_num(scores)
        in_class = np.asarray(matrix[inside].sum(axis=0)).ravel()
        share_in = in_class / inside.sum()
        share_out = (present - in_class) / (~inside).sum()
        ranked = [j for j in np.argsort(-scores, kind="stable") if share_in[j] > share_out[j] and scores[j] > 0]
        ranked = sorted(ranked[:per_class], key=lambda j: -share_in[j])
        if ranked:
            result.append((str(classes[k]), [(str(vocabulary[j]), float(share_in[j]), float(share_out[j]))
                                             for j in ranked]))
    return result


def _vectorize(texts: list[str], vectorizer: Any) -> tuple[Any, np.ndarray]:
    """Word presence (English stop words out); character n-grams for text without spaces (Chinese, Japanese)."""
    attempts = (
        {"binary": True, "stop_words": "english", "min_df": 2, "max_features": 20000},
        {"binary": True, "min_df": 2, "max_features": 20000},
        {"binary": True, "analyzer": "char_wb", "ngram_range": (2, 3), "min_df": 2, "max_features": 20000},
    )
    for options in attempts:
        try:
            fitted = vectorizer(**options)
            matrix = fitted.fit_transform(texts)
        except ValueError:  # an empty vocabulary
            continue
        if matrix.shape[1] >= 10:
            return matrix, fitted.get_feature_names_out()
    return None, np.array([])


def terms_chart(terms: list[tuple[str, list[tuple[str, float, float]]]], caption: str) -> Any:
    """One small bar panel per class: for each of its terms, the share of the class's texts holding it
    (coloured) and of the other texts (grey)."""
    from automl.kit import MUTED, PALETTE, Chart, canvas, short, to_svg

    n = len(terms)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    height = max(2.2, 0.22 * max(len(t) for _, t in terms) + 1.0)
    with canvas(3.2 * cols, height * rows) as (fig, ax):
        ax.remove()
        for i, (label, entries) in enumerate(terms):
            panel = fig.add_subplot(rows, cols, i + 1)
            positions = np.arange(len(entries))[::-1]
            panel.barh(positions + 0.2, [share for _, share, _ in entries], height=0.4,
                       color=PALETTE[i % len(PALETTE)], label="this class")
            panel.barh(positions - 0.2, [other for _, _, other in entries], height=0.4, color=MUTED,
                       label="other classes")
            panel.set_yticks(positions, [short(term, 22) for term, _, _ in entries])
            panel.set_title(short(label, 30))
            panel.set_xlabel("share of texts containing it")
            panel.xaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
            if i == 0:
                panel.legend(fontsize=7, frameon=False, loc="lower right")
            panel.spines["top"].set_visible(False)
            panel.spines["right"].set_visible(False)
        return Chart("informative_terms", TITLE, to_svg(fig), caption)


# -- misclassified texts ------------------------------------------------------------------------------
def misclassified(texts: np.ndarray, validation: ClassPredictions, limit: int = MAX_WRONG) -> list[dict[str, str]]:
    """The validation texts the model got wrong with the most confidence, most confident first."""
    index, y, proba, classes, predicted = (validation.index, validation.y, validation.proba, validation.classes,
                                           validation.predicted)
    return [{"text": truncate(str(texts[int(index[i])])), "actual": str(classes[int(y[i])]),
             "predicted": str(classes[int(predicted[i])]), "p": f"{proba[i, predicted[i]]:.2f}"}
            for i in validation.mistakes(limit)]


def truncate(text: str, limit: int = TEXT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the section --------------------------------------------------------------------------------------
def section(run: Any) -> list[Section] | None:
    """The "Most informative terms" section of a text (or finetune) run: ``TaskSpec.report`` of both tasks."""
    if not (run.dir.best / "model.json").is_file():
        return None
    from automl.kit import class_predictions

    validation = class_predictions(run)
    if validation is None or len(validation) < 2:
        return _note("The final model's validation predictions were not saved, so there are no terms to show.")
    try:
        loaded = load_texts(run)
    except Exception as exc:  # noqa: BLE001 - a section is never worth losing the report
        log.warning("the text report section could not read the training data: %s", exc)
        loaded = f"the training data could not be read ({exc})"
    if isinstance(loaded, str):
        return _note(f"No terms or examples: {loaded}.")
    texts, _ = loaded
    if not validation.fits(len(texts)):
        return _note("No terms or examples: the training data has fewer rows than the run's predictions.")
    y, classes, predicted = validation.y, validation.classes, validation.predicted
    valid_texts = [str(texts[i]) for i in validation.index]
    source = "predicted"
    if len(np.unique(predicted)) < 2:  # a constant model explains nothing: describe the labels instead
        predicted, source = y, "actual"
    if len(valid_texts) > MAX_TEXTS:
        sample = np.sort(np.random.default_rng(0).choice(len(valid_texts), MAX_TEXTS, replace=False))
        valid_texts, labelled = [valid_texts[i] for i in sample], predicted[sample]
    else:
        labelled = predicted
    terms = informative_terms(valid_texts, labelled, classes) if len(valid_texts) >= MIN_TEXTS else []
    wrong = misclassified(texts, validation)
    return [_build(terms, wrong, source, len(valid_texts), len(y), validation.n_wrong, len(classes))]


def _note(text: str) -> list[Section]:
    return [note_section(TITLE, text)]


def _build(terms: list[tuple[str, list[tuple[str, float, float]]]], wrong: list[dict[str, str]], source: str,
           n_texts: int, n_valid: int, n_wrong: int, n_classes: int) -> Section:
    from automl.kit import mistakes_heading

    which = ("the class the final model predicted for it (out of fold)" if source == "predicted"
             else "its actual class (the model predicted a single class)")
    which_classes = "each class" if n_classes <= MAX_CLASSES else f"the {MAX_CLASSES} most frequent classes"
    caption = (f"Words most associated with {which_classes} over {n_texts} validation texts, each text labelled with "
               f"{which}; the bars are the share of the class's texts that contain the word and of the other "
               "texts. "
               "These are associations in the data, not the model's internal weights.")
    blocks: list[Any] = _terms_blocks(terms, caption) if terms else \
        [Paragraph("Too few validation texts or words to find informative terms.")]
    blocks += mistakes_heading("texts", n_wrong, n_valid, len(wrong))
    if wrong:
        blocks.append(Table(["text", "actual", "predicted", "p"],
                            [[w["text"], w["actual"], w["predicted"], w["p"]] for w in wrong],
                            css_id="misclassified-texts", numeric=(3,)))
    return Section(TITLE, blocks)


def _terms_blocks(terms: list[tuple[str, list[tuple[str, float, float]]]], caption: str) -> list[Any]:
    """The terms as a chart (when Matplotlib draws it) and as a table, folded under the chart."""
    from automl.kit import charts

    drawn = None
    if charts.available():
        try:
            drawn = terms_chart(terms, caption)
        except Exception as exc:  # noqa: BLE001 - the table below still says it
            log.warning("the informative terms chart was left out: %s", exc)
    rows = [[label, ", ".join(f"{term} ({share:.0%} vs {other:.0%})" for term, share, other in entries)]
            for label, entries in terms]
    table = Table(["class", "terms (share of the class's texts vs the others')"], rows,
                  collapsed="the terms as a table" if drawn is not None else None)
    return [Figures([drawn]), table] if drawn is not None else [Paragraph(caption), table]
