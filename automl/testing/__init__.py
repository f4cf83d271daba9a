"""The conformance kit for plugin authors.

Subclass :class:`TaskPluginTestCase` (a new task) or :class:`ModelSpecChecks`
(models added to an existing task) in a ``Test...`` class, and pytest runs the
checks every built-in plugin passes. The fixtures in
:mod:`automl.testing.pytest_plugin` are available in any project that has
automl installed.
"""

from automl.catalog import Catalog
from automl.testing.cases import ModelSpecChecks, TaskPluginTestCase
from automl.testing.checks import SampleSetup, sample_setup, search_space_samples

__all__ = ["Catalog", "ModelSpecChecks", "SampleSetup", "TaskPluginTestCase", "sample_setup", "search_space_samples"]
