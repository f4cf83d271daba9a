"""The fine-tuning model: a pretrained Transformer with a sequence-classification head."""

from automl_plugins.text.finetune.models.spec import TRANSFORMER

MODELS = (TRANSFORMER,)

__all__ = ["MODELS", "TRANSFORMER"]
