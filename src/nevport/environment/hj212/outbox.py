"""A durable FIFO of packets on local disk (SQLite, WAL) for store-and-forward.

A packet is written here, and fsynced, before any attempt to send it; it is deleted
only once the upstream platform has acknowledged it, so a crash or an unreachable
upstream loses nothing (delivery is at least once; the platform dedupes by QN).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path


class Outbox:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")  # each put survives power loss
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "packet BLOB NOT NULL, queued_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)"
        )

    def put(self, packet: bytes) -> int:
        cursor = self.connection.execute(
            "INSERT INTO outbox (packet, queued_at) VALUES (?, ?)", (packet, time.time())
        )
        return int(cursor.lastrowid or 0)

    def peek(self, limit: int = 100) -> list[tuple[int, bytes]]:
        """The oldest ``limit`` packets, in the order they were queued."""
        rows = self.connection.execute(
            "SELECT id, packet FROM outbox ORDER BY id LIMIT ?", (limit,)
        ).fetchall()
        return [(int(row_id), bytes(packet)) for row_id, packet in rows]

    def attempted(self, row_id: int) -> None:
        self.connection.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (row_id,))

    def done(self, row_id: int) -> None:
        self.connection.execute("DELETE FROM outbox WHERE id = ?", (row_id,))

    def __len__(self) -> int:
        return int(self.connection.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        self.connection.close()
