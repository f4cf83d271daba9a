"""The soak benchmark's machinery: a throwaway PostgreSQL server, the processes it starts, and reading the study.

Kept apart from ``soak.py`` (what is measured and checked) so each file has one job.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from common import REPO_ROOT, BenchmarkError

DB_USER = "automl_soak"
DB_NAME = "automl"


# -- a throwaway PostgreSQL server ------------------------------------------------------------------------------


class Postgres:
    """``initdb`` into a temporary folder, ``pg_ctl start`` on 127.0.0.1 and a free port; ``close()`` deletes it."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
        pg_ctl = Path(found[-1]) if found else (Path(shutil.which("pg_ctl")) if shutil.which("pg_ctl") else None)
        if pg_ctl is None:
            raise BenchmarkError("the PostgreSQL server binaries are not installed (apt-get install postgresql)")
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            raise BenchmarkError("psycopg2 is not installed: .venv/bin/pip install -e '.[postgres]'") from None
        self.bindir = pg_ctl.parent
        self.version = subprocess.run([str(self.bindir / "postgres"), "--version"], capture_output=True,
                                      text=True).stdout.strip()
        self.folder = Path(tempfile.mkdtemp(prefix="automl-soak-pg-"))
        self.password = "pw" + secrets.token_hex(12)
        self.as_user: list[str] = []
        self.started = False
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]

    def start(self) -> None:
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            shutil.chown(self.folder, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        pwfile = self.folder / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.as_user:
            shutil.chown(pwfile, "postgres", "postgres")
        init = subprocess.run(
            [*self.as_user, str(self.bindir / "initdb"), "-D", str(self.folder / "data"), "-U", DB_USER,
             f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8", "--no-sync", "--no-instructions"],
            capture_output=True, text=True, timeout=120,
        )
        pwfile.unlink()
        if init.returncode != 0:
            raise BenchmarkError(f"initdb failed: {init.stderr.strip()[-500:]}")
        with open(self.folder / "data" / "postgresql.conf", "a") as conf:  # a benchmark server on loopback
            conf.write("max_connections = 200\n")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.folder}"
        self._pg_ctl("-l", str(self.folder / "server.log"), "-o", options, "-w", "-t", "60", "start")
        self.started = True
        import psycopg2

        connection = psycopg2.connect(self.url("postgres", password=True))
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{DB_NAME}"')
        connection.close()

    def _pg_ctl(self, *args: str) -> None:
        command = [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            server_log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
            raise BenchmarkError(f"pg_ctl {args[-1]} failed: {done.stderr.strip()}\n{server_log}")

    def url(self, database: str = DB_NAME, password: bool = False) -> str:
        secret = f":{self.password}" if password else ""
        return f"postgresql://{DB_USER}{secret}@127.0.0.1:{self.port}/{database}"

    def close(self) -> None:
        if self.started:
            with contextlib.suppress(Exception):
                self._pg_ctl("-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


# -- child processes --------------------------------------------------------------------------------------------


class Children:
    """Every process the benchmark starts, each in its own session, so it (and its children) can be killed."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.processes: list[subprocess.Popen] = []

    def start(self, command: list[str], log_path: Path, cpus: set[int] | None = None) -> subprocess.Popen:
        """``command`` in its own session, pinned to ``cpus`` when given (a worker then uses that many threads)."""
        with open(log_path, "w") as sink:
            sink.write(f"$ {' '.join(command)}" + (f"   # pinned to CPU(s) {sorted(cpus)}" if cpus else "") + "\n")
            sink.flush()
            process = subprocess.Popen(command, cwd=REPO_ROOT, env=self.env, stdout=sink, stderr=subprocess.STDOUT,
                                       start_new_session=True,
                                       preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
        process.log_path = log_path  # type: ignore[attr-defined]
        process.cpus = sorted(cpus) if cpus else None  # type: ignore[attr-defined]
        self.processes.append(process)
        return process

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            process.wait(timeout=30)

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                self.kill(process)


def tail(path: Path, lines: int = 8) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    return ""


# -- reading the study ------------------------------------------------------------------------------------------


class StudyReader:
    """Cheap polling through SQL (psycopg2), and the whole study through Optuna for the checks."""

    def __init__(self, pg: Postgres) -> None:
        self.pg = pg
        self._connection: Any = None

    def _cursor(self) -> Any:
        import psycopg2

        if self._connection is None or self._connection.closed:
            self._connection = psycopg2.connect(self.pg.url(password=True))
            self._connection.autocommit = True
        return self._connection.cursor()

    def states(self, study: str) -> dict[str, int]:
        """Trials per state (``interrupted`` separately: FAIL trials with the interrupted mark)."""
        try:
            with self._cursor() as cursor:
                cursor.execute(
                    "SELECT t.state, EXISTS (SELECT 1 FROM trial_user_attributes a WHERE a.trial_id = t.trial_id "
                    "AND a.key = 'interrupted' AND a.value_json = 'true'), count(*) FROM trials t "
                    "JOIN studies s ON s.study_id = t.study_id WHERE s.study_name = %s GROUP BY 1, 2", (study,))
                found: dict[str, int] = {}
                for state, interrupted, n in cursor.fetchall():
                    key = "interrupted" if state == "FAIL" and interrupted else state
                    found[key] = found.get(key, 0) + n
                return found
        except Exception:  # the tables or the study do not exist yet
            self._connection = None
            return {}

    def exists(self, study: str) -> bool:
        """The study exists and ``fit`` stored the run in it (what 'automl worker' reads)."""
        try:
            with self._cursor() as cursor:
                cursor.execute("SELECT count(*) FROM study_user_attributes a JOIN studies s ON s.study_id = "
                               "a.study_id WHERE s.study_name = %s", (study,))
                return cursor.fetchone()[0] > 0
        except Exception:
            self._connection = None
            return False

    def running_of(self, study: str, worker: str) -> list[int]:
        """Numbers of the RUNNING trials whose ``worker`` attribute is ``worker`` (host:pid)."""
        try:
            with self._cursor() as cursor:
                cursor.execute(
                    "SELECT t.number FROM trials t JOIN studies s ON s.study_id = t.study_id JOIN "
                    "trial_user_attributes a ON a.trial_id = t.trial_id WHERE s.study_name = %s AND "
                    "t.state = 'RUNNING' AND a.key = 'worker' AND a.value_json = %s", (study, json.dumps(worker)))
                return [row[0] for row in cursor.fetchall()]
        except Exception:
            self._connection = None
            return []

    def trials(self, study: str) -> list[Any]:
        import optuna

        from automl.storage import full_url

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        loaded = optuna.load_study(study_name=study, storage=full_url(self.pg.url(password=True)))
        return loaded.get_trials(deepcopy=False)

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()


def finished(states: dict[str, int]) -> int:
    """Trials that count toward the budget (as ``automl.search.loop.counted``): not queued, not interrupted."""
    return sum(n for state, n in states.items() if state not in ("WAITING", "interrupted"))
