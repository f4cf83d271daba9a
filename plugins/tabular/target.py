"""The tabular target: the core's target reading, with the problem type chosen by the tabular rules.

Finding, checking and encoding the column is the core's
(:func:`automl.kit.analyse_target`, shared with the text task); which problem
it is, binary, multiclass or regression, is this plugin's
(:mod:`automl_plugins.tabular.problem_type`).
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from automl.kit import Target
from automl.kit import analyse_target as read_target
from automl_plugins.tabular.problem_type import MAX_CLASSES_FOR_INTEGERS, Request, choose_kind, infer_kind

__all__ = ["MAX_CLASSES_FOR_INTEGERS", "Target", "analyse_target", "infer_kind"]


def analyse_target(frame: pd.DataFrame, name: str | None, where: str, kind: str | None = None,
                   request: Request | None = None) -> Target:
    """The target column checked and encoded; its kind is ``kind`` if given, else chosen from the values and
    the user's ``request`` (see :mod:`automl_plugins.tabular.problem_type`)."""
    return read_target(frame, name, where, kind or partial(choose_kind, request=request or Request()))
