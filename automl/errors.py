"""User-facing errors.

The CLI turns every :class:`UserError` into one line on stderr and exit code 2,
so the message must say what is wrong, where, and how to fix it. Anything that
is not a ``UserError`` is a bug in automl or a plugin and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the input or the command line that the user can fix."""


class UnverifiedRunWarning(UserWarning):
    """A run saved before checksums existed: its final model loads, but unverified (one ``warning:`` line)."""


class ForeignRunWarning(UserWarning):
    """A run folder not signed by this machine's key: it loads, with one ``note:`` line (see docs/security.md)."""


class MissingExtra(UserError):
    """An optional dependency is needed; the message names the extra to install."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the '{package}' package, which is not installed; "
            f"run: pip install 'automl[{extra}]'"
        )
        self.package = package
        self.extra = extra


def require(module: str, extra: str, purpose: str):  # noqa: ANN201 - returns a module
    """Import an optional dependency late, failing with the pip command to run."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(module.split(".")[0], extra, purpose) from exc


_PYTHON_SWITCHES = {"--force": "force=True", "--overwrite": "overwrite=True", "--quiet": "quiet=True"}
_FLAG = __import__("re").compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def in_python_words(message: str) -> str:
    """A message written for the command line, with each flag named as the Python argument that sets it.

    Messages name flags (``pass --force``) because most users meet them in a
    shell; someone calling ``AutoML(...).fit`` is told ``force=True`` and
    ``run_dir`` instead. Task flags become their option names
    (``--text-col`` is ``text_column``).
    """

    def argument(match: object) -> str:
        flag = match.group(0)  # type: ignore[attr-defined]
        if flag in _PYTHON_SWITCHES:
            return _PYTHON_SWITCHES[flag]
        name = flag[2:].replace("-", "_")
        return f"{name}umn" if name.endswith("_col") else name

    return _FLAG.sub(argument, message)
