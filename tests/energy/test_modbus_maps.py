"""Register maps: packaged maps load, bad maps name file/line/field, dumps decode exactly."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nevport.energy.protocols import modbus
from nevport.energy.protocols.errors import DecodeError, Reason
from nevport.energy.quantities import Quantity
from nevport.errors import InvalidInput


def test_packaged_maps_load() -> None:
    assert {"sdm630", "dtsu666"} <= set(modbus.packaged_maps())
    sdm = modbus.load_map("SDM630")
    assert sdm.function == "input"
    assert sdm.by_name("import_energy").quantity is Quantity.active_energy_import
    assert all(count <= modbus.MAX_READ for _, count in sdm.blocks())


# (map, start, registers, name, value, unit): literal IEEE 754 words, high word first
DUMPS = [
    ("sdm630", 0x0000, [0x4366, 0x0000], "voltage_l1", Decimal("230.0"), "V"),
    ("sdm630", 0x0048, [0x449A, 0x51EC], "import_energy", Decimal("1234.56"), "kWh"),
    ("dtsu666", 0x2006, [0x450F, 0xC000], "voltage_a", Decimal("230.00"), "V"),
    ("dtsu666", 0x2012, [0xC4BB, 0x9000], "active_power", Decimal("-150.05"), "W"),
    ("dtsu666", 0x0006, [0x0064], "ct_ratio", Decimal(100), ""),
]


@pytest.mark.parametrize(("name", "start", "words", "field", "value", "unit"), DUMPS)
def test_dump_decodes(
    name: str, start: int, words: list[int], field: str, value: Decimal, unit: str
) -> None:
    values = {v.name: v for v in modbus.decode_registers(modbus.load_map(name), start, words)}
    assert values[field].value == value
    assert values[field].unit == unit


def test_little_word_order(tmp_path: Path) -> None:
    text = """name: swapped
manufacturer: x
model: y
function: holding
word_order: little
registers:
  - {name: energy, address: 0, type: float32, unit: kWh}
  - {name: count, address: 2, type: int32, unit: ""}
"""
    regmap = modbus.parse_map(text, "swapped.yaml")
    values = modbus.decode_registers(regmap, 0, [0x51EC, 0x449A, 0xFFFF, 0xFFFF])
    assert [v.value for v in values] == [Decimal("1234.56"), Decimal(-1)]


@pytest.mark.parametrize(
    ("body", "line", "field"),
    [
        ("  - {name: e, address: 70000, type: float32, unit: kWh}\n", 7, "registers.0.address"),
        ("  - {name: e, address: 0, type: float64, unit: kWh}\n", 7, "registers.0.type"),
        ("  - {name: e, address: 0, type: uint16, unit: A, scale: 0.1}\n", 7, "registers.0.scale"),
        (
            "  - {name: e, address: 0, type: uint16, unit: A}\n"
            "  - {name: f, address: 0, type: uint16, unit: A, colour: red}\n",
            8,
            "registers.1.colour",
        ),
    ],
)
def test_bad_map_names_file_line_field(body: str, line: int, field: str) -> None:
    head = "name: bad\nmanufacturer: x\nmodel: y\nfunction: input\nword_order: big\nregisters:\n"
    with pytest.raises(InvalidInput) as caught:
        modbus.parse_map(head + body, "bad.yaml")
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: bad.yaml:{line}:")


def test_overlapping_registers_refused() -> None:
    text = (
        "name: bad\nmanufacturer: x\nmodel: y\nfunction: input\nregisters:\n"
        "  - {name: a, address: 0, type: float32, unit: V}\n"
        "  - {name: b, address: 1, type: uint16, unit: V}\n"
    )
    with pytest.raises(InvalidInput, match="b overlaps a at address 1"):
        modbus.parse_map(text, "bad.yaml")


@pytest.mark.parametrize(
    ("start", "words", "reason"),
    [
        (0x0000, [0x7FC0, 0x0000], Reason.value),  # NaN
        (0x0000, [0x4366], Reason.length),  # half a float
        (0x0000, [0x4366, 70000], Reason.value),  # not a 16-bit word
        (0x0200, [0, 0], Reason.length),  # no value there
    ],
)
def test_bad_dumps_refused(start: int, words: list[int], reason: Reason) -> None:
    with pytest.raises(DecodeError) as caught:
        modbus.decode_registers(modbus.load_map("sdm630"), start, words)
    assert caught.value.reason is reason


def test_unknown_map_lists_known() -> None:
    with pytest.raises(InvalidInput, match="known: dtsu666, sdm630"):
        modbus.load_map("acme9000")


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["sdm630", "dtsu666"]),
    st.integers(min_value=0, max_value=0x4100),
    st.lists(st.integers(min_value=-2, max_value=0x10001), max_size=40),
)
def test_decoder_only_raises_decode_error(name: str, start: int, words: list[int]) -> None:
    with contextlib.suppress(DecodeError):
        modbus.decode_registers(modbus.load_map(name), start, words)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**7))
def test_float_registers_round_trip_at_float32_precision(centi_kwh: int) -> None:
    regmap = modbus.load_map("sdm630")
    reg = regmap.by_name("import_energy")
    value = Decimal(centi_kwh).scaleb(-2)
    words = modbus.encode_value(reg, value, regmap.word_order)
    (decoded,) = modbus.decode_registers(regmap, reg.address, words)
    assert abs(decoded.value - value) <= abs(value) * Decimal("6e-8") + Decimal("1e-6")
