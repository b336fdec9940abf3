"""Simulated equipment on loopback (real pymodbus server), a client to inspect it, and
helpers to drive the control API as an enterprise admin."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pymodbus.client import ModbusTcpClient

from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.energy.control.simulator import serve_equipment
from nevport.energy.ingest import ingest
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ReadingIn

from ...notify.conftest import free_port
from ..conftest import Plant

SHANGHAI = ZoneInfo("Asia/Shanghai")
Headers = Callable[[User], dict[str, str]]


def coil(port: int, address: int) -> bool:
    """The coil as the device holds it, read by a separate client."""
    client = ModbusTcpClient("127.0.0.1", port=port, timeout=2)
    client.connect()  # type: ignore[no-untyped-call]
    try:
        return bool(client.read_coils(address, count=1, device_id=1).bits[0])
    finally:
        client.close()  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
def equipment() -> Iterator[int]:
    """The port of a running equipment simulator (coils and registers start at 0)."""
    port = free_port()
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(serve_equipment("127.0.0.1", port))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        probe = ModbusTcpClient("127.0.0.1", port=port, timeout=1)
        if probe.connect():  # type: ignore[no-untyped-call]
            probe.close()  # type: ignore[no-untyped-call]
            break
        time.sleep(0.05)
    yield port

    async def shutdown() -> None:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server

    asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.close()


ADDRESSES = itertools.count(1)  # each test switches its own coil of the shared simulator


def power(database: Database, plant: Plant, watts: int) -> None:
    row = ReadingIn(
        meter="M1", quantity=Quantity.active_power, ts=datetime.now(UTC), value=Decimal(watts)
    )
    with database.session() as session:
        ingest(session, plant.enterprise_id, [row], zone=SHANGHAI)


class Api:
    def __init__(self, client: TestClient, plant: Plant, headers: dict[str, str]):
        self.client, self.headers = client, headers
        self.base = f"/api/enterprises/{plant.enterprise_id}/energy/control"

    def post(self, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        answer = self.client.post(self.base + path, json=body, headers=self.headers)
        assert answer.status_code == status, answer.text
        return dict(answer.json()) if answer.content else {}


@pytest.fixture
def api(
    client: TestClient, plant: Plant, make_user: Callable[..., User], auth_headers: Headers
) -> Api:
    return Api(client, plant, auth_headers(make_user(Role.enterprise_admin, plant.enterprise_id)))


def compressor(api: Api, port: int, plant: Plant, address: int) -> dict[str, Any]:
    point = api.post(
        "/points",
        {
            "code": f"CMP{address}",
            "name": "compressor",
            "host": "127.0.0.1",
            "port": port,
            "kind": "coil",
            "address": address,
        },
    )
    return api.post(
        f"/points/{point['id']}/interlocks",
        {
            "channel_id": plant.power_channel,
            "limit": "150000",
            "only_value": 1,
            "description": "incomer below 150 kW before a start",
        },
        status=200,
    )
