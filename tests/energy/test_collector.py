"""The whole acquisition chain on loopback: simulated meters (pymodbus and DL/T 645 over
TCP) -> collector processes -> HTTP -> center. The collector is killed with SIGKILL while
running and restarted; afterwards every reading in its disk buffer is in the center."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from nevport.auth import service as auth_service
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.energy import service
from nevport.energy.models import MeterLevel, Reading
from nevport.energy.protocols import modbus
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelCreate, MeterCreate
from nevport.park.models import Enterprise
from nevport.web.server import BackgroundServer, free_port

pytestmark = pytest.mark.slow
DLT645_QUANTITIES = [Quantity.active_energy_import, Quantity.active_power]


def spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "nevport.cli", "energy", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@contextmanager
def running(*args: str) -> Iterator[subprocess.Popen[bytes]]:
    process = spawn(*args)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def meter(code: str, quantities: list[Quantity]) -> MeterCreate:
    return MeterCreate(
        code=code,
        name=code,
        level=MeterLevel.equipment,
        installed_at=datetime(2020, 1, 1, tzinfo=UTC),
        channels=[ChannelCreate(quantity=q) for q in quantities],
    )


def buffered(path: Path, state: int | None = None) -> int:
    with sqlite3.connect(path) as db:
        query = "SELECT count(*) FROM readings" + (
            "" if state is None else f" WHERE state = {state}"
        )
        return int(db.execute(query).fetchone()[0])


def buffered_so_far(path: Path) -> int:
    """Readings in the collector's buffer, 0 while it has not created the file or its table
    yet (the collector creates the file first, then its schema)."""
    if not path.exists():
        return 0
    try:
        return buffered(path)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise


def wait_until(check: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"condition not met within {timeout_s} s")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sigkill_loses_no_reading(
    database: Database,
    settings: Settings,
    make_enterprise: Callable[..., Enterprise],
    tmp_path: Path,
) -> None:
    enterprise = make_enterprise()
    sdm = sorted({r.quantity for r in modbus.load_map("sdm630").registers if r.quantity})
    with database.session() as session:
        for code in ("MB1", "MB2"):
            service.create_meter(session, enterprise.id, meter(code, sdm))
        service.create_meter(session, enterprise.id, meter("DL1", DLT645_QUANTITIES))
        token, _ = auth_service.create_device_token(session, enterprise.id, "edge")
    mb_port, dl_port = free_port(), free_port()
    buffer = tmp_path / "edge" / "buffer.db"
    with BackgroundServer(settings) as center:
        site = {
            "center": {"url": center.url, "token": token, "batch": 50},
            "buffer": str(buffer),
            "devices": [
                {
                    "code": "MB1",
                    "protocol": "modbus",
                    "host": "127.0.0.1",
                    "port": mb_port,
                    "unit": 1,
                    "interval_s": 0.5,
                },
                {
                    "code": "MB2",
                    "protocol": "modbus",
                    "host": "127.0.0.1",
                    "port": mb_port,
                    "unit": 2,
                    "interval_s": 0.5,
                },
                {
                    "code": "DL1",
                    "protocol": "dlt645",
                    "host": "127.0.0.1",
                    "port": dl_port,
                    "address": "000000000003",
                    "interval_s": 0.5,
                },
            ],
        }
        config = tmp_path / "site.yaml"
        config.write_text(yaml.safe_dump(site), encoding="utf-8")
        sim_args = (
            "simulate-meters",
            "--count",
            "3",
            "--modbus-port",
            str(mb_port),
            "--dlt645-port",
            str(dl_port),
            "--fault",
            "malformed",
            "--fault-rate",
            "0.1",
        )
        with running(*sim_args):
            with running("collect", "--config", str(config), "--report-s", "1") as first:
                wait_until(lambda: buffered_so_far(buffer) > 20, 30)
                os.kill(first.pid, signal.SIGKILL)  # no chance to flush or say goodbye
                first.wait(10)
            killed_at = buffered(buffer)
            with running("collect", "--config", str(config), "--report-s", "1"):
                wait_until(lambda: buffered(buffer) > killed_at + 20, 30)
                time.sleep(0.5)
            # the simulator stops; a last collector run drains what is left
        with running("collect", "--config", str(config), "--report-s", "1"):
            wait_until(lambda: buffered(buffer, state=0) == 0, 30)
    total = buffered(buffer)
    with database.session() as session:
        stored = session.scalar(select(func.count()).select_from(Reading))
    assert buffered(buffer, state=2) == 0  # nothing refused
    assert stored == total
    assert total > killed_at > 20
    with sqlite3.connect(buffer) as db:
        meters = {row[0] for row in db.execute("SELECT DISTINCT meter FROM readings")}
    assert meters == {"MB1", "MB2", "DL1"}  # both protocols were read
