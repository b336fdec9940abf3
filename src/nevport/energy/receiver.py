"""The center's MQTT subscriber: a background task of `nevport serve` when ``mqtt_url`` is set.

Each batch is ingested and committed in a worker thread, and only then acknowledged on
the collector's ack topic (nevport.energy.mqtt explains why the ack, not the broker,
carries at-least-once). Batches are handled one at a time, in arrival order.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from pydantic import ValidationError

from nevport.auth.service import resolve_device_token
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.energy import mqtt
from nevport.energy.ingest import BatchRefused, ingest
from nevport.energy.schemas import IngestBatch, RowError
from nevport.errors import AuthError, InvalidInput

log = logging.getLogger("nevport.energy.receiver")
BACKOFF_MAX_S = 10.0  # [s] longest wait before reconnecting to the broker


def _row_errors(exc: ValidationError) -> list[RowError]:
    """Pydantic's errors as the ingest API's row errors (row index, field, reason)."""
    out = []
    for error in exc.errors():
        loc = error["loc"]
        if len(loc) >= 2 and loc[0] == "readings" and isinstance(loc[1], int):
            field = ".".join(str(p) for p in loc[2:]) or "row"
            out.append(RowError(row=loc[1], field=field, reason=error["msg"]))
    return out


def handle(database: Database, zone: ZoneInfo, payload: bytes) -> dict[str, Any]:
    """Ingest one batch message; the acknowledgement to publish (always has ``status``)."""
    try:
        message = mqtt.decode(payload)
    except InvalidInput as exc:
        return {"id": None, "status": "error", "detail": str(exc)}
    ack: dict[str, Any] = {"id": message.get("id")}
    try:
        batch = IngestBatch.model_validate({"readings": message.get("readings")})
    except ValidationError as exc:
        errors = _row_errors(exc)
        if not errors:
            return {**ack, "status": "error", "detail": str(exc)}
        return {**ack, "status": "refused", "errors": [e.model_dump() for e in errors]}
    try:
        with database.session() as session:
            device = resolve_device_token(session, str(message.get("token", "")))
            result = ingest(session, device.enterprise_id, batch.readings, zone=zone)
    except AuthError as exc:
        return {**ack, "status": "unauthorized", "detail": str(exc)}
    except BatchRefused as exc:
        return {**ack, "status": "refused", "errors": [e.model_dump() for e in exc.errors]}
    return {**ack, "status": "stored", **result.model_dump()}


async def serve_mqtt(settings: Settings, database: Database) -> None:
    """Subscribe, ingest, acknowledge; reconnect with backoff whenever the broker goes away."""
    import aiomqtt

    if settings.mqtt_url is None:
        return
    broker = mqtt.parse_url(settings.mqtt_url)
    zone = ZoneInfo(settings.timezone)
    backoff = 0.5
    while True:
        try:
            async with aiomqtt.Client(broker.host, broker.port, keepalive=10) as client:
                await client.subscribe(mqtt.batch_filter(settings.mqtt_topic), qos=mqtt.QOS)
                backoff = 0.5
                async for message in client.messages:
                    payload = message.payload
                    if not isinstance(payload, bytes | bytearray):
                        continue
                    ack = await asyncio.to_thread(handle, database, zone, bytes(payload))
                    client_name = mqtt.client_of(str(message.topic))
                    await client.publish(
                        mqtt.ack_topic(settings.mqtt_topic, client_name),
                        mqtt.encode(ack),
                        qos=mqtt.QOS,
                    )
        except aiomqtt.MqttError as exc:
            log.warning("MQTT broker %s:%s: %s", broker.host, broker.port, exc)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_S)


async def mqtt_receiver(app: FastAPI) -> None:
    """Background task of `nevport serve`: returns at once when no broker is configured."""
    settings: Settings = app.state.settings
    if settings.mqtt_url is not None:
        await serve_mqtt(settings, app.state.db)
