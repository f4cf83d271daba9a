"""Check a saved network's sizes before any memory is allocated for it.

A torch model in a run folder is a JSON architecture plus a safetensors file.
Both are plain data, but the sizes in them are trusted by the code that builds
the network: a tampered ``width`` or ``size`` made one image model ask for
120 GB. So, before allocating anything, a loader:

1. reads the safetensors header (:func:`safetensors_header`): it must be
   small, well-formed, and describe exactly the bytes of the file, so the
   weights can never claim more memory than the file holds;
2. builds the network from its JSON on PyTorch's ``meta`` device, which
   allocates no memory (:func:`meta_shapes`), after bounding the numbers that
   drive Python loops (:func:`check_numbers`);
3. compares both (:func:`check_matches`): same tensor names and shapes, and no
   more than :data:`MAX_ELEMENTS` values in all.

Only then is the real network built and the weights read. Every mismatch is one
:class:`UserError` naming the file.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from automl.errors import UserError

MAX_HEADER_BYTES = 64 << 20
MAX_ELEMENTS = 4_000_000_000  # 16 GB of float32: beyond any model automl trains or fine-tunes
MAX_NUMBER = 100_000_000  # any integer in an architecture (pixels, widths, vocabulary size)
MAX_LOOP = 256  # integers that count layers or blocks: each is a Python loop when the network is built
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
               "U16": 2, "U32": 4, "U64": 8, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}
_REFUSE = "the run directory was modified or is corrupt; refusing to load it"

Shapes = dict[str, tuple[int, ...]]


def safetensors_header(path: Path) -> Shapes:
    """The tensors a safetensors file declares, by name, after checking that they fill exactly its bytes."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise UserError(f"{path} is too short to be a safetensors file; {_REFUSE}")
            (length,) = struct.unpack("<Q", prefix)
            if length > min(MAX_HEADER_BYTES, size - 8):
                raise UserError(f"{path} declares a header of {length} bytes, more than the file or the limit; "
                                f"{_REFUSE}")
            header = json.loads(handle.read(length))
    except OSError as exc:
        raise UserError(f"{path} cannot be read ({exc.strerror}); {_REFUSE}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path} has a header that is not JSON; {_REFUSE}") from exc
    if not isinstance(header, dict):
        raise UserError(f"{path} has a header that is not a JSON object; {_REFUSE}")
    shapes: Shapes = {}
    spans: list[tuple[int, int]] = []
    total = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        shape, span = _entry(path, name, entry)
        shapes[name] = shape
        spans.append(span)
        total += math.prod(shape)
        if total > MAX_ELEMENTS:
            raise UserError(f"{path} declares more than {MAX_ELEMENTS:,} values; {_REFUSE}")
    position = 0
    for start, end in sorted(spans):
        if start != position:
            raise UserError(f"{path} has tensors that overlap or leave gaps; {_REFUSE}")
        position = end
    if position != size - 8 - length:
        raise UserError(f"{path} declares {position} bytes of tensors but holds {size - 8 - length}; {_REFUSE}")
    return shapes


def _entry(path: Path, name: str, entry: Any) -> tuple[tuple[int, ...], tuple[int, int]]:
    bad = f"{path} describes the tensor {name[:80]!r} wrongly"
    if not isinstance(entry, dict):
        raise UserError(f"{bad}; {_REFUSE}")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in DTYPE_BYTES or not _ints(shape) or not _ints(offsets) or len(offsets) != 2:
        raise UserError(f"{bad}; {_REFUSE}")
    if any(d > MAX_ELEMENTS for d in shape) or math.prod(shape) > MAX_ELEMENTS:
        raise UserError(f"{path} declares the tensor {name[:80]!r} with shape {shape}, beyond the limit of "
                        f"{MAX_ELEMENTS:,} values; {_REFUSE}")
    start, end = offsets
    if end < start or end - start != math.prod(shape) * DTYPE_BYTES[dtype]:
        raise UserError(f"{bad} (its shape and byte range disagree); {_REFUSE}")
    return tuple(shape), (start, end)


def _ints(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)


