"""External study storage and artifact stores: the parts a run on several machines shares.

``--storage postgresql://...`` opens an Optuna RDBStorage with heartbeats, so a
trial whose worker dies is marked FAIL and queued again
(:class:`RetryStaleTrial`). Its engine pings each pooled
connection before use, so a restarted server costs a reconnect, not the run.
Secrets are only ever held in memory: run.json, logs, reports and error
messages get the URL without its password, query secrets and tokens
(:func:`automl.redact.redact_url`), and :func:`scrub` removes them, and the
environment's (``PGPASSWORD``), from a database's own error text.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import os
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from automl.errors import UserError
from automl.redact import redact_url, remember
from automl.redact import scrub as _scrub
from automl.trial_attrs import FAIL_REASON, INTERRUPTED_ATTR

HEARTBEAT_ENV = "AUTOML_HEARTBEAT_SECONDS"
GRACE_ENV = "AUTOML_HEARTBEAT_GRACE_SECONDS"
DEFAULT_HEARTBEAT_SECONDS = 10
_full_urls: dict[str, str] = {}  # redacted URL -> the URL with its password, for this process only
_storages: dict[str, Any] = {}


@functools.cache
def _retry_stale_trial_class() -> type:
    """Built on first use: importing optuna costs a second, and predict and report never open a storage."""
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    class RetryStaleTrial(RetryHeartbeatStaleTrialCallback):
        """Optuna's retry of a heartbeat-stale trial, without the dead attempt's failure marks.

        It lives with the storage it is installed on, below the search (docs/architecture.md, "Layers").
        """

        def __call__(self, study: Any, trial: Any) -> None:
            trial = copy.copy(trial)
            trial.user_attrs = {k: v for k, v in trial.user_attrs.items() if k not in (FAIL_REASON, INTERRUPTED_ATTR)}
            super().__call__(study, trial)

    RetryStaleTrial.__module__, RetryStaleTrial.__qualname__ = __name__, "RetryStaleTrial"
    return RetryStaleTrial


def __getattr__(name: str) -> Any:
    """``RetryStaleTrial``, the class of the stale-trial callback, made when first asked for."""
    if name == "RetryStaleTrial":
        return _retry_stale_trial_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def heartbeat_settings() -> tuple[int, int]:
    """Seconds between a trial's heartbeats, and the silence after which it counts as dead (3x by default)."""
    try:
        interval = max(1, round(float(os.environ.get(HEARTBEAT_ENV) or DEFAULT_HEARTBEAT_SECONDS)))
        grace = max(interval + 1, round(float(os.environ.get(GRACE_ENV) or 3 * interval)))
    except ValueError as exc:
        raise UserError(f"{HEARTBEAT_ENV} and {GRACE_ENV} must be numbers of seconds ({exc})") from None
    return interval, grace


def uses_heartbeats(url: str | None) -> bool:
    """True for a server database (PostgreSQL, MySQL), shared by machines; SQLite and the journal are local."""
    return bool(url) and not str(url).startswith("sqlite")


def is_postgres(url: str | None) -> bool:
    return bool(url) and urlsplit(str(url)).scheme.split("+")[0] in ("postgresql", "postgres")


def full_url(url: str) -> str:
    """The URL with its password when this process was given one (run.json keeps it without), and its driver.

    ``postgres://`` (libpq's and Heroku's spelling) and ``postgresql://`` get an
    installed driver: psycopg2 (the ``postgres`` extra) or psycopg 3. SQLAlchemy
    2.1 would pick psycopg 3 even when only psycopg2 is installed.
    """
    url = _full_urls.get(url, url)
    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("postgres", "postgresql"):
        return f"postgresql+{_postgres_driver()}://{rest}"
    return url


def _postgres_driver() -> str:
    import importlib.util

    for module, driver in (("psycopg2", "psycopg2"), ("psycopg", "psycopg")):
        if importlib.util.find_spec(module) is not None:
            return driver
    raise UserError("PostgreSQL storage needs its driver: pip install 'automl[postgres]' (psycopg2-binary)")


def display_url(url: str) -> str:
    """The URL to show: no password, and no driver that :func:`full_url` added."""
    url = redact_url(url)
    for driver in ("+psycopg2://", "+psycopg://"):
        url = url.replace("postgresql" + driver, "postgresql://", 1)
    return url


