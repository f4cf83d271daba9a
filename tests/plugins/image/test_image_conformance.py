"""The image plugin passes the conformance kit that third-party plugins use."""

from __future__ import annotations

import automl_plugins.image
from automl.testing import TaskPluginTestCase


class TestImageConformance(TaskPluginTestCase):
    task = "image"
    plugin = automl_plugins.image.PLUGIN
