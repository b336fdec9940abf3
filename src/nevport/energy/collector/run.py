"""The collector's event loop: pollers write to the buffer, one forwarder drains it."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
import zlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from nevport.energy.collector.buffer import REFUSED, SENT, Buffer, Row, Writer
from nevport.energy.collector.config import Device, SiteConfig
from nevport.energy.collector.drivers import make_driver
from nevport.energy.protocols.errors import DecodeError

log = logging.getLogger("nevport.energy.collector")
BACKOFF_MAX_S = 30.0  # [s] longest wait between tries to a silent device or center
QUANTUM_MS = 1000  # [ms] poll timestamps are cut to whole seconds: one reading per second


@dataclass
class Health:
    online: bool = False
    last_seen: str | None = None
    polls: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def fail(self, reason: str) -> None:
        self.online = False
        self.errors[reason] = self.errors.get(reason, 0) + 1


def _stamp(now: datetime) -> str:
    return now.replace(microsecond=0).isoformat()


def _phase(device: Device) -> float:
    """A fixed offset within the interval [s], so a thousand meters are not read at once."""
    return (zlib.crc32(device.code.encode()) % 1000) / 1000 * device.interval_s


def _until_next(device: Device, phase: float) -> float:
    """Seconds to the device's next slot on its grid (k * interval + phase, wall clock)."""
    now = time.time()
    slot = (math.floor((now - phase) / device.interval_s) + 1) * device.interval_s + phase
    return slot - now


async def poll(device: Device, writer: Writer, health: Health) -> None:
    """Read ``device`` once per slot of its interval; readings go to the buffer's writer.

    Slots sit on a wall-clock grid, so timestamps cut to whole seconds stay one per
    interval however long a read takes; a device that stops answering is retried with
    backoff instead.
    """
    driver = make_driver(device)
    phase = _phase(device)
    backoff = device.interval_s
    await asyncio.sleep(_until_next(device, phase))
    while True:
        now = datetime.now(UTC)
        for attempt in range(device.retries + 1):
            try:
                values = await driver.read()
            except DecodeError as exc:
                health.fail(exc.reason.value)
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                health.fail("timeout")
            else:
                writer.add(Row(device.code, q, _stamp(now), str(v), u) for q, v, u in values)
                health.online, health.last_seen = True, _stamp(now)
                health.polls += 1
                backoff = device.interval_s
                break
            if attempt == device.retries:
                backoff = min(backoff * 2, BACKOFF_MAX_S)
        if not health.online:
            await asyncio.sleep(backoff - device.interval_s)
        await asyncio.sleep(_until_next(device, phase))


async def forward(config: SiteConfig, buffer: Buffer, stats: dict[str, int]) -> None:
    """Send waiting readings in batches; mark them only after the center acknowledged."""
    headers = {"Authorization": f"Bearer {config.center.token}"}
    backoff = 0.5
    async with httpx.AsyncClient(
        base_url=config.center.url or "", timeout=config.center.timeout_s
    ) as client:
        while True:
            batch = buffer.waiting(config.center.batch)
            if not batch:
                await asyncio.sleep(0.2)
                continue
            body = {"readings": [asdict(row) for _, row in batch]}
            try:
                reply = await client.post("/api/energy/ingest", json=body, headers=headers)
            except httpx.HTTPError:
                stats["center_errors"] = stats.get("center_errors", 0) + 1
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            backoff = 0.5
            if reply.status_code == 200:
                buffer.mark([i for i, _ in batch], SENT)
                stats["sent"] = stats.get("sent", 0) + len(batch)
            elif reply.status_code == 422 and "errors" in reply.json():
                bad = {e["row"]: e["reason"] for e in reply.json()["errors"]}
                for row, reason in bad.items():  # set aside, then the rest go again
                    buffer.mark([batch[row][0]], REFUSED, reason)
                stats["refused"] = stats.get("refused", 0) + len(bad)
            else:
                stats[f"http_{reply.status_code}"] = stats.get(f"http_{reply.status_code}", 0) + 1
                await asyncio.sleep(min(5.0, BACKOFF_MAX_S))


async def collect(config: SiteConfig, *, report_s: float = 10.0) -> None:
    buffer = Buffer(config.buffer)
    writer = Writer(config.buffer)
    health = {d.code: Health() for d in config.devices}
    stats: dict[str, int] = {}
    tasks = [asyncio.create_task(poll(d, writer, health[d.code])) for d in config.devices]
    tasks.append(asyncio.create_task(writer.run()))
    if config.center.transport == "mqtt":
        from nevport.energy.collector.mqtt_forward import forward_mqtt

        tasks.append(asyncio.create_task(forward_mqtt(config, buffer, stats)))
    else:
        tasks.append(asyncio.create_task(forward(config, buffer, stats)))
    try:
        while True:
            await asyncio.sleep(report_s)
            status: dict[str, Any] = {
                "buffer": buffer.counts(),
                "forward": stats,
                "devices": {k: asdict(h) for k, h in health.items()},
            }
            print(json.dumps(status), flush=True)  # noqa: T201 - the status line is the output
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        writer.close()
        buffer.close()
