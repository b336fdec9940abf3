"""Scheduled control inside ``nevport serve``: confirmed one-off commands and recurring
schedules, executed when due."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from nevport.db.engine import Database
from nevport.energy.control.schedules import fire_due
from nevport.energy.control.service import run_due

POLL_S = 1.0  # [s] schedules are to the second at best; equipment starts take longer


def run_due_once(database: Database, zone: ZoneInfo) -> int:
    """One-off commands that are due, then recurring schedules that are due."""
    now = datetime.now(UTC)
    with database.session() as session:
        return run_due(session, now) + fire_due(session, now, zone)


async def control_loop(app: FastAPI) -> None:
    database: Database = app.state.db
    zone = ZoneInfo(app.state.settings.timezone)
    while True:
        await asyncio.to_thread(run_due_once, database, zone)
        await asyncio.sleep(POLL_S)
