"""Credentials out of everything automl writes or prints.

A storage URL can carry a secret in three places, and each is handled:

- the user part, ``postgresql://alice:pw@host/db``: the password is dropped;
- the query, ``?password=pw``, ``?sslpassword=``, tokens, API keys, AWS keys,
  signatures, in any spelling or case: the parameter is dropped (a value such
  as ODBC's ``odbc_connect=...;PWD=pw`` loses its secret assignments);
  ``passfile`` and ``sslkey`` name files and stay, since a path is no secret
  and automl never reads those files;
- the environment, ``PGPASSWORD`` and the like: the value never reaches
  run.json, but a database may quote it in its own error message, so
  :func:`scrub` replaces it (and every secret this process has seen) in text
  before it is printed.

Secrets are dropped, not masked, so the URL kept in run.json still connects
when the password comes back from ``PGPASSWORD``, ``~/.pgpass`` or the
``--storage`` flag of the next command.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote, unquote_plus

# Query parameter names (lower case, punctuation removed) whose value is a secret.
_SECRET_NAMES = frozenset({
    "password", "pass", "passwd", "pwd", "pw", "sslpassword", "secret", "token", "auth", "authorization",
    "apikey", "key", "sig", "signature", "credential", "credentials", "accesskey", "accesskeyid",
    "secretkey", "sessiontoken", "privatekey", "clientsecret", "awsaccesskeyid", "awssecretaccesskey",
    "awssessiontoken", "xamzsignature", "xamzcredential", "xamzsecuritytoken", "accountkey",
    "sharedaccesskey", "sastoken", "bearer", "jwt", "cookie",
})
# ... and names that contain one of these (``access_token``, ``db_password``, ``myApiKey``...).
_SECRET_PARTS = ("password", "passwd", "secret", "token", "apikey", "accesskey", "privatekey", "credential",
                 "signature")
# Names that look secret but hold a file path (libpq): kept, the file is never read.
_PATH_NAMES = frozenset({"passfile", "sslkey", "sslcert", "sslrootcert", "sslcrl", "sslcrldir", "tokenfile"})
# Environment variables holding a secret: these names, and names with one of the parts below.
_ENV_NAMES = frozenset({"PGPASSWORD", "MYSQL_PWD", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                        "AWS_SECURITY_TOKEN", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN"})
_ENV_PARTS = frozenset({"PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "CREDENTIAL", "CREDENTIALS"})
_ENV_KEYS = ("API_KEY", "ACCESS_KEY", "PRIVATE_KEY", "SECRET_KEY", "ACCOUNT_KEY")
_NOT_SECRET_ENV = frozenset({"PWD", "OLDPWD"})
MIN_SECRET_LENGTH = 4  # shorter values would erase ordinary words from messages (and protect nothing)
MASK = "***"

# ``name=value`` inside a parameter's value (ODBC connection strings: ``DRIVER=...;PWD=secret``)
_ASSIGNMENT = re.compile(r"(^|[;&,\s])\s*([A-Za-z_][\w.\-]*)\s*=\s*(\{[^}]*\}|[^;&,\s]*)")
_URL_IN_TEXT = re.compile(r"[A-Za-z][\w+.\-]*://\S+")
_URL_IN_ARG = re.compile(r"[A-Za-z][\w+.\-]*://.*", re.DOTALL)  # one argument: the URL runs to its end

_seen: set[str] = set()  # secrets of URLs this process was given (see remember)


def is_secret_name(name: str) -> bool:
    """Whether a query parameter called ``name`` carries a secret (case and punctuation ignored)."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    if key in _PATH_NAMES:
        return False
    return key in _SECRET_NAMES or any(part in key for part in _SECRET_PARTS)


def redact_url(url: str) -> str:
    """``url`` without its user-part password and without secret query parameters.

    Safe for run.json, the study's attributes, logs, reports and errors. The
    user part is read as SQLAlchemy reads it (a username without ``:`` or
    ``/``), and the password runs up to the last ``@`` before the query, so
    an unencoded ``@``, ``/`` or ``?`` in a password never leaves a piece behind.
    """
    return _split(url)[0]


