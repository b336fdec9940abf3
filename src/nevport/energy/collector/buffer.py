"""The collector's disk buffer: a reading is committed here before anything else happens.

SQLite in WAL mode with ``synchronous=FULL``: a committed reading survives the process
being killed and the machine losing power. Rows stay until the center has acknowledged
them; a replay after a crash is harmless because the center ingests idempotently.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY,
    meter TEXT NOT NULL, quantity TEXT NOT NULL, ts TEXT NOT NULL,
    value TEXT, unit TEXT NOT NULL,
    state INTEGER NOT NULL DEFAULT 0,  -- 0 waiting, 1 acknowledged, 2 refused by the center
    reason TEXT,
    UNIQUE (meter, quantity, ts)
);
CREATE INDEX IF NOT EXISTS readings_waiting ON readings (state, id);
"""
WAITING, SENT, REFUSED = 0, 1, 2
FLUSH_S = 0.2  # [s] group commit period: one fsync for every poll of the last 0.2 s


@dataclass(frozen=True)
class Row:
    meter: str
    quantity: str
    ts: str  # ISO 8601 with offset
    value: str | None  # exact decimal text; None: the device could not read
    unit: str


class Buffer:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def put(self, rows: Iterable[Row]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR IGNORE INTO readings (meter, quantity, ts, value, unit) "
                "VALUES (?, ?, ?, ?, ?)",
                [(r.meter, r.quantity, r.ts, r.value, r.unit) for r in rows],
            )

    def waiting(self, limit: int, after: int = 0) -> list[tuple[int, Row]]:
        """Up to ``limit`` unacknowledged rows with id > ``after``, oldest first."""
        cursor = self.db.execute(
            "SELECT id, meter, quantity, ts, value, unit FROM readings WHERE state = ? "
            "AND id > ? ORDER BY id LIMIT ?",
            (WAITING, after, limit),
        )
        return [(row[0], Row(*row[1:])) for row in cursor]

    def mark(self, ids: Iterable[int], state: int, reason: str | None = None) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "UPDATE readings SET state = ?, reason = ? WHERE id = ?",
                [(state, reason, i) for i in ids],
            )

    def counts(self) -> dict[str, int]:
        names = {WAITING: "waiting", SENT: "sent", REFUSED: "refused"}
        out = dict.fromkeys(names.values(), 0)
        for state, n in self.db.execute("SELECT state, count(*) FROM readings GROUP BY state"):
            out[names[state]] = n
        return out

    def close(self) -> None:
        self.db.close()


class Writer:
    """Group commit for the pollers: rows are collected in memory and committed together
    every ``FLUSH_S`` from a worker thread, on a connection of their own.

    One fsync per poll stalls the event loop at a few hundred meters a second (each
    commit waits for the disk); one per period does not. The forwarder only reads
    committed rows, so at-least-once is unchanged. A crash can cost the polls of the
    last period before they were committed: those readings never left the collector,
    and the meter's register still holds their energy for the next poll.
    """

    def __init__(self, path: Path):
        self.buffer = Buffer(path)
        self.rows: list[Row] = []

    def add(self, rows: Iterable[Row]) -> None:
        self.rows.extend(rows)

    async def flush(self) -> None:
        if self.rows:
            rows, self.rows = self.rows, []
            await asyncio.to_thread(self.buffer.put, rows)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_S)
            await self.flush()

    def close(self) -> None:
        if self.rows:
            self.buffer.put(self.rows)
            self.rows = []
        self.buffer.close()
