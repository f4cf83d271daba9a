"""The text models: TF-IDF with linear classifiers, and TF-IDF with SVD and LightGBM."""

from automl_plugins.text.models.linear import LINEAR_SVM, LOGREG, NAIVE_BAYES
from automl_plugins.text.models.svd_lightgbm import SVD_LIGHTGBM

# cheap ones first: their defaults are queued in this order
MODELS = (NAIVE_BAYES, LOGREG, LINEAR_SVM, SVD_LIGHTGBM)

__all__ = ["LINEAR_SVM", "LOGREG", "MODELS", "NAIVE_BAYES", "SVD_LIGHTGBM"]
