"""Importing torch the way the image plugin needs it.

OpenMP threads that busy-wait between operations are fast on an idle machine
but collapse when another process shares the cores (a linear model took 19 s
instead of 2 s on 2 busy cores). Unless the user chose otherwise, threads
sleep while waiting (``OMP_WAIT_POLICY=PASSIVE``); this must be set before
torch is first imported, so every torch import of the plugin goes through here.
"""

from __future__ import annotations

import os
from typing import Any

from automl.kit import require

WAIT_POLICY_ENV = "OMP_WAIT_POLICY"


def import_torch() -> Any:
    os.environ.setdefault(WAIT_POLICY_ENV, "PASSIVE")
    return require("torch", "image", "the image task")
