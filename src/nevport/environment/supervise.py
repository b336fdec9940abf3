"""Evaluating readings as they arrive: the same engine for `nevport serve` and the CLI.

A ``Run`` holds one enterprise's ``Engine``, a ``TickAssembler`` that turns its raw
readings (``source.new_readings``, the energy center's ``energy.readings``) into
samples on a ``STEP_S`` grid, and a cursor per channel (the last reading pushed). The
background loop reads every enterprise's new readings in one query each pass and steps
each engine through the samples they complete; ``nevport env evaluate`` reads a history
day by day into a fresh run. Both push the same readings in time order through the same
assembler, so they store the same events (tests/environment/test_supervise.py); events
are upserted by key, so a restarted loop that re-reads ``LOOKBACK_S`` stores nothing
twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.environment.curtailment import periods_of
from nevport.environment.engine import Engine
from nevport.environment.events import Event
from nevport.environment.lifecycle import record_events
from nevport.environment.models import EnvFacility
from nevport.environment.service import exempt_windows, topology_of
from nevport.environment.source import Readings, Wiring, new_readings, wiring_of
from nevport.environment.states import F64
from nevport.environment.stream import TickAssembler
from nevport.environment.topology import Topology
from nevport.errors import NevportError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from nevport.db.engine import Database

log = logging.getLogger("nevport.environment")

STEP_S = 60  # [s] the engine's sample grid: the 1-minute data
# [s] a sample waits this long for a channel that has not reported before it is taken
# with that channel missing (or held); the edge collector forwards at least once a
# minute (docs/energy), so two minutes lets a batch that just missed a round land.
MAX_DELAY_S = 120
# [s] a channel that did not report in a sample keeps its last value this long: meters
# read every 5 minutes (the demo's) do not look missing on the 1-minute grid.
HOLD_S = 300
# [s] on start, the loop re-reads this much history to rebuild each engine's state;
# storing is idempotent, so nothing already stored changes.
LOOKBACK_S = 24 * 3600
POLL_S = 0.25  # [s] between two reads of new readings: well inside the 1 s lag goal
REFRESH_S = 60.0  # [s] between two looks at which enterprises have facilities
CHUNK_S = 24 * 3600  # [s] one read of stored readings in the CLI and on start (a day)
US = 1_000_000  # [µs / s]
NO_READINGS = Readings(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))


def floor_sample(t: int) -> int:
    """The start of the sample containing ``t`` [s]."""
    return t - t % STEP_S


@dataclass
class Run:
    """One enterprise's engine, its assembler and, per channel, the last reading pushed."""

    enterprise_id: int
    topology: Topology
    wiring: Wiring
    engine: Engine
    assembler: TickAssembler
    seen_us: list[int] = field(default_factory=list)  # [µs since epoch], per column

    def cursors(self) -> list[int]:
        """Per column, read after this [µs]: past what was pushed and past released samples
        (a reading for a sample already evaluated is of no use any more)."""
        released = self.assembler.released_until
        floor = -1 if released is None else (released + STEP_S) * US - 1
        return [max(seen, floor) for seen in self.seen_us]


def open_run(session: Session, enterprise_id: int, start_s: int) -> Run:
    """A fresh run that reads from ``start_s``; its first sample is its first reading's."""
    topology = topology_of(session, enterprise_id)
    wiring = wiring_of(session, enterprise_id)
    m = len(wiring.channels)
    assembler = TickAssembler(m, MAX_DELAY_S, STEP_S, hold_s=HOLD_S)
    seen = [floor_sample(start_s) * US - 1] * m
    return Run(enterprise_id, topology, wiring, Engine(topology), assembler, seen)


def take(session: Session, run: Run, readings: Readings, now_s: int | None) -> int:
    """Push new readings, release what they (and the clock ``now_s``) complete, step the
    engine and store its events; return how many are new."""
    samples: list[tuple[int, F64]] = []
    if len(readings):
        seen = np.array(run.seen_us, dtype=np.int64)
        np.maximum.at(seen, readings.column, readings.t_us)
        run.seen_us = seen.tolist()
        sample_s = readings.t_us // US // STEP_S * STEP_S  # floor_sample of each
        samples += run.assembler.push_many(sample_s, readings.column, readings.watts)
    if now_s is not None:
        samples += run.assembler.until(now_s)
    return _step(session, run, samples)


def _step(session: Session, run: Run, samples: list[tuple[int, F64]]) -> int:
    if not samples or not run.topology.facilities:
        return 0
    start, end = _at(samples[0][0]), _at(samples[-1][0] + STEP_S)
    run.engine.periods = tuple(periods_of(session, run.enterprise_id, start, end))
    events: list[Event] = []
    for t, values in samples:
        power, upstream = run.wiring.expand(values)
        events.extend(run.engine.step(t, power, upstream))
    if not events:
        return 0
    first = _at(min(e.start_s for e in events))
    windows = exempt_windows(session, run.enterprise_id, first, end)
    return record_events(session, run.enterprise_id, events, windows)


