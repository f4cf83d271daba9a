"""Tables for report sections, escaped once and the same way everywhere.

HTML cells go through ``html.escape``. Markdown cells escape Markdown syntax
(links, images, emphasis, ``|``, control characters: :func:`automl.markdown.escape_inline`);
tags and entities are backslash-escaped once, when the report prints the
plugin's whole section (:func:`automl.markdown.plugin_markdown`), so a
cell is never escaped twice.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any


def markdown_cell(value: Any) -> str:
    """A cell of a plugin's Markdown table: reads as written, cannot end the cell or the row."""
    from automl.markdown import escape_inline

    return escape_inline(value)


def markdown_table(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(markdown_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(markdown_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def html_table(header: Sequence[Any], rows: Sequence[Sequence[Any]], css_id: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    ident = f' id="{html.escape(css_id, quote=True)}"' if css_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
