"""The collector's site file (YAML), validated with file, line and field in errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nevport.energy.yamlfile import parse
from nevport.errors import InvalidInput

Seconds = Annotated[float, Field(gt=0, le=3600)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Center(Strict):
    """Where readings go: the center's HTTP endpoint, or an MQTT broker the center reads."""

    transport: Literal["http", "mqtt"] = "http"
    url: str | None = Field(default=None, pattern=r"^https?://")
    mqtt_url: str | None = Field(default=None, pattern=r"^mqtt://")
    topic: str = Field(default="nevport", pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
    client: str = Field(default="edge", pattern=r"^[A-Za-z0-9_.-]{1,64}$")  # unique per site
    token: str = Field(min_length=8)
    batch: int = Field(default=500, ge=1, le=10_000)  # [readings] per request
    timeout_s: Seconds = 10.0  # HTTP: per request; MQTT: resend when no ack came by then

    @model_validator(mode="after")
    def _address_for_transport(self) -> Center:
        needed = "url" if self.transport == "http" else "mqtt_url"
        if getattr(self, needed) is None:
            raise ValueError(f"transport {self.transport} needs center.{needed}")
        return self


class Device(Strict):
    code: str = Field(min_length=1, max_length=64)
    protocol: Literal["modbus", "dlt645"]
    host: str
    port: int = Field(ge=1, le=65535)
    unit: int = Field(default=1, ge=0, le=247)  # Modbus unit id
    address: str = Field(default="", pattern=r"^([0-9]{12})?$")  # DL/T 645 meter address
    map: str = "sdm630"
    identifiers: tuple[str, ...] = ("active_energy_import", "active_power")
    interval_s: Seconds = 1.0
    timeout_s: Seconds = 1.0
    retries: int = Field(default=1, ge=0, le=10)


class SiteConfig(Strict):
    center: Center
    buffer: Path
    devices: tuple[Device, ...] = Field(min_length=1)


def load_site(path: Path) -> SiteConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read site file: {exc}") from exc
    config = parse(SiteConfig, text, str(path))
    if not config.buffer.is_absolute():
        config = config.model_copy(update={"buffer": path.parent / config.buffer})
    return config
