"""Read-to-alarm latency: from a meter reading's timestamp to its alarm being committed.

N meters each report active power once a second (stamped at the read, as collectors
do); each meter has a threshold rule. Every second a few meters cross the limit or come
back. The center stores each batch (``energy.ingest``, the path behind the HTTP
endpoint) while the alarm engine of ``nevport serve`` (``alarm_loop``: ``evaluate`` every
0.5 s) runs in another thread. Latency = commit time of the ``energy.alarm.raised``
webhook event minus the timestamp of the reading that raised it.

    .venv/bin/python bench/energy_alarm_latency.py --meters 1000 --seconds 30
    NEVPORT_TEST_POSTGRES_URL=postgresql+psycopg://... \
        .venv/bin/python bench/energy_alarm_latency.py
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from nevport.db.engine import Database
from nevport.db.migrate import upgrade
from nevport.energy import service
from nevport.energy.alarms.loop import POLL_S, evaluate_once
from nevport.energy.alarms.models import Alarm, RuleKind
from nevport.energy.alarms.schemas import RuleCreate
from nevport.energy.alarms.service import create_rule
from nevport.energy.ingest import ingest
from nevport.energy.models import MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelCreate, MeterCreate, ReadingIn
from nevport.notify.models import Event
from nevport.park.models import Enterprise, Sector

ZONE = ZoneInfo("Asia/Shanghai")
LIMIT_W = 150_000  # [W] every rule's threshold
NORMAL_W, HIGH_W = 100_000, 200_000  # [W] below and above it
CROSSING = 0.02  # share of meters that change side each second


def setup(database: Database, meters: int) -> int:
    upgrade(database.engine)
    with database.session() as session:
        firm = Enterprise(
            name_zh="基准", name_en="Bench", credit_code="91120116MA05JBXA1X", sector=Sector.other
        )
        session.add(firm)
        session.flush()
        for m in range(meters):
            meter = service.create_meter(
                session,
                firm.id,
                MeterCreate(
                    code=f"M{m}",
                    name=f"M{m}",
                    level=MeterLevel.equipment,
                    installed_at=datetime(2020, 1, 1, tzinfo=UTC),
                    channels=[ChannelCreate(quantity=Quantity.active_power)],
                ),
            )
            rule = RuleCreate(
                name=f"overload M{m}",
                channel_id=meter.channels[0].id,
                kind=RuleKind.threshold,
                limit=Decimal(LIMIT_W),
            )
            create_rule(session, firm.id, rule, user_id=None)
        return firm.id


def run(database: Database, firm: int, meters: int, seconds: int) -> dict[str, float]:
    stop = threading.Event()
    rounds: list[float] = []

    def engine() -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            evaluate_once(database, ZONE)
            rounds.append(time.perf_counter() - t0)
            stop.wait(POLL_S)

    thread = threading.Thread(target=engine)
    thread.start()
    rng = random.Random(1)
    high = [False] * meters
    ingest_s = []
    for _ in range(seconds):
        tick = time.monotonic()
        for m in range(meters):
            if rng.random() < CROSSING:
                high[m] = not high[m]
        now = datetime.now(UTC)
        rows = [
            ReadingIn(
                meter=f"M{m}",
                quantity=Quantity.active_power,
                ts=now,
                value=Decimal(HIGH_W if high[m] else NORMAL_W),
            )
            for m in range(meters)
        ]
        t0 = time.perf_counter()
        with database.session() as session:
            ingest(session, firm, rows, zone=ZONE)
        ingest_s.append(time.perf_counter() - t0)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    time.sleep(2 * POLL_S + max(rounds[-5:] or [0]))
    stop.set()
    thread.join()
    with database.session() as session:
        raised = {a.id: a.raised_at for a in session.scalars(select(Alarm))}
        lat = [
            (event.created_at - raised[json.loads(event.payload)["alarm_id"]]).total_seconds()
            for event in session.scalars(select(Event).where(Event.topic == "energy.alarm.raised"))
        ]
    lat.sort()
    return {
        "alarms": len(lat),
        "p50_s": statistics.median(lat),
        "p95_s": lat[int(0.95 * (len(lat) - 1))],
        "max_s": lat[-1],
        "round_p95_s": sorted(rounds)[int(0.95 * (len(rounds) - 1))],
        "ingest_p95_s": sorted(ingest_s)[int(0.95 * (len(ingest_s) - 1))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    targets = [("SQLite (WAL)", f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}")]
    admin_url = os.environ.get("NEVPORT_TEST_POSTGRES_URL")
    if admin_url:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text('DROP DATABASE IF EXISTS "bench_alarms" WITH (FORCE)'))
            c.execute(text('CREATE DATABASE "bench_alarms"'))
        url = make_url(admin_url).set(database="bench_alarms").render_as_string(hide_password=False)
        targets.append(("PostgreSQL 15", url))
    print("| database | meters | alarms | p50 | p95 | max | engine round p95 | ingest p95 |")
    print("|---|---|---|---|---|---|---|---|")
    for name, url in targets:
        database = Database(url)
        firm = setup(database, args.meters)
        r = run(database, firm, args.meters, args.seconds)
        print(
            f"| {name} | {args.meters:,} | {r['alarms']:.0f} | {r['p50_s']:.2f} s "
            f"| {r['p95_s']:.2f} s "
            f"| {r['max_s']:.2f} s | {r['round_p95_s']:.2f} s | {r['ingest_p95_s']:.2f} s |"
        )
        database.dispose()


if __name__ == "__main__":
    main()
