"""The ``automl`` command with one more tabular model, ``dozy``: logistic regression that first sleeps
``AUTOML_TEST_DOZE`` seconds (default 120) without ever looking at its deadline, like a scikit-learn fit
or an SVM on sentence embeddings that runs longer than the budget.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any

from automl import hookimpl
from automl.plugins import register_plugin
from automl_plugins.tabular.models.linear import LINEAR


class Dozy:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def fit(self, *args: Any) -> Dozy:
        time.sleep(float(os.environ.get("AUTOML_TEST_DOZE", "120")))
        self.inner.fit(*args)
        return self

    def predict(self, X: Any) -> Any:
        return self.inner.predict(X)


DOZY = replace(LINEAR, key="dozy", build=lambda params, ctx: Dozy(LINEAR.build(params, ctx)),
               save=lambda model, folder: LINEAR.save(model.inner, folder),  # the trusted linear model inside
               description="logistic regression after a long sleep that ignores the deadline (tests only)")


class DozyPlugin:
    @hookimpl
    def automl_register_models(self, register: Any) -> None:
        register(DOZY)


register_plugin(DozyPlugin(), name="dozy")

if __name__ == "__main__":
    from automl.cli import main

    main()
