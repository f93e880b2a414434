"""A report's tables as files: one CSV per table, or one XLSX workbook with a sheet per table
(openpyxl). Numbers stay numbers (durations in whole seconds, shares from 0 to 1); nothing measured
is an empty cell. File names carry the office and the period: `okienko-demo-2026-W49-services.csv`,
`okienko-demo-2026-12.xlsx`.
"""

from __future__ import annotations

import csv
import io
import re

from okienko.stats.period import Period
from okienko.stats.tables import Table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_name(office_code: str, period: Period, table: str | None, extension: str) -> str:
    """`okienko-<office>-<period>[-<table>].<extension>`, safe in a Content-Disposition header."""
    office = re.sub(r"[^A-Za-z0-9_-]", "_", office_code)
    return f"okienko-{office}-{period.name}{'-' + table if table else ''}.{extension}"


def table_csv(table: Table) -> str:
    """The table as CSV: its column keys as the header (stable for scripts), then its rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.key for column in table.columns])
    for row in table.rows:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue()


def workbook(tables: list[Table], heading: str) -> bytes:
    """Every table on a sheet of its own (named by its key): the heading, the translated column
    labels, the column keys, the rows; numbers written as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.key[:31])
        sheet.append([f"{heading}: {table.title}"])
        sheet["A1"].font = Font(bold=True)
        sheet.append(list(table.labels))
        sheet.append([column.key for column in table.columns])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        for index, column in enumerate(table.columns, start=1):
            if column.kind == "share":
                for (cell,) in sheet.iter_rows(min_row=4, min_col=index, max_col=index):
                    cell.number_format = "0.0%"
        sheet.freeze_panes = "A4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
