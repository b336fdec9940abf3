"""Water and PV counters of the demo plants, for the reuse and self-consumption ratios.

Hourly cumulative readings of five counters, a pure function of time: water drawn and
reclaimed water reused while the lines run (the park reuses heat-exchange condensate and
graded treatment water, seed facts), a rooftop PV array with a daylight profile, and the
grid import and export that balance the plant's load against it. Values count from a
fixed origin, so a restarted demo continues each counter where it left off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from nevport.auth.service import Principal
from nevport.energy import service as energy
from nevport.energy.models import MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelCreate, MeterCreate, ReadingIn
from nevport.environment import resources
from nevport.environment.models import ResourceRole
from nevport.environment.schemas import ResourceChannelsIn
from nevport.environment.source import SITE_ZONE

ORIGIN = datetime(2026, 1, 1, tzinfo=SITE_ZONE)  # counters read 0 here
HOUR = timedelta(hours=1)
SHIFT_HOURS = range(8, 20)  # production 08:00-20:00, as the power model
LOAD_SHIFT_KWH = Decimal(81)  # [kWh/h] four facilities (~61 kW) plus building loads
LOAD_IDLE_KWH = Decimal(3)  # [kWh/h] nights and Sundays
# [kWh/h] a ~100 kWp rooftop array on a clear winter day in Tianjin, by local hour
PV_KWH = {8: 8, 9: 22, 10: 38, 11: 48, 12: 52, 13: 48, 14: 38, 15: 22, 16: 8}
FRESH_M3 = (Decimal(3), Decimal("0.3"))  # [m3/h] working, idle
RECLAIMED_M3 = (Decimal("1.2"), Decimal(0))  # [m3/h] working, idle
COUNTERS = (  # meter code, quantity, role
    ("ENV-W-FRESH", Quantity.water_volume, ResourceRole.fresh_water),
    ("ENV-W-REUSE", Quantity.water_volume, ResourceRole.reclaimed_water),
    ("ENV-PV", Quantity.pv_energy, ResourceRole.pv_generation),
    ("ENV-GRID-IN", Quantity.active_energy_import, ResourceRole.grid_import),
    ("ENV-GRID-OUT", Quantity.active_energy_export, ResourceRole.grid_export),
)


def _hour(local: datetime) -> tuple[Decimal, ...]:
    """Increments over the hour starting at ``local``, in ``COUNTERS`` order."""
    working = local.weekday() != 6 and local.hour in SHIFT_HOURS
    load = LOAD_SHIFT_KWH if working else LOAD_IDLE_KWH
    pv = Decimal(PV_KWH.get(local.hour, 0))
    used = min(pv, load)
    w = 0 if working else 1
    return (FRESH_M3[w], RECLAIMED_M3[w], pv, load - used, pv - used)


def counter_readings(start: datetime, end: datetime) -> list[ReadingIn]:
    """Each counter's value at every whole hour in [start, end)."""
    totals = [Decimal(0)] * len(COUNTERS)
    at = ORIGIN
    out: list[ReadingIn] = []
    while at < end:
        if at >= start:
            out += [
                ReadingIn(meter=code, quantity=quantity, ts=at.astimezone(UTC), value=total)
                for (code, quantity, _), total in zip(COUNTERS, totals, strict=True)
            ]
        totals = [a + b for a, b in zip(totals, _hour(at), strict=True)]
        at = (at.astimezone(UTC) + HOUR).astimezone(SITE_ZONE)
    return out


def install(session: Session, principal: Principal, enterprise_id: int) -> None:
    """The five meters and the enterprise's resource-channel map."""
    channels: dict[ResourceRole, list[int]] = {}
    for code, quantity, role in COUNTERS:
        meter = energy.create_meter(
            session,
            enterprise_id,
            MeterCreate(
                code=code,
                name=role.value,
                level=MeterLevel.incomer,
                channels=[ChannelCreate(quantity=quantity)],
                installed_at=ORIGIN,
            ),
        )
        channels[role] = [meter.channels[0].id]
    body = ResourceChannelsIn(channels=channels)
    resources.set_channels(session, principal, enterprise_id, body)
