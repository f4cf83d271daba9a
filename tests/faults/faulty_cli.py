"""The ``automl`` command with three broken tabular models, for the fault tests.

- ``raiser``: its fit raises;
- ``hanger``: its fit never returns and ignores every deadline (native code stuck in a loop);
- ``hog``: its fit allocates ``AUTOML_TEST_HOG_GB`` gigabytes (default 8), more than the test allows.

Each is logistic regression otherwise, so a run that mixes them with ``linear`` still ends with a model.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any

import numpy as np

from automl import hookimpl
from automl.plugins import register_plugin
from automl_plugins.tabular.models.linear import LINEAR


class Broken:
    def __init__(self, inner: Any, failure: str) -> None:
        self.inner, self.failure = inner, failure

    def fit(self, *args: Any) -> Broken:
        if self.failure == "raise":
            raise RuntimeError("broken on purpose")
        if self.failure == "hang":
            while True:
                time.sleep(1)
        hog = np.ones(int(float(os.environ.get("AUTOML_TEST_HOG_GB", "8")) * 2**30 // 8))
        self.inner.fit(*args)
        self.hog_size = hog.size
        return self

    def predict(self, X: Any) -> Any:
        return self.inner.predict(X)


def _broken(key: str, failure: str) -> Any:
    return replace(LINEAR, key=key, build=lambda params, ctx: Broken(LINEAR.build(params, ctx), failure),
                   description=f"logistic regression that fails by {failure} (tests only)")


class FaultyPlugin:
    @hookimpl
    def automl_register_models(self, register: Any) -> None:
        for key, failure in (("raiser", "raise"), ("hanger", "hang"), ("hog", "hog")):
            register(_broken(key, failure))


register_plugin(FaultyPlugin(), name="faulty")

if __name__ == "__main__":
    from automl.cli import main

    main()
