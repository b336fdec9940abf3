"""Simulated meters on loopback: Modbus TCP (SDM630 map) and DL/T 645-2007 over TCP.

Each meter draws a factory load (two shifts on weekdays, a skeleton load at night and
on weekends, equipment cycling on top) and integrates it into its energy register, so
counters are consistent with power. Faults are injected on request (docs/energy/
simulator.md): ``timeout`` (no answer), ``malformed`` (a garbled frame), ``zero`` (a
transient zero reading), ``rollover`` (meter 0 starts just below its register maximum),
``reset`` (meter 0 clears its register after ``RESET_AFTER``).
"""

from __future__ import annotations

import asyncio
import functools
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from nevport.energy.protocols import dlt645, modbus
from nevport.energy.protocols.errors import DecodeError

FAULTS = frozenset({"timeout", "malformed", "zero", "rollover", "reset"})
SHANGHAI = ZoneInfo("Asia/Shanghai")
SHIFT_HOURS = range(8, 22)  # [h local] two shifts, 08:00-22:00 (demo plant assumption)
BASE_KW = 40.0  # [kW] lighting, compressors, IT at night: ~20 % of the day load
SHIFT_KW = 160.0  # [kW] production load on top during shifts
WEEKEND_FACTOR = 0.3  # weekend production runs one line
CYCLE_S = 300.0  # [s] equipment cycle (presses, ovens) modulating the load
REGISTER_MAX = Decimal("999999.99")  # [kWh] DL/T 645 XXXXXX.XX energy register
RESET_AFTER = timedelta(seconds=30)
# DL/T 645 meters sit behind 200/5 A current transformers and report secondary values
# (XX.XXXX kW holds at most 79.9999 kW); the center multiplies by the channel's CT ratio.
DLT645_CT_RATIO = Decimal(40)
DLT645_DEFAULT_ADDRESS_BASE = 1
# An incomer reads its feeders' sum plus 3 % for transformer and cable losses and loads
# nobody metered: a demo assumption in the range plants report (docs/energy/acquisition.md).
INCOMER_EXTRA = Decimal("0.03")


def factory_kw(index: int, at: datetime) -> float:
    """Demand of meter ``index`` at ``at`` [kW], deterministic in (index, at)."""
    local = at.astimezone(SHANGHAI)
    size = 0.5 + (index * 7919 % 100) / 100  # meters differ in size by up to 3x
    production = SHIFT_KW if local.hour in SHIFT_HOURS else 0.0
    if local.weekday() >= 5:
        production *= WEEKEND_FACTOR
    phase = (index * 37.0) % CYCLE_S
    cycle = 0.15 * math.sin(2 * math.pi * (at.timestamp() + phase) / CYCLE_S)
    return size * (BASE_KW + production) * (1 + cycle)


@dataclass
class SimMeter:
    index: int
    energy_kwh: Decimal = Decimal(0)
    power_kw: Decimal = Decimal(0)
    last: datetime | None = None
    reset_done: bool = False
    faults: frozenset[str] = field(default_factory=frozenset)
    step_kwh: Decimal = Decimal(0)  # energy added by the last tick

    @property
    def address(self) -> str:
        return f"{self.index + DLT645_DEFAULT_ADDRESS_BASE:012d}"

    def advance(self, now: datetime, started: datetime) -> None:
        kw = factory_kw(self.index, now)
        self.power_kw = Decimal(f"{kw:.4f}")
        before = self.energy_kwh
        if self.last is not None:
            hours = Decimal((now - self.last).total_seconds()) / 3600
            self.energy_kwh = (self.energy_kwh + self.power_kw * hours).quantize(Decimal("0.01"))
        self.step_kwh = self.energy_kwh - before
        due = now - started > RESET_AFTER
        if "reset" in self.faults and self.index == 0 and not self.reset_done and due:
            self.energy_kwh, self.reset_done = Decimal(0), True
        self.last = now

    def feed(self, feeders: list[SimMeter], now: datetime) -> None:
        """Read as the incomer above ``feeders``: their sum plus INCOMER_EXTRA."""
        factor = 1 + INCOMER_EXTRA
        self.power_kw = (sum((f.power_kw for f in feeders), Decimal(0)) * factor).quantize(
            Decimal("0.0001")
        )
        step = sum((f.step_kwh for f in feeders), Decimal(0)) * factor
        self.energy_kwh = (self.energy_kwh + step).quantize(Decimal("0.01"))
        self.last = now


@dataclass
class Fleet:
    meters: list[SimMeter]
    fault_rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(7))  # noqa: S311 - faults, not secrets
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    group: int = 0  # meters per site: an incomer, then its feeders; 0: all independent

    @classmethod
    def build(cls, count: int, faults: Iterable[str], fault_rate: float, group: int = 0) -> Fleet:
        chosen = frozenset(faults)
        unknown = chosen - FAULTS
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {sorted(FAULTS)}")
        meters = [SimMeter(i, Decimal(1000 + 37 * i), faults=chosen) for i in range(count)]
        if "rollover" in chosen and meters:
            meters[0].energy_kwh = (REGISTER_MAX - Decimal("0.30")) * DLT645_CT_RATIO
        return cls(meters, fault_rate, group=group)

    def tick(self) -> None:
        now = datetime.now(UTC)
        heads = range(0, len(self.meters), self.group) if self.group > 1 else range(0)
        for meter in self.meters:
            if meter.index not in heads:
                meter.advance(now, self.started)
        for head in heads:
            feeders = self.meters[head + 1 : head + self.group]
            if feeders:
                self.meters[head].feed(feeders, now)
            else:
                self.meters[head].advance(now, self.started)

    def fault(self, kind: str) -> bool:
        return kind in self.meters[0].faults and self.rng.random() < self.fault_rate


