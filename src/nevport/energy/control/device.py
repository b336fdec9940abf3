"""Reading and writing one control point over Modbus TCP (pymodbus, synchronous client).

A write is verified by reading the point back; any exception response, timeout or
mismatch is a ``DeviceError`` whose message says which.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from nevport.energy.control.models import RegisterKind

TIMEOUT_S = 3.0  # [s] per request; equipment on the plant LAN answers in milliseconds


class DeviceError(Exception):
    pass


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    unit_id: int
    kind: RegisterKind
    address: int


def _client(target: Target) -> ModbusTcpClient:
    client = ModbusTcpClient(target.host, port=target.port, timeout=TIMEOUT_S, retries=1)
    if not client.connect():  # type: ignore[no-untyped-call]
        raise DeviceError(f"cannot connect to {target.host}:{target.port}")
    return client


def _read(client: ModbusTcpClient, target: Target) -> int:
    if target.kind is RegisterKind.coil:
        answer = client.read_coils(target.address, count=1, device_id=target.unit_id)
    else:
        answer = client.read_holding_registers(target.address, count=1, device_id=target.unit_id)
    if answer.isError():
        raise DeviceError(f"unit {target.unit_id} refused the read of {target.address}: {answer}")
    return int(answer.bits[0]) if target.kind is RegisterKind.coil else int(answer.registers[0])


def read(target: Target) -> int:
    client = _client(target)
    try:
        return _read(client, target)
    except ModbusException as exc:
        raise DeviceError(f"{target.host}:{target.port} unit {target.unit_id}: {exc}") from exc
    finally:
        client.close()  # type: ignore[no-untyped-call]


def write(target: Target, value: int) -> tuple[int, int]:
    """Write ``value``; returns (value before, value read back after)."""
    client = _client(target)
    try:
        before = _read(client, target)
        if target.kind is RegisterKind.coil:
            answer = client.write_coil(target.address, bool(value), device_id=target.unit_id)
        else:
            answer = client.write_register(target.address, value, device_id=target.unit_id)
        if answer.isError():
            raise DeviceError(
                f"unit {target.unit_id} refused the write to {target.address}: {answer}"
            )
        return before, _read(client, target)
    except ModbusException as exc:
        raise DeviceError(f"{target.host}:{target.port} unit {target.unit_id}: {exc}") from exc
    finally:
        client.close()  # type: ignore[no-untyped-call]
