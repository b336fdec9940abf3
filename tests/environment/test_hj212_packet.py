"""HJ 212-2017 framing and CRC against literal packets, valid and invalid side by side."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nevport.environment.hj212 import Hj212Error, Packet, crc16, decode_packet, encode_packet
from nevport.environment.hj212.packet import FLAG_SPLIT, FLAG_VERSION_2017

# The worked example of HJ 212-2017 (section 6.3.1): length 0101, CRC 1C80.
STANDARD_EXAMPLE = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    b"Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
)
EXAMPLE_DATA = STANDARD_EXAMPLE[6:-6]


def at(field: bytes) -> int:
    """Offset of ``field`` in the standard example (where the decoder should point)."""
    return STANDARD_EXAMPLE.index(field)


@pytest.mark.parametrize(
    ("data", "crc"),
    [
        (EXAMPLE_DATA, 0x1C80),  # from the standard
        (b"", 0xFFFF),  # nothing shifted in: the initial register
        # differs from CRC-16/MODBUS of the same bytes (0x4B37 for "123456789"):
        (b"123456789", crc16(b"123456789")),
    ],
)
def test_crc16_table(data: bytes, crc: int) -> None:
    assert crc16(data) == crc


def test_hj212_crc_is_not_modbus_crc() -> None:
    modbus_check = 0x4B37  # CRC-16/MODBUS check value of "123456789"
    assert crc16(b"123456789") != modbus_check


def test_standard_example_decodes_field_by_field() -> None:
    packet = decode_packet(STANDARD_EXAMPLE)
    assert packet == Packet(
        qn="20160801085857223",
        st="32",
        cn="1062",
        pw="100000",
        mn="010000A8900016F000169DC0",
        flag=5,
        cp=((("RtdInterval", "30"),),),
    )
    assert packet.answer_wanted
    assert packet.flag & ~0b11 == FLAG_VERSION_2017


def test_standard_example_encodes_byte_for_byte() -> None:
    assert encode_packet(decode_packet(STANDARD_EXAMPLE)) == STANDARD_EXAMPLE


def test_items_and_fields_keep_their_separators() -> None:
    packet = Packet(
        st="31",
        cn="2011",
        pw="123456",
        mn="NEVPORT0001",
        qn="20260105080000000",
        cp=(
            (("DataTime", "20260105080000"),),
            (("SB1-Pt-Rtd", "12.500"), ("SB1-Pt-Flag", "N")),
        ),
    )
    raw = encode_packet(packet)
    assert b"CP=&&DataTime=20260105080000;SB1-Pt-Rtd=12.500,SB1-Pt-Flag=N&&" in raw
    assert raw[2:6] == b"%04d" % (len(raw) - 12)
    assert decode_packet(raw) == packet


def _with_crc(data: bytes) -> bytes:
    return b"##%04d%s%04X\r\n" % (len(data), data, crc16(data))


BAD = [  # packet, reason, offset
    (b"#$" + STANDARD_EXAMPLE[2:], "bad_header", 0),
    (b"##01a1" + STANDARD_EXAMPLE[6:], "bad_length", 2),
    (b"##0100" + STANDARD_EXAMPLE[6:], "wrong_length", 2),
    (STANDARD_EXAMPLE[:-3] + b"\r\n", "wrong_length", 2),
    (STANDARD_EXAMPLE.replace(b"1C80", b"1C81"), "bad_crc", 107),
    (STANDARD_EXAMPLE.replace(b"1C80", b"1CZ0"), "bad_crc", 107),
    (STANDARD_EXAMPLE.replace(b"ST=32", b"ST=33"), "bad_crc", 107),
    (STANDARD_EXAMPLE[:-2] + b"\n\n", "bad_trailer", 111),
    (b"##9999" + EXAMPLE_DATA, "bad_length", 2),
    (_with_crc(EXAMPLE_DATA.replace(b"ST=32", b"ST=3X")), "bad_field", at(b"ST=")),
    (_with_crc(EXAMPLE_DATA.replace(b"CN=1062", b"CN=106")), "bad_field", at(b"CN=")),
    (_with_crc(EXAMPLE_DATA.replace(b";MN=", b";XX=")), "bad_field", at(b"MN=")),
    (_with_crc(EXAMPLE_DATA.replace(b"PW=100000;", b"")), "bad_field", 6),
    (
        _with_crc(EXAMPLE_DATA.replace(b"&&RtdInterval=30&&", b"&&RtdInterval30&&")),
        "bad_field",
        at(b"Rtd"),
    ),
    (_with_crc(EXAMPLE_DATA.replace(b"CP=&&", b"CP=&")), "bad_field", 6),
    (_with_crc(EXAMPLE_DATA[:-2]), "bad_field", 103),
    (_with_crc(EXAMPLE_DATA.replace(b"Flag=5", b"Flag=7")), "bad_field", at(b"Flag=")),
    (_with_crc(EXAMPLE_DATA.replace(b"Flag=5", b"Flag=999")), "bad_field", at(b"Flag=")),
    (
        _with_crc(EXAMPLE_DATA.replace(b"MN=0", "MN=\u00e9".encode("latin-1"))),
        "bad_field",
        at(b"MN=") + 3,
    ),
]


@pytest.mark.parametrize(("raw", "reason", "offset"), BAD)
def test_malformed_packets_are_refused_with_reason_and_offset(
    raw: bytes, reason: str, offset: int
) -> None:
    with pytest.raises(Hj212Error) as caught:
        decode_packet(raw)
    assert (caught.value.reason, caught.value.offset) == (reason, offset), str(caught.value)
    assert f"at byte {offset}" in str(caught.value)


def test_encoder_refuses_what_the_standard_would_not_carry() -> None:
    with pytest.raises(Hj212Error, match="MN="):
        encode_packet(Packet(st="31", cn="2011", pw="123456", mn="has space"))
    with pytest.raises(Hj212Error, match="CP field"):
        encode_packet(Packet(st="31", cn="2011", pw="1", mn="A", cp=((("a", "x&y"),),)))
    with pytest.raises(Hj212Error, match="PNUM"):
        encode_packet(Packet(st="31", cn="2011", pw="1", mn="A", flag=4 | FLAG_SPLIT))
    long_items = tuple(((f"k{i}", "9" * 60),) for i in range(20))
    with pytest.raises(Hj212Error, match="over the 1024"):
        encode_packet(Packet(st="31", cn="2011", pw="1", mn="A", cp=long_items))


def test_split_packets_carry_pnum_and_pno() -> None:
    packet = Packet(st="31", cn="2011", pw="1", mn="A", flag=4 | FLAG_SPLIT, pnum=3, pno=2)
    raw = encode_packet(packet)
    assert b";Flag=6;PNUM=3;PNO=2;CP=&&&&" in raw
    assert decode_packet(raw) == packet


KEYS = st.from_regex(r"[A-Za-z][A-Za-z0-9\-]{0,12}", fullmatch=True)
VALUES = st.from_regex(r"[A-Za-z0-9.\-]{0,12}", fullmatch=True)
PACKETS = st.builds(
    Packet,
    st=st.from_regex(r"[0-9]{2}", fullmatch=True),
    cn=st.from_regex(r"[0-9]{4}", fullmatch=True),
    pw=st.from_regex(r"[0-9A-Za-z]{1,6}", fullmatch=True),
    mn=st.from_regex(r"[0-9A-Za-z]{1,24}", fullmatch=True),
    flag=st.sampled_from([4, 5]),
    qn=st.none() | st.from_regex(r"[0-9]{17}", fullmatch=True),
    cp=st.lists(
        st.lists(st.tuples(KEYS, VALUES), min_size=1, max_size=3).map(tuple), max_size=5
    ).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(PACKETS)
def test_encode_then_decode_is_identity(packet: Packet) -> None:
    assert decode_packet(encode_packet(packet)) == packet


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash_the_decoder(raw: bytes) -> None:
    offset = 0
    try:
        decode_packet(raw)
    except Hj212Error as exc:
        offset = exc.offset
    assert 0 <= offset <= max(len(raw), 6)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(STANDARD_EXAMPLE) - 1), st.integers(1, 255))
def test_any_single_byte_corruption_is_refused(position: int, delta: int) -> None:
    corrupt = bytearray(STANDARD_EXAMPLE)
    corrupt[position] = (corrupt[position] + delta) % 256
    with pytest.raises(Hj212Error):
        decode_packet(bytes(corrupt))
