"""The energy hot path's own door to the database: the session's DBAPI connection, raw.

SQLAlchemy's per-row bind processing costs more than the database itself at 10^5 rows
per second (bench/RESULTS.md), so ingest and interval recomputation hand plain tuples to
the driver inside the session's transaction: prepared ``executemany`` on sqlite3,
``COPY`` and pipelined ``executemany`` on psycopg. Only the representations the ORM
would produce are written, so ORM reads of the same rows see the same values:
timestamps as SQLAlchemy's SQLite DATETIME text (naive UTC, always 6 fractional
digits) or as timestamptz, values as integers of micro-units (``models.Micro``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

Params = Sequence[Any]


def micro(value: Decimal) -> int:
    """A Decimal with at most 6 places as the integer of millionths stored for it."""
    return int(value.scaleb(6))


def unmicro(value: int) -> Decimal:
    return Decimal(value).scaleb(-6)


class Raw:
    """The DBAPI connection under ``session``, with the dialect's SQL and time formats."""

    def __init__(self, session: Session):
        session.flush()  # statements below bypass the ORM and must see what it holds
        connection = session.connection()
        self.sqlite = connection.dialect.name == "sqlite"
        self.dbapi: Any = connection.connection.dbapi_connection
        self._staged = False

    def sql(self, text: str) -> str:
        """``text`` with ``?`` placeholders, in the driver's parameter style."""
        return text if self.sqlite else text.replace("?", "%s")

    def ts(self, value: datetime) -> Any:
        """An aware datetime as the driver should receive it."""
        if self.sqlite:
            if value.tzinfo is not UTC:
                value = value.astimezone(UTC)
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def from_ts(self, value: Any) -> datetime:
        if isinstance(value, str):  # SQLite's text
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        assert isinstance(value, datetime)
        return value if value.tzinfo is UTC else value.astimezone(UTC)

    def run(self, text: str, params: Params = ()) -> list[tuple[Any, ...]]:
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(self.sql(text), params)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def many(self, text: str, rows: Sequence[Params]) -> None:
        if not rows:
            return
        cursor = self.dbapi.cursor()
        try:
            cursor.executemany(self.sql(text), rows)
        finally:
            cursor.close()

    def insert_all_new(self, rows: Sequence[tuple[int, Any, int | None]]) -> bool:
        """Insert (channel_id, ts, value) readings straight into the table if none of them
        is stored yet, and say so; else change nothing and return False.

        The common batch is all new, and writing it once is twice as fast as staging it;
        a replay, whole or partial, is undone to a savepoint and goes through ``stage``.
        """
        if self.sqlite:
            self.run("SAVEPOINT energy_direct")
            before = self.dbapi.total_changes
            self.many(
                "INSERT INTO energy_readings (channel_id, ts, value, flags) VALUES (?, ?, ?, 0) "
                "ON CONFLICT (channel_id, ts) DO NOTHING",
                rows,
            )
            if self.dbapi.total_changes - before == len(rows):
                self.run("RELEASE energy_direct")
                return True
            self.run("ROLLBACK TO energy_direct")
            self.run("RELEASE energy_direct")
            return False
        import psycopg

        cursor = self.dbapi.cursor()
        try:
            cursor.execute("SAVEPOINT energy_direct")
            try:
                with cursor.copy(
                    "COPY energy_readings (channel_id, ts, value, flags) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(["int4", "timestamptz", "int8", "int2"])
                    for cid, ts, value in rows:
                        copy.write_row((cid, ts, value, 0))
            except psycopg.errors.UniqueViolation:
                cursor.execute("ROLLBACK TO SAVEPOINT energy_direct")
                return False
            cursor.execute("RELEASE SAVEPOINT energy_direct")
            return True
        finally:
            cursor.close()

    def stage(self, rows: Iterable[tuple[int, Any, int | None]]) -> None:
        """Load (channel_id, ts, value) rows into the transaction's staging table."""
        if self.sqlite:
            self.run(
                "CREATE TEMP TABLE IF NOT EXISTS energy_staging "
                "(channel_id INTEGER, ts TEXT, value INTEGER)"
            )
            self.run("DELETE FROM temp.energy_staging")
            self.many("INSERT INTO temp.energy_staging VALUES (?, ?, ?)", list(rows))
            return
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS energy_staging "
                "(channel_id integer, ts timestamptz, value bigint) ON COMMIT DELETE ROWS"
            )
            cursor.execute("TRUNCATE energy_staging")
            with cursor.copy(
                "COPY energy_staging (channel_id, ts, value) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["int4", "timestamptz", "int8"])
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
