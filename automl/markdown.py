"""Markdown that shows user text as written: escaped by construction, never trusted by default.

report.md, the comparison's Markdown and ``automl leaderboard --format md``
print column names, class labels, file and run folder names. In Markdown
``[x](javascript:...)`` is a link, ``![](http://...)`` an image a viewer
fetches, ``<b>`` raw HTML, ``**x**`` emphasis. Every value is therefore
escaped (:func:`escape`) unless it is :class:`Markdown`, which only automl's
own code makes:

- :func:`escape` backslash-escapes the characters that start links, images,
  emphasis, code, tables, strikethrough or maths, and the block markers a
  value could start a line with; a ``<`` that could open a tag or an autolink
  and a ``&`` that could spell an entity are backslash-escaped too (never turned
  into entities: ``>50K`` reads ``>50K``, in a viewer and in ``cat report.md``);
  and control characters become visible escapes (:func:`automl.terminal.printable`),
  so a newline can never start a new block and ``cat report.md`` obeys nothing;
- :func:`plugin_markdown` takes a plugin's section, which is Markdown on
  purpose (tables, bold), and keeps its formatting but makes every ``[`` and
  ``]`` literal and every tag and entity text: no link, image or HTML can come
  from a section, whatever the plugin forgot to escape;
- :func:`code_block` and :func:`code_span` hold text verbatim (the reproduce
  command, pasteable) behind a fence longer than any backtick run in it.

Backslash escapes are CommonMark's (GitHub, GitLab, markdown-it, VS Code):
a backslash before ``<`` shows it as ``<``, so no HTML entity ever reaches the file.
"""

from __future__ import annotations

import re
from typing import Any

from automl.terminal import printable, printable_lines


class Markdown(str):
    """Text that is already Markdown, safe to print as it is (made only by this module's functions)."""

    __slots__ = ()


# Always escaped: the backslash itself, code, emphasis, links and images, tables, strikethrough, maths.
_ALWAYS = re.compile(r"([\\`*\[\]|~$])")
# '_' opens emphasis only at a word's edge: 'snake_case' stays readable, '_x_' and '__x' are escaped.
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# What makes a line a heading, a list item, a quote or a rule when a value starts it.
_BLOCK_START = re.compile(r"^(\s*)(#|[-+=](?=\s|$|[-+=]*$)|\d{1,9}(?=[.)](?:\s|$)))")
_UNESCAPED_BRACKET = re.compile(r"(?<!\\)((?:\\\\)*)([\[\]])")
# What could start raw HTML or an autolink ('<' then a letter, '/', '!' or '?') or an entity ('&name;', '&#1;'),
# unless a backslash already escapes it (an odd number of backslashes before it).
_HTML_START = re.compile(r"(?<!\\)((?:\\\\)*)(<(?=[A-Za-z/!?])|&(?=#?[A-Za-z0-9]+;))")


def no_html(text: str) -> str:
    """Every tag, autolink and entity in ``text`` made literal with a backslash: shown as written, never as
    HTML, and without HTML entities (``>50K`` and ``R&D`` stay as they are)."""
    return _HTML_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def escape_inline(value: Any) -> str:
    """``value`` on one line with its Markdown syntax escaped, but not its tags: for tables a plugin
    builds, whose whole Markdown later goes through :func:`plugin_markdown` (which escapes them)."""
    text = printable(value)
    text = _ALWAYS.sub(r"\\\1", text)
    text = _EDGE_UNDERSCORE.sub(r"\\_", text)
    match = _BLOCK_START.match(text)
    if match:
        marker = match.group(2)
        text = text[: match.start(2)] + ("\\" + marker if not marker[0].isdigit()
                                        else marker + "\\") + text[match.end(2):]
    return text


def escape(value: Any) -> Markdown:
    """Any value as Markdown text that reads exactly as written: no link, image, tag, emphasis or block."""
    if isinstance(value, Markdown):
        return value
    return Markdown(no_html(escape_inline(value)))


def cell(value: Any) -> Markdown:
    """A table cell: :func:`escape` (``|`` is escaped there too)."""
    return escape(value)


def finalize(value: Any) -> Any:
    """Jinja2's ``finalize`` for Markdown templates: every printed value is escaped unless it is Markdown."""
    if isinstance(value, Markdown) or value is None or isinstance(value, bool | int | float):
        return value
    return escape(value)


def plugin_markdown(text: Any) -> Markdown:
    """A plugin's section: its own Markdown kept, but no link, image, raw HTML or control character."""
    if isinstance(text, Markdown):
        return text
    text = no_html(printable_lines(text))
    return Markdown(_UNESCAPED_BRACKET.sub(lambda m: m.group(1) + "\\" + m.group(2), text))


def _fence(text: str, least: int) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(least, longest + 1)


def code_block(value: Any, info: str = "") -> Markdown:
    """``value`` verbatim in a fenced code block no line of it can close (control characters escaped)."""
    text = printable_lines(value)
    fence = _fence(text, 3)
    return Markdown(f"{fence}{info}\n{text}\n{fence}")


def code_span(value: Any) -> Markdown:
    """``value`` verbatim in an inline code span (on one line; control characters escaped)."""
    text = printable(value)
    fence = _fence(text, 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return Markdown(f"{fence}{pad}{text}{pad}{fence}")
