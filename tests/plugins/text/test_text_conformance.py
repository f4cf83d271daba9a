"""The text plugin passes the conformance kit that third-party plugins use."""

from __future__ import annotations

import automl_plugins.text
from automl.testing import TaskPluginTestCase


class TestTextConformance(TaskPluginTestCase):
    task = "text"
    plugin = automl_plugins.text.PLUGIN
