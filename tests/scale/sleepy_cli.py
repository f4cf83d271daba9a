"""The ``automl`` command with one more tabular model, ``sleepy``: logistic regression that sleeps first.

A trial of ``sleepy`` lasts long enough to kill its worker mid-trial or to
restart the database under it. The plugin is registered at import, so the
worker processes that ``--workers`` spawns (they import this file again) know
the model too. ``AUTOML_TEST_SLEEP`` sets the seconds slept per fold (0.5).
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any

from automl import hookimpl
from automl.plugins import register_plugin
from automl_plugins.tabular.models.linear import LINEAR


def _build(params: dict[str, Any], ctx: Any) -> Any:
    time.sleep(float(os.environ.get("AUTOML_TEST_SLEEP", "0.5")))
    return LINEAR.build(params, ctx)


SLEEPY = replace(LINEAR, key="sleepy", build=_build, description="logistic regression after a nap (tests only)")


class SleepyPlugin:
    @hookimpl
    def automl_register_models(self, register: Any) -> None:
        register(SLEEPY)


register_plugin(SleepyPlugin(), name="sleepy")

if __name__ == "__main__":
    from automl.cli import main

    main()
