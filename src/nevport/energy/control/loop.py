"""Scheduled commands inside ``nevport serve``: executes confirmed commands when due."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import FastAPI

from nevport.db.engine import Database
from nevport.energy.control.service import run_due

POLL_S = 1.0  # [s] schedules are to the second at best; equipment starts take longer


def run_due_once(database: Database) -> int:
    with database.session() as session:
        return run_due(session, datetime.now(UTC))


async def control_loop(app: FastAPI) -> None:
    database: Database = app.state.db
    while True:
        await asyncio.to_thread(run_due_once, database)
        await asyncio.sleep(POLL_S)
