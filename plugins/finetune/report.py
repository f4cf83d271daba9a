"""The finetune task's report section: the text task's informative terms and misclassified texts.

A fine-tuned Transformer classifies the same data as the text task (a free-text
column and a label), so the section is the text plugin's, computed from the
final model's out-of-fold predictions on the validation holdout.
"""

from __future__ import annotations

from typing import Any

from automl_plugins.text.report import section as text_section


def section(run: Any) -> list[dict[str, str]] | None:
    return text_section(run, task="finetune")
