"""The tabular models. :func:`load_skops` is the tabular task's loader: it trusts the tabular wrapper subclasses
too. The scikit-learn wrapper, its feature pipelines and skops saving are the core's (``automl.kit``)."""

from automl_plugins.tabular.models._common import is_classification, load_skops

__all__ = ["is_classification", "load_skops"]
