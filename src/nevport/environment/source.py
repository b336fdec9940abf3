"""The one place that reads power: through the energy center's functions, never its tables.

Two reads: ``power_history`` gives the energy center's 15-minute power means (charts,
dashboard rates, HJ 212 uploads); ``new_readings`` gives the raw readings of an
enterprise's supervised channels (``energy.readings``), which the supervision engine
runs on (``supervise``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.energy import service as energy
from nevport.energy.intervals import Resolution
from nevport.energy.service import power_readings_after
from nevport.environment.models import EnvFacility
from nevport.environment.states import F64, I64

SITE_ZONE = ZoneInfo("Asia/Shanghai")  # days are the park's days (ARCHITECTURE, data)
SAMPLE_S = 15 * 60  # [s] the grid of ``power_history``: the energy center's quarter-hour means


def _column(
    session: Session, enterprise_id: int, channel_id: int | None, start: datetime, end: datetime
) -> tuple[I64, F64]:
    if channel_id is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    series = energy.power_series(
        session, enterprise_id, channel_id, start, end, Resolution.quarter, SITE_ZONE
    )
    t = np.array([int(p.start.timestamp()) for p in series.points], dtype=np.int64)
    watts = [np.nan if p.value is None else float(p.value) for p in series.points]
    return t, np.array(watts, dtype=np.float64)


def power_history(
    session: Session, enterprise_id: int, start: datetime, end: datetime
) -> tuple[I64, F64, F64]:
    """(t (T,), power (T, n), upstream (T, n)) for the enterprise's facilities, in order."""
    rows = list(
        session.scalars(
            select(EnvFacility)
            .where(EnvFacility.enterprise_id == enterprise_id)
            .order_by(EnvFacility.id)
        )
    )
    grid: I64 | None = None
    columns: list[F64] = []
    upstream: list[F64] = []
    for row in rows:
        for channel, out in ((row.channel_id, columns), (row.upstream_channel_id, upstream)):
            t, watts = _column(session, enterprise_id, channel, start, end)
            if grid is None and len(t):
                grid = t
            out.append(watts)
    if grid is None:
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(rows))), np.zeros((0, len(rows)))

    def fill(values: F64) -> F64:
        return values if len(values) == len(grid) else np.full(len(grid), np.nan)

    power = np.stack([fill(c) for c in columns], axis=1)
    return grid, power, np.stack([fill(c) for c in upstream], axis=1)


@dataclass(frozen=True)
class Wiring:
    """Which energy-center channels feed an enterprise's engine: ``channels`` are the
    distinct channels (the assembler's columns); ``power`` and ``upstream`` (n,) give each
    facility's column, -1 where it has no channel."""

    channels: tuple[int, ...]
    power: tuple[int, ...]
    upstream: tuple[int, ...]

    def expand(self, values: F64) -> tuple[F64, F64]:
        """Columns (m,) -> (power (n,), upstream (n,)) [W], NaN where no channel."""
        padded = np.append(values, np.nan)  # index -1 reads the NaN
        return padded[list(self.power)], padded[list(self.upstream)]


def wiring_of(session: Session, enterprise_id: int) -> Wiring:
    rows = session.execute(
        select(EnvFacility.channel_id, EnvFacility.upstream_channel_id)
        .where(EnvFacility.enterprise_id == enterprise_id)
        .order_by(EnvFacility.id)
    ).all()
    channels = sorted({c for row in rows for c in row if c is not None})
    column = {c: i for i, c in enumerate(channels)}

    def at(channel: int | None) -> int:
        return -1 if channel is None else column[channel]

    return Wiring(tuple(channels), tuple(at(p) for p, _ in rows), tuple(at(u) for _, u in rows))


@dataclass(frozen=True)
class Readings:
    """An enterprise's readings in time order (then by column): ``t_us`` (N,) [µs since
    epoch], ``column`` (N,) its column in the wiring, ``watts`` (N,) [W], NaN: missing."""

    t_us: I64
    column: I64
    watts: F64

    def __len__(self) -> int:
        return len(self.t_us)


def new_readings(
    session: Session,
    wanted: Mapping[int, tuple[Wiring, Sequence[int]]],
    until: datetime | None = None,
) -> dict[int, Readings]:
    """Per enterprise, every reading of its columns after that column's cursor [µs] (up to
    ``until``), in time order; one read for all the enterprises asked about."""
    cursors = {
        eid: {channel: after[column] for column, channel in enumerate(wiring.channels)}
        for eid, (wiring, after) in wanted.items()
        if wiring.channels
    }
    traces = power_readings_after(session, cursors, until)
    out: dict[int, Readings] = {}
    for eid, (wiring, _) in wanted.items():
        found = [traces[channel] for channel in wiring.channels]
        sizes = [len(trace.t_us) for trace in found]
        t_us = np.concatenate([np.zeros(0, dtype=np.int64)] + [f.t_us for f in found])
        column = np.repeat(np.arange(len(found), dtype=np.int64), sizes)
        watts = np.concatenate([np.zeros(0)] + [f.watts for f in found])
        order = np.lexsort((column, t_us))
        out[eid] = Readings(t_us[order], column[order], watts[order])
    return out
