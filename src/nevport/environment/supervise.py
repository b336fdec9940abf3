"""Evaluating stored power as it arrives: the same engine for `nevport serve` and the CLI.

A ``Run`` holds one enterprise's ``Engine`` and a cursor; ``advance`` feeds it every
sample of stored power between the cursor and a later time and stores the events. The
background loop advances each enterprise's run to the last settled sample every cycle;
``nevport env evaluate`` advances a fresh run day by day over a history. Both step one
engine through the same samples in the same order, so they store the same events
(tests/environment/test_supervise.py).

Samples are the energy center's 15-minute power means (``source``), its finest stored
resolution, so an event is known at most one bucket plus ``SETTLE_S`` after it begins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.environment.curtailment import periods_of
from nevport.environment.engine import Engine
from nevport.environment.lifecycle import record_events
from nevport.environment.models import EnvFacility
from nevport.environment.service import exempt_windows, topology_of
from nevport.environment.source import SAMPLE_S, power_history
from nevport.environment.topology import Topology
from nevport.errors import NevportError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from nevport.db.engine import Database

log = logging.getLogger("nevport.environment")

# [s] a bucket is evaluated this long after it ends, so readings the edge collector
# still holds (it forwards at least once a minute and retries, docs/energy) land first.
SETTLE_S = 5 * 60
# [s] on start, the loop re-evaluates this much history to rebuild each engine's state;
# storing is idempotent, so nothing already stored changes.
LOOKBACK_S = 24 * 3600
CYCLE_S = 60.0  # [s] between two passes of the background loop
CHUNK_S = 24 * 3600  # [s] one read of stored power in the CLI (a day of buckets)


def floor_sample(t: int) -> int:
    """The start of the sample bucket containing ``t`` [s]."""
    return t - t % SAMPLE_S


@dataclass
class Run:
    """One enterprise's engine and the first sample time it has not seen yet."""

    enterprise_id: int
    topology: Topology
    engine: Engine
    cursor: int  # [s since epoch]


def open_run(session: Session, enterprise_id: int, start_s: int) -> Run:
    topology = topology_of(session, enterprise_id)
    return Run(enterprise_id, topology, Engine(topology), floor_sample(start_s))


def advance(session: Session, run: Run, end_s: int) -> int:
    """Feed ``run`` every stored sample in [cursor, end_s); store events; return new ones."""
    end_s = floor_sample(end_s)
    if end_s <= run.cursor or not run.topology.facilities:
        return 0
    start, end = _at(run.cursor), _at(end_s)
    t, power, upstream = power_history(session, run.enterprise_id, start, end)
    run.engine.periods = tuple(periods_of(session, run.enterprise_id, start, end))
    events = []
    for row in range(len(t)):
        if t[row] >= run.cursor:  # the source's grid starts at the bucket holding start
            events.extend(run.engine.step(int(t[row]), power[row], upstream[row]))
    run.cursor = end_s
    windows = exempt_windows(session, run.enterprise_id, start, end)
    return record_events(session, run.enterprise_id, events, windows)


def chunks(start_s: int, end_s: int, size_s: int = CHUNK_S) -> Iterator[int]:
    """Ends of successive chunks of [start_s, end_s), the last one ``end_s``."""
    at = start_s
    while at < end_s:
        at = min(at + size_s, end_s)
        yield at


def evaluate(
    session: Session,
    enterprise_id: int,
    start: datetime,
    end: datetime,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Replay [start, end) of stored power chunk by chunk; ``progress`` gets seconds done."""
    run = open_run(session, enterprise_id, int(start.timestamp()))
    created = 0
    first = run.cursor
    for stop in chunks(first, floor_sample(int(end.timestamp()))):
        created += advance(session, run, stop)
        if progress is not None:
            progress(stop - first)
    return created


class Supervisor:
    """The runs of every enterprise that has facilities, advanced together each cycle."""

    def __init__(self, lookback_s: int | None = None, settle_s: int | None = None):
        self.lookback_s = LOOKBACK_S if lookback_s is None else lookback_s
        self.settle_s = SETTLE_S if settle_s is None else settle_s
        self.runs: dict[int, Run] = {}

    def cycle(self, session: Session, now_s: int) -> int:
        """Advance every run to the last settled sample; return how many events are new."""
        end_s = floor_sample(now_s - self.settle_s)
        created = 0
        enterprises = session.scalars(select(EnvFacility.enterprise_id).distinct()).all()
        for enterprise_id in sorted(enterprises):
            run = self.runs.get(enterprise_id)
            if run is not None and end_s <= run.cursor:
                continue  # nothing settled since the last pass: no database work
            topology = topology_of(session, enterprise_id)
            if run is None or run.topology != topology:
                # New, or its facilities changed: a fresh engine, warmed on recent history.
                run = open_run(session, enterprise_id, end_s - self.lookback_s)
                self.runs[enterprise_id] = run
            try:
                created += advance(session, run, end_s)
            except NevportError as exc:
                # One enterprise's bad configuration (a channel that is not its own, say)
                # must not stop the others; its engine is rebuilt on the next pass.
                log.warning("enterprise %d not evaluated: %s", enterprise_id, exc)
                del self.runs[enterprise_id]
        return created


async def supervision_loop(app: FastAPI) -> None:
    """Background task of `nevport serve`: evaluate new stored power every ``CYCLE_S``."""
    database: Database = app.state.db
    supervisor = Supervisor()

    def one_pass() -> int:
        with database.session() as session:
            return supervisor.cycle(session, int(datetime.now(UTC).timestamp()))

    while True:
        created = await asyncio.to_thread(one_pass)
        if created:
            log.info("environmental supervision raised %d event(s)", created)
        await asyncio.sleep(CYCLE_S)


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
