"""A report section as data: a plugin describes it once, the core renders its HTML and its Markdown.

A plugin used to write each section twice, as an HTML string and as Markdown
lines, escaping every value by hand in both; a value it forgot to escape became
markup in report.html. Now it returns a :class:`Section` of blocks:

- :class:`Paragraph` and :class:`Heading`: plain text;
- :class:`Table`: a header and rows of cells (text, numbers, :class:`Strong`
  text or :class:`Lines` for a cell of several lines or an ordered list);
- :class:`Figures`: charts drawn by :mod:`automl.report.charts` (their SVG is
  Matplotlib's, whose writer escapes every label); the Markdown file holds
  their captions;
- :class:`ImageGrid`: thumbnails (``data:`` URIs of images the plugin encoded)
  in labelled rows or as captioned cells, and a :class:`Table` that says the
  same in the Markdown file.

Every text is escaped here, for HTML with :func:`html.escape` and for Markdown
with :func:`automl.markdown.escape`: no value from the data can become a tag,
a link or an image, whatever the plugin does. A section of a task's own
(``TaskSpec.report``) is asked for only for runs of that task.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from automl.markdown import Markdown, cell, escape
from automl.report.charts import Chart, figure_html


@dataclass(frozen=True)
class Strong:
    """Text shown in bold (a hit in a list of recommendations)."""

    text: str


@dataclass(frozen=True)
class Lines:
    """A table cell of several lines, or an ordered list (a ranking); in Markdown, one line joined by commas."""

    items: Sequence[str | Strong]
    ordered: bool = False


Cell = str | int | float | Strong | Lines


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text; ``note`` marks an aside (a reason something is missing)."""

    text: str
    note: bool = False


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside the section (the section's own title is its :attr:`Section.title`)."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table. ``numeric`` lists the columns aligned as numbers; ``collapsed`` folds the table in the HTML
    page under that summary line (when a chart above already shows it); ``css_id`` names it for tests and CSS."""

    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    css_id: str | None = None
    numeric: Sequence[int] = ()
    collapsed: str | None = None


@dataclass(frozen=True)
class Figures:
    """Charts side by side; the Markdown file, which holds no image, gets their captions."""

    charts: Sequence[Chart]


@dataclass(frozen=True)
class Thumbnail:
    """One image: ``uri`` a ``data:image/...;base64,`` URI (None: the file is gone), ``name`` its file name,
    ``lines`` shown under it."""

    uri: str | None
    name: str
    lines: Sequence[str] = ()


@dataclass(frozen=True)
class ImageGroup:
    """A row of thumbnails under a label (a class), or, without a label, thumbnails each with its lines."""

    label: str | None
    images: Sequence[Thumbnail]


@dataclass(frozen=True)
class ImageGrid:
    """Thumbnails in a figure named ``name``; ``text`` is the same content as a table, for the Markdown file."""

    name: str
    caption: str
    groups: Sequence[ImageGroup]
    text: Table


Block = Paragraph | Heading | Table | Figures | ImageGrid


@dataclass(frozen=True)
class Section:
    """A titled part of the report, as blocks; :meth:`html` and :meth:`markdown` render it, escaped."""

    title: str
    blocks: Sequence[Block] = field(default_factory=tuple)

    def html(self) -> str:
        return "".join(_html(block) for block in self.blocks)

    def markdown(self) -> Markdown:
        parts = [_markdown(block) for block in self.blocks]
        return Markdown("\n\n".join(part for part in parts if part))


def note_section(title: str, text: str) -> Section:
    """A section that only says why it has nothing (or nothing more) to show."""
    return Section(title, (Paragraph(text, note=True),))


# -- HTML ---------------------------------------------------------------------------------------------
_DATA_URI = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}")
THUMBNAIL_PX = 88  # shown size; the plugin encodes a few more pixels, so a thumbnail stays sharp
_THUMB_STYLE = (f"width:{THUMBNAIL_PX}px;height:{THUMBNAIL_PX}px;object-fit:contain;display:inline-block;"
                "image-rendering:pixelated;border:1px solid #e2e8f0;background:#fff")


def _html(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p class='note'>{html.escape(block.text)}</p>" if block.note else f"<p>{html.escape(block.text)}</p>"
    if isinstance(block, Heading):
        return f"<h3>{html.escape(block.text)}</h3>"
    if isinstance(block, Table):
        return _html_table(block)
    if isinstance(block, Figures):
        return "<div class='charts'>" + "".join(figure_html(c.name, c.svg, c.caption) for c in block.charts) + "</div>"
    if isinstance(block, ImageGrid):
        return _html_grid(block)
    raise TypeError(f"a report section holds {type(block).__name__}, which is not a block of automl.report.document")


def _html_inline(value: Cell) -> str:
    if isinstance(value, Strong):
        return f"<strong>{html.escape(value.text)}</strong>"
    if isinstance(value, Lines):
        if value.ordered:
            items = "".join(f"<li>{_html_inline(item)}</li>" for item in value.items)
            return f'<ol style="margin:0;padding-left:1.6em">{items}</ol>'
        return "<br>".join(_html_inline(item) for item in value.items) or "–"
    return html.escape(str(value))


def _html_table(table: Table) -> str:
    def attrs(column: int) -> str:
        return " class='num'" if column in table.numeric else ""

    head = "".join(f"<th{attrs(i)}>{html.escape(str(h))}</th>" for i, h in enumerate(table.header))
    body = "".join("<tr>" + "".join(f"<td{attrs(i)}>{_html_inline(v)}</td>" for i, v in enumerate(row)) + "</tr>"
                   for row in table.rows)
    ident = f' id="{html.escape(table.css_id, quote=True)}"' if table.css_id else ""
    markup = f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if table.collapsed:
        return f"<details><summary>{html.escape(table.collapsed)}</summary>{markup}</details>"
    return markup


def _html_image(image: Thumbnail) -> str:
    name = html.escape(image.name, quote=True)
    if image.uri is None or not _DATA_URI.fullmatch(image.uri):  # only an image the plugin encoded, never a URL
        return f'<span style="{_THUMB_STYLE};font-size:.7em;overflow:hidden" title="{name}">missing</span>'
    return (f'<img src="{image.uri}" alt="{name}" title="{name}" width="{THUMBNAIL_PX}" height="{THUMBNAIL_PX}" '
            f'loading="eager" style="{_THUMB_STYLE}">')


def _html_group(group: ImageGroup) -> str:
    if group.label is not None:
        thumbs = "".join(_html_image(image) for image in group.images) or "<em>no image</em>"
        return ('<div style="display:flex;align-items:center;gap:6px;margin:3px 0">'
                f'<div style="width:10em;flex:none;font-weight:600;overflow-wrap:anywhere">'
                f"{html.escape(group.label)}</div>"
                f'<div style="display:flex;gap:4px;flex-wrap:wrap">{thumbs}</div></div>')
    cells = []
    for image in group.images:
        lines = "".join(f'<div style="font-size:.75em;overflow-wrap:anywhere">{html.escape(line)}</div>'
                        for line in image.lines)
        cells.append(f'<div style="display:inline-block;width:{THUMBNAIL_PX + 32}px;vertical-align:top;margin:4px">'
                     f"{_html_image(image)}{lines}</div>")
    return "".join(cells)


def _html_grid(grid: ImageGrid) -> str:
    inner = "".join(_html_group(group) for group in grid.groups)
    return figure_html(grid.name, f'<div style="min-height:80px">{inner}</div>', grid.caption)


# -- Markdown -----------------------------------------------------------------------------------------
def _markdown(block: Block) -> str:
    if isinstance(block, Paragraph):
        return escape(block.text)
    if isinstance(block, Heading):
        return f"**{escape(block.text)}**"
    if isinstance(block, Table):
        return _markdown_table(block)
    if isinstance(block, Figures):
        return "\n\n".join(escape(c.caption) for c in block.charts if c.caption)
    if isinstance(block, ImageGrid):
        caption = escape(block.caption) if block.caption else ""
        return "\n\n".join(part for part in (caption, _markdown(block.text)) if part)
    raise TypeError(f"a report section holds {type(block).__name__}, which is not a block of automl.report.document")


def _markdown_table(table: Table) -> str:
    rule = "|" + "".join("---:|" if i in table.numeric else "---|" for i in range(len(table.header)))
    lines = ["| " + " | ".join(cell(h) for h in table.header) + " |", rule]
    lines += ["| " + " | ".join(_markdown_inline(v) for v in row) + " |" for row in table.rows]
    return "\n".join(lines)


def _markdown_inline(value: Cell) -> Markdown:
    if isinstance(value, Strong):
        return Markdown(f"**{escape(value.text)}**")
    if isinstance(value, Lines):
        return Markdown(", ".join(_markdown_inline(item) for item in value.items) or "–")
    return cell(value)
