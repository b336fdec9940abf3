"""HJ 212-2017 packets: ``##`` + length + data segment + CRC + CRLF.

Layout (HJ 212-2017 section 6.3, table 3)::

    ##  0101  QN=20160801085857223;ST=32;CN=1062;PW=100000;  1C80  \r\n
    |   |     MN=010000A8900016F000169DC0;Flag=5;              |     '-- trailer CR LF
    |   |     CP=&&RtdInterval=30&&                            '-- CRC16 of the data, 4 hex
    |   |     '-- data segment: ASCII, at most 1024 bytes
    |   '-- data segment length, 4 decimal digits
    '-- header

The CRC covers the data segment only. Every refusal names the reason and the byte
offset in the packet where it was found, so a field engineer can point at the byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from nevport.errors import InvalidInput

HEADER: Final = b"##"
TRAILER: Final = b"\r\n"
LENGTH_DIGITS: Final = 4
CRC_DIGITS: Final = 4
MAX_DATA_LENGTH: Final = 1024  # [bytes] HJ 212-2017 table 3; longer data is split (PNUM/PNO)
PREFIX_LENGTH: Final = len(HEADER) + LENGTH_DIGITS
CRC_POLY_REFLECTED: Final = 0xA001  # HJ 212-2017 appendix A (reflected 0x8005)

# Flag bits (HJ 212-2017 6.3.3): V5..V0 version, D = split packet, A = answer wanted.
FLAG_ANSWER: Final = 0b01
FLAG_SPLIT: Final = 0b10
FLAG_VERSION_2017: Final = 0b000001 << 2  # protocol version 1 is HJ 212-2017

# Header fields in the order the standard lists them; CP always comes last.
_FIELD_PATTERNS: Final = {
    "QN": re.compile(r"\d{17}", re.ASCII),  # YYYYMMDDhhmmsszzz request number
    "ST": re.compile(r"\d{2}", re.ASCII),  # system code: 31 air source, 32 water source, 91 link
    "CN": re.compile(r"\d{4}", re.ASCII),  # command code
    "PW": re.compile(r"[\x21-\x7e]{1,6}", re.ASCII),  # password, up to 6 printable characters
    "MN": re.compile(r"[0-9A-Za-z]{1,24}", re.ASCII),  # device identifier, up to 24 characters
    "Flag": re.compile(r"\d{1,3}", re.ASCII),
    "PNUM": re.compile(r"\d{1,4}", re.ASCII),
    "PNO": re.compile(r"\d{1,4}", re.ASCII),
}
_REQUIRED: Final = ("ST", "CN", "PW", "MN", "Flag")
_CP_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}", re.ASCII)
_CP_VALUE = re.compile(r"[^;,=&]{0,64}", re.ASCII)

Item = tuple[tuple[str, str], ...]


class Hj212Error(InvalidInput):
    """A packet refused: ``reason`` is a short code, ``offset`` the byte where it went wrong."""

    def __init__(self, reason: str, message: str, *, offset: int):
        super().__init__(f"{message} at byte {offset}", field="hj212", hint=reason)
        self.reason = reason
        self.offset = offset


def crc16(data: bytes) -> int:
    """The HJ 212 CRC16 of ``data`` (HJ 212-2017 appendix A).

    Not CRC-16/MODBUS: the standard's reference code shifts the register right by 8
    before XOR-ing each byte (``crc = (crc >> 8) ^ byte``), and receivers check exactly
    that, so it is reproduced here bit for bit.
    """
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ byte
        for _ in range(8):
            carry = crc & 1
            crc >>= 1
            if carry:
                crc ^= CRC_POLY_REFLECTED
    return crc


@dataclass(frozen=True)
class Packet:
    """One HJ 212 packet. ``cp`` holds items (``;``-separated), each a tuple of fields
    (``,``-separated ``key=value`` pairs), in their original order."""

    st: str
    cn: str
    pw: str
    mn: str
    flag: int = FLAG_VERSION_2017
    qn: str | None = None
    pnum: int | None = None
    pno: int | None = None
    cp: tuple[Item, ...] = field(default_factory=tuple)

    def cp_dict(self) -> dict[str, str]:
        """Every CP field by key (keys are unique within the packets nevport writes)."""
        return {key: value for item in self.cp for key, value in item}

    @property
    def answer_wanted(self) -> bool:
        return bool(self.flag & FLAG_ANSWER)


def _data_segment(packet: Packet) -> str:
    head = [] if packet.qn is None else [f"QN={packet.qn}"]
    head += [f"ST={packet.st}", f"CN={packet.cn}", f"PW={packet.pw}", f"MN={packet.mn}"]
    head.append(f"Flag={packet.flag}")
    if packet.pnum is not None:
        head += [f"PNUM={packet.pnum}", f"PNO={packet.pno}"]
    cp = ";".join(",".join(f"{k}={v}" for k, v in item) for item in packet.cp)
    return ";".join([*head, f"CP=&&{cp}&&"])


def encode_packet(packet: Packet) -> bytes:
    """The wire bytes of ``packet``; refuses fields the standard would not carry."""
    _check_fields(packet)
    data = _data_segment(packet).encode("ascii")
    if len(data) > MAX_DATA_LENGTH:
        raise Hj212Error(
            "too_long",
            f"data segment is {len(data)} bytes, over the {MAX_DATA_LENGTH} allowed; "
            "split the items over several packets",
            offset=PREFIX_LENGTH,
        )
    return b"%s%04d%s%04X%s" % (HEADER, len(data), data, crc16(data), TRAILER)


def _check_fields(packet: Packet) -> None:
    values = {"QN": packet.qn, "ST": packet.st, "CN": packet.cn, "PW": packet.pw}
    values |= {"MN": packet.mn, "Flag": str(packet.flag)}
    for name, value in values.items():
        if value is not None and not _FIELD_PATTERNS[name].fullmatch(value):
            raise Hj212Error("bad_field", f"{name}={value!r} is not a valid {name}", offset=0)
    split = bool(packet.flag & FLAG_SPLIT)
    if split != (packet.pnum is not None) or (packet.pnum is None) != (packet.pno is None):
        raise Hj212Error("bad_field", "Flag's D bit and PNUM/PNO must come together", offset=0)
    for item in packet.cp:
        for key, value in item:
            if not _CP_KEY.fullmatch(key) or not _CP_VALUE.fullmatch(value):
                raise Hj212Error("bad_field", f"CP field {key}={value!r} is malformed", offset=0)


def decode_packet(raw: bytes) -> Packet:
    """Parse one complete packet; raise ``Hj212Error`` with reason and offset otherwise."""
    if not raw.startswith(HEADER):
        raise Hj212Error("bad_header", f"packet must start with '##', got {raw[:2]!r}", offset=0)
    length_text = raw[len(HEADER) : PREFIX_LENGTH]
    if len(length_text) < LENGTH_DIGITS or not length_text.isdigit():
        raise Hj212Error(
            "bad_length", f"length field {length_text!r} is not 4 digits", offset=len(HEADER)
        )
    length = int(length_text)
    if length > MAX_DATA_LENGTH:
        raise Hj212Error(
            "bad_length", f"length {length} exceeds {MAX_DATA_LENGTH}", offset=len(HEADER)
        )
    expected = PREFIX_LENGTH + length + CRC_DIGITS + len(TRAILER)
    if len(raw) != expected:
        raise Hj212Error(
            "wrong_length",
            f"length field says {length} data bytes, so the packet should be {expected} bytes, "
            f"got {len(raw)}",
            offset=len(HEADER),
        )
    crc_at = PREFIX_LENGTH + length
    if raw[crc_at + CRC_DIGITS :] != TRAILER:
        raise Hj212Error("bad_trailer", "packet must end with CR LF", offset=crc_at + CRC_DIGITS)
    data = raw[PREFIX_LENGTH:crc_at]
    crc_text = raw[crc_at : crc_at + CRC_DIGITS]
    _check_crc(data, crc_text, crc_at)
    return _parse_data(data)


def _check_crc(data: bytes, crc_text: bytes, offset: int) -> None:
    if not all(chr(c) in "0123456789abcdefABCDEF" for c in crc_text):
        raise Hj212Error("bad_crc", f"CRC {crc_text!r} is not 4 hex digits", offset=offset)
    given, actual = int(crc_text, 16), crc16(data)
    if given != actual:
        raise Hj212Error(
            "bad_crc", f"CRC is {crc_text.decode()}, data segment gives {actual:04X}", offset=offset
        )


def _parse_data(data: bytes) -> Packet:
    for index, byte in enumerate(data):
        if not 0x20 <= byte < 0x7F:
            raise Hj212Error(
                "bad_field",
                f"byte 0x{byte:02X} is not printable ASCII",
                offset=PREFIX_LENGTH + index,
            )
    text = data.decode("ascii")
    cp_at = text.find("CP=&&")
    if cp_at < 0 or (cp_at > 0 and text[cp_at - 1] != ";"):
        raise Hj212Error("bad_field", "no 'CP=&&' field", offset=PREFIX_LENGTH)
    if not text.endswith("&&") or len(text) < cp_at + len("CP=&&&&"):
        raise Hj212Error("bad_field", "CP must end with '&&'", offset=PREFIX_LENGTH + len(text) - 2)
    head = _parse_head(text[: max(cp_at - 1, 0)])
    cp = _parse_cp(text[cp_at + len("CP=&&") : -2], PREFIX_LENGTH + cp_at + len("CP=&&"))
    return _packet_from(head, cp)


def _parse_head(text: str) -> dict[str, tuple[str, int]]:
    fields: dict[str, tuple[str, int]] = {}
    position = PREFIX_LENGTH
    for part in text.split(";") if text else []:
        name, sep, value = part.partition("=")
        if not sep or name not in _FIELD_PATTERNS:
            raise Hj212Error("bad_field", f"unknown header field {part!r}", offset=position)
        if name in fields:
            raise Hj212Error("bad_field", f"field {name} appears twice", offset=position)
        if not _FIELD_PATTERNS[name].fullmatch(value):
            raise Hj212Error("bad_field", f"{name}={value!r} is malformed", offset=position)
        fields[name] = (value, position)
        position += len(part) + 1
    for name in _REQUIRED:
        if name not in fields:
            raise Hj212Error("bad_field", f"required field {name} is missing", offset=PREFIX_LENGTH)
    return fields


def _parse_cp(text: str, offset: int) -> tuple[Item, ...]:
    items: list[Item] = []
    position = offset
    for chunk in text.split(";") if text else []:
        pairs: list[tuple[str, str]] = []
        for pair in chunk.split(","):
            key, sep, value = pair.partition("=")
            if not sep or not _CP_KEY.fullmatch(key) or not _CP_VALUE.fullmatch(value):
                raise Hj212Error("bad_field", f"CP field {pair!r} is malformed", offset=position)
            pairs.append((key, value))
            position += len(pair) + 1
        items.append(tuple(pairs))
    return tuple(items)


def _packet_from(head: dict[str, tuple[str, int]], cp: tuple[Item, ...]) -> Packet:
    flag = int(head["Flag"][0])
    if flag > 0xFF:
        raise Hj212Error("bad_field", f"Flag={flag} does not fit one byte", offset=head["Flag"][1])
    split = bool(flag & FLAG_SPLIT)
    has_parts = "PNUM" in head and "PNO" in head
    if split != has_parts:
        where = head["Flag"][1]
        raise Hj212Error("bad_field", "Flag's D bit and PNUM/PNO must come together", offset=where)
    return Packet(
        st=head["ST"][0],
        cn=head["CN"][0],
        pw=head["PW"][0],
        mn=head["MN"][0],
        flag=flag,
        qn=head["QN"][0] if "QN" in head else None,
        pnum=int(head["PNUM"][0]) if has_parts else None,
        pno=int(head["PNO"][0]) if has_parts else None,
        cp=cp,
    )