def secrets_in(url: str) -> list[str]:
    """The secret values :func:`redact_url` removes from ``url`` (decoded and as written)."""
    return _split(url)[1]


def _split(url: str) -> tuple[str, list[str]]:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url, []
    found: list[str] = []
    user = re.match(r"[^:/]*:", rest)
    first_at = rest.find("@", user.end()) if user else -1
    if user and first_at >= 0:
        query_at = rest.find("?", first_at)
        end = rest.rfind("@", 0, query_at if query_at >= 0 else len(rest))
        found.append(rest[user.end():end])
        rest = rest[:user.end() - 1] + rest[end:]
    head, question, query = rest.partition("?")
    if question:
        kept = []
        for pair in query.split("&"):
            name, eq, value = pair.partition("=")
            if is_secret_name(unquote_plus(name)):
                found.append(value)
                continue
            cleaned, hidden = _without_assignments(unquote_plus(value))
            if hidden:
                found += hidden
                pair = f"{name}{eq}{quote_plus(cleaned)}"
            kept.append(pair)
        rest = head + ("?" + "&".join(kept) if any(kept) else "")
    secrets = {form for value in found if value for form in (value, unquote(value), unquote_plus(value))}
    return f"{scheme}://{rest}", sorted(secrets, key=len, reverse=True)


def _without_assignments(value: str) -> tuple[str, list[str]]:
    """``value`` without its secret ``name=value`` assignments, and the secrets removed."""
    if "=" not in value:
        return value, []
    hidden: list[str] = []

    def drop(match: re.Match[str]) -> str:
        if not is_secret_name(match.group(2)):
            return match.group(0)
        hidden.append(match.group(3).strip("{}"))
        return match.group(1)

    return _ASSIGNMENT.sub(drop, value), hidden


def redact_arg(arg: str) -> str:
    """A command-line argument with any URL in it redacted (``--storage=URL`` or ``URL``)."""
    return _URL_IN_ARG.sub(lambda m: redact_url(m.group(0)), arg) if "://" in arg else arg


def remember(texts: Iterable[str]) -> None:
    """Note the secrets of every URL in ``texts`` (the command line, a --storage value) for :func:`scrub`."""
    for text in texts:
        if "://" not in str(text):
            continue
        for match in _URL_IN_TEXT.finditer(str(text)):
            _seen.update(secrets_in(match.group(0)))
        for match in _URL_IN_ARG.finditer(str(text)):  # a URL with spaces in it: to the argument's end
            _seen.update(secrets_in(match.group(0)))


def environment_secrets() -> list[str]:
    """Values of environment variables that hold secrets (``PGPASSWORD``, ``*_TOKEN``, ``*_API_KEY``...)."""
    found = []
    for name, value in os.environ.items():
        upper = name.upper()
        if upper in _NOT_SECRET_ENV:
            continue
        if (upper in _ENV_NAMES or _ENV_PARTS.intersection(re.split(r"[^A-Z0-9]+", upper))
                or any(key in upper for key in _ENV_KEYS)):
            found.append(value)
    return found


def scrub(text: str, *urls: str | None) -> str:
    """``text`` with every known secret replaced by ``***``.

    Known: the secrets of ``urls``, of every URL passed to :func:`remember`, and
    the environment's (:func:`environment_secrets`), each also as a URL would
    spell it (percent-encoded). URLs in the text lose their passwords too.
    """
    secrets = set(_seen)
    for url in urls:
        if url:
            secrets.update(secrets_in(url))
    secrets.update(environment_secrets())
    forms = {form for secret in secrets if len(secret) >= MIN_SECRET_LENGTH
             for form in (secret, quote(secret, safe=""), quote_plus(secret))}
    for secret in sorted(forms, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text) if "://" in text else text