def advance(session: Session, run: Run, end_s: int) -> int:
    """Feed ``run`` every stored reading up to ``end_s`` and release the samples before it,
    as the loop would at ``end_s`` had every reading arrived on time."""
    if not run.wiring.channels:
        return 0
    wanted = {run.enterprise_id: (run.wiring, run.cursors())}
    readings = new_readings(session, wanted, _at(end_s))[run.enterprise_id]
    return take(session, run, readings, end_s - STEP_S + MAX_DELAY_S)


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
    """Replay [start, end) of stored readings chunk by chunk; ``progress`` gets seconds done."""
    run = open_run(session, enterprise_id, int(start.timestamp()))
    created = 0
    first = floor_sample(int(start.timestamp()))
    for stop in chunks(first, floor_sample(int(end.timestamp()))):
        created += advance(session, run, stop)
        if progress is not None:
            progress(stop - first)
    return created


class Supervisor:
    """The runs of every enterprise that has facilities, fed together each pass."""

    def __init__(self, lookback_s: int | None = None):
        self.lookback_s = LOOKBACK_S if lookback_s is None else lookback_s
        self.runs: dict[int, Run] = {}
        self.refreshed_s: float | None = None  # [s] clock of the last look at the facilities

    def cycle(self, session: Session, now_s: int) -> int:
        """Take every enterprise's new readings; return how many events are new."""
        if self.refreshed_s is None or now_s - self.refreshed_s >= REFRESH_S:
            self.refreshed_s = now_s
            return self._refresh(session, now_s) + self._pass(session, now_s)
        return self._pass(session, now_s)

    def _pass(self, session: Session, now_s: int) -> int:
        wanted = {e: (r.wiring, r.cursors()) for e, r in self.runs.items() if r.wiring.channels}
        try:
            rows = new_readings(session, wanted)
        except NevportError as exc:
            # A channel moved to another enterprise, say: look at the facilities again.
            log.warning("environmental supervision: %s", exc)
            self.refreshed_s = None
            return 0
        created = 0
        for enterprise_id, run in list(self.runs.items()):
            created += self._guarded(session, run, rows.get(enterprise_id, NO_READINGS), now_s)
        return created

    def _guarded(self, session: Session, run: Run, readings: Readings, now_s: int) -> int:
        try:
            return take(session, run, readings, now_s)
        except NevportError as exc:
            # One enterprise's bad configuration must not stop the others; its engine is
            # rebuilt at the next look at the facilities.
            log.warning("enterprise %d not evaluated: %s", run.enterprise_id, exc)
            self.refreshed_s = None
            del self.runs[run.enterprise_id]
            return 0

    def _refresh(self, session: Session, now_s: int) -> int:
        """New runs for enterprises that gained or changed facilities, warmed on recent
        history; runs of enterprises without facilities dropped."""
        enterprises = set(session.scalars(select(EnvFacility.enterprise_id).distinct()))
        for gone in set(self.runs) - enterprises:
            del self.runs[gone]
        created = 0
        for enterprise_id in sorted(enterprises):
            run = self.runs.get(enterprise_id)
            if run is not None and (
                run.topology == topology_of(session, enterprise_id)
                and run.wiring == wiring_of(session, enterprise_id)
            ):
                continue
            try:
                # Samples the clock has made due are taken here, a day at a time; the
                # rest is left to the passes.
                run = open_run(session, enterprise_id, now_s - self.lookback_s)
                due = floor_sample(now_s - MAX_DELAY_S)
                for stop in chunks(floor_sample(now_s - self.lookback_s), due):
                    created += advance(session, run, stop)
            except NevportError as exc:
                log.warning("enterprise %d not evaluated: %s", enterprise_id, exc)
                self.runs.pop(enterprise_id, None)
                continue
            self.runs[enterprise_id] = run
            # One enterprise at a time: a park-wide re-read after a restart must not hold
            # the database's write lock (SQLite: one writer) away from ingest meanwhile.
            session.commit()
        return created


async def supervision_loop(app: FastAPI) -> None:
    """Background task of `nevport serve`: take new readings every ``POLL_S``."""
    database: Database = app.state.db
    supervisor = Supervisor()
    poll: float = getattr(app.state, "env_poll_s", POLL_S)

    def one_pass() -> int:
        with database.session() as session:
            return supervisor.cycle(session, int(datetime.now(UTC).timestamp()))

    while True:
        created = await asyncio.to_thread(one_pass)
        if created:
            log.info("environmental supervision raised %d event(s)", created)
        await asyncio.sleep(poll)


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
