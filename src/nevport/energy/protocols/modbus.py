"""Modbus register maps as data files, and decoding of register dumps (no I/O).

A map (see maps/*.yaml and docs/energy/register-maps.md) lists each value's start
address, data type, word order and scale. Loading validates it and reports errors with
file, line and field; decoding turns 16-bit registers into exact decimals.
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nevport.energy.protocols.errors import DecodeError, Reason
from nevport.energy.quantities import Quantity
from nevport.energy.yamlfile import parse
from nevport.errors import InvalidInput

DataType = Literal["uint16", "int16", "uint32", "int32", "float32", "uint64"]
WORDS = {"uint16": 1, "int16": 1, "uint32": 2, "int32": 2, "float32": 2, "uint64": 4}
MAX_READ = 125  # [registers] largest read a Modbus PDU allows (Modbus spec 6.3/6.4)
MAX_ADDRESS = 0xFFFF


class Register(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    address: int = Field(ge=0, le=MAX_ADDRESS)
    type: DataType
    unit: str
    scale: Decimal = Decimal(1)
    quantity: Quantity | None = None
    word_order: Literal["big", "little"] | None = None

    @field_validator("scale", mode="before")
    @classmethod
    def _scale_is_text(cls, value: Any) -> Any:
        if isinstance(value, float):
            # pydantic turns only ValueError into a located validation error
            raise ValueError('write scale as a quoted decimal, e.g. "0.1", to keep it exact')  # noqa: TRY004
        return value

    @property
    def words(self) -> int:
        return WORDS[self.type]


class RegisterMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    manufacturer: str
    model: str
    function: Literal["input", "holding"]
    word_order: Literal["big", "little"] = "big"
    registers: tuple[Register, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_overlap(self) -> RegisterMap:
        seen: dict[int, str] = {}
        names: set[str] = set()
        for reg in self.registers:
            if reg.name in names:
                raise ValueError(f"register name {reg.name!r} appears twice")
            names.add(reg.name)
            for addr in range(reg.address, reg.address + reg.words):
                if addr in seen:
                    raise ValueError(f"{reg.name} overlaps {seen[addr]} at address {addr}")
                seen[addr] = reg.name
        return self

    def by_name(self, name: str) -> Register:
        for reg in self.registers:
            if reg.name == name:
                return reg
        raise InvalidInput(f"map {self.name} has no register {name!r}")

    def blocks(self) -> list[tuple[int, int]]:
        """(start, count) reads that cover every register, each within one PDU."""
        out: list[tuple[int, int]] = []
        for reg in sorted(self.registers, key=lambda r: r.address):
            end = reg.address + reg.words
            if out and end - out[-1][0] <= MAX_READ and reg.address - sum(out[-1]) <= 8:
                out[-1] = (out[-1][0], end - out[-1][0])
            else:
                out.append((reg.address, reg.words))
        return out


@dataclass(frozen=True)
class Value:
    name: str
    quantity: Quantity | None
    value: Decimal
    unit: str
    address: int


def parse_map(text: str, source: str) -> RegisterMap:
    """A validated map from YAML ``text``; errors name ``source``, line and field."""
    return parse(RegisterMap, text, source)


def packaged_maps() -> list[str]:
    folder = files("nevport.energy.protocols") / "maps"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def load_map(name_or_path: str) -> RegisterMap:
    """A packaged map by name (``sdm630``) or a map file by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise InvalidInput(f"register map file {path} does not exist")
        return parse_map(path.read_text(encoding="utf-8"), str(path))
    return _packaged(name_or_path.lower())


@functools.cache
def _packaged(key: str) -> RegisterMap:
    if key not in packaged_maps():
        raise InvalidInput(f"unknown register map {key!r}; known: {', '.join(packaged_maps())}")
    resource = files("nevport.energy.protocols") / "maps" / f"{key}.yaml"
    return parse_map(resource.read_text(encoding="utf-8"), f"maps/{key}.yaml")


def _raw(reg: Register, words: Sequence[int], order: str) -> Decimal:
    if order == "little":
        words = list(reversed(words))
    blob = b"".join(w.to_bytes(2, "big") for w in words)
    if reg.type == "float32":
        number = struct.unpack(">f", blob)[0]
        if not math.isfinite(number):
            raise DecodeError(Reason.value, f"{reg.name} is {number} (not a number)")
        # The shortest text that round-trips the float32, so 1234.56 stays 1234.56.
        return Decimal(str(np.float32(number)))
    signed = reg.type.startswith("int")
    return Decimal(int.from_bytes(blob, "big", signed=signed))


def decode_registers(regmap: RegisterMap, start: int, registers: Sequence[int]) -> list[Value]:
    """Every value of ``regmap`` wholly inside the dump that begins at ``start``."""
    for i, word in enumerate(registers):
        if not 0 <= word <= 0xFFFF:
            raise DecodeError(
                Reason.value, f"register {start + i} = {word} is not 16-bit", offset=i
            )
    out = []
    end = start + len(registers)
    for reg in regmap.registers:
        if reg.address < start or reg.address + reg.words > end:
            continue
        first = reg.address - start
        words = registers[first : first + reg.words]
        try:
            raw = _raw(reg, words, reg.word_order or regmap.word_order)
        except DecodeError as exc:
            raise DecodeError(exc.reason, exc.message, offset=first) from exc
        try:
            value = raw * reg.scale
        except InvalidOperation as exc:
            raise DecodeError(Reason.value, f"{reg.name} out of range", offset=first) from exc
        out.append(Value(reg.name, reg.quantity, value, reg.unit, reg.address))
    if not out:
        raise DecodeError(
            Reason.length,
            f"registers {start}..{end - 1} hold no complete value of map {regmap.name}",
        )
    return out


def encode_value(reg: Register, value: Decimal, word_order: str) -> list[int]:
    """Registers holding ``value`` (the simulator's half of ``decode_registers``)."""
    raw = value / reg.scale
    if reg.type == "float32":
        blob = struct.pack(">f", float(raw))
    else:
        blob = int(raw).to_bytes(reg.words * 2, "big", signed=reg.type.startswith("int"))
    words = [int.from_bytes(blob[i : i + 2], "big") for i in range(0, len(blob), 2)]
    return list(reversed(words)) if (reg.word_order or word_order) == "little" else words
