"""DL/T 645-2007 multi-function meter frames: encode and decode, no I/O.

A frame on the wire::

    [FE..FE] 68 A0 A1 A2 A3 A4 A5 68 C L DATA CS 16

The address is 12 BCD digits sent least significant byte first; every DATA byte is sent
plus 0x33 (mod 256); CS is the byte sum, mod 256, from the first 68 to the end of DATA.
Byte tables and field meanings: DL/T 645-2007 clauses 4.1-4.3 and appendix A; see
docs/energy/protocols.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum

from nevport.energy.protocols.errors import DecodeError, Reason

PREAMBLE = 0xFE  # wake-up bytes some meters need; receivers skip any number of them
START = 0x68
END = 0x16
DATA_OFFSET = 0x33  # added to every DATA byte on the wire (clause 4.1.3)
HEADER_LEN = 10  # 68 + 6 address + 68 + C + L
MIN_FRAME = 12  # header, CS and 16 with no data
MAX_DATA = 200  # [bytes] largest L a 2007 read reply uses; longer means garbage
WILDCARD = 0xAA  # address byte matching any meter (broadcast and address queries)

DIRECTION_REPLY = 0x80  # C bit 7: sent by the meter
ABNORMAL_REPLY = 0x40  # C bit 6: the meter refuses the request
FOLLOWS = 0x20  # C bit 5: more frames follow
FUNCTION_MASK = 0x1F


class Function(IntEnum):
    broadcast_time = 0x08
    read = 0x11
    read_follow = 0x12
    read_address = 0x13
    write = 0x14


# ERR byte of an abnormal reply (clause 7.2, table 4): bit -> meaning
METER_ERRORS = {
    0x01: "other error",
    0x02: "no such data",
    0x04: "password wrong or not authorised",
    0x08: "baud rate cannot be changed",
    0x10: "too many yearly time zones",
    0x20: "too many daily time slots",
    0x40: "too many tariffs",
}


@dataclass(frozen=True)
class DataIdentifier:
    """One entry of appendix A: a value of ``size`` BCD bytes with ``decimals`` places."""

    code: int  # DI3 DI2 DI1 DI0 as printed in the standard, e.g. 0x00010000
    name: str
    unit: str
    size: int  # [bytes]
    decimals: int
    signed: bool = False  # bit 7 of the most significant byte is the sign (appendix A note)

    @property
    def max_value(self) -> Decimal:
        digits = self.size * 2
        if self.signed:  # the sign bit leaves 0-7 for the top digit
            return (Decimal(8) * Decimal(10) ** (digits - 1) - 1).scaleb(-self.decimals)
        return (Decimal(10) ** digits - 1).scaleb(-self.decimals)


IDENTIFIERS: dict[int, DataIdentifier] = {
    di.code: di
    for di in (
        DataIdentifier(0x00000000, "combined_active_energy", "kWh", 4, 2),
        DataIdentifier(0x00010000, "active_energy_import", "kWh", 4, 2),
        DataIdentifier(0x00020000, "active_energy_export", "kWh", 4, 2),
        DataIdentifier(0x00030000, "reactive_energy_combined_1", "kvarh", 4, 2),
        DataIdentifier(0x00040000, "reactive_energy_combined_2", "kvarh", 4, 2),
        DataIdentifier(0x02010100, "voltage_a", "V", 2, 1),
        DataIdentifier(0x02010200, "voltage_b", "V", 2, 1),
        DataIdentifier(0x02010300, "voltage_c", "V", 2, 1),
        DataIdentifier(0x02020100, "current_a", "A", 3, 3, signed=True),
        DataIdentifier(0x02020200, "current_b", "A", 3, 3, signed=True),
        DataIdentifier(0x02020300, "current_c", "A", 3, 3, signed=True),
        DataIdentifier(0x02030000, "active_power", "kW", 3, 4, signed=True),
        DataIdentifier(0x02030100, "active_power_a", "kW", 3, 4, signed=True),
        DataIdentifier(0x02030200, "active_power_b", "kW", 3, 4, signed=True),
        DataIdentifier(0x02030300, "active_power_c", "kW", 3, 4, signed=True),
        DataIdentifier(0x02040000, "reactive_power", "kvar", 3, 4, signed=True),
        DataIdentifier(0x02060000, "power_factor", "", 2, 3, signed=True),
        DataIdentifier(0x02800002, "frequency", "Hz", 2, 2),
    )
}
BY_NAME = {di.name: di for di in IDENTIFIERS.values()}


@dataclass(frozen=True)
class Frame:
    address: str  # 12 characters, most significant digit first; 'A' is a wildcard nibble
    control: int
    data: bytes = b""  # user data with the 0x33 offset removed
    data_offset: int = field(default=HEADER_LEN, compare=False)  # where DATA began on the wire

    @property
    def function(self) -> int:
        return self.control & FUNCTION_MASK

    @property
    def from_meter(self) -> bool:
        return bool(self.control & DIRECTION_REPLY)

    @property
    def abnormal(self) -> bool:
        return bool(self.control & ABNORMAL_REPLY)


@dataclass(frozen=True)
class Reading:
    """A decoded read reply (or request, when ``value`` is None)."""

    address: str
    di: int
    name: str | None
    value: Decimal | None
    unit: str | None


def checksum(frame_bytes: bytes | bytearray) -> int:
    return sum(frame_bytes) & 0xFF


def _address_bytes(address: str) -> bytes:
    if len(address) != 12 or any(c not in "0123456789Aa" for c in address):
        raise DecodeError(Reason.value, f"address {address!r} is not 12 BCD digits")
    pairs = [int(address[i : i + 2], 16) for i in range(0, 12, 2)]
    return bytes(reversed(pairs))


def encode(frame: Frame, *, preamble: int = 4) -> bytes:
    """The wire bytes of ``frame``, with ``preamble`` FE bytes in front."""
    if len(frame.data) > MAX_DATA:
        raise DecodeError(Reason.length, f"{len(frame.data)} data bytes, at most {MAX_DATA}")
    body = bytearray([START, *_address_bytes(frame.address), START, frame.control & 0xFF])
    body.append(len(frame.data))
    body.extend((b + DATA_OFFSET) & 0xFF for b in frame.data)
    body.append(checksum(body))
    body.append(END)
    return bytes([PREAMBLE] * preamble) + bytes(body)


def _decode_address(raw: bytes, at: int) -> str:
    digits = []
    for i in range(5, -1, -1):
        byte = raw[at + i]
        if byte != WILDCARD and (byte >> 4 > 9 or byte & 0x0F > 9):
            raise DecodeError(Reason.bcd, f"address byte 0x{byte:02X} is not BCD", offset=at + i)
        digits.append(f"{byte:02X}")
    return "".join(digits)


def decode(raw: bytes) -> Frame:
    """The frame in ``raw`` (one frame, optional FE preamble); DecodeError otherwise."""
    start = 0
    while start < len(raw) and raw[start] == PREAMBLE:
        start += 1
    if len(raw) - start < MIN_FRAME:
        raise DecodeError(
            Reason.length,
            f"{len(raw) - start} bytes after the preamble, a frame has at least {MIN_FRAME}",
            offset=len(raw),
        )
    if raw[start] != START:
        raise DecodeError(Reason.framing, f"expected 0x68, got 0x{raw[start]:02X}", offset=start)
    if raw[start + 7] != START:
        got = raw[start + 7]
        raise DecodeError(Reason.framing, f"expected 0x68, got 0x{got:02X}", offset=start + 7)
    address = _decode_address(raw, start + 1)
    length = raw[start + 9]
    expected = start + MIN_FRAME + length
    if len(raw) != expected:
        raise DecodeError(
            Reason.length,
            f"L={length} needs a {expected - start}-byte frame, got {len(raw) - start}",
            offset=start + 9,
        )
    cs_at = start + HEADER_LEN + length
    if checksum(raw[start:cs_at]) != raw[cs_at]:
        raise DecodeError(
            Reason.checksum,
            f"sum is 0x{checksum(raw[start:cs_at]):02X}, frame says 0x{raw[cs_at]:02X}",
            offset=cs_at,
        )
    if raw[cs_at + 1] != END:
        got = raw[cs_at + 1]
        raise DecodeError(Reason.framing, f"expected 0x16, got 0x{got:02X}", offset=cs_at + 1)
    data = bytes((b - DATA_OFFSET) & 0xFF for b in raw[start + HEADER_LEN : cs_at])
    return Frame(address, raw[start + 8], data, start + HEADER_LEN)


def di_bytes(code: int) -> bytes:
    """DI0 first, as sent (clause 4.1.2)."""
    return code.to_bytes(4, "little")


def encode_value(di: DataIdentifier, value: Decimal) -> bytes:
    """``value`` as ``di.size`` BCD bytes, least significant first; sign in bit 7."""
    scaled = value.scaleb(di.decimals).to_integral_value()
    if abs(scaled.scaleb(-di.decimals)) > di.max_value or (scaled < 0 and not di.signed):
        raise DecodeError(Reason.value, f"{value} does not fit {di.name} ({di.max_value} max)")
    digits = f"{abs(int(scaled)):0{di.size * 2}d}"
    out = bytearray(int(digits[i : i + 2], 16) for i in range(0, len(digits), 2))
    if scaled < 0:
        out[0] |= 0x80
    return bytes(reversed(out))


def decode_value(di: DataIdentifier, payload: bytes, offset: int = 0) -> Decimal:
    """The value in ``payload`` (offset removed); ``offset`` locates it for errors."""
    if len(payload) != di.size:
        raise DecodeError(
            Reason.length, f"{di.name} has {di.size} bytes, got {len(payload)}", offset=offset
        )
    negative = False
    digits = []
    for i in range(di.size - 1, -1, -1):
        byte = payload[i]
        if di.signed and i == di.size - 1:
            negative, byte = bool(byte & 0x80), byte & 0x7F
        if byte >> 4 > 9 or byte & 0x0F > 9:
            raise DecodeError(
                Reason.bcd, f"0x{payload[i]:02X} in {di.name} is not BCD", offset=offset + i
            )
        digits.append(f"{byte:02X}")
    value = Decimal(int("".join(digits))).scaleb(-di.decimals)
    return -value if negative else value


def read_request(address: str, di: int) -> Frame:
    return Frame(address, Function.read, di_bytes(di))


def read_reply(address: str, di: DataIdentifier, value: Decimal) -> Frame:
    return Frame(
        address, Function.read | DIRECTION_REPLY, di_bytes(di.code) + encode_value(di, value)
    )


def error_reply(address: str, error: int) -> Frame:
    return Frame(address, Function.read | DIRECTION_REPLY | ABNORMAL_REPLY, bytes([error]))


def meter_error_text(error: int) -> str:
    named = [text for bit, text in METER_ERRORS.items() if error & bit]
    return ", ".join(named) or f"unknown error 0x{error:02X}"


def interpret(frame: Frame) -> Reading:
    """The data identifier and value of a read request or read reply."""
    if frame.abnormal:
        code = frame.data[0] if frame.data else 0
        raise DecodeError(
            Reason.value,
            f"meter {frame.address} refused: {meter_error_text(code)}",
            offset=frame.data_offset,
        )
    if frame.function != Function.read:
        raise DecodeError(
            Reason.unknown,
            f"control 0x{frame.control:02X} is not a read",
            offset=frame.data_offset - 2,
        )
    if len(frame.data) < 4:
        raise DecodeError(
            Reason.length,
            f"a read carries a 4-byte DI, got {len(frame.data)} bytes",
            offset=frame.data_offset,
        )
    code = int.from_bytes(frame.data[:4], "little")
    known = IDENTIFIERS.get(code)
    if not frame.from_meter:
        return Reading(frame.address, code, known.name if known else None, None, None)
    if known is None:
        raise DecodeError(
            Reason.unknown,
            f"data identifier {code:08X} is not in the table",
            offset=frame.data_offset,
        )
    value = decode_value(known, frame.data[4:], frame.data_offset + 4)
    return Reading(frame.address, code, known.name, value, known.unit)
