"""The run directory: manifest, study storage, artifacts, final model and lock.

A run directory is the unit a user keeps, mails and resumes::

    runs/<name>/run.json        what was asked for and on what data
    runs/<name>/study.journal   the Optuna study (unless --storage points elsewhere)
    runs/<name>/artifacts/      one fitted model and its validation predictions per trial
    runs/<name>/best/           the refit final model and the input schema
    runs/<name>/leaderboard.csv, report.html, report.md

Nothing is overwritten without ``force``; a lock file keeps two searches from
driving the same run at once (workers of one search share it).
"""

from __future__ import annotations

import contextlib
import json
import platform
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import filelock

from automl import atomic, journal, userdata
from automl.errors import UserError
from automl.manifest_check import check_required, check_values, read_json
from automl.records import FORMAT_VERSION as FORMAT_VERSION  # re-exported: it lived here
from automl.records import RunRecord, field_names
from automl.redact import redact_arg
from automl.redact import redact_url as redact_url  # re-exported: the name callers know
from automl.terminal import quoted_command as quoted_command  # re-exported: it lived here
from automl.terminal import shell_command as shell_command
from automl.terminal import shell_quote

STUDY_NAME = "automl"
MANIFEST = "run.json"
_TRACKED_PACKAGES = ("automl", "optuna", "pluggy", "pandas", "numpy", "scikit-learn", "lightgbm")


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in (*_TRACKED_PACKAGES, *extra):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


