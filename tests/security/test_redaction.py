"""Every form of credential leaves a storage URL, and text, before anything is written or printed (issue 15).

No network: the URLs are only parsed. The end-to-end test with a real PostgreSQL
server, which greps every output and a dump of the database, is
tests/scale/test_pg_secrets.py.
"""

from __future__ import annotations

import sys

import pytest

from automl.redact import environment_secrets, is_secret_name, redact_arg, redact_url, remember, scrub, secrets_in
from automl.runs import command_line

SECRET = "Zq7-secret-VALUE"

# (URL with a secret, the URL that may be written: still usable once the password comes from the environment)
CASES = [
    (f"postgresql://alice:{SECRET}@db:5432/automl", "postgresql://alice@db:5432/automl"),
    (f"postgresql+psycopg2://alice:{SECRET}@db/automl", "postgresql+psycopg2://alice@db/automl"),
    (f"postgresql://alice@db/automl?password={SECRET}", "postgresql://alice@db/automl"),
    (f"postgresql://alice@db/automl?PASSWORD={SECRET}", "postgresql://alice@db/automl"),
    (f"postgresql://alice@db/automl?sslmode=require&password={SECRET}&connect_timeout=5",
     "postgresql://alice@db/automl?sslmode=require&connect_timeout=5"),
    (f"postgresql://alice@db/automl?sslmode=verify-full&sslkey=/home/a/k.pem&sslpassword={SECRET}",
     "postgresql://alice@db/automl?sslmode=verify-full&sslkey=/home/a/k.pem"),
    (f"postgresql://alice@db/automl?passfile=/home/a/.pgpass&password={SECRET}",
     "postgresql://alice@db/automl?passfile=/home/a/.pgpass"),
    (f"postgresql://alice:{SECRET}@db/automl?password={SECRET}2", "postgresql://alice@db/automl"),
    (f"mysql+pymysql://bob:{SECRET}@db/automl?charset=utf8mb4", "mysql+pymysql://bob@db/automl?charset=utf8mb4"),
    (f"postgresql://alice@[::1]:5432/automl?api-key={SECRET}", "postgresql://alice@[::1]:5432/automl"),
    # percent-encoded, and unencoded '@', '/' or '?' inside the password: no piece of it stays
    ("postgresql://alice:p%40ss%2Fw0rd@db/automl", "postgresql://alice@db/automl"),
    ("postgresql://alice:p@ss@db/automl", "postgresql://alice@db/automl"),
    ("postgresql://alice:pa/ss@db/automl", "postgresql://alice@db/automl"),
    ("postgresql://alice:pa?ss@db/automl", "postgresql://alice@db/automl"),
    # an ODBC connection string in a parameter: its PWD goes, the rest stays
    (f"mssql+pyodbc:///?odbc_connect=DRIVER%3D%7BODBC%7D%3BSERVER%3Ddb%3BPWD%3D{SECRET}%3BUID%3Du",
     "mssql+pyodbc:///?odbc_connect=DRIVER%3D%7BODBC%7D%3BSERVER%3Ddb%3B%3BUID%3Du"),
    # S3 and HTTP-style credentials
    (f"s3://bucket/runs?X-Amz-Signature={SECRET}&X-Amz-Credential=AKIAEXAMPLE&X-Amz-Security-Token=tok-{SECRET}",
     "s3://bucket/runs"),
    (f"s3://bucket/runs?aws_access_key_id=AKIA&aws_secret_access_key={SECRET}&region=eu-west-1",
     "s3://bucket/runs?region=eu-west-1"),
    (f"https://h/x?access_token={SECRET}", "https://h/x"),
    (f"https://h/x?token={SECRET}&page=2", "https://h/x?page=2"),
    (f"https://h/x?refresh_token={SECRET}", "https://h/x"),
    (f"https://h/x?client_secret={SECRET}", "https://h/x"),
    (f"https://h/x?apikey={SECRET}", "https://h/x"),
    (f"https://h/x?myApiKey={SECRET}", "https://h/x"),
    (f"https://h/x?auth={SECRET}", "https://h/x"),
    (f"https://h/x?Authorization=Bearer%20{SECRET}", "https://h/x"),
    (f"https://h/x?sig={SECRET}", "https://h/x"),
    (f"https://h/x?db_password={SECRET}", "https://h/x"),
]
# Nothing to remove: the URL comes back unchanged, byte for byte.
CLEAN = [
    "sqlite:///runs/x/study.db",
    "sqlite:////abs/path/db.sqlite3",
    "postgresql://alice@db:5432/automl",
    "postgresql://db/automl",
    "postgresql://alice@db/automl?sslmode=require&application_name=automl%20fit",
    "postgresql://alice@db/automl?require_auth=scram-sha-256&sslcert=/c.pem&sslrootcert=/r.pem",
    "postgresql://alice@db/automl?passfile=/home/alice/.pgpass",
    "s3://bucket/prefix",
    "/not/a/url",
    "",
]


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_every_form_of_secret_is_removed(url: str, expected: str) -> None:
    redacted = redact_url(url)
    assert redacted == expected
    assert SECRET not in redacted and "p@ss" not in redacted and "pa/ss" not in redacted
    assert redact_url(redacted) == redacted, "redaction is idempotent"
    assert secrets_in(url), "the removed secret is known, for scrub()"


