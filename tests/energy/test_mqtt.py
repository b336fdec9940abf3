"""MQTT transport: the center's batch handler on both databases, then the whole chain
(simulated meters -> collector -> mosquitto -> `nevport serve` -> database) with the
collector, the broker and the center each killed by SIGKILL mid-run and restarted."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import func, select

from nevport.auth import service as auth_service
from nevport.db.engine import Database
from nevport.energy import service
from nevport.energy.models import Reading
from nevport.energy.protocols import modbus
from nevport.energy.receiver import handle
from nevport.park.models import Enterprise
from nevport.web.server import free_port

from .conftest import SHANGHAI, Plant
from .test_collector import DLT645_QUANTITIES, buffered, meter, running, wait_until

TOKEN_SECRET = "mqtt-test-secret-key-0123456789-abcdefghijklmnop"


def _batch(plant: Plant, token: str, n: int, start: datetime) -> bytes:
    readings = [
        {
            "meter": "M1",
            "quantity": "active_energy_import",
            "ts": (start + timedelta(seconds=i)).isoformat(),
            "value": f"{100 + i}.5",
        }
        for i in range(n)
    ]
    return json.dumps({"id": "1-3-3", "token": token, "readings": readings}).encode()


def test_handle_stores_once_and_explains_refusals(database: Database, plant: Plant) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    payload = _batch(plant, plant.token, 3, start)
    first = handle(database, SHANGHAI, payload)
    again = handle(database, SHANGHAI, payload)  # a resend after a lost ack
    assert first == {
        "id": "1-3-3",
        "status": "stored",
        "accepted": 3,
        "duplicates": 0,
        "channels": 1,
    }
    assert again["status"] == "stored"
    assert (again["accepted"], again["duplicates"]) == (0, 3)
    assert handle(database, SHANGHAI, _batch(plant, "nvd_wrong-token", 1, start))["status"] == (
        "unauthorized"
    )
    bad = json.loads(payload)
    bad["readings"][1]["ts"] = (start + timedelta(days=1)).isoformat()
    bad["readings"][2]["quantity"] = "joules"
    refused = handle(database, SHANGHAI, json.dumps(bad).encode())
    assert refused["status"] == "refused"
    assert [(e["row"], e["field"]) for e in refused["errors"]] == [(2, "quantity")]
    assert handle(database, SHANGHAI, b"\xff not json")["status"] == "error"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Reading)) == 3


class Broker:
    """A private mosquitto on a fixed port, so that it can be killed and come back."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen(
            [binary, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(lambda: _listening(self.port), 10)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if not (shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()):
        pytest.fail("mosquitto is not installed; scripts/test installs it")
    broker = Broker(tmp_path)
    broker.start()
    yield broker
    if broker.process is not None and broker.process.poll() is None:
        broker.process.kill()
        broker.process.wait(10)


@contextmanager
def center(
    database: Database, data_dir: Path, port: int, mqtt_port: int
) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "NEVPORT_DATABASE_URL": database.url,
        "NEVPORT_DATA_DIR": str(data_dir),
        "NEVPORT_SECRET_KEY": TOKEN_SECRET,
        "NEVPORT_MQTT_URL": f"mqtt://127.0.0.1:{mqtt_port}",
        "NEVPORT_MQTT_TOPIC": f"t{mqtt_port}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "nevport.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _healthy(port), 30)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sigkill_collector_broker_center_loses_no_reading(
    database: Database,
    make_enterprise: Callable[..., Enterprise],
    broker: Broker,
    tmp_path: Path,
) -> None:
    enterprise = make_enterprise()
    sdm = sorted({r.quantity for r in modbus.load_map("sdm630").registers if r.quantity})
    with database.session() as session:
        service.create_meter(session, enterprise.id, meter("MB1", sdm))
        service.create_meter(session, enterprise.id, meter("DL1", DLT645_QUANTITIES))
        token, _ = auth_service.create_device_token(session, enterprise.id, "edge")
    mb_port, dl_port, web_port = free_port(), free_port(), free_port()
    buffer = tmp_path / "edge" / "buffer.db"
    config = tmp_path / "site.yaml"
    device = {"host": "127.0.0.1", "interval_s": 0.5}
    site = {
        "center": {
            "transport": "mqtt",
            "mqtt_url": f"mqtt://127.0.0.1:{broker.port}",
            "topic": f"t{broker.port}",
            "client": "site1",
            "token": token,
            "batch": 20,
            "timeout_s": 2,
        },
        "buffer": str(buffer),
        "devices": [
            {"code": "MB1", "protocol": "modbus", "port": mb_port, "unit": 1, **device},
            {
                "code": "DL1",
                "protocol": "dlt645",
                "port": dl_port,
                "address": "000000000002",
                **device,
            },
        ],
    }
    config.write_text(yaml.safe_dump(site), encoding="utf-8")
    collect = ("collect", "--config", str(config), "--report-s", "1")

    def stored() -> int:
        with database.session() as session:
            return int(session.scalar(select(func.count()).select_from(Reading)) or 0)

    sim = (
        "simulate-meters",
        "--count",
        "3",
        "--modbus-port",
        str(mb_port),
        "--dlt645-port",
        str(dl_port),
    )
    with running(*sim):
        with center(database, tmp_path, web_port, broker.port) as first_center:
            with running(*collect) as first:
                wait_until(lambda: stored() > 10, 30)
                os.kill(first.pid, signal.SIGKILL)  # collector dies mid-run
                first.wait(10)
            with running(*collect):
                seen = stored()
                wait_until(lambda: stored() > seen + 10, 30)
                broker.kill()  # broker dies with whatever it held in memory
                time.sleep(1.0)
                broker.start()
                seen = stored()
                wait_until(lambda: stored() > seen + 10, 40)
                os.kill(first_center.pid, signal.SIGKILL)  # center dies mid-ingest
                first_center.wait(10)
                time.sleep(1.0)
                with center(database, tmp_path, web_port, broker.port):
                    seen = stored()
                    wait_until(lambda: stored() > seen + 10, 40)
        # meters stop; a last collector run drains the buffer through a fresh center
        with center(database, tmp_path, web_port, broker.port), running(*collect):
            wait_until(lambda: buffered(buffer, state=0) == 0, 40)
    total = buffered(buffer)
    assert buffered(buffer, state=2) == 0  # nothing refused
    assert stored() == total > 60