@dataclass
class RunDir:
    path: Path

    # -- locations -----------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @property
    def journal_path(self) -> Path:
        return self.path / "study.journal"

    @property
    def artifacts(self) -> Path:
        return self.path / "artifacts"

    @property
    def best(self) -> Path:
        return self.path / "best"

    @property
    def name(self) -> str:
        return self.path.name

    # -- life cycle ------------------------------------------------------------
    @staticmethod
    def check_free(path: Path, force: bool, reads: Iterable[Path] = ()) -> None:
        """Fail early, before any work, if ``path`` holds a run and ``force`` is off, or ``force`` would
        delete anything automl did not write (see :mod:`automl.userdata`)."""
        userdata.check_run_dir(Path(path), force, reads)

    @classmethod
    @contextlib.contextmanager
    def creating(cls, path: Path, record: RunRecord, force: bool = False,
                 reads: Iterable[Path] = ()) -> Iterator[RunDir]:
        """Create the run (with ``force``, after deleting the previous run's own files) and hold its lock.

        The lock is taken before anything is deleted and kept for the block, so a
        second ``fit --force`` on the same folder stops with one error line
        instead of deleting the files of the first.
        """
        path = Path(path)
        cls.check_free(path, force, reads)
        run = cls(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
            lock = run.acquire()
        except OSError as exc:
            raise UserError(f"cannot create run directory {path} ({exc.strerror or exc}); choose another --run-dir") \
                from None
        with lock:
            cls.check_free(path, force, reads)  # again, under the lock: the folder may have changed meanwhile
            try:
                userdata.clear_own(path, keep={"run.lock"})  # the lock file is ours while we hold it
                run.artifacts.mkdir(exist_ok=True)
                run.write_manifest(record.to_json())
            except OSError as exc:
                raise UserError(f"cannot write run directory {path} ({exc.strerror or exc})") from None
            yield run

    @classmethod
    def create(cls, path: Path, record: RunRecord, force: bool = False, reads: Iterable[Path] = ()) -> RunDir:
        """Create the run directory (see :meth:`creating`) and release its lock."""
        with cls.creating(path, record, force, reads) as run:
            return run

    @classmethod
    def open(cls, path: str | Path) -> RunDir:
        """Open an existing run after checking its manifest, before anything is deserialised."""
        run = cls(Path(path))
        if not run.manifest_path.is_file():
            raise UserError(f"{path} is not a run directory (no {MANIFEST}); pass the folder that 'automl fit' created")
        run.check_manifest()
        return run

    def check_manifest(self) -> dict[str, Any]:
        """``run.json`` as written, after its keys, format version, types and values are checked."""
        try:
            manifest = read_json(self.manifest_path)  # bounded: a 2 GB or deeply nested file is one error line
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise UserError(f"{self.manifest_path} is unreadable or not JSON ({reason}); the run is damaged") from exc
        check_required(manifest, self.manifest_path, FORMAT_VERSION)
        check_values(manifest, self.manifest_path)  # types and values, before any of them is used
        return manifest

    @property
    def manifest(self) -> dict[str, Any]:
        """The checked ``run.json`` as a dict: only for hashing it (:mod:`automl.integrity`) and copying it whole;
        everything else reads :attr:`record`."""
        return self.check_manifest()

    @property
    def record(self) -> RunRecord:
        """The checked ``run.json``, typed (read again on every access: ``status`` changes during a run)."""
        return RunRecord.from_json(self.check_manifest())

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        atomic.write_text(self.manifest_path, json.dumps(manifest, indent=2, default=str) + "\n")

    def update_manifest(self, **changes: Any) -> None:
        """Change some keys of ``run.json`` (field names of :class:`RunRecord`), keeping every other key as it was.

        The file is rewritten from its own dict, not from a record, so a key an older automl left out stays out:
        the checksum of ``run.json`` recorded beside the final model must still match.
        """
        unknown = sorted(set(changes) - field_names(RunRecord))
        if unknown:
            raise TypeError(f"run.json has no field {', '.join(unknown)}")
        self.write_manifest({**self.manifest, **{k: _as_json(v) for k, v in changes.items()}})

    def lock(self, timeout: float = 0) -> filelock.BaseFileLock:
        """An exclusive lock on the run; the OS frees it if the holder is killed."""
        return filelock.FileLock(str(self.path / "run.lock"), timeout=timeout)

    def acquire(self) -> filelock.BaseFileLock:
        lock = self.lock()
        try:
            lock.acquire()
        except filelock.Timeout:
            raise UserError(
                f"run {self.path} is in use by another automl process; wait for it to finish"
            ) from None
        except OSError as exc:  # a read-only folder or mount: the lock file cannot be created
            raise UserError(f"cannot lock run {self.path} ({exc.strerror or exc}); is the folder writable?") from None
        return lock

    # -- storage ---------------------------------------------------------------
    @property
    def study_name(self) -> str:
        """The study's name in its storage: ``automl`` unless ``--study`` named it (shared databases)."""
        return str(self.record.study or STUDY_NAME)

    def storage_url(self, override: str | None = None) -> str | None:
        """The external storage URL, if the run uses one (passwords come from the caller or ``PGPASSWORD``)."""
        return override or self.record.storage

    def storage(self, override: str | None = None):  # noqa: ANN201 - an optuna storage
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        url = self.storage_url(override)
        if url:
            from automl.storage import open_rdb_storage

            return open_rdb_storage(url)
        journal.check(self.journal_path)  # a torn tail is a note, garbage one error line, before Optuna reads
        return journal.replayed(self.journal_path, lambda: JournalStorage(JournalFileBackend(str(self.journal_path))))

    @property
    def artifact_location(self) -> str:
        """Where the trials' artifacts go: the run's ``artifacts/`` or the shared ``--artifacts`` path or S3 URL."""
        return str(self.record.artifacts or self.artifacts)

    def artifact_store(self):  # noqa: ANN201 - an optuna artifact store
        from automl.storage import open_artifact_store

        return open_artifact_store(self.artifact_location, default=self.artifacts)


def _as_json(value: Any) -> Any:
    """A record (``data=DataRecord(...)``) as the JSON it stands for; any other value as it is."""
    return value.to_json() if hasattr(value, "to_json") else value


def command_line() -> str:
    """The command as the user can paste it back: shell-quoted, ``automl`` however it was started, no secret.

    URLs lose their passwords and tokens (:func:`automl.redact.redact_arg`); an
    argument holding a control character (a newline, an escape) is written in
    bash's ``$'...'`` quoting, so the line stays one line and prints nothing raw.
    """
    program = Path(sys.argv[0]).name if sys.argv else ""
    argv = ["automl", *sys.argv[1:]] if program in ("automl", "cli.py", "__main__.py") else list(sys.argv)
    return " ".join(shell_quote(redact_arg(arg)) for arg in argv)