def test_an_empty_password_leaves_no_colon() -> None:
    assert redact_url("postgresql://alice:@db/automl") == "postgresql://alice@db/automl"


@pytest.mark.parametrize("url", CLEAN)
def test_a_url_without_secrets_is_unchanged(url: str) -> None:
    assert redact_url(url) == url
    assert secrets_in(url) == []


@pytest.mark.parametrize("name", ["password", "PassWord", "sslpassword", "pwd", "token", "access_token", "secret",
                                  "client_secret", "api_key", "apikey", "Api-Key", "auth", "aws_secret_access_key",
                                  "AWS_SESSION_TOKEN", "X-Amz-Signature", "credentials", "private_key"])
def test_secret_parameter_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["passfile", "sslkey", "sslcert", "sslmode", "host", "application_name",
                                  "require_auth", "region", "charset", "connect_timeout", "options"])
def test_parameters_that_are_no_secret_stay(name: str) -> None:
    assert not is_secret_name(name)


def test_the_command_line_keeps_no_secret_in_any_spelling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [
        "automl", "fit", "a.csv",
        "--storage", f"postgresql://u:{SECRET}@h/d",
        f"--storage=postgresql://u@h/d?sslmode=require&password={SECRET}",
        "--artifacts", f"s3://b/p?aws_secret_access_key={SECRET}",
        "--storage", f"postgresql://u:pass word {SECRET}@h/d",  # a space inside the password: still one argument
    ])
    line = command_line()
    assert SECRET not in line and "pass word" not in line
    assert "postgresql://u@h/d" in line and "--storage=postgresql://u@h/d?sslmode=require" in line
    assert redact_arg("plain") == "plain"


def test_command_line_quotes_control_characters_visibly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["automl", "fit", "a\nb.csv", "--target", "x\x1b[31my", "--run-dir", "it's"])
    line = command_line()
    assert "\n" not in line and "\x1b" not in line
    assert "$'a\\nb.csv'" in line and "$'x\\x1b[31my'" in line and "'it'\"'\"'s'" in line


def test_scrub_removes_remembered_and_environment_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "env-Secret-1")
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-Secret-2")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-Secret-3")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")  # not a secret: 'false' must stay in messages
    monkeypatch.setenv("PWD", "/home/alice")  # the working directory is no secret
    remember(["fit", "--storage", "postgresql://u@h/d?password=argv-Secret-4"])
    text = ("FATAL: password authentication failed (env-Secret-1, tok-Secret-2, aws-Secret-3, argv-Secret-4, "
            "env-Secret%2D1 is not encoded but url%3Aform is) postgresql://x:inline-Secret-5@h/d false /home/alice")
    cleaned = scrub(text, "postgresql://u:given-Secret-6@h/d")
    for secret in ("env-Secret-1", "tok-Secret-2", "aws-Secret-3", "argv-Secret-4", "inline-Secret-5"):
        assert secret not in cleaned, secret
    assert "postgresql://x@h/d" in cleaned and " false " in cleaned and "/home/alice" in cleaned
    assert scrub("given-Secret-6 leaked", "postgresql://u:given-Secret-6@h/d") == "*** leaked"
    assert "env-Secret-1" in environment_secrets() and "false" not in environment_secrets()


def test_storage_error_lines_are_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    from automl.storage import error_line

    monkeypatch.setenv("PGPASSWORD", "pg-Secret-7")
    error = RuntimeError('connection to server failed: FATAL:  password "pg-Secret-7" rejected\nsecond line')
    line = error_line(error, f"postgresql://u@h/d?sslpassword={SECRET}")
    assert "pg-Secret-7" not in line and "\n" not in line
