"""The collector <-> center MQTT contract: topics, payloads, broker addresses.

At-least-once end to end does not rest on the broker: a collector keeps a batch in its
disk buffer until the *center* publishes an acknowledgement on the collector's ack topic,
after the batch is committed to the database. A broker that dies with messages in
memory, or a center killed mid-ingest, therefore costs a resend, never a reading; the
center ingests idempotently, so the resend changes nothing that was already stored.

    {prefix}/energy/batches/{client}   collector -> center  {"id", "token", "readings"}
    {prefix}/energy/acks/{client}      center -> collector  {"id", "status", ...}

The device token travels inside the payload: run the broker on a trusted network or
with TLS and per-client ACLs (docs/energy/acquisition.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from nevport.errors import InvalidInput

QOS = 1  # at least once between each client and the broker; end to end rests on acks
DEFAULT_PORT = 1883  # IANA port for MQTT without TLS
CLIENT_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # no '/', '+', '#': one topic level

Status = Literal["stored", "refused", "unauthorized", "error"]


@dataclass(frozen=True)
class Broker:
    host: str
    port: int


def parse_url(url: str) -> Broker:
    """``mqtt://host[:port]`` -> Broker; anything else is refused with the URL given."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise InvalidInput(f"MQTT URL {url!r} is not mqtt://host[:port]", field="mqtt_url")
    return Broker(parts.hostname, parts.port or DEFAULT_PORT)


def batch_topic(prefix: str, client: str) -> str:
    return f"{prefix}/energy/batches/{client}"


def batch_filter(prefix: str) -> str:
    return f"{prefix}/energy/batches/+"


def ack_topic(prefix: str, client: str) -> str:
    return f"{prefix}/energy/acks/{client}"


def client_of(topic: str) -> str:
    """The collector's name: the last level of a batch topic."""
    return topic.rsplit("/", 1)[-1]


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()


def decode(payload: bytes | bytearray) -> dict[str, Any]:
    """A JSON object, or InvalidInput naming what is wrong with the payload."""
    try:
        message = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"payload is not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise InvalidInput(f"payload is a JSON {type(message).__name__}, not an object")
    return message
