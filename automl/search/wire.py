"""The messages between a trial's child process and the search: JSON and raw numpy buffers, never a pickle.

A frame is two 8-byte big-endian lengths (of the JSON text, of the array
data), the JSON text, then the array data. The JSON holds plain values as
they are (None, bool, int, str, finite float, list); everything else is a
one-key object naming its kind, so no value can be mistaken for another:

- ``{"float": "nan"}`` (or ``"inf"``, ``"-inf"``), ``{"tuple": [...]}``,
  ``{"dict": [[key, value], ...]}`` (keys of any supported type);
- ``{"scalar": [dtype, value]}``: a numpy bool, integer or float;
- ``{"array": [dtype, shape, offset]}``: a numpy array whose bytes (C order)
  start at ``offset`` in the array data (every array starts 64-byte aligned);
- ``{"dataclass": [name, {"dict": ...}]}``: one of :data:`RESULT_TYPES`, by
  name, rebuilt from a module the receiver has already imported.

Encoding refuses any other type (an object array, an estimator, a new
dataclass) with a TypeError that names it, so nothing is silently lost;
decoding refuses anything not written so, with a :class:`WireError`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import socket
import struct
import sys
from typing import Any

import numpy as np

HEADER = struct.Struct("!QQ")  # bytes of JSON text, bytes of array data
ALIGN = 64
MAX_TEXT = 256 * 2**20  # bytes of JSON in one frame: more is a broken frame, not a message
# dataclasses a child may send back, by module and name: the receiver builds them without importing anything
RESULT_TYPES = frozenset({"automl.search.objective.FoldResults"})
ARRAY_KINDS = "biufcSUMm"  # bool, integers, floats, complex, fixed-width bytes and text, datetimes, durations
SCALAR_KINDS = "biuf"
FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class WireError(ValueError):
    """A frame that is not in this format: it is refused, never guessed at."""


def frame(message: Any) -> list[Any]:
    """The buffers of one frame holding ``message``; TypeError for a value of a type this format does not know."""
    encoder = _Encoder()
    text = json.dumps(encoder.value(message), allow_nan=False, separators=(",", ":")).encode()
    return [HEADER.pack(len(text), encoder.size), text, *encoder.buffers]


def send(sock: socket.socket, message: Any) -> None:
    send_frame(sock, frame(message))


def send_frame(sock: socket.socket, parts: list[Any]) -> None:
    for part in parts:
        sock.sendall(part)


class FrameReader:
    """Reads frames from a socket a piece at a time, so the reader can watch a clock while a large one comes in."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._head = bytearray(HEADER.size)
        self._body: bytearray | None = None
        self._text = 0
        self._got = 0

    def pump(self) -> Any | None:
        """Read what has arrived (waiting at most the socket's timeout): the message once a frame is whole,
        else None. EOFError when the other end closed, whole frame or not."""
        target = self._head if self._body is None else self._body
        if self._got < len(target):
            try:
                count = self.sock.recv_into(memoryview(target)[self._got:])
            except (BlockingIOError, TimeoutError):
                return None
            if count == 0:
                raise EOFError("the other end closed the connection")
            self._got += count
        if self._got < len(target):
            return None
        if self._body is None:
            self._text, size = HEADER.unpack(self._head)
            if self._text > MAX_TEXT:
                raise WireError(f"a frame announces {self._text} bytes of JSON, more than {MAX_TEXT}")
            self._body, self._got = bytearray(self._text + size), 0
            return self.pump()
        body, text = self._body, self._text
        self._body, self._got = None, 0
        return decode(bytes(body[:text]), memoryview(body)[text:])

    def read(self) -> Any:
        """The next message, waiting as long as the socket's timeout allows each read."""
        while True:
            message = self.pump()
            if message is not None:
                return message


def decode(text: bytes, data: memoryview) -> Any:
    try:
        tree = json.loads(text, parse_constant=_no_constant)
        return _Decoder(data).value(tree)
    except WireError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise WireError(f"an unreadable frame: {type(exc).__name__}: {exc}") from None


def _no_constant(name: str) -> Any:
    raise WireError(f"{name} is not a value of this format (non-finite floats are tagged)")


