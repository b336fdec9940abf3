"""Reading-to-event lag of environmental supervision in `nevport serve`, end to end.

A park of N enterprises x F facilities (F/2 production lines, each with its treatment
unit, every facility on its own active-power meter) reports one reading a minute per
meter: each enterprise's collector POSTs its batch to ``/api/energy/ingest`` with its
device token, stamped at the minute. The server runs in another process with its
background loops (``supervision_loop`` among them). Before it starts, 15 minutes of
history are stored in which one treatment unit per enterprise falls, staggered over
five minutes, so that the ``treatment_off`` events (10 minutes of production without
treatment) and some ``abnormal_stop`` events (5 minutes) are completed by live
readings. Lag = the event's stored time (``env_events.created_at``) minus the moment its
enterprise's batch holding the completing reading was sent.

    .venv/bin/python bench/env_lag.py --enterprises 200 --facilities 10
    NEVPORT_TEST_POSTGRES_URL=postgresql+psycopg://... \
        .venv/bin/python bench/env_lag.py --postgres
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import stdnum.cn.uscc
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from nevport.auth import service as auth
from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.db.migrate import upgrade
from nevport.energy import service as energy
from nevport.energy.ingest import ingest
from nevport.energy.models import MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelCreate, MeterCreate, ReadingIn
from nevport.environment import service as env
from nevport.environment.models import EnvEvent
from nevport.environment.schemas import FacilityCreate, LinkCreate
from nevport.environment.source import SITE_ZONE
from nevport.park.models import Enterprise, Sector

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from api_latency import start, stop, wait_healthy  # noqa: E402

PRODUCTION_W, TREATMENT_W, FALLEN_W = 20_000, 10_000, 100  # [W]
HISTORY_MIN = 15  # minutes stored before the server starts (--history)
FALLS = 5  # the falls are spread over this many minutes
FALL_AT = -8  # [min from the live start] the first fall: its treatment_off completes at +2


def credit_code(n: int) -> str:
    """A GB 32100-2015 code valid by both check characters (as tests/factories.py)."""
    body = f"{n:08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(c, 36) * w for c, w in zip(body, weights, strict=True)) % 11
    head = "91120222" + body + {10: "X", 11: "0"}.get(check, str(check))
    return head + stdnum.cn.uscc.calc_check_digit(head)


def value(i: int, j: int, minute: int) -> int:
    """Power [W] of enterprise i's facility j at ``minute`` from the live start."""
    if j % 2 == 0:
        return PRODUCTION_W
    fallen = j == 1 and minute >= FALL_AT + i % FALLS
    return FALLEN_W if fallen else TREATMENT_W


def batch(i: int, facilities: int, minute: int, m0: datetime) -> list[ReadingIn]:
    at = m0 + timedelta(minutes=minute)
    return [
        ReadingIn(
            meter=f"F{j}", quantity=Quantity.active_power, ts=at, value=Decimal(value(i, j, minute))
        )
        for j in range(facilities)
    ]


def setup(database: Database, n: int, facilities: int) -> list[tuple[int, str]]:
    """The park; (enterprise id, device token) per enterprise."""
    upgrade(database.engine)
    out = []
    with database.session() as session:
        admin = auth.create_user(session, "bench-admin", secrets.token_urlsafe(16), Role.park_admin)
        principal = Principal(admin.id, admin.username, Role.park_admin, None)
    for i in range(n):
        with database.session() as session:
            firm = Enterprise(
                name_zh=f"基准企业{i}",
                name_en=f"Bench {i}",
                credit_code=credit_code(i + 1),
                sector=Sector.other,
            )
            session.add(firm)
            session.flush()
            for j in range(facilities):
                meter = energy.create_meter(
                    session,
                    firm.id,
                    MeterCreate(
                        code=f"F{j}",
                        name=f"F{j}",
                        level=MeterLevel.equipment,
                        installed_at=datetime.now(UTC) - timedelta(days=1),
                        channels=[ChannelCreate(quantity=Quantity.active_power)],
                    ),
                )
                production = j % 2 == 0
                body = FacilityCreate(
                    code=f"F{j}",
                    name=f"F{j}",
                    kind="production" if production else "treatment",
                    channel_id=meter.channels[0].id,
                    rated_w=40_000 if production else 20_000,
                    standby_w=1_000 if production else 500,
                    running_w=10_000 if production else 5_000,
                    hysteresis_w=200,
                )
                env.create_facility(session, principal, firm.id, body)
            for j in range(0, facilities - 1, 2):
                link = LinkCreate(production=f"F{j}", treatment=f"F{j + 1}")
                env.create_link(session, principal, firm.id, link)
            token, _ = auth.create_device_token(session, firm.id, "edge")
            out.append((firm.id, token))
    return out


def history(
    database: Database, firms: list[tuple[int, str]], facilities: int, m0: datetime, minutes: int
) -> None:
    """``minutes`` of readings before ``m0`` (stamped ahead of the clock: ``now=m0``)."""
    for i, (eid, _) in enumerate(firms):
        rows = [r for m in range(-minutes, 0) for r in batch(i, facilities, m, m0)]
        with database.session() as session:
            ingest(session, eid, rows, zone=SITE_ZONE, now=m0)


