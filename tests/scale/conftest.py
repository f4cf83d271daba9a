"""A throwaway PostgreSQL server for the multi-machine tests, and helpers to drive workers.

``postgres`` (session scope) runs ``initdb`` into a temporary folder (as the
``postgres`` user when the tests run as root: initdb refuses root), starts the
server on 127.0.0.1 only, on a free port, with its socket in that folder, and
password authentication (scram-sha-256) for a test user, so the tests of
password redaction are real. It yields a :class:`Postgres` handle that can be
stopped, started and restarted mid-test, and deletes everything at the end.

``AUTOML_TEST_POSTGRES_URL`` points the tests at an existing server instead
(a superuser URL with its password; the restart test then skips). Without the
binaries the tests skip with the reason, unless ``CI`` is set: then they fail,
because CI must run them (``.ci/run`` and ``make test`` install Debian's
``postgresql``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from automl_plugins.tabular.demo import churn_frame

URL_ENV = "AUTOML_TEST_POSTGRES_URL"
USER = "automl_test"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the PostgreSQL tests, but {reason}", pytrace=False)
    pytest.skip(reason)


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Postgres:
    """A PostgreSQL server for the tests: ``url`` (with the password), ``database(name)``, ``stop/start/restart``."""

    url: str
    password: str
    bindir: Path | None = None
    folder: Path | None = None
    port: int = 0
    as_user: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)

    @property
    def managed(self) -> bool:
        return self.bindir is not None

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        assert self.bindir is not None and self.folder is not None
        command = [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"pg_ctl {' '.join(args)} failed: {done.stderr}\n{log}")

    def start(self) -> None:
        if not self.managed:
            pytest.skip(f"cannot restart the server of {URL_ENV}")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.folder}"
        self._pg_ctl("-l", str(self.folder / "server.log"), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        if not self.managed:
            pytest.skip(f"cannot stop the server of {URL_ENV}")
        self._pg_ctl("-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def database(self, name: str) -> str:
        """A new, empty database; its URL (with the password)."""
        import psycopg2

        connection = psycopg2.connect(self.url)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        self.created.append(name)
        return urlunsplit(urlsplit(self.url)._replace(path=f"/{name}"))


def _start_managed() -> Postgres:
    bindir = _binaries()
    if bindir is None:
        _unavailable("the PostgreSQL server binaries are not installed (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="automl-pg-"))
    password = "pw" + secrets.token_hex(10)
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    pwfile = folder / "pwfile"
    pwfile.write_text(password + "\n")
    if as_user:
        shutil.chown(pwfile, "postgres", "postgres")
    init = subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", str(folder / "data"), "-U", USER, f"--pwfile={pwfile}",
         "--auth=scram-sha-256", "--encoding=UTF8", "--no-sync", "--no-instructions"],
        capture_output=True, text=True, timeout=120,
    )
    pwfile.unlink()
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        _unavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
    port = _free_port()
    server = Postgres(url=f"postgresql://{USER}:{password}@127.0.0.1:{port}/postgres", password=password,
                      bindir=bindir, folder=folder, port=port, as_user=as_user)
    with open(folder / "data" / "postgresql.conf", "a") as conf:  # a test server: speed over durability
        conf.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n")
    try:
        server.start()
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        _unavailable(f"the PostgreSQL server did not start: {exc}")
    return server


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A running PostgreSQL server for this test session (see the module docstring)."""
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        _unavailable("psycopg2 is not installed: pip install -e '.[postgres]'")
    given = os.environ.get(URL_ENV)
    if given:
        yield Postgres(url=given, password=urlsplit(given).password or os.environ.get("PGPASSWORD", ""))
        return
    server = _start_managed()
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):  # already stopped by a failed test: delete it anyway
            server.stop("immediate")
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres: Postgres, request: pytest.FixtureRequest) -> str:
    """The URL (with its password) of a fresh database for this test."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    return postgres.database(name)


@pytest.fixture(autouse=True)
def _fast_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    """Heartbeats every second, dead after 4 s, for every process the test starts (the default is 10 s / 30 s)."""
    monkeypatch.setenv("AUTOML_HEARTBEAT_SECONDS", "1")
    monkeypatch.setenv("AUTOML_HEARTBEAT_GRACE_SECONDS", "4")


@pytest.fixture
def churn_csv(tmp_path: Path) -> Path:
    path = tmp_path / "customers.csv"
    churn_frame(600, seed=0).to_csv(path, index=False)
    return path
