"""How nevport writes facility status and electrical readings as HJ 212 data.

HJ 212-2017 gives the facility running-status field ``<facility>-RS`` (CN 2021, table
B.2: 0 off, 1 running, 2 calibration, 3 maintenance, 4 alarm, 5 back-blowing) and the
data flag ``<code>-Flag`` (N normal, F stopped, M maintenance, S set by hand, D fault,
C calibration, T over range, B communication fault). It gives no codes for power or
current, so nevport adds three per facility, documented in docs/environment/hj212.md:

* ``<facility>-Sta``: off 0 / standby 1 / running 2 (RS alone cannot tell standby);
* ``<facility>-Pt``: active power [kW, 3 decimals];
* ``<facility>-Ia``: phase-A current [A, 2 decimals].

A missing reading is written as ``<code>-Flag=B`` with no ``-Rtd``: never a 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from nevport.environment.hj212.packet import FLAG_VERSION_2017, Item, Packet
from nevport.environment.states import FacilityState

CN_REALTIME_DATA: Final = "2011"  # HJ 212-2017 table B.1: real-time data upload
CN_FACILITY_STATUS: Final = "2021"  # HJ 212-2017 table B.1: facility running status upload
ST_AIR_SOURCE: Final = "31"  # HJ 212-2017 table 5: atmospheric pollution source
# Wire times are local clock times (HJ 212-2017 6.3.2 uses the station's time).
WIRE_ZONE: Final = ZoneInfo("Asia/Shanghai")
W_PER_KW: Final = 1000.0

RS_OFF: Final = "0"
RS_RUNNING: Final = "1"
FLAG_NORMAL: Final = "N"
FLAG_STOPPED: Final = "F"
FLAG_COMM_FAULT: Final = "B"


@dataclass(frozen=True)
class FacilityReading:
    """One facility at one instant; ``None`` means not measured (sent as flag B)."""

    code: str  # HJ 212 facility code, e.g. "SB1" (treatment) or "SC1" (production)
    state: FacilityState | None
    power_w: float | None  # [W]
    current_a: float | None = None  # [A]


def qn_for(at: datetime) -> str:
    """The QN request number (YYYYMMDDhhmmsszzz, local time) for ``at``."""
    local = at.astimezone(WIRE_ZONE)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"


def data_time(at: datetime) -> str:
    return at.astimezone(WIRE_ZONE).strftime("%Y%m%d%H%M%S")


def _header(at: datetime, mn: str, pw: str, st: str, cn: str, items: list[Item]) -> Packet:
    items.insert(0, (("DataTime", data_time(at)),))
    return Packet(
        st=st, cn=cn, pw=pw, mn=mn, flag=FLAG_VERSION_2017, qn=qn_for(at), cp=tuple(items)
    )


def status_packet(
    at: datetime, readings: Sequence[FacilityReading], *, mn: str, pw: str, st: str = ST_AIR_SOURCE
) -> Packet:
    """CN 2021: each facility's RS (standard) and Sta (nevport) fields."""
    items: list[Item] = []
    for reading in readings:
        if reading.state is None:
            items.append(((f"{reading.code}-Flag", FLAG_COMM_FAULT),))
            continue
        rs = RS_RUNNING if reading.state is FacilityState.running else RS_OFF
        items.append(((f"{reading.code}-RS", rs), (f"{reading.code}-Sta", str(int(reading.state)))))
    return _header(at, mn, pw, st, CN_FACILITY_STATUS, items)


def _measured(code: str, value: float | None, decimals: int, flag: str) -> Item:
    if value is None:
        return ((f"{code}-Flag", FLAG_COMM_FAULT),)
    return ((f"{code}-Rtd", f"{value:.{decimals}f}"), (f"{code}-Flag", flag))


def electrical_packet(
    at: datetime, readings: Sequence[FacilityReading], *, mn: str, pw: str, st: str = ST_AIR_SOURCE
) -> Packet:
    """CN 2011: power [kW] and current [A] of each facility as real-time data items."""
    items: list[Item] = []
    for reading in readings:
        flag = FLAG_STOPPED if reading.state is FacilityState.off else FLAG_NORMAL
        power_kw = None if reading.power_w is None else reading.power_w / W_PER_KW
        items.append(_measured(f"{reading.code}-Pt", power_kw, 3, flag))
        items.append(_measured(f"{reading.code}-Ia", reading.current_a, 2, flag))
    return _header(at, mn, pw, st, CN_REALTIME_DATA, items)


def readings_from(packet: Packet) -> dict[str, dict[str, str]]:
    """Fields grouped by facility code, for the decoder CLI and tests."""
    grouped: dict[str, dict[str, str]] = {}
    for item in packet.cp:
        for key, value in item:
            code, sep, quantity = key.partition("-")
            if sep:
                grouped.setdefault(code, {})[quantity] = value
    return grouped
