"""The finetune plugin passes the conformance kit, with a tiny random BERT as its backbone (offline)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the finetune extra is not installed: pip install 'automl[finetune]'")

import automl_plugins.text.finetune  # noqa: E402
from automl.testing import TaskPluginTestCase  # noqa: E402


class TestFinetuneConformance(TaskPluginTestCase):
    task = "finetune"
    plugin = automl_plugins.text.finetune.PLUGIN
