"""The one place that reads power: through ``nevport.energy.service``, never its tables.

The energy center keeps power as 15-minute means at its finest stored resolution, so
that is the grid the supervision engine runs on when it evaluates stored history
(``supervise``).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.energy import service as energy
from nevport.energy.intervals import Resolution
from nevport.environment.models import EnvFacility
from nevport.environment.states import F64, I64

SITE_ZONE = ZoneInfo("Asia/Shanghai")  # days are the park's days (ARCHITECTURE, data)
SAMPLE_S = 15 * 60  # [s] the engine's sample grid: the energy center's quarter-hour means


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
