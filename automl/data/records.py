"""Rows parsed against the lines of the file: no line may vanish into a quoted field unnoticed.

A quote character opens a quoted field only at the start of a field, and the
field runs to the next closing quote, across line breaks. In a CSV written by
a program that is how a text with a line break is stored. In a hand-made or
exported TSV it is usually an accident: an SMS that starts with ``"the cave"``
swallows the lines after it until the next quote, and 5,574 messages become
5,572 rows without a word.

A quoted field followed by more text (``"the cave" was nice``) is another
accident: pandas drops its quotes. So, when any record spans several lines or
any field opens with a quote without being one quoted field, the lines are
read a second way, with quotes as plain text (``csv.QUOTE_NONE``):

- if that gives every line the header's number of fields (and the header has
  two or more), that is the reading that keeps every line as written, and it
  is used, with a note;
- else, if a merged record has the wrong number of fields, or is made of
  lines that each have the header's number of fields on their own, the
  quotes are broken: one error line names those line numbers;
- else the line breaks are real, inside quoted fields, and a note counts the
  rows that span several lines.
"""

from __future__ import annotations

import csv
import re
import sys
from array import array
from dataclasses import dataclass
from pathlib import Path

from automl.errors import UserError

SHOWN_SPANS = 3
_QUOTED_FIELD = re.compile(r'"(?:[^"]|"")*"')


@dataclass(frozen=True)
class Reading:
    """How to read the file (``quoting`` for pandas), the rows it must give, and what to tell the user."""

    quoting: int = csv.QUOTE_MINIMAL
    rows: int | None = None  # the data rows a reading with quotes as text must give
    note: str | None = None


@dataclass(frozen=True)
class _Lines:
    widths: array  # fields per physical line with quotes as text; 0 for a blank line
    quoted: bool  # whether any line holds a quote character
    irregular: list[int]  # lines with a field that opens with a quote but is not one quoted field


def check_quotes(path: Path, codec: str, delimiter: str) -> Reading:
    """The reading that keeps every line of ``path``, or a one-line UserError naming the merged lines."""
    if not _has_quote_byte(path):  # the common case, decided at the speed of reading the file
        return Reading()
    lines = _physical_lines(path, codec, delimiter)
    if not lines.quoted:
        return Reading()
    fields_in_header, records = _record_spans(path, codec, delimiter)
    spans = [(a, b) for a, b, _ in records]
    if not spans and not lines.irregular:
        return Reading()
    widths = lines.widths
    present = [w for w in widths if w]
    header = present[0] if present else 0
    if header >= 2 and all(w == header for w in present):
        if spans:
            what = f"would merge lines {_describe(spans)} into {len(spans)} row(s)"
        else:
            what = f"would be dropped from fields such as line {lines.irregular[0]}'s"
        return Reading(
            csv.QUOTE_NONE,
            rows=len(present) - 1,
            note=(f"quote characters in {path} {what}; they were read as plain text, so that each of its "
                  f"{len(present) - 1:,} data lines is one row, as written"),
        )
    # the header's fields as the csv module reads them: a quoted column name may itself hold a line break
    width = fields_in_header or header
    broken = [
        (a, b) for a, b, fields in records
        if width >= 2 and (fields != width or all(widths[i - 1] in (0, width) for i in range(a, b + 1)))
    ]
    if broken:
        raise UserError(
            f"quote characters in {path} merge lines {_describe(broken)} into {len(broken)} row(s), although each "
            "of those lines looks like a row of its own; close every quoted field, write a quote inside one as \"\", "
            "or remove the stray quotes"
        )
    if not spans:
        return Reading()
    return Reading(note=f"{len(spans):,} rows of {path} span several lines (line breaks inside quoted "
                        f"fields, e.g. lines {_describe(spans)})")


def _has_quote_byte(path: Path) -> bool:
    """Whether byte 0x22 occurs: a quote in every encoding read here (no multi-byte one uses it inside a character)."""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            if b'"' in chunk:
                return True
    return False


def _physical_lines(path: Path, codec: str, delimiter: str) -> _Lines:
    widths = array("l")
    quoted = False
    irregular: list[int] = []
    with path.open(encoding=codec, newline="") as handle:  # newline="": \r, \n and \r\n all end a line
        for number, line in enumerate(handle, start=1):
            text = line.rstrip("\r\n").lstrip("\ufeff")
            if '"' in text:
                quoted = True
                if len(irregular) < SHOWN_SPANS and _irregular(text, delimiter):
                    irregular.append(number)
            blank = not text.strip() and delimiter not in text  # as pandas skips it
            widths.append(0 if blank else text.count(delimiter) + 1)
    return _Lines(widths, quoted, irregular)


def _irregular(line: str, delimiter: str) -> bool:
    """Whether a field opens with a quote without being one quoted field (``"the cave" was nice``).

    pandas reads such a field as ``the cave was nice``: the quotes vanish.
    """
    for field in line.split(delimiter):
        field = field.strip(" ")
        if field.startswith('"') and not _QUOTED_FIELD.fullmatch(field):
            return True
    return False


def _record_spans(path: Path, codec: str, delimiter: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The header's field count, and ``(first line, last line, fields)`` of every record that spans several lines,
    as the csv module reads them (``0, []`` when it cannot follow the file)."""
    spans: list[tuple[int, int, int]] = []
    fields_in_header = 0
    previous = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize // 2)  # a stray quote may make one field of the rest of the file
    try:
        with path.open(encoding=codec, newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter, skipinitialspace=True, strict=False)
            end = 0
            for row in reader:
                start, end = end + 1, reader.line_num
                if not fields_in_header and any(row):
                    fields_in_header = len(row)
                if end > start and any(row):
                    spans.append((start, end, len(row)))
    except csv.Error:
        return 0, []  # the csv module cannot follow this file; pandas' own reading stands
    finally:
        csv.field_size_limit(previous)
    return fields_in_header, spans


def _describe(spans: list[tuple[int, int]]) -> str:
    shown = ", ".join(f"{a}-{b}" for a, b in spans[:SHOWN_SPANS])
    return shown + (f" and {len(spans) - SHOWN_SPANS} more" if len(spans) > SHOWN_SPANS else "")