# --- DL/T 645 over TCP: one port is one RS-485 bus behind a serial-to-Ethernet gateway ---


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    """One frame off the stream: skip to 0x68, read the header, then L + 2 bytes."""
    byte = await reader.readexactly(1)
    while byte[0] != dlt645.START:
        byte = await reader.readexactly(1)
    header = byte + await reader.readexactly(dlt645.HEADER_LEN - 1)
    return header + await reader.readexactly(header[-1] + 2)


def _register(secondary_kwh: Decimal) -> Decimal:
    """The XXXXXX.XX register: it wraps to zero after REGISTER_MAX."""
    return secondary_kwh.quantize(Decimal("0.01")) % (REGISTER_MAX + Decimal("0.01"))


def _answer(fleet: Fleet, request: bytes) -> bytes | None:
    try:
        frame = dlt645.decode(request)
        asked = dlt645.interpret(frame)
    except DecodeError:
        return None  # a real meter stays silent on a frame it cannot parse
    by_address = {m.address: m for m in fleet.meters}
    meter = by_address.get(frame.address)
    if meter is None:
        return None
    di = dlt645.IDENTIFIERS.get(asked.di)
    if di is None:
        return dlt645.encode(dlt645.error_reply(meter.address, 0x02))
    value = {
        "active_energy_import": _register(meter.energy_kwh / DLT645_CT_RATIO),
        "active_power": (meter.power_kw / DLT645_CT_RATIO).quantize(Decimal("0.0001")),
        "voltage_a": Decimal("230.1"),
        "current_a": (meter.power_kw * 1000 / Decimal(3 * 230) / DLT645_CT_RATIO).quantize(
            Decimal("0.001")
        ),
        "power_factor": Decimal("0.950"),
    }.get(di.name, Decimal(0))
    if di.name == "active_energy_import" and fleet.fault("zero"):
        value = Decimal(0)
    try:
        wire = dlt645.encode(dlt645.read_reply(meter.address, di, value))
    except DecodeError:  # a value the format cannot hold: the meter reports "other error"
        return dlt645.encode(dlt645.error_reply(meter.address, 0x01))
    if fleet.fault("malformed"):
        wire = wire[:-2] + bytes([wire[-2] ^ 0x5A]) + wire[-1:]
    return wire


async def serve_dlt645(fleet: Fleet, host: str, port: int) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_frame(reader)
                if fleet.fault("timeout"):
                    continue
                reply = _answer(fleet, request)
                if reply is not None:
                    writer.write(reply)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)


# --- Modbus TCP: one unit id per meter, SDM630 input registers --------------------------


def _sdm630_words(meter: SimMeter, zero: bool) -> dict[int, list[int]]:
    regmap = modbus.load_map("sdm630")
    values = {
        "voltage_l1": Decimal("230.1"),
        "current_l1": meter.power_kw * 1000 / Decimal(3 * 230),
        "active_power": meter.power_kw * 1000,
        "power_factor": Decimal("0.95"),
        "frequency": Decimal(50),
        "import_energy": Decimal(0) if zero else meter.energy_kwh,
    }
    return {
        regmap.by_name(name).address: modbus.encode_value(regmap.by_name(name), v, "big")
        for name, v in values.items()
    }


MODBUS_UNITS = 247  # unit ids 1..247 per port (Modbus application protocol 4.1)
TIMEOUT_FAULT_S = 5.0  # [s] a "timeout" fault answers later than any collector waits


async def serve_modbus(fleet: Fleet, host: str, port: int) -> asyncio.Task[None]:
    """One pymodbus device per meter (unit id = index + 1), registers filled at each read."""
    from pymodbus.server import StartAsyncTcpServer
    from pymodbus.simulator import DataType, SimData, SimDevice

    if len(fleet.meters) > MODBUS_UNITS:
        raise ValueError(f"{len(fleet.meters)} meters; one Modbus port serves {MODBUS_UNITS}")

    async def on_read(
        meter: SimMeter,
        _fc: int,
        start: int,
        _address: int,
        _count: int,
        registers: list[int],
        _set: object,
    ) -> None:
        if fleet.fault("timeout"):
            await asyncio.sleep(TIMEOUT_FAULT_S)
        for address, words in _sdm630_words(meter, fleet.fault("zero")).items():
            for j, word in enumerate(words):
                if 0 <= address + j - start < len(registers):
                    registers[address + j - start] = word

    devices = []
    for meter in fleet.meters:
        bits = [SimData(0, values=False, datatype=DataType.BITS)]
        regs = [SimData(0, count=0x200, values=0, datatype=DataType.REGISTERS)]
        devices.append(
            SimDevice(
                meter.index + 1,
                simdata=(bits, list(bits), regs, list(regs)),
                action=functools.partial(on_read, meter),
            )
        )
    return asyncio.create_task(StartAsyncTcpServer(devices, address=(host, port)))


async def run(
    fleet: Fleet, host: str, modbus_port: int | None, dlt645_port: int | None, tick_s: float = 1.0
) -> None:
    """Serve until cancelled, advancing every meter each ``tick_s`` seconds."""
    fleet.tick()
    servers: list[asyncio.Server] = []
    tasks: list[asyncio.Task[None]] = []
    if dlt645_port is not None:
        servers.append(await serve_dlt645(fleet, host, dlt645_port))
    if modbus_port is not None:
        tasks.append(await serve_modbus(fleet, host, modbus_port))
    try:
        while True:
            await asyncio.sleep(tick_s)
            fleet.tick()
    finally:
        for server in servers:
            server.close()
        for task in tasks:
            task.cancel()
