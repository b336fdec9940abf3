"""The alarm engine inside ``nevport serve``: evaluates rules as readings arrive."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from nevport.db.engine import Database
from nevport.energy.alarms.service import evaluate

POLL_S = 0.5  # [s] pause between rounds: half the 1 s reading interval, so an alarm
# follows its reading well inside the 2 s p95 goal (docs/energy/alarms.md)


def evaluate_once(database: Database, zone: ZoneInfo) -> int:
    with database.session() as session:
        return evaluate(session, datetime.now(UTC), zone)


async def alarm_loop(app: FastAPI) -> None:
    database: Database = app.state.db
    zone = ZoneInfo(app.state.settings.timezone)
    poll: float = getattr(app.state, "alarm_poll_s", POLL_S)
    while True:
        await asyncio.to_thread(evaluate_once, database, zone)
        await asyncio.sleep(poll)
