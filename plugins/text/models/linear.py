"""Linear text classifiers on TF-IDF features: logistic regression, a calibrated linear SVM, Complement NB.

Each is one scikit-learn pipeline behind the core's ``SklearnModel`` wrapper
(probabilities for every class of the run), saved with skops, never pickle.
"""

from __future__ import annotations

from typing import Any

from automl.kit import SKOPS_PRELOAD, ModelSpec, SearchContext, SklearnModel, save_skops, skops_loader
from automl_plugins.text.models.features import class_weight_choices, feature_space, tfidf_features

CALIBRATION_FOLDS = 3
load_skops = skops_loader(
    "automl_plugins.text.models.features.CompactTfidfVectorizer",  # every text model: our TF-IDF subclass
    "automl_plugins.text.models.embedding.SentenceEmbedding",  # embedding_svm: the encoder's name, no weights
    # the wrapper under the name files saved before it moved into the core give it (a name, not an import:
    # the tabular plugin re-exports the class there): older runs keep loading
    "automl_plugins.tabular.models._common.SklearnModel",
)
_FEATURES = {"word_ngrams": 2, "char_ngrams": "2-5", "char_analyzer": "char_wb", "min_df": 1,
             "sublinear_tf": True, "max_features": 300_000}


def _wrap(classifier: Any, params: dict[str, Any], ctx: SearchContext) -> SklearnModel:
    from sklearn.pipeline import Pipeline

    pipeline = Pipeline([("tfidf", tfidf_features(params)), ("classifier", classifier)])
    return SklearnModel(pipeline, ctx.kind, len(ctx.classes or []), None, dict(params))


# -- logistic regression --------------------------------------------------------
def logreg_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {**feature_space(trial, ctx), "C": trial.suggest_float("C", 0.1, 300.0, log=True),
            "class_weight": trial.suggest_categorical("class_weight", class_weight_choices(ctx))}


def logreg_build(params: dict[str, Any], ctx: SearchContext) -> SklearnModel:
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression(C=params["C"], class_weight=params["class_weight"], max_iter=2000)
    return _wrap(classifier, params, ctx)


# -- linear SVM, calibrated for probabilities ----------------------------------------
def svm_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {**feature_space(trial, ctx), "C": trial.suggest_float("C", 0.01, 30.0, log=True),
            "class_weight": trial.suggest_categorical("class_weight", class_weight_choices(ctx))}


def svm_build(params: dict[str, Any], ctx: SearchContext) -> SklearnModel:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    svm = LinearSVC(C=params["C"], class_weight=params["class_weight"], max_iter=5000, random_state=ctx.seed)
    return _wrap(CalibratedClassifierCV(svm, method="sigmoid", cv=CALIBRATION_FOLDS), params, ctx)


# -- Complement naive Bayes -----------------------------------------------------------
def nb_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {**feature_space(trial, ctx), "alpha": trial.suggest_float("alpha", 1e-3, 3.0, log=True)}


def nb_build(params: dict[str, Any], ctx: SearchContext) -> SklearnModel:
    from sklearn.naive_bayes import ComplementNB

    return _wrap(ComplementNB(alpha=params["alpha"]), params, ctx)


NAIVE_BAYES = ModelSpec(
    key="complement_nb", task="text", search_space=nb_space, build=nb_build, save=save_skops, load=load_skops,
    preload=SKOPS_PRELOAD,
    defaults={**_FEATURES, "char_ngrams": "none", "max_features": 100_000, "alpha": 0.3},
    description="Complement naive Bayes on TF-IDF word n-grams",
)
LOGREG = ModelSpec(
    key="tfidf_logreg", task="text", search_space=logreg_space, build=logreg_build, save=save_skops,
    preload=SKOPS_PRELOAD,
    load=load_skops, defaults={**_FEATURES, "C": 30.0, "class_weight": None},
    portfolio=({**_FEATURES, "char_analyzer": "char", "char_ngrams": "1-5", "C": 100.0, "class_weight": None},),
    description="logistic regression on TF-IDF word and character n-grams",
)
LINEAR_SVM = ModelSpec(
    key="tfidf_svm", task="text", search_space=svm_space, build=svm_build, save=save_skops, load=load_skops,
    preload=SKOPS_PRELOAD,
    defaults={**_FEATURES, "C": 1.0, "class_weight": None},
    portfolio=({**_FEATURES, "char_analyzer": "char", "char_ngrams": "1-5", "C": 0.5, "class_weight": None},),
    description="linear SVM (sigmoid-calibrated) on TF-IDF word and character n-grams",
)
