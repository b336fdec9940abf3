"""Simulated equipment controllers on loopback: pymodbus devices with 64 coils and 64
holding registers each, for tests and the demo to switch and set."""

from __future__ import annotations

import asyncio

COILS = 64  # per device: switches (compressors, ovens, chargers)
REGISTERS = 64  # per device: set points (temperatures, power limits)


async def serve_equipment(host: str, port: int, units: int = 1) -> asyncio.Task[None]:
    from pymodbus.server import StartAsyncTcpServer
    from pymodbus.simulator import DataType, SimData, SimDevice

    devices = []
    for unit in range(1, units + 1):
        bits = [SimData(0, count=COILS, values=False, datatype=DataType.BITS)]
        regs = [SimData(0, count=REGISTERS, values=0, datatype=DataType.REGISTERS)]
        devices.append(SimDevice(unit, simdata=(bits, list(bits), regs, list(regs))))
    return asyncio.create_task(StartAsyncTcpServer(devices, address=(host, port)))