def stored(database: Database, rule: str) -> int:
    with database.session() as session:
        query = select(func.count()).select_from(EnvEvent).where(EnvEvent.rule == rule)
        return session.scalar(query) or 0


def post_live(
    url: str, firms: list[tuple[int, str]], facilities: int, m0: datetime
) -> tuple[dict[int, list[float]], int]:
    """Each minute from ``m0``, every enterprise's batch; the wall times of the POSTs per
    enterprise, and how many minutes were sent more than 30 s late."""
    sent: dict[int, list[float]] = {eid: [] for eid, _ in firms}
    late = 0
    with httpx.Client(base_url=url, timeout=30) as client:
        for minute in range(FALL_AT + FALLS + 10 + 2):
            due = (m0 + timedelta(minutes=minute)).timestamp()
            time.sleep(max(0.0, due - time.time()))
            late += time.time() > due + 30
            for i, (eid, token) in enumerate(firms):
                rows = batch(i, facilities, minute, m0)
                body = {"readings": [r.model_dump(mode="json") for r in rows]}
                sent[eid].append(time.time())
                headers = {"Authorization": f"Bearer {token}"}
                client.post("/api/energy/ingest", json=body, headers=headers).raise_for_status()
    return sent, late


def measured(database: Database, sent: dict[int, list[float]], live_from: float) -> list[float]:
    """[s] per event stored while live: stored time minus its enterprise's last POST."""
    lags = []
    with database.session() as session:
        for event in session.scalars(select(EnvEvent)):
            created = event.created_at.timestamp()
            if created >= live_from:
                lags.append(created - max(s for s in sent[event.enterprise_id] if s <= created))
    return sorted(lags)


def postgres_url() -> str:
    """A fresh database on the server of NEVPORT_TEST_POSTGRES_URL."""
    admin_url = os.environ["NEVPORT_TEST_POSTGRES_URL"]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text('DROP DATABASE IF EXISTS "bench_envlag" WITH (FORCE)'))
        c.execute(text('CREATE DATABASE "bench_envlag"'))
    admin.dispose()
    return make_url(admin_url).set(database="bench_envlag").render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=200)
    parser.add_argument("--facilities", type=int, default=10, help="per enterprise, even")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--postgres", action="store_true", help="NEVPORT_TEST_POSTGRES_URL")
    parser.add_argument(
        "--history", type=int, default=HISTORY_MIN, help="minutes stored before the start"
    )
    args = parser.parse_args()
    n, f = args.enterprises, args.facilities
    data_dir = Path(tempfile.mkdtemp(prefix="nevport-envlag-"))
    secret = secrets.token_urlsafe(32)
    url = postgres_url() if args.postgres else None
    settings = Settings(data_dir=data_dir, secret_key=secret, database_url=url)
    database = Database(settings.resolved_database_url)
    t_setup = time.monotonic()
    firms = setup(database, n, f)
    setup_s = time.monotonic() - t_setup
    # The live start: time to store the history and for the server's first pass over it
    # (about a minute per 4 hours of history here).
    ahead = timedelta(minutes=2 + args.history // 240)
    m0 = datetime.now(UTC).replace(second=0, microsecond=0) + ahead
    history(database, firms, f, m0, args.history)
    env_vars = {
        **os.environ,
        "NEVPORT_DATA_DIR": str(data_dir),
        "NEVPORT_SECRET_KEY": secret,
        "NEVPORT_COOKIE_SECURE": "false",
    }
    env_vars.pop("NEVPORT_DATABASE_URL", None)
    if url:
        env_vars["NEVPORT_DATABASE_URL"] = url
    cmd = [sys.executable, "-m", "nevport.cli", "serve", "--port", str(args.port)]
    server = start([*cmd, "--workers", "1"], env_vars, data_dir / "serve.log")
    base = f"http://127.0.0.1:{args.port}"
    load_before = os.getloadavg()
    try:
        wait_healthy(base)
        t_warm = time.monotonic()
        in_history = sum(1 for i in range(n) if FALL_AT + i % FALLS + 5 < 0)
        while stored(database, "abnormal_stop") < in_history and time.monotonic() - t_warm < 600:
            time.sleep(0.2)
        warm_s = time.monotonic() - t_warm
        live_from = time.time()
        sent, late_slots = post_live(base, firms, f, m0)
        time.sleep(3)
    finally:
        stop(server)
    load_after = os.getloadavg()
    lags = measured(database, sent, live_from)
    result = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_avg_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "park": f"{n} enterprises x {f} facilities, one reading a minute per meter",
        "database": "PostgreSQL" if url else "SQLite",
        "history_min": args.history,
        "setup_s": round(setup_s, 1),
        "first_pass_s": round(warm_s, 1),
        "late_slots": late_slots,
        "events_live": len(lags),
        "treatment_off_expected": n,
        "treatment_off_stored": stored(database, "treatment_off"),
        "lag_p50_s": round(statistics.median(lags), 3) if lags else None,
        "lag_p95_s": round(lags[int(0.95 * (len(lags) - 1))], 3) if lags else None,
        "lag_max_s": round(lags[-1], 3) if lags else None,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
