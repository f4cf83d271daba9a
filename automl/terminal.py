"""Text from the data made safe for a terminal: every control character shown, none obeyed.

Column names, class labels, file and folder names, values quoted in errors
all come from the user's files, or from a run folder someone mailed. A raw
``ESC`` there could recolour, retitle or rewrite the terminal, a ``\\r`` could
overwrite the line it is on, a newline would split one ``error:`` line in
two, and a bidi override would show the text in another order than it
holds. :func:`printable` replaces each such character with a visible escape
(``\\x1b``, ``\\n``, ``\\u202e``) so the text reads as written and acts as
nothing. The CLI sends every line it prints through here.
"""

from __future__ import annotations

import logging
import re
import shlex
import sys
from pathlib import Path

# Characters that change the direction or order of what follows, or break a line, without being visible.
_INVISIBLE_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029\ufeff"
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f" + _INVISIBLE_CONTROLS + "]")
_UNSAFE_KEEP_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f" + _INVISIBLE_CONTROLS + "]")


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def needs_escape(text: str) -> bool:
    """Whether ``text`` holds a character :func:`printable` would escape."""
    return _UNSAFE.search(text) is not None


def printable(text: object) -> str:
    """``text`` on one line with every control character (C0, DEL, C1) and bidi control escaped.

    Tabs, carriage returns and newlines become ``\\t``, ``\\r`` and ``\\n``;
    everything else printable, in any script, is kept as it is.
    """
    return _UNSAFE.sub(_escape, str(text))


def printable_lines(text: object) -> str:
    """Like :func:`printable`, but newlines stay: for tables and listings automl laid out itself."""
    return _UNSAFE_KEEP_LINES.sub(_escape, str(text))



class _SafeLastResort(logging.Handler):
    """Python's last-resort log handler (warnings and worse, when no logging is configured) with the same
    output, but every record's message on one line through :func:`printable` and with no secret in it."""

    def emit(self, record: logging.LogRecord) -> None:
        from automl.redact import scrub

        try:
            text = printable(scrub(record.getMessage()))
            if record.exc_info:  # a traceback keeps its lines; what it quotes is escaped
                text += "\n" + printable_lines(scrub(logging.Formatter().formatException(record.exc_info)))
            sys.stderr.write(text + "\n")
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def safe_log_lines() -> None:
    """Route log records that reach stderr through :class:`_SafeLastResort` (the CLI and its worker processes)."""
    if not isinstance(logging.lastResort, _SafeLastResort):
        logging.lastResort = _SafeLastResort(logging.WARNING)


def shell_command(*parts: str | Path) -> str:
    """A command a hint tells the user to type (``automl resume 'my runs/churn'``), each part quoted as needed."""
    return " ".join(shell_quote(str(part)) for part in parts)


def quoted_command(*parts: str | Path) -> str:
    """:func:`shell_command` set off in a sentence: in ``'...'``, or in ``"..."`` when it holds a ``'`` itself."""
    text = shell_command(*parts)
    return f'"{text}"' if "'" in text else f"'{text}'"


def shell_quote(arg: str) -> str:
    """``shlex.quote``, or ``$'...'`` with escapes when ``arg`` holds characters a terminal would act on."""
    if not needs_escape(arg):
        return shlex.quote(arg)
    return "$'" + printable(arg.replace("\\", "\\\\")).replace("'", "\\'") + "'"
