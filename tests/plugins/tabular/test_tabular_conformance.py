"""The tabular plugin passes the conformance kit that third-party plugins use."""

from __future__ import annotations

import automl_plugins.tabular
from automl.testing import TaskPluginTestCase


class TestTabularConformance(TaskPluginTestCase):
    task = "tabular"
    plugin = automl_plugins.tabular.PLUGIN
