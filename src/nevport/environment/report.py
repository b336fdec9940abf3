"""The monthly compliance report as an Excel workbook (the HTML page renders the same rows).

Column titles come from the caller, already translated, so the workbook is in the
reader's language like the page it is downloaded from.
"""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from nevport.environment.dashboard import EnterpriseFigures
from nevport.environment.events import Grade

COLUMNS = (
    "enterprise",
    "facilities",
    "online_rate",
    "compliance_rate",
    "days",
    "days_with_events",
    "blue",
    "yellow",
    "red",
    "exempted",
    "closed",
    "open",
    "overdue",
)
PERCENT = "0.0%"


def row_values(row: EnterpriseFigures, name: str) -> list[object]:
    return [
        name,
        row.facilities,
        row.online_rate,
        row.compliance_rate,
        row.days,
        row.days_with_events,
        *(row.raised[grade.value] for grade in Grade),
        row.exempted,
        row.closed,
        row.open,
        row.overdue,
    ]


def workbook(
    title: str, headers: dict[str, str], rows: list[EnterpriseFigures], names: list[str]
) -> bytes:
    """``headers`` maps each of ``COLUMNS`` to its title; ``names`` align with ``rows``."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = title[:31]  # Excel's limit on sheet names
    sheet.append([headers[column] for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row, name in zip(rows, names, strict=True):
        sheet.append(row_values(row, name))
    for column in ("online_rate", "compliance_rate"):
        letter = get_column_letter(COLUMNS.index(column) + 1)
        for cell in sheet[letter][1:]:
            cell.number_format = PERCENT
    sheet.column_dimensions["A"].width = 36
    sheet.freeze_panes = "B2"
    out = BytesIO()
    book.save(out)
    return out.getvalue()
