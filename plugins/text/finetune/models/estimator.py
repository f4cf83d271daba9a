"""A fine-tuned Transformer behind the automl Estimator protocol, saved the Hugging Face way.

``best/<member>/transformer/`` is a ``save_pretrained`` folder (safetensors
weights, config and tokenizer) that transformers loads directly, and
``finetune.json`` records the search parameters and what training did.
"""

from __future__ import annotations

import gc
import json
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from automl.kit import SearchContext, UserError, class_probabilities, log_loss, read_model_file, write_model_file
from automl_plugins.text.finetune import backbones
from automl_plugins.text.finetune.models.batching import batches, encode, sorted_order

if TYPE_CHECKING:  # training imports torch: only when a model is fitted
    from automl_plugins.text.finetune.models.training import FinishSeconds

MODEL_FOLDER = "transformer"
META_FILE = "finetune.json"
FORMAT_VERSION = 1
PREDICT_BATCH = 64
PREDICT_SHARE_OF_TRAIN = 0.3  # a text's prediction against its training step (0.21 measured on SMS, loaded)
SAVE_BYTES_PER_SECOND = 40e6  # writing the weights and zipping them with the trial (90 MB: 3 s, loaded 2 cores)
SAVE_SECONDS = 2.0  # and the tokenizer, the configuration, the hand-over


class FineTunedClassifier:
    def __init__(self, params: dict[str, Any], ctx: SearchContext | None) -> None:
        self.params = dict(params)
        self.ctx = ctx
        self.model: Any = None
        self.tokenizer: Any = None
        self.max_length = int(params.get("max_length", 128))
        self.history: dict[str, Any] = {}
        self.examples_per_second: float | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "ctx": None}  # the context holds the live trial

    def _threads(self) -> None:
        import torch

        if self.ctx is not None:
            torch.set_num_threads(max(1, self.ctx.n_threads))

    def fit(self, X: Any, y: np.ndarray, X_valid: Any = None, y_valid: Any = None) -> FineTunedClassifier:
        import torch

        from automl_plugins.text.finetune.models.training import freeze_lower_layers, train

        ctx = self.ctx
        assert ctx is not None, "build the model with a SearchContext to fit it"
        self._threads()
        torch.manual_seed(ctx.seed)
        labels = [str(c) for c in (ctx.classes or [])]
        self.params.setdefault("backbone", ctx.info["backbones"][0])
        self.model, self.tokenizer = backbones.load(self.params["backbone"], len(labels), labels)
        positions = int(ctx.info.get("max_positions", {}).get(self.params["backbone"], 512))
        self.max_length = min(int(self.params["max_length"]), positions)
        trainable = freeze_lower_layers(self.model, self.params["train_layers"])
        ids = encode(self.tokenizer, list(X), self.max_length)
        evaluate = None
        if X_valid is not None and y_valid is not None:
            valid_ids, y_true = encode(self.tokenizer, list(X_valid), self.max_length), np.asarray(y_valid)

            def evaluate() -> tuple[float, float]:
                proba = self._predict_ids(valid_ids)
                return float(ctx.metric.fn(y_true, proba)), log_loss(y_true, proba)

        started = time.perf_counter()
        outcome = train(self.model, ids, np.asarray(y), self.tokenizer.pad_token_id, self.params, ctx, evaluate,
                        self._finish_seconds(0 if X_valid is None else len(X_valid)))
        self.examples_per_second = round(outcome.examples_per_second, 1)
        self.history = {"best_epoch": round(outcome.best_epoch, 3), "epochs_run": round(outcome.epochs_run, 3),
                        "steps": outcome.steps, "stop_reason": outcome.stop_reason,
                        "train_examples_per_second": self.examples_per_second,
                        "trainable_parameters": trainable, "seconds": round(time.perf_counter() - started, 3)}
        self.ctx = None
        gc.collect()
        return self

    def _finish_seconds(self, n_valid: int) -> FinishSeconds:
        """Seconds the training leaves before its deadline: the caller then predicts the ``n_valid``
        validation texts (as long as the last evaluation took, or a share of a training step per text before
        one) and saves the weights (their size at :data:`SAVE_BYTES_PER_SECOND`)."""
        weights = sum(p.numel() * p.element_size() for p in self.model.parameters())
        save = SAVE_SECONDS + weights / SAVE_BYTES_PER_SECOND

        def keep(train_seconds_per_example: float, eval_seconds: float | None) -> float:
            predict = eval_seconds if eval_seconds is not None else \
                PREDICT_SHARE_OF_TRAIN * train_seconds_per_example * n_valid
            return predict + save

        return keep

    def _predict_ids(self, ids: list[list[int]]) -> np.ndarray:
        order = sorted_order(np.array([len(t) for t in ids]), PREDICT_BATCH)
        logits = ((rows, self.model(**inputs).logits) for rows, inputs in
                  batches(ids, order, self.tokenizer.pad_token_id))
        return class_probabilities(logits, len(ids), int(self.model.config.num_labels))

    def predict(self, X: Any) -> np.ndarray:
        """Class probabilities, one row per text."""
        assert self.model is not None, "fit the model first"
        self._threads()
        self.model.eval()
        return self._predict_ids(encode(self.tokenizer, list(X), self.max_length))

    def refit_params(self) -> dict[str, Any]:
        """Refit for as many epochs as early stopping kept (rounded up), on all the data."""
        best = float(self.history.get("best_epoch", self.params["epochs"]))
        return {**self.params, "epochs": max(1, math.ceil(best - 1e-9))}



