"""CSV that spreadsheets cannot run: every CSV the project writes goes through `writer`.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (CSV injection, OWASP). `neutralise` prefixes such a cell with a
single quote, which spreadsheets show as text. A cell that already starts with a quote gets one
more, so `restore` (for importers reading our own files back) strips exactly one quote and a
round trip gives back every value, `-2` and `'quoted` included.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: str) -> str:
    """The cell as a spreadsheet shows it as text: a quote before a formula start (or a quote)."""
    return QUOTE + value if value.startswith((*FORMULA_STARTS, QUOTE)) else value


def restore(value: str) -> str:
    """The inverse of `neutralise`: one leading quote goes, if `neutralise` could have added it.

    A quote before anything else is the value's own (a hand-written `'Twas`), and stays."""
    if value.startswith(QUOTE) and value[1:].startswith((*FORMULA_STARTS, QUOTE)):
        return value[1:]
    return value


class _Writable(Protocol):
    def write(self, s: str, /) -> Any: ...


class SafeWriter:
    """`csv.writer` whose every cell is neutralised; non-strings are written with `str()`.

    Python 3.11's writer quotes a cell holding a line break only if the break is in its
    `lineterminator`: with `"\n"`, a bare `"\r"` goes out unquoted and a spreadsheet starts a
    new row there, whose first cell nothing neutralised. Such rows are written fully quoted."""

    def __init__(self, stream: _Writable, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)
        self._quoted = csv.writer(stream, **{**options, "quoting": csv.QUOTE_ALL})

    def writerow(self, row: Iterable[object]) -> None:
        cells = [neutralise("" if cell is None else str(cell)) for cell in row]
        breaks = any("\r" in cell or "\n" in cell for cell in cells)
        (self._quoted if breaks else self._writer).writerow(cells)

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: _Writable, **options: Any) -> SafeWriter:
    """A CSV writer (same options as `csv.writer`) that never writes a live formula."""
    return SafeWriter(stream, **options)
