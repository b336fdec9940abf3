"""Daily and monthly energy reports, per enterprise and for the park, as rows and as .xlsx.

Figures come from the stored intervals: energy from hourly intervals (exact decimals),
peak demand from the root meters' 15-minute intervals (kWh x 4 = mean kW over the
quarter, the demand a utility bills on). Days and months are cut in the site's zone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.energy import monitor
from nevport.energy.intervals import Resolution
from nevport.energy.models import Channel, Meter, MeterLevel
from nevport.errors import InvalidInput

Period = Literal["day", "month"]
KWH = Decimal("0.001")  # reports show energy to the watt-hour
PCT = Decimal("0.1")


def span(period: Period, when: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC [start, end) of the local day ``YYYY-MM-DD`` or month ``YYYY-MM``."""
    try:
        if period == "day":
            first = date.fromisoformat(when)
            last = first + timedelta(days=1)
        else:
            year, month = (int(p) for p in when.split("-"))
            first = date(year, month, 1)
            last = date(year + month // 12, month % 12 + 1, 1)
    except ValueError:
        shape = "YYYY-MM-DD" if period == "day" else "YYYY-MM"
        raise InvalidInput(f"{period} {when!r} is not {shape}", field="date") from None
    return monitor.day_start(first, zone), monitor.day_start(last, zone)


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    level: str
    depth: int
    energy: Decimal | None  # [kWh]
    share: Decimal | None  # [%] of the enterprise total (root meters)
    loss: Decimal | None  # [%] parent minus children, of the parent


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    total: Decimal | None  # [kWh] root meters
    peak_kw: Decimal | None  # highest 15-minute mean demand of the root meters
    peak_at: datetime | None
    rows: list[Row]


def _peak(
    session: Session, channels: list[int], lo: datetime, hi: datetime
) -> tuple[Decimal | None, datetime | None]:
    sums = monitor._sums(session, channels, Resolution.quarter, lo, hi)
    if not sums:
        return None, None
    at = max(sums, key=lambda k: sums[k])
    return (sums[at] * monitor.QUARTERS_PER_HOUR).quantize(KWH), at


def enterprise_report(
    session: Session, enterprise_id: int, period: Period, when: str, zone: ZoneInfo
) -> Report:
    lo, hi = span(period, when, zone)
    tree = monitor.meter_tree(session, enterprise_id, lo, hi)
    root_values = [
        n.energy
        for n in tree
        if n.depth == 0 and n.energy is not None and n.meter.level is not MeterLevel.virtual
    ]
    total = sum(root_values, Decimal(0)) if root_values else None
    rows = [
        Row(
            n.meter.code,
            n.meter.name,
            n.meter.level.value,
            n.depth,
            None if n.energy is None else n.energy.quantize(KWH),
            (n.energy / total * 100).quantize(PCT) if total and n.energy is not None else None,
            n.loss_pct,
        )
        for n in tree
    ]
    roots = [m.energy for m in monitor.roots(monitor.meters(session, enterprise_id)) if m.energy]
    peak, at = _peak(session, roots, lo, hi)
    return Report(lo, hi, None if total is None else total.quantize(KWH), peak, at, rows)


@dataclass(frozen=True)
class ParkRow:
    enterprise_id: int
    total: Decimal | None  # [kWh]
    peak_kw: Decimal | None
    meters: int


def park_report(
    session: Session, enterprise_ids: list[int], period: Period, when: str, zone: ZoneInfo
) -> list[ParkRow]:
    """One row per enterprise that has meters, in the order given."""
    lo, hi = span(period, when, zone)
    metered = set(
        session.scalars(
            select(Meter.enterprise_id).where(Meter.enterprise_id.in_(enterprise_ids)).distinct()
        )
    )
    out = []
    for enterprise_id in enterprise_ids:
        if enterprise_id not in metered:
            continue
        rows = monitor.meters(session, enterprise_id)
        roots = [m.energy for m in monitor.roots(rows) if m.energy]
        energy = monitor.channel_energy(session, roots, lo, hi)
        total = sum(energy.values(), Decimal(0)).quantize(KWH) if energy else None
        peak, _ = _peak(session, roots, lo, hi)
        out.append(ParkRow(enterprise_id, total, peak, len(rows)))
    return out


def enterprises_with_meters(session: Session) -> set[int]:
    return set(session.scalars(select(Channel.enterprise_id).distinct()))


def workbook(title: str, headers: list[str], rows: list[list[object]]) -> bytes:
    """A one-sheet .xlsx: title, header row, data rows (Decimals as numbers)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "report"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    for index, column in enumerate(sheet.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(
            10, *(len(str(c.value or "")) + 2 for c in column[1:])
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