class _Encoder:
    def __init__(self) -> None:
        self.buffers: list[Any] = []
        self.size = 0

    def value(self, value: Any) -> Any:
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return value if math.isfinite(value) else {"float": repr(value)}
        if kind is list:
            return [self.value(item) for item in value]
        if kind is tuple:
            return {"tuple": [self.value(item) for item in value]}
        if kind is dict:
            return {"dict": [[self.value(key), self.value(item)] for key, item in value.items()]}
        if kind is np.ndarray:
            return self.array(value)
        name = f"{kind.__module__}.{kind.__qualname__}"
        if isinstance(value, np.generic) and value.dtype.kind in SCALAR_KINDS:
            item = value.item()  # a Python bool, int or float, except for a long double
            if type(item) in (bool, int, float):
                return {"scalar": [value.dtype.str, self.value(item)]}
        if dataclasses.is_dataclass(value) and name in RESULT_TYPES:
            fields = {field.name: getattr(value, field.name) for field in dataclasses.fields(value) if field.init}
            return {"dataclass": [name, self.value(fields)]}
        raise TypeError(f"a {name} cannot be sent back from a trial's process: only None, bool, int, float, str, "
                        "list, tuple, dict, numpy numbers and arrays (not of objects) and "
                        f"{', '.join(sorted(RESULT_TYPES))} can")

    def array(self, value: np.ndarray) -> Any:
        dtype = value.dtype
        if dtype.kind not in ARRAY_KINDS or dtype.hasobject or dtype.fields is not None:
            raise TypeError(f"a numpy array of dtype {dtype} cannot be sent back from a trial's process: only "
                            "arrays of numbers, booleans, fixed-width text or bytes and datetimes can (no pickle)")
        flat = np.ascontiguousarray(value).reshape(-1).view(np.uint8)
        offset = self.size
        self.buffers.append(flat)
        self.size += flat.nbytes
        padding = -self.size % ALIGN
        if padding:
            self.buffers.append(bytes(padding))
            self.size += padding
        return {"array": [dtype.str, list(value.shape), offset]}


class _Decoder:
    def __init__(self, data: memoryview) -> None:
        self.data = data

    def value(self, tree: Any) -> Any:
        if tree is None or type(tree) in (bool, int, str, float):
            return tree
        if type(tree) is list:
            return [self.value(item) for item in tree]
        if type(tree) is not dict or len(tree) != 1:
            raise WireError(f"not a value of this format: {str(tree)[:80]}")
        (tag, body), = tree.items()
        if tag == "float" and body in FLOATS:
            return FLOATS[body]
        if tag == "tuple" and type(body) is list:
            return tuple(self.value(item) for item in body)
        if tag == "dict" and type(body) is list:
            return {self.value(key): self.value(item) for key, item in body}
        if tag == "scalar" and type(body) is list and len(body) == 2:
            return _dtype(body[0], SCALAR_KINDS).type(self.value(body[1]))
        if tag == "array" and type(body) is list and len(body) == 3:
            return self.array(*body)
        if tag == "dataclass" and type(body) is list and len(body) == 2:
            return _result_type(body[0])(**self.value(body[1]))
        raise WireError(f"not a value of this format: {str(tree)[:80]}")

    def array(self, descr: Any, shape: Any, offset: Any) -> np.ndarray:
        dtype = _dtype(descr, ARRAY_KINDS)
        if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape) or type(offset) is not int:
            raise WireError(f"a bad array shape {shape} or offset {offset}")
        count = math.prod(shape)
        if offset < 0 or offset + count * dtype.itemsize > len(self.data):
            raise WireError(f"an array of {count} x {dtype} at {offset} runs past the {len(self.data)} bytes sent")
        if count == 0:
            return np.empty(shape, dtype=dtype)
        return np.frombuffer(self.data, dtype=dtype, count=count, offset=offset).reshape(shape)


def _dtype(descr: Any, kinds: str) -> np.dtype:
    if type(descr) is not str:
        raise WireError(f"a bad dtype {descr!r}")
    dtype = np.dtype(descr)
    if dtype.kind not in kinds or dtype.hasobject or dtype.fields is not None or dtype.str != descr:
        raise WireError(f"dtype {descr!r} is not one this format sends")
    return dtype


def _result_type(name: Any) -> type:
    """A dataclass of :data:`RESULT_TYPES`, from its module as already imported here (the sender is a fork)."""
    if name not in RESULT_TYPES:
        raise WireError(f"{name!r} is not a type a trial's process may send back")
    module, _, qualname = name.rpartition(".")
    found = getattr(sys.modules.get(module), qualname, None)
    if not (isinstance(found, type) and dataclasses.is_dataclass(found)):
        raise WireError(f"{name} is not loaded in this process")
    return found