def check_numbers(arch: Any, where: Path, loops: Iterable[str] = ()) -> None:
    """Every number in an architecture finite and in range; ``loops`` (layer and block counts) small."""
    loop_keys = set(loops)

    def visit(value: Any, key: str) -> None:
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return
        if isinstance(value, int):
            cap = MAX_LOOP if key in loop_keys else MAX_NUMBER
            if not 0 <= value <= cap:
                raise UserError(f"{where} gives {key!r} the value {value}, outside 0..{cap}; {_REFUSE}")
        elif isinstance(value, float):
            if not math.isfinite(value) or abs(value) > MAX_NUMBER:
                raise UserError(f"{where} gives {key!r} the value {value}; {_REFUSE}")
        elif isinstance(value, Mapping):
            for k, v in value.items():
                visit(v, str(k))
        elif isinstance(value, list):
            if len(value) > MAX_LOOP:
                raise UserError(f"{where} gives {key!r} {len(value)} values (at most {MAX_LOOP}); {_REFUSE}")
            for v in value:
                visit(v, key)
        else:
            raise UserError(f"{where} gives {key!r} a value of an unexpected type; {_REFUSE}")

    if not isinstance(arch, Mapping):
        raise UserError(f"{where} has no architecture object; {_REFUSE}")
    visit(arch, "architecture")


def meta_shapes(build: Callable[[], Any], where: Path) -> Shapes:
    """The state dict's names and shapes of ``build()``, built on the meta device: no memory is allocated."""
    import torch

    try:
        with torch.device("meta"):
            module = build()
        return {name: tuple(int(d) for d in tensor.shape) for name, tensor in module.state_dict().items()}
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to build means an architecture automl never wrote
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise UserError(f"{where} describes a network that cannot be built ({detail}); {_REFUSE}") from exc


def check_matches(expected: Shapes, found: Shapes, weights: Path, meta: Path) -> None:
    """The weights hold exactly the tensors the architecture needs, with the same shapes."""
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    if missing or extra:
        what = f"lacks {missing[0]!r}" if missing else f"holds {extra[0]!r}, which the network does not have"
        raise UserError(f"{weights} does not match its architecture in {meta}: it {what}; {_REFUSE}")
    for name, shape in expected.items():
        if found[name] != shape:
            raise UserError(f"{weights} does not match its architecture in {meta}: {name!r} has shape "
                            f"{list(found[name])}, the network needs {list(shape)}; {_REFUSE}")
    if sum(math.prod(s) for s in expected.values()) > MAX_ELEMENTS:
        raise UserError(f"{meta} describes a network of more than {MAX_ELEMENTS:,} values; {_REFUSE}")


def check_network(build: Callable[[], Any], arch: Any, weights: Path, meta: Path, loops: Iterable[str] = ()) -> None:
    """Steps 1 to 3 of the module docstring: raise before the real network or its weights take any memory."""
    found = safetensors_header(weights)
    check_numbers(arch, meta, loops)
    check_matches(meta_shapes(build, meta), found, weights, meta)


def save_weights(net: Any, path: Path) -> None:
    """Write a torch module's state dict as a safetensors file (plain tensors: loading runs no code)."""
    from safetensors.torch import save_file

    state = {name: tensor.detach().contiguous() for name, tensor in net.state_dict().items()}
    save_file(state, str(path))


def load_network(build: Callable[[], Any], arch: Any, weights: Path, meta: Path, loops: Iterable[str] = (),
                 described: str | None = None) -> Any:
    """The network ``build()`` makes, with the weights of ``weights``, in eval mode.

    The sizes are checked first (:func:`check_network`), so a tampered
    architecture allocates nothing; weights that still do not fit are one
    :class:`UserError` saying they do not match ``described`` (by default, the
    architecture in ``meta``).
    """
    from safetensors.torch import load_file

    check_network(build, arch, weights, meta, loops)
    net = build()
    try:
        net.load_state_dict(load_file(str(weights)), strict=True)
    except (RuntimeError, OSError) as exc:
        raise UserError(f"{weights} does not match {described or f'its architecture in {meta}'} ({exc})") from exc
    net.eval()
    return net
