"""Simulated equipment on loopback (real pymodbus server), and a client to inspect it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from pymodbus.client import ModbusTcpClient

from nevport.energy.control.simulator import serve_equipment

from ...notify.conftest import free_port


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

    async def start() -> None:
        await serve_equipment("127.0.0.1", port)

    thread = threading.Thread(
        target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        probe = ModbusTcpClient("127.0.0.1", port=port, timeout=1)
        if probe.connect():  # type: ignore[no-untyped-call]
            probe.close()  # type: ignore[no-untyped-call]
            break
        time.sleep(0.05)
    yield port
    loop.call_soon_threadsafe(loop.stop)
