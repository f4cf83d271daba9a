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
  :class:`TaskOption`, :class:`TaskWords`, :class:`ModelSpec`,
  :class:`MetricSpec`, :class:`Dataset`, :class:`Batch`,
  :class:`SearchContext`, :func:`take` for rows by position) and the errors (:class:`UserError`,
  :class:`MissingExtra`, :func:`require` for an optional package);
- reading data: :func:`read_table`, :func:`source_name`,
  :func:`fingerprint`, dates (:func:`parse_dates`, :func:`date_order`,
  :func:`first_unreadable`, :class:`DateOrder`), :func:`nested_kind`,
  :func:`refuse_non_finite`;
- models: :class:`EarlyStopping` and :func:`stop_reason`,
  :func:`add_class_columns`, :func:`largest_classes`, ``limits``, and
  safe torch weights (:func:`check_network`, :func:`meta_shapes`,
  :func:`safetensors_header`, :data:`MAX_ELEMENTS`, :data:`MAX_LOOP`);
- report sections: ``charts`` and its pieces (:class:`Chart`,
  :func:`canvas`, :func:`to_svg`, :func:`figure_html`, :func:`short`,
  :data:`PALETTE`, :data:`MUTED`), tables (:func:`html_table`,
  :func:`markdown_table`, :func:`markdown_cell`), :func:`plural`, the
  validation evidence (:class:`Validation`, :func:`load_validation`,
  :func:`training_data_problem`), ``budget`` (time left in a fit) and
  ``cache`` (parts saved at fit time);
- a finished run: the ``automl.api.Run`` a hook receives has the accessors
  (``ranked_trials()``, ``fold_models(n)``, ``has_fold_models(n)``,
  ``members()``, ``model_description()``, ``schema()``); :data:`MODEL_PARAM`
  names a trial's model family in its parameters.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    # declaring a plugin
    "hookimpl": "automl.hookspecs", "TaskPlugin": "automl.task_plugin",
    "Batch": "automl.specs", "Dataset": "automl.specs", "DataSource": "automl.specs", "Fold": "automl.specs",
    "MetricSpec": "automl.specs", "ModelSpec": "automl.specs", "SearchContext": "automl.specs",
    "TaskOption": "automl.specs", "TaskSpec": "automl.specs", "TaskWords": "automl.specs", "take": "automl.specs",
    "MissingExtra": "automl.errors", "UserError": "automl.errors", "require": "automl.errors",
    # reading data
    "fingerprint": "automl.data", "read_table": "automl.data", "source_name": "automl.data",
    "DateOrder": "automl.data.dates", "date_order": "automl.data.dates",
    "first_unreadable": "automl.data.dates", "parse_dates": "automl.data.dates",
    "nested_kind": "automl.data.tables", "refuse_non_finite": "automl.data.targets",
    # models
    "EarlyStopping": "automl.early_stopping", "stop_reason": "automl.early_stopping",
    "add_class_columns": "automl.predictions", "largest_classes": "automl.limits",
    "MAX_ELEMENTS": "automl.tensors", "MAX_LOOP": "automl.tensors", "check_network": "automl.tensors",
    "meta_shapes": "automl.tensors", "safetensors_header": "automl.tensors",
    # report sections
    "Chart": "automl.report.charts", "MUTED": "automl.report.charts", "PALETTE": "automl.report.charts",
    "canvas": "automl.report.charts", "figure_html": "automl.report.charts", "short": "automl.report.charts",
    "to_svg": "automl.report.charts",
    "html_table": "automl.report.tables", "markdown_cell": "automl.report.tables",
    "markdown_table": "automl.report.tables",
    "plural": "automl.search.counts",
    "Validation": "automl.evidence.validation", "load_validation": "automl.evidence.validation",
    "training_data_problem": "automl.evidence.validation",
    # presets a plugin registers as objects (or as YAML files)
    "Preset": "automl.presets",
    # a finished run
    "MODEL_PARAM": "automl.search.space",
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


if TYPE_CHECKING:  # the same names for type checkers and editors
    pass
