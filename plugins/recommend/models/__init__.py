"""The recommend models: popularity, item-kNN and EASE (numpy/scipy), ALS and BPR (with ``implicit``),
and a neural CF model (with ``torch``). The last three need the ``recommend`` extra."""

from importlib.util import find_spec

from automl.kit import ModelSpec
from automl_plugins.recommend.models.ease import EASE_SPEC
from automl_plugins.recommend.models.itemknn import ITEMKNN
from automl_plugins.recommend.models.popularity import POPULARITY

# cheap ones first: their defaults are queued in this order (EASE first: a strong model within seconds)
MODELS: tuple[ModelSpec, ...] = (EASE_SPEC, ITEMKNN, POPULARITY)

# find_spec looks the optional packages up without importing them (torch takes seconds)
if find_spec("implicit") is not None:
    from automl_plugins.recommend.models.factorization import ALS_SPEC, BPR_SPEC

    MODELS += (ALS_SPEC, BPR_SPEC)
if find_spec("torch") is not None and find_spec("safetensors") is not None:
    from automl_plugins.recommend.models.ncf import NCF

    MODELS += (NCF,)

__all__ = ["EASE_SPEC", "ITEMKNN", "MODELS", "POPULARITY"]
