"""The plugin API: everything a plugin may use from the core, under one declared name.

A plugin imports the core only from here (``from automl.kit import
TaskSpec, UserError``); ``tests/core/test_plugin_api.py`` enforces it. The
modules behind these names may move; these names stay, or go through a
deprecation. Anything not listed in ``__all__`` is private to the core.

Names load lazily (PEP 562), so importing the kit costs nothing until a name
is used: a plugin that only registers a task does not import the report's
chart code.

What is here, by use:

- declaring a plugin: :class:`TaskPlugin` (what it registers, as data) or
  :func:`hookimpl` (hooks by hand), the specs (:class:`TaskSpec`,
  :class:`TaskOption`, :class:`TaskWords`, :class:`ModelSpec`, :class:`Estimator`
  (what a model's ``build`` returns; subclass it for the default ``refit_params``),
  :class:`MetricSpec`, :class:`Dataset`, :class:`Batch`,
  :class:`SearchContext`, :func:`take` for rows by position) and the errors (:class:`UserError`,
  :class:`MissingExtra`, :func:`require` for an optional package);
- reading data: :func:`read_table`, :func:`source_name`,
  :func:`fingerprint`, dates (:func:`parse_dates`, :func:`date_order`,
  :func:`first_unreadable`, :class:`DateOrder`), :func:`nested_kind`,
  :func:`refuse_non_finite`, the target column of a classifier or regressor
  (:func:`analyse_target`, :class:`Target`), a table's column types and their
  JSON schema (:func:`describe_column`, :func:`infer_columns`,
  :func:`check_values`, :func:`to_features`);
- metric functions of class probabilities or values, for a :class:`MetricSpec`
  (:func:`roc_auc`, :func:`log_loss`, :func:`label_metric`, :func:`rmse`,
  :func:`value_metric`);
- models: scikit-learn behind the Estimator protocol (:class:`SklearnModel`,
  :func:`dense_features`, :func:`tree_features`) saved with skops
  (:func:`save_skops`, :func:`skops_loader`, :data:`SKOPS_TRUSTED_TYPES`; a
  family saved so sets ``preload=SKOPS_PRELOAD``),
  LightGBM with early stopping (:class:`LightGBMModel`, :func:`save_lightgbm`,
  :func:`load_lightgbm`), :class:`EarlyStopping` and :func:`stop_reason`, the epoch loop
  (:func:`train_epochs`, :class:`EpochOutcome`), :func:`class_probabilities`,
  the versioned model file (:func:`write_model_file`, :func:`read_model_file`),
  :func:`add_class_columns`, :func:`largest_classes`, ``limits``, and
  safe torch weights (:func:`save_weights`, :func:`load_network`,
  :func:`check_network`, :func:`meta_shapes`, :func:`safetensors_header`,
  :data:`MAX_ELEMENTS`, :data:`MAX_LOOP`);
- report sections, as data the core renders and escapes (:class:`Section`
  of :class:`Paragraph`, :class:`Heading`, :class:`Table` with
  :class:`Strong` and :class:`Lines` cells, :class:`Figures`,
  :class:`ImageGrid` of :class:`ImageGroup` and :class:`Thumbnail`;
  :func:`note_section`), ``charts`` and its pieces (:class:`Chart`,
  :func:`canvas`, :func:`to_svg`, :func:`short`, :data:`PALETTE`, :data:`MUTED`),
  :func:`plural`, the validation evidence (:class:`Validation`,
  :func:`load_validation`, :func:`training_data_problem`), a classifier's
  validation predictions (:func:`class_predictions`, :class:`ClassPredictions`)
  and its mistakes (:func:`mistakes_heading`), the training data read again
  (:func:`training_source`, :func:`saved_schema`), the classification
  metrics' words for :class:`TaskWords` (:func:`classification_metric_names`,
  :func:`classification_metric_glosses`), ``budget`` (time left in a fit)
  and ``cache`` (parts saved at fit time);
- a finished run: the ``automl.api.Run`` a hook receives has the accessors
  (``record``, ``ranked_trials()``, ``fold_models(n)``, ``has_fold_models(n)``,
  ``members()``, ``model_record()``, ``schema()``); ``run.json`` and
  ``best/model.json`` read as typed records (:class:`RunRecord` with its
  :class:`DataRecord`, :class:`ModelRecord` with its :class:`MemberRecord` s);
  :data:`MODEL_PARAM` names a trial's model family in its parameters.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    # declaring a plugin
    "hookimpl": "automl.hookspecs", "TaskPlugin": "automl.task_plugin",
    "Batch": "automl.specs", "Dataset": "automl.specs", "DataSource": "automl.specs", "Estimator": "automl.specs",
    "Fold": "automl.specs",
    "MetricSpec": "automl.specs", "ModelSpec": "automl.specs", "SearchContext": "automl.specs",
    "TaskOption": "automl.specs", "TaskSpec": "automl.specs", "TaskWords": "automl.specs", "take": "automl.specs",
    "MissingExtra": "automl.errors", "UserError": "automl.errors", "require": "automl.errors",
    # reading data
    "fingerprint": "automl.data", "read_table": "automl.data", "source_name": "automl.data",
    "DateOrder": "automl.data.dates", "date_order": "automl.data.dates",
    "first_unreadable": "automl.data.dates", "parse_dates": "automl.data.dates",
    "nested_kind": "automl.data.tables", "columns_listing": "automl.data.tables",
    "refuse_non_finite": "automl.data.targets", "Target": "automl.data.targets",
    "analyse_target": "automl.data.targets",
    "describe_column": "automl.data.schema", "infer_columns": "automl.data.schema", "FREE_TEXT": "automl.data.schema",
    "check_values": "automl.data.schema", "to_features": "automl.data.schema",
    # models
    "EarlyStopping": "automl.early_stopping", "stop_reason": "automl.early_stopping",
    "add_class_columns": "automl.predictions", "largest_classes": "automl.limits",
    "MAX_ELEMENTS": "automl.tensors", "MAX_LOOP": "automl.tensors", "check_network": "automl.tensors",
    "meta_shapes": "automl.tensors", "safetensors_header": "automl.tensors",
    "load_network": "automl.tensors", "save_weights": "automl.tensors",
    "EpochOutcome": "automl.training", "class_probabilities": "automl.training",
    "read_model_file": "automl.training", "train_epochs": "automl.training", "write_model_file": "automl.training",
    "SklearnModel": "automl.sklearn_models", "dense_features": "automl.sklearn_models",
    "tree_features": "automl.sklearn_models",
    "SKOPS_PRELOAD": "automl.skops_files", "SKOPS_TRUSTED_TYPES": "automl.skops_files",
    "save_skops": "automl.skops_files", "skops_loader": "automl.skops_files",
    "LightGBMModel": "automl.lightgbm_model", "load_lightgbm": "automl.lightgbm_model",
    "save_lightgbm": "automl.lightgbm_model",
    # metric functions (registered by each plugin as a MetricSpec of its task)
    "label_metric": "automl.metric_functions", "log_loss": "automl.metric_functions",
    "rmse": "automl.metric_functions", "roc_auc": "automl.metric_functions", "value_metric": "automl.metric_functions",
    # report sections
    "Chart": "automl.report.charts", "MUTED": "automl.report.charts", "PALETTE": "automl.report.charts",
    "canvas": "automl.report.charts", "short": "automl.report.charts", "to_svg": "automl.report.charts",
    "Section": "automl.report.document", "Paragraph": "automl.report.document", "Heading": "automl.report.document",
    "Table": "automl.report.document", "Figures": "automl.report.document", "ImageGrid": "automl.report.document",
    "ImageGroup": "automl.report.document", "Thumbnail": "automl.report.document", "Strong": "automl.report.document",
    "Lines": "automl.report.document", "note_section": "automl.report.document", "Block": "automl.report.document",
    "Cell": "automl.report.document",
    "ClassPredictions": "automl.report.sections", "class_predictions": "automl.report.sections",
    "mistakes_heading": "automl.report.sections", "saved_schema": "automl.report.sections",
    "training_source": "automl.report.sections",
    "classification_metric_glosses": "automl.report.metric_words",
    "classification_metric_names": "automl.report.metric_words",
    "plural": "automl.search.counts",
    "Validation": "automl.evidence.validation", "load_validation": "automl.evidence.validation",
    "training_data_problem": "automl.evidence.validation",
    # presets a plugin registers as objects (or as YAML files)
    "Preset": "automl.presets",
    # pretrained models that work offline
    "minilm_path": "automl.pretrained", "quiet_transformers": "automl.pretrained",
    # a finished run
    "MODEL_PARAM": "automl.search.space",
    "DataRecord": "automl.records", "MemberRecord": "automl.records", "ModelRecord": "automl.records",
    "RunRecord": "automl.records",
}
_MODULES: dict[str, str] = {  # names that are whole modules (used as ``limits.MEMORY_CAP_BYTES``)
    "limits": "automl.limits", "charts": "automl.report.charts", "budget": "automl.evidence.budget",
    "cache": "automl.evidence.cache",
}

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value: Any = importlib.import_module(_MODULES[name])
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    else:
        raise AttributeError(f"automl.kit has no {name!r}: the plugin API is automl.kit.__all__")
    globals()[name] = value  # once: the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # the same names for type checkers and editors (F401 is off for this file)
    from automl import limits
    from automl.data import fingerprint, read_table, source_name
    from automl.data.dates import DateOrder, date_order, first_unreadable, parse_dates
    from automl.data.schema import FREE_TEXT, check_values, describe_column, infer_columns, to_features
    from automl.data.tables import columns_listing, nested_kind
    from automl.data.targets import Target, analyse_target, refuse_non_finite
    from automl.early_stopping import EarlyStopping, stop_reason
    from automl.errors import MissingExtra, UserError, require
    from automl.evidence import budget, cache
    from automl.evidence.validation import Validation, load_validation, training_data_problem
    from automl.hookspecs import hookimpl
    from automl.lightgbm_model import LightGBMModel, load_lightgbm, save_lightgbm
    from automl.limits import largest_classes
    from automl.metric_functions import label_metric, log_loss, rmse, roc_auc, value_metric
    from automl.predictions import add_class_columns
    from automl.presets import Preset
    from automl.pretrained import minilm_path, quiet_transformers
    from automl.records import DataRecord, MemberRecord, ModelRecord, RunRecord
    from automl.report import charts
    from automl.report.charts import MUTED, PALETTE, Chart, canvas, short, to_svg
    from automl.report.document import (
        Block,
        Cell,
        Figures,
        Heading,
        ImageGrid,
        ImageGroup,
        Lines,
        Paragraph,
        Section,
        Strong,
        Table,
        Thumbnail,
        note_section,
    )
    from automl.report.metric_words import classification_metric_glosses, classification_metric_names
    from automl.report.sections import (
        ClassPredictions,
        class_predictions,
        mistakes_heading,
        saved_schema,
        training_source,
    )
    from automl.search.counts import plural
    from automl.search.space import MODEL_PARAM
    from automl.sklearn_models import SklearnModel, dense_features, tree_features
    from automl.skops_files import SKOPS_PRELOAD, SKOPS_TRUSTED_TYPES, save_skops, skops_loader
    from automl.specs import (
        Batch,
        Dataset,
        DataSource,
        Estimator,
        Fold,
        MetricSpec,
        ModelSpec,
        SearchContext,
        TaskOption,
        TaskSpec,
        TaskWords,
        take,
    )
    from automl.task_plugin import TaskPlugin
    from automl.tensors import (
        MAX_ELEMENTS,
        MAX_LOOP,
        check_network,
        load_network,
        meta_shapes,
        safetensors_header,
        save_weights,
    )
    from automl.training import EpochOutcome, class_probabilities, read_model_file, train_epochs, write_model_file
