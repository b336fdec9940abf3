"""Protocol drivers: one ``read`` per poll, returning decoded (quantity, value, unit) triples.

Drivers raise ``DecodeError`` for a bad answer and ``TimeoutError``/``OSError`` for no
answer; the poller counts both in device health and retries with backoff.
"""

from __future__ import annotations

import asyncio
import functools
from decimal import Decimal
from typing import Any, Protocol

from nevport.energy.collector.config import Device
from nevport.energy.protocols import dlt645, modbus
from nevport.energy.protocols.errors import DecodeError, Reason

# DL/T 645 identifier -> center quantity (per-phase values are reported for phase A)
DLT645_QUANTITY = {
    "active_energy_import": "active_energy_import",
    "active_energy_export": "active_energy_export",
    "active_power": "active_power",
    "reactive_power": "reactive_power",
    "voltage_a": "voltage",
    "current_a": "current",
    "power_factor": "power_factor",
    "frequency": "frequency",
}

Values = list[tuple[str, Decimal, str]]


class Driver(Protocol):
    async def read(self) -> Values: ...

    async def close(self) -> None: ...


@functools.lru_cache(maxsize=32)
def _polled_map(name: str) -> modbus.RegisterMap:
    """The map cut to the registers the center stores: fewer register blocks per poll
    (2 instead of 3 for the SDM630), and one parse for a thousand meters of one model."""
    full = modbus.load_map(name)
    kept = tuple(r for r in full.registers if r.quantity is not None)
    return full.model_copy(update={"registers": kept}) if kept else full


class ModbusDriver:
    def __init__(self, device: Device):
        from pymodbus.client import AsyncModbusTcpClient

        self.device = device
        self.map = _polled_map(device.map)
        self.client: Any = AsyncModbusTcpClient(
            device.host, port=device.port, timeout=device.timeout_s, retries=0
        )

    async def read(self) -> Values:
        if not self.client.connected:
            await self.client.connect()
            if not self.client.connected:
                raise ConnectionError(f"modbus {self.device.host}:{self.device.port} refused")
        call = (
            self.client.read_input_registers
            if self.map.function == "input"
            else self.client.read_holding_registers
        )
        out: Values = []
        for start, count in self.map.blocks():
            reply = await call(start, count=count, device_id=self.device.unit)
            if reply.isError():
                raise DecodeError(Reason.value, f"unit {self.device.unit} answered {reply}")
            for v in modbus.decode_registers(self.map, start, reply.registers):
                if v.quantity is not None:
                    out.append((v.quantity.value, v.value, v.unit))
        return out

    async def close(self) -> None:
        self.client.close()


class Dlt645Driver:
    """Meters on an RS-485 bus behind a TCP gateway; one request at a time per bus."""

    def __init__(self, device: Device):
        self.device = device
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        for name in device.identifiers:
            if name not in DLT645_QUANTITY:
                raise DecodeError(Reason.unknown, f"identifier {name!r} has no quantity")

    async def _ask(self, di: dlt645.DataIdentifier) -> Decimal:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.device.host, self.device.port)
        reader, writer = self.streams
        writer.write(dlt645.encode(dlt645.read_request(self.device.address, di.code)))
        await writer.drain()
        header = await reader.readexactly(dlt645.HEADER_LEN)
        while header[0] == dlt645.PREAMBLE:
            header = header[1:] + await reader.readexactly(1)
        raw = header + await reader.readexactly(header[-1] + 2)
        reading = dlt645.interpret(dlt645.decode(raw))
        if reading.di != di.code or reading.value is None:
            raise DecodeError(Reason.value, f"asked {di.code:08X}, got {reading.di:08X}")
        return reading.value

    async def read(self) -> Values:
        out: Values = []
        try:
            for name in self.device.identifiers:
                di = dlt645.BY_NAME[name]
                value = await asyncio.wait_for(self._ask(di), self.device.timeout_s)
                out.append((DLT645_QUANTITY[name], value, di.unit))
        except BaseException:
            await self.close()  # the stream may hold half a frame: start clean next time
            raise
        return out

    async def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def make_driver(device: Device) -> Driver:
    return ModbusDriver(device) if device.protocol == "modbus" else Dlt645Driver(device)
