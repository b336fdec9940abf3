"""Forward buffered readings through an MQTT broker; rows leave the buffer on the center's ack.

A few batches are in flight at once (``WINDOW``) so broker and center round trips
overlap. A batch without an acknowledgement after ``center.timeout_s`` is published again
with the same rows: the broker or the center may have died holding it. Losing the
broker drops every in-flight batch; after reconnecting, the collector starts again from
the oldest unacknowledged row (docs/energy/acquisition.md).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from nevport.energy import mqtt
from nevport.energy.collector.buffer import REFUSED, SENT, Buffer, Row
from nevport.energy.collector.config import SiteConfig
from nevport.errors import InvalidInput

if TYPE_CHECKING:
    import aiomqtt

log = logging.getLogger("nevport.energy.collector")
WINDOW = 4  # [batches] published and not yet acknowledged
IDLE_S = 0.2  # [s] pause when the buffer has nothing new
BACKOFF_MAX_S = 30.0  # [s] longest wait before reconnecting to a silent broker


@dataclass
class Batch:
    rows: list[tuple[int, Row]]
    sent_at: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.rows[0][0]}-{self.rows[-1][0]}-{len(self.rows)}"


def _bump(stats: dict[str, int], key: str, n: int = 1) -> None:
    stats[key] = stats.get(key, 0) + n


class Link:
    """One broker connection's worth of forwarding state."""

    def __init__(
        self, client: aiomqtt.Client, config: SiteConfig, buffer: Buffer, stats: dict[str, int]
    ):
        self.client = client
        self.center = config.center
        self.buffer = buffer
        self.stats = stats
        self.topic = mqtt.batch_topic(config.center.topic, config.center.client)
        self.inflight: dict[str, Batch] = {}
        self.cursor = 0  # highest buffer id published on this connection

    async def publish(self, batch: Batch) -> None:
        message = {
            "id": batch.key,
            "token": self.center.token,
            "readings": [asdict(row) for _, row in batch.rows],
        }
        self.inflight[batch.key] = batch
        batch.sent_at = asyncio.get_running_loop().time()
        await self.client.publish(self.topic, mqtt.encode(message), qos=mqtt.QOS)

    async def send(self) -> None:
        """Publish new rows while the window has room; resend what timed out."""
        while True:
            now = asyncio.get_running_loop().time()
            for batch in list(self.inflight.values()):
                if now - batch.sent_at > self.center.timeout_s:
                    _bump(self.stats, "resent", len(batch.rows))
                    await self.publish(batch)
            rows = []
            if len(self.inflight) < WINDOW:
                rows = self.buffer.waiting(self.center.batch, after=self.cursor)
            if rows:
                self.cursor = rows[-1][0]
                await self.publish(Batch(rows))
            else:
                await asyncio.sleep(IDLE_S)

    async def receive(self) -> None:
        async for message in self.client.messages:
            try:
                ack = mqtt.decode(message.payload)
            except InvalidInput:
                _bump(self.stats, "bad_acks")
                continue
            batch = self.inflight.pop(str(ack.get("id")), None)
            if batch is not None:  # else an ack for a batch already settled: nothing to do
                await self.settle(batch, ack)

    async def settle(self, batch: Batch, ack: dict[str, Any]) -> None:
        status = ack.get("status")
        if status == "stored":
            self.buffer.mark([i for i, _ in batch.rows], SENT)
            _bump(self.stats, "sent", len(batch.rows))
        elif status == "refused" and ack.get("errors"):
            bad = {int(e["row"]): str(e["reason"]) for e in ack["errors"]}
            for row, reason in bad.items():  # set aside with the center's reason
                self.buffer.mark([batch.rows[row][0]], REFUSED, reason)
            _bump(self.stats, "refused", len(bad))
            rest = [r for n, r in enumerate(batch.rows) if n not in bad]
            if rest:
                await self.publish(Batch(rest))
        else:  # unauthorized or a center error: keep the rows and try again later
            _bump(self.stats, f"center_{status}")
            batch.sent_at = asyncio.get_running_loop().time()
            self.inflight[batch.key] = batch


async def forward_mqtt(config: SiteConfig, buffer: Buffer, stats: dict[str, int]) -> None:
    """Forward over MQTT until cancelled, reconnecting to the broker with backoff."""
    import aiomqtt

    center = config.center
    broker = mqtt.parse_url(center.mqtt_url or "")
    backoff = 0.5
    while True:
        try:
            async with aiomqtt.Client(
                broker.host,
                broker.port,
                identifier=f"nevport-edge-{center.client}",
                clean_session=True,
                keepalive=10,  # [s] notice a dead broker within ~15 s even when idle
            ) as client:
                await client.subscribe(mqtt.ack_topic(center.topic, center.client), qos=mqtt.QOS)
                backoff = 0.5
                link = Link(client, config, buffer, stats)
                receiver = asyncio.create_task(link.receive())
                sender = asyncio.create_task(link.send())
                try:
                    done, _ = await asyncio.wait(
                        {receiver, sender}, return_when=asyncio.FIRST_EXCEPTION
                    )
                    for task in done:
                        task.result()  # raises the MqttError that ended the connection
                finally:
                    for task in (receiver, sender):
                        task.cancel()
        except aiomqtt.MqttError as exc:
            _bump(stats, "broker_errors")
            log.warning("MQTT broker %s:%s: %s", broker.host, broker.port, exc)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_S)
