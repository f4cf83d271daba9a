"""TF-IDF features of word n-grams and character n-grams, and their shared search space.

Character n-grams need no tokenizer, so Chinese or Japanese text (no spaces
between words) is learnt from as well as English.

scikit-learn is imported when features are built or a model is loaded, not
when the plugin registers: :class:`CompactTfidfVectorizer` subclasses one of
its classes, so it is made on first use (a module ``__getattr__``; skops and
pickle find it by this module's name as before).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from automl.kit import SearchContext

if TYPE_CHECKING:
    from sklearn.pipeline import FeatureUnion

CHAR_RANGES = {"none": None, "1-3": (1, 3), "2-4": (2, 4), "2-5": (2, 5), "1-5": (1, 5), "3-6": (3, 6)}
MAX_FEATURES = [20_000, 100_000, 300_000]


_SEPARATOR = "\x00"  # never inside a term: to_texts removes NUL characters


def _compact_tfidf_class() -> type:
    from sklearn.feature_extraction.text import TfidfVectorizer

    class CompactTfidfVectorizer(TfidfVectorizer):
        """``TfidfVectorizer`` whose vocabulary is saved as one string, not a dict of NumPy integers.

        skops writes every dict entry as a JSON object, which made a 40,000-term
        model 96 MB and a minute to save; one joined string takes a megabyte.
        """

        def __getstate__(self) -> dict[str, Any]:
            state = dict(super().__getstate__())
            vocabulary = state.pop("vocabulary_", None)
            if vocabulary is not None:
                terms = sorted(vocabulary, key=vocabulary.__getitem__)
                state["vocabulary_terms_"] = _SEPARATOR.join(terms)
                state["vocabulary_size_"] = len(terms)
            return state

        def __setstate__(self, state: dict[str, Any]) -> None:
            state = dict(state)
            joined, size = state.pop("vocabulary_terms_", None), state.pop("vocabulary_size_", None)
            if joined is not None:
                terms = joined.split(_SEPARATOR) if size else []
                state["vocabulary_"] = {term: index for index, term in enumerate(terms)}
            super().__setstate__(state)

    return CompactTfidfVectorizer


def made_on_first_use(namespace: dict[str, Any], name: str, make: Callable[[], type]) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) for the class ``name``: ``make()`` makes it (once) when first asked
    for, by a build, skops or pickle, and it stays in the module under that name (so they find it there)."""

    def module_getattr(attribute: str) -> Any:
        if attribute != name:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {attribute!r}")
        if name not in namespace:
            made = make()
            made.__qualname__ = name  # found by name in the module
            namespace[name] = made
        return namespace[name]

    return module_getattr


__getattr__ = made_on_first_use(globals(), "CompactTfidfVectorizer", _compact_tfidf_class)


def feature_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    """The TF-IDF choices every text model searches: n-gram ranges, vocabulary size, tf scaling."""
    return {
        "word_ngrams": trial.suggest_int("word_ngrams", 1, 3),
        "char_ngrams": trial.suggest_categorical("char_ngrams", list(CHAR_RANGES)),
        "char_analyzer": trial.suggest_categorical("char_analyzer", ["char_wb", "char"]),
        "min_df": trial.suggest_int("min_df", 1, 5),
        "sublinear_tf": trial.suggest_categorical("sublinear_tf", [True, False]),
        "max_features": trial.suggest_categorical("max_features", MAX_FEATURES),
    }


def class_weight_choices(ctx: SearchContext) -> list[Any]:
    """Balanced class weights are searched only when the classes are imbalanced."""
    return [None, "balanced"] if ctx.info.get("imbalance", 1.0) >= 1.5 else [None]


def tfidf_features(params: dict[str, Any]) -> FeatureUnion:
    """Word (1..n)-grams and, unless ``char_ngrams`` is "none", character n-grams, each TF-IDF weighted."""
    from sklearn.pipeline import FeatureUnion

    CompactTfidfVectorizer = __getattr__("CompactTfidfVectorizer")  # noqa: N806 - the class, made on first use
    common = {"min_df": int(params["min_df"]), "sublinear_tf": bool(params["sublinear_tf"]),
              "max_features": int(params["max_features"]), "dtype": np.float32, "lowercase": True}
    parts = [("word", CompactTfidfVectorizer(analyzer="word", ngram_range=(1, int(params["word_ngrams"])),
                                      token_pattern=r"(?u)\b\w+\b", **common))]
    char_range = CHAR_RANGES[params["char_ngrams"]]
    if char_range is not None:
        chars = CompactTfidfVectorizer(analyzer=params["char_analyzer"], ngram_range=char_range, **common)
        parts.append(("char", chars))
    return FeatureUnion(parts)