def open_rdb_storage(url: str):  # noqa: ANN201 - an optuna RDBStorage
    """An Optuna RDBStorage with heartbeats, retried stale trials and a connection that survives restarts.

    Opened once per process and URL. A connection failure is one line naming the
    URL without its password.
    """
    if redact_url(url) != url:
        remember([url])
        _full_urls[redact_url(url)] = url
    url = full_url(url)
    if url in _storages:
        return _storages[url]
    import optuna

    kwargs: dict[str, Any] = {"engine_kwargs": {"pool_pre_ping": True}}
    if uses_heartbeats(url):
        interval, grace = heartbeat_settings()
        kwargs.update(heartbeat_interval=interval, grace_period=grace)
    try:
        with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna since 2.9
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            if uses_heartbeats(url):
                kwargs["heartbeat_stale_trial_callback"] = _retry_stale_trial_class()(max_retry=3)
            storage = optuna.storages.RDBStorage(url, **kwargs)
    except ImportError as exc:
        raise UserError(
            f"the driver for {display_url(url)} is not installed ({exc}); "
            "for PostgreSQL: pip install 'automl[postgres]'"
        ) from None
    except Exception as exc:
        if is_connection_error(exc):
            raise UserError(f"cannot open the storage {display_url(url)}: {error_line(exc, url)}") from None
        raise
    _storages[url] = storage
    return storage


def is_connection_error(exc: BaseException | None) -> bool:
    """A database that cannot be reached (or dropped the connection), as opposed to a bug.

    Optuna wraps some database errors (``StorageInternalError``), so the chain of causes is searched.
    """
    try:
        import sqlalchemy.exc
    except ImportError:  # pragma: no cover - optuna depends on SQLAlchemy
        return False
    for _ in range(10):
        if exc is None:
            return False
        if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(exc, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def error_line(exc: BaseException, url: str | None = None) -> str:
    """The database's own reason on one line, with any password scrubbed out."""
    while exc.__cause__ is not None and not hasattr(exc, "orig"):  # Optuna's wrapper: its cause says more
        exc = exc.__cause__
    reason = str(getattr(exc, "orig", None) or exc)
    lines = [line.strip() for line in reason.splitlines() if line.strip() and not line.startswith("(Background")]
    line = " ".join(lines)[:300] or type(exc).__name__
    return scrub(line, url)


def scrub(text: str, url: str | None = None) -> str:
    """``text`` without any secret of ``url``, of a URL this process was given, or of the environment."""
    return _scrub(text, url, *_full_urls.values())


def open_artifact_store(location: str, default: Path | None = None):  # noqa: ANN201 - an optuna artifact store
    """A folder (local, or shared over NFS) or ``s3://bucket/prefix`` through boto3."""
    from optuna.artifacts import FileSystemArtifactStore

    if location.startswith("s3://"):
        return _s3_store(location)
    path = Path(location)
    if default is not None and path == default:
        try:
            path.mkdir(exist_ok=True)
        except OSError as exc:  # a file where the run keeps its artifacts/ folder, or a read-only run
            raise UserError(f"the run's artifact folder {location} cannot be used ({exc.strerror or exc}); the run "
                            "folder is damaged or was modified") from None
    elif not path.is_dir():
        raise UserError(
            f"the artifact store {location} is not a folder on this machine; mount the shared folder "
            "at the same path (e.g. over NFS) or pass --artifacts with a folder every machine can reach"
        )
    return FileSystemArtifactStore(str(path))


def _s3_store(location: str):  # noqa: ANN202
    try:
        import boto3  # noqa: F401
    except ImportError:
        raise UserError(f"--artifacts {location} needs boto3 for S3: pip install boto3") from None
    from optuna.artifacts import Boto3ArtifactStore

    parts = urlsplit(location)
    if not parts.netloc:
        raise UserError(f"--artifacts {location}: give an S3 bucket, e.g. s3://my-bucket/automl/run1")
    store = Boto3ArtifactStore(parts.netloc)
    prefix = parts.path.strip("/")
    return _PrefixedStore(store, prefix + "/") if prefix else store


class _PrefixedStore:
    """An artifact store that keeps every artifact under one key prefix (a folder of an S3 bucket)."""

    def __init__(self, store: Any, prefix: str) -> None:
        self.store, self.prefix = store, prefix

    def open_reader(self, artifact_id: str):  # noqa: ANN201
        return self.store.open_reader(self.prefix + artifact_id)

    def write(self, artifact_id: str, content_body: Any) -> None:
        self.store.write(self.prefix + artifact_id, content_body)

    def remove(self, artifact_id: str) -> None:
        self.store.remove(self.prefix + artifact_id)




class AdvisoryLock:
    """A PostgreSQL session advisory lock, the ask lock of workers on several machines.

    Each acquisition uses a connection of its own: the server frees the lock if
    the holder dies or its connection drops, so a killed worker never blocks
    the others.
    """

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        self._engine: Any = None
        self._connection: Any = None

    def __enter__(self) -> AdvisoryLock:
        import sqlalchemy
        from sqlalchemy.pool import NullPool

        if self._engine is None:
            self._engine = sqlalchemy.create_engine(self.url, poolclass=NullPool)
        connection = self._engine.connect()
        try:
            connection.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), {"key": self.key})
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return self

    def __exit__(self, *_exc: object) -> None:
        import sqlalchemy

        connection, self._connection = self._connection, None
        if connection is None:
            return
        with contextlib.suppress(Exception):  # a dropped connection has released the lock already
            connection.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        with contextlib.suppress(Exception):
            connection.close()
