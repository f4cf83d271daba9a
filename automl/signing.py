"""This machine's signing key: what tells a run folder made here from one that came from elsewhere.

Checksums alone prove nothing about where a file came from: whoever rewrites a
model file can rewrite its checksum too. An HMAC-SHA256 over the checksums,
keyed by a secret that never travels with a run, can only be made on a machine
that holds the key. The key is 32 random bytes in the user's configuration
folder (``$AUTOML_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/automl``, else
``~/.config/automl``), created on first use, readable by its owner only.

A folder signed with another key, or not signed at all, is *foreign*: it still
loads (every format in a run folder is one that runs no code), but automl says
so, and loads its models first in a child process (:mod:`automl.probe`).

When the key cannot be created (a read-only home), runs are saved unsigned and
every folder counts as foreign: slower to open, never less safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from automl.errors import UserError

CONFIG_ENV = "AUTOML_CONFIG_DIR"
KEY_FILE = "signing.key"
KEY_BYTES = 32
ALGORITHM = "hmac-sha256"

_cache: dict[Path, bytes] = {}


def config_dir() -> Path:
    """The user's automl configuration folder (not created here)."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "automl"


def key_path() -> Path:
    return config_dir() / KEY_FILE


def _read_key(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise UserError(f"the signing key {path} cannot be read ({exc.strerror}); fix its permissions "
                        "or delete it to make a new one") from exc
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(KEY_BYTES + 1)
    if len(data) != KEY_BYTES:
        raise UserError(f"the signing key {path} is not {KEY_BYTES} bytes long; delete it to make a new one "
                        "(runs signed with the old key will then count as foreign)")
    return data


def _create_key(path: Path) -> None:
    """Write a new key atomically: a temporary file linked into place, so two processes agree on one key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process made the key first: theirs is kept
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def machine_key(create: bool = True) -> bytes | None:
    """This machine's key; made on first use when ``create``. None when there is none and it cannot be made."""
    path = key_path()
    if path in _cache:
        return _cache[path]
    if not path.exists() and not path.is_symlink():
        if not create:
            return None
        try:
            _create_key(path)
        except OSError:
            return None  # a read-only configuration folder: runs are saved unsigned
    key = _read_key(path)
    _cache[path] = key
    return key


def key_id(key: bytes) -> str:
    """A short public name for a key (a hash of it), so a note can tell 'another key' from 'no signature'."""
    return hashlib.sha256(b"automl key id:" + key).hexdigest()[:16]


def sign(purpose: str, data: bytes) -> dict[str, str] | None:
    """``{"algorithm", "key_id", "value"}`` for ``data``, or None when this machine has no key."""
    key = machine_key()
    if key is None:
        return None
    value = hmac.new(key, purpose.encode() + b"\0" + data, hashlib.sha256).hexdigest()
    return {"algorithm": ALGORITHM, "key_id": key_id(key), "value": value}


def check(purpose: str, data: bytes, signature: object) -> str:
    """``"signed"`` (by this machine's key), ``"other-key"`` or ``"unsigned"``."""
    if not isinstance(signature, dict) or not isinstance(signature.get("value"), str):
        return "unsigned"
    key = machine_key(create=False)
    if key is None:
        return "other-key"
    expected = hmac.new(key, purpose.encode() + b"\0" + data, hashlib.sha256).hexdigest()
    return "signed" if hmac.compare_digest(expected, signature["value"]) else "other-key"
