"""``automl plugin new NAME``: write a third-party plugin package from ``templates/plugin``.

The templates are package data (``automl.templates``), rendered with Jinja2.
A template's path may hold placeholders too (``{{module}}/task.py.j2``); the
``.j2`` suffix is dropped. The result is a working plugin: a toy regression
task, two models, a metric, the conformance tests and a README.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from automl.errors import UserError

TEMPLATE_PACKAGE = "automl.templates"
TEMPLATE_FOLDER = "plugin"
TEMPLATE_SUFFIX = ".j2"
_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")


@dataclass(frozen=True)
class PluginNames:
    """Every name derived from the one the user gives, e.g. ``churn-uplift``."""

    name: str  # the entry-point name, which `automl plugins` shows: churn-uplift
    distribution: str  # what pip installs: automl-churn-uplift
    module: str  # the importable package: automl_churn_uplift
    task: str  # the task's name, for --task: churn_uplift

    @classmethod
    def from_name(cls, name: str) -> PluginNames:
        check_name(name)
        snake = name.replace("-", "_")
        return cls(name=name, distribution=f"automl-{name}", module=f"automl_{snake}", task=snake)


def check_name(name: str) -> None:
    """Raise a UserError unless ``name`` makes a valid distribution, module and task name."""
    from automl.plugins import builtin_plugins

    if not _NAME.fullmatch(name):
        raise UserError(
            f"invalid plugin name {name!r}: use lowercase letters, digits, and single dashes or underscores "
            "between them, starting with a letter (for example: churn-uplift)"
        )
    if name.startswith(("automl-", "automl_")):
        raise UserError(f"leave out the 'automl-' prefix: the package is named automl-NAME, so pass {name[7:]!r}")
    if name.replace("-", "_") in {n.replace("-", "_") for n in builtin_plugins()}:
        raise UserError(f"'{name}' is the name of a built-in plugin; choose another name")


def default_folder(name: str) -> Path:
    return Path(f"automl-{name}")


def _environment():  # noqa: ANN202 - a jinja2.Environment, imported late
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_FOLDER),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # the output is Python, TOML and Markdown, not HTML
    )


def render_plugin(name: str, folder: str | Path | None = None, force: bool = False) -> list[Path]:
    """Write the plugin ``automl-NAME`` into ``folder`` (default ``./automl-NAME``); return the files written.

    An existing folder that is not empty is refused unless ``force`` is true; then
    the generated files overwrite their namesakes and every other file is kept.
    """
    names = PluginNames.from_name(name)
    target = Path(folder) if folder is not None else default_folder(name)
    _check_target(target, force)
    env = _environment()
    context = asdict(names)
    rendered = []
    for template_name in sorted(env.list_templates()):
        if not template_name.endswith(TEMPLATE_SUFFIX):
            continue
        relative = env.from_string(template_name[: -len(TEMPLATE_SUFFIX)]).render(context)
        rendered.append((target / relative, env.get_template(template_name).render(context)))
    written = []
    for path, text in rendered:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _check_target(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise UserError(f"{target} exists and is a file; choose another folder with --dir")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UserError(
            f"folder {target} already exists and is not empty; choose another with --dir, "
            "or pass --force to overwrite the generated files in it"
        )
