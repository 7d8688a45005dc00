"""Exports as spreadsheets: CSV with an HXL hashtag row, or with XLSForm choice names.

National databases take XLSForm-shaped sheets (a row of field names, then
choice *names*); humanitarian clusters take CSV whose second row holds HXL
hashtags. Both are written from one list of columns, each a tuple of
(key, header, HXL hashtag, XLSForm name).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable

# A spreadsheet runs a cell that starts like this as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Return ``value``, with text that would start a formula kept as text."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def write_csv(
    columns: list[tuple[str, str, str, str]],
    rows: Iterable[dict],
    kind: str,
    cell: Callable[[dict, str], object] = lambda row, key: row.get(key, ""),
    *,
    as_typed: frozenset[str] = frozenset(),
) -> str:
    """Return the rows as CSV: ``kind`` "csv" has headers and HXL tags, else XLSForm names.

    Cells that could start a formula are kept as text, except in the columns
    ``as_typed``, whose values were checked to hold no formula (phone numbers).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if kind == "csv":
        writer.writerow([header for _key, header, _hxl, _xls in columns])
        writer.writerow([hxl for _key, _header, hxl, _xls in columns])
    else:
        writer.writerow([xls for _key, _header, _hxl, xls in columns])
    for row in rows:
        writer.writerow(
            [
                cell(row, key) if key in as_typed else spreadsheet_safe(cell(row, key))
                for key, _h, _hxl, _xls in columns
            ]
        )
    return buffer.getvalue()
