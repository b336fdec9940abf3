"""Water reuse and PV self-consumption of an enterprise, from energy-center counters.

* reclaimed-water reuse ratio = reclaimed / (fresh + reclaimed) water used [m3/m3];
* PV self-consumption ratio = (generated - exported) / generated [kWh/kWh];
* PV share of consumption = (generated - exported) / (imported + generated - exported).

Each role may name several channels (their totals add up). Totals come from
``nevport.energy.service.energy_series`` day buckets; a day without data is skipped and
counted in ``missing_days``, never read as zero, so a ratio over a gap says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nevport.auth.service import Principal
from nevport.energy import service as energy
from nevport.energy.intervals import Resolution
from nevport.environment.access import require_configurer, require_reader
from nevport.environment.models import EnvResourceChannel, ResourceRole
from nevport.environment.schemas import ResourceChannelsIn, ResourcesOut
from nevport.environment.source import SITE_ZONE
from nevport.errors import InvalidInput


def set_channels(
    session: Session, principal: Principal, enterprise_id: int, body: ResourceChannelsIn
) -> dict[ResourceRole, list[int]]:
    """Replace the enterprise's role -> channels map; each channel must be its own counter."""
    require_configurer(principal, enterprise_id)
    for role, channel_ids in body.channels.items():
        for channel_id in channel_ids:
            channel = energy.get_channel(session, enterprise_id, channel_id)  # its own only
            if not channel.quantity.is_counter:
                raise InvalidInput(
                    f"channel {channel_id} measures {channel.quantity.value}, not a counter",
                    field=f"channels.{role.value}",
                )
    session.execute(
        delete(EnvResourceChannel).where(EnvResourceChannel.enterprise_id == enterprise_id)
    )
    for role, channel_ids in body.channels.items():
        for channel_id in sorted(set(channel_ids)):
            session.add(
                EnvResourceChannel(
                    enterprise_id=enterprise_id,
                    role=role,
                    channel_id=channel_id,
                    created_by_id=principal.user_id,
                )
            )
    session.flush()
    return channels_of(session, enterprise_id)


def channels_of(session: Session, enterprise_id: int) -> dict[ResourceRole, list[int]]:
    rows = session.scalars(
        select(EnvResourceChannel)
        .where(EnvResourceChannel.enterprise_id == enterprise_id)
        .order_by(EnvResourceChannel.channel_id)
    )
    out: dict[ResourceRole, list[int]] = {}
    for row in rows:
        out.setdefault(row.role, []).append(row.channel_id)
    return out


def _total(
    session: Session, enterprise_id: int, channel_ids: list[int], start: datetime, end: datetime
) -> tuple[Decimal | None, int]:
    """Sum over the channels of their day totals, and how many channel-days had no data."""
    total, missing = Decimal(0), 0
    for channel_id in channel_ids:
        series = energy.energy_series(
            session, enterprise_id, channel_id, start, end, Resolution.day, SITE_ZONE
        )
        for point in series.points:
            if point.value is None:
                missing += 1
            else:
                total += point.value
    return (total if channel_ids else None), missing


def _ratio(part: Decimal | None, whole: Decimal | None) -> float | None:
    if part is None or whole is None or whole <= 0:
        return None
    return float(part / whole)


def resources(
    session: Session, principal: Principal, enterprise_id: int, start: datetime, end: datetime
) -> ResourcesOut:
    require_reader(principal, enterprise_id)
    roles = channels_of(session, enterprise_id)
    totals: dict[ResourceRole, Decimal | None] = {}
    missing = 0
    for role in ResourceRole:
        totals[role], gaps = _total(session, enterprise_id, roles.get(role, []), start, end)
        missing += gaps
    fresh, reclaimed = totals[ResourceRole.fresh_water], totals[ResourceRole.reclaimed_water]
    generated = totals[ResourceRole.pv_generation]
    exported = totals[ResourceRole.grid_export] or Decimal(0)
    imported = totals[ResourceRole.grid_import]
    used_pv = None if generated is None else generated - exported
    water = None if fresh is None or reclaimed is None else fresh + reclaimed
    consumed = None if imported is None or used_pv is None else imported + used_pv
    return ResourcesOut(
        start=start,
        end=end,
        fresh_water_m3=fresh,
        reclaimed_water_m3=reclaimed,
        pv_generated_kwh=generated,
        grid_export_kwh=totals[ResourceRole.grid_export],
        grid_import_kwh=imported,
        reuse_ratio=_ratio(reclaimed, water),
        pv_self_consumption=_ratio(used_pv, generated),
        pv_share=_ratio(used_pv, consumed),
        missing_days=missing,
    )


@dataclass(frozen=True)
class DayRatios:
    """One park day's ratios [0..1]; None where a counter has no data that day."""

    day: date
    reuse_ratio: float | None
    pv_self_consumption: float | None


def _by_day(
    session: Session, enterprise_id: int, channel_ids: list[int], start: datetime, end: datetime
) -> dict[date, Decimal | None]:
    """Per park day, the channels' summed totals; None where one of them has no data."""
    out: dict[date, Decimal | None] = {}
    for channel_id in channel_ids:
        series = energy.energy_series(
            session, enterprise_id, channel_id, start, end, Resolution.day, SITE_ZONE
        )
        for point in series.points:
            day = point.start.astimezone(SITE_ZONE).date()
            before = out.get(day, Decimal(0))
            out[day] = None if before is None or point.value is None else before + point.value
    return out


def daily(
    session: Session, principal: Principal, enterprise_id: int, start: datetime, end: datetime
) -> list[DayRatios]:
    """The reuse and PV self-consumption ratios of each park day in [start, end), for the
    enterprise page's chart (same definitions as ``resources``)."""
    require_reader(principal, enterprise_id)
    roles = channels_of(session, enterprise_id)
    fresh, reclaimed, generated, exported = (
        _by_day(session, enterprise_id, roles.get(role, []), start, end)
        for role in (
            ResourceRole.fresh_water,
            ResourceRole.reclaimed_water,
            ResourceRole.pv_generation,
            ResourceRole.grid_export,
        )
    )
    days = sorted({*fresh, *reclaimed, *generated})
    out = []
    for day in days:
        f, r = fresh.get(day), reclaimed.get(day)
        water = None if f is None or r is None else f + r
        pv = generated.get(day)
        export = exported.get(day, Decimal(0)) if roles.get(ResourceRole.grid_export) else 0
        used = None if pv is None or export is None else pv - export
        out.append(DayRatios(day, _ratio(r, water), _ratio(used, pv)))
    return out
