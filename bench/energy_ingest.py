"""Readings per second stored by the energy center, on SQLite and PostgreSQL.

Each run parses JSON request bodies of 5,000 readings (as the HTTP endpoint does),
validates every row, inserts with the idempotent key (executemany on sqlite3, COPY on
psycopg; a batch holding replays goes through a staging table, then INSERT ... SELECT
... ON CONFLICT DO NOTHING) and, in the ``+ intervals`` rows, recomputes the touched
15-minute, hourly and daily buckets. Two floors: a bare SQLAlchemy ``executemany``
INSERT of the same rows, and the driver's bulk path alone (sqlite3 ``executemany``,
psycopg binary ``COPY``) straight into the readings table.

    .venv/bin/python bench/energy_ingest.py --readings 100000
    NEVPORT_TEST_POSTGRES_URL=postgresql+psycopg://... .venv/bin/python bench/energy_ingest.py
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from nevport.db.engine import Database
from nevport.db.migrate import upgrade
from nevport.energy import service
from nevport.energy.ingest import ingest
from nevport.energy.models import MeterLevel, Reading
from nevport.energy.quantities import Quantity
from nevport.energy.rawdb import Raw
from nevport.energy.schemas import ChannelCreate, IngestBatch, MeterCreate
from nevport.park.models import Enterprise, Sector

ZONE = ZoneInfo("Asia/Shanghai")
METERS = 100
BATCH = 5000


def _setup(database: Database) -> tuple[int, list[int]]:
    upgrade(database.engine)
    with database.session() as session:
        enterprise = Enterprise(
            name_zh="基准", name_en="Bench", credit_code="91120116MA05JBXA1X", sector=Sector.other
        )
        session.add(enterprise)
        session.flush()
        ids = []
        for m in range(METERS):
            out = service.create_meter(
                session,
                enterprise.id,
                MeterCreate(
                    code=f"M{m}",
                    name=f"M{m}",
                    level=MeterLevel.equipment,
                    installed_at=datetime(2020, 1, 1, tzinfo=UTC),
                    channels=[ChannelCreate(quantity=Quantity.active_energy_import)],
                ),
            )
            ids.append(out.channels[0].id)
        return enterprise.id, ids


def _batches(n: int, start: datetime) -> list[bytes]:
    """``n`` readings as JSON request bodies: every meter once per second, counters rising
    0.01 kWh a second."""
    rows: list[dict[str, object]] = []
    for i in range(n):
        second, meter = divmod(i, METERS)
        rows.append(
            {
                "meter": f"M{meter}",
                "quantity": "active_energy_import",
                "ts": (start + timedelta(seconds=second)).isoformat(),
                "value": f"{1000 + second * 0.01:.2f}",
            }
        )
    return [json.dumps({"readings": rows[i : i + BATCH]}).encode() for i in range(0, n, BATCH)]


def _nevport(
    database: Database, enterprise_id: int, batches: list[bytes], aggregate: bool
) -> float:
    now = datetime.now(UTC)
    began = time.perf_counter()
    for body in batches:
        parsed = IngestBatch.model_validate_json(body)
        with database.session() as session:
            ingest(session, enterprise_id, parsed.readings, zone=ZONE, now=now, aggregate=aggregate)
    return time.perf_counter() - began


def _floor(database: Database, channel_ids: list[int], n: int, start: datetime) -> float:
    began = time.perf_counter()
    for b in range(0, n, BATCH):
        rows = [
            {
                "channel_id": channel_ids[i % METERS],
                "ts": start + timedelta(seconds=i // METERS),
                "value": None,
                "flags": 0,
            }
            for i in range(b, min(n, b + BATCH))
        ]
        with database.session() as session:
            session.execute(insert(Reading), rows)
    return time.perf_counter() - began


def _driver_floor(database: Database, channel_ids: list[int], n: int, start: datetime) -> float:
    """The same rows through the driver's bulk path alone: no parsing, no checks, no ORM."""
    began = time.perf_counter()
    for b in range(0, n, BATCH):
        rows = [
            (channel_ids[i % METERS], start + timedelta(seconds=i // METERS), i)
            for i in range(b, min(n, b + BATCH))
        ]
        with database.session() as session:
            raw = Raw(session)
            if raw.sqlite:
                raw.many(
                    "INSERT INTO energy_readings (channel_id, ts, value, flags) "
                    "VALUES (?, ?, ?, 0)",
                    [(c, raw.ts(t), v) for c, t, v in rows],
                )
            else:
                with (
                    raw.dbapi.cursor() as cursor,
                    cursor.copy(
                        "COPY energy_readings (channel_id, ts, value, flags) "
                        "FROM STDIN (FORMAT BINARY)"
                    ) as copy,
                ):
                    copy.set_types(["int4", "timestamptz", "int8", "int2"])
                    for c, t, v in rows:
                        copy.write_row((c, t, v, 0))
    return time.perf_counter() - began


def _run(name: str, make: Callable[[], Database], n: int) -> None:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    for label in ("raw", "+ intervals", "floor (SQLAlchemy)", "floor (driver)"):
        database = make()
        enterprise_id, channel_ids = _setup(database)
        if label == "floor (SQLAlchemy)":
            seconds = _floor(database, channel_ids, n, base)
        elif label == "floor (driver)":
            seconds = _driver_floor(database, channel_ids, n, base)
        else:
            seconds = _nevport(database, enterprise_id, _batches(n, base), label != "raw")
        print(f"| {name} | {label} | {n:,} | {seconds:.2f} s | {n / seconds:,.0f} |")
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=100_000)
    args = parser.parse_args()
    print("| database | path | readings | time | readings/s |\n|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(100))
        _run(
            "SQLite (WAL)",
            lambda: Database(f"sqlite:///{Path(tmp) / f'b{next(counter)}.db'}"),
            args.readings,
        )
    admin_url = os.environ.get("NEVPORT_TEST_POSTGRES_URL")
    if admin_url:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")

        def fresh() -> Database:
            with admin.connect() as connection:
                connection.execute(
                    text('DROP DATABASE IF EXISTS "nevport_bench_energy" WITH (FORCE)')
                )
                connection.execute(text('CREATE DATABASE "nevport_bench_energy"'))
            url = make_url(admin_url).set(database="nevport_bench_energy")
            return Database(url.render_as_string(hide_password=False))

        _run("PostgreSQL 15", fresh, args.readings)


if __name__ == "__main__":
    main()