def save_model(model: FineTunedClassifier, folder: Path) -> None:
    assert model.model is not None, "fit the model first"
    target = folder / MODEL_FOLDER
    model.model.save_pretrained(target, safe_serialization=True)
    model.tokenizer.save_pretrained(target)
    meta = {"params": model.params, "max_length": model.max_length, "history": model.history}
    write_model_file(folder / META_FILE, FORMAT_VERSION, meta, indent=2)


def load_model(folder: Path) -> FineTunedClassifier:
    meta_path, target = folder / META_FILE, folder / MODEL_FOLDER
    meta = read_model_file(meta_path, FORMAT_VERSION, target / "config.json")
    hf = backbones.transformers()
    _check_sizes(target, hf)
    model = FineTunedClassifier(meta["params"], None)
    model.max_length, model.history = int(meta["max_length"]), meta.get("history", {})
    model.model = hf.AutoModelForSequenceClassification.from_pretrained(target, local_files_only=True)
    model.tokenizer = hf.AutoTokenizer.from_pretrained(target, local_files_only=True)
    model.model.eval()
    return model


LOOP_KEYS = ("num_hidden_layers", "n_layers", "num_layers", "num_attention_heads", "n_heads", "num_labels")
UNSAFE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".h5", ".msgpack", ".py")


def _check_sizes(target: Path, hf: Any) -> None:
    """Refuse weights other than safetensors, and sizes in config.json that the weights do not back.

    The network is built from its config on the meta device (no memory) and
    compared with the safetensors header, so a tampered ``hidden_size`` or
    ``vocab_size`` is one error line instead of a huge allocation.
    """
    import math

    from automl.kit import MAX_ELEMENTS, MAX_LOOP, meta_shapes, safetensors_header

    refuse = "the run directory was modified or is corrupt; refusing to load it"
    unsafe = sorted(p.name for p in target.iterdir() if p.name.endswith(UNSAFE_SUFFIXES))
    weights = target / "model.safetensors"
    if unsafe:
        raise UserError(f"{target / unsafe[0]} is not a format automl saves (only safetensors); {refuse}")
    if not weights.is_file() or weights.is_symlink():
        raise UserError(f"{weights} is missing; the run's best/ folder is incomplete")
    found = safetensors_header(weights)
    config_path = target / "config.json"
    try:
        raw = json.loads(config_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{config_path} is unreadable or not JSON; {refuse}") from exc
    for key in LOOP_KEYS:
        value = raw.get(key) if isinstance(raw, dict) else None
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LOOP):
            raise UserError(f"{config_path} gives {key!r} the value {value!r}, outside 0..{MAX_LOOP}; {refuse}")
    config = hf.AutoConfig.from_pretrained(target, local_files_only=True)
    expected = meta_shapes(lambda: hf.AutoModelForSequenceClassification.from_config(config), config_path)
    for name, shape in expected.items():
        if name in found and found[name] != shape:
            raise UserError(f"{weights} does not match {config_path}: {name!r} has shape {list(found[name])}, the "
                            f"network needs {list(shape)}; {refuse}")
    needed = sum(math.prod(s) for s in expected.values())
    held = sum(math.prod(s) for s in found.values())
    if needed > MAX_ELEMENTS or needed > 2 * held + 1_000_000:  # tied weights aside, the file holds the network
        raise UserError(f"{config_path} describes a network of {needed:,} values, which {weights} ({held:,} "
                        f"values) does not hold; {refuse}")
