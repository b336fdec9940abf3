"""The one error every decoder raises: what is wrong, and at which byte or field."""

from __future__ import annotations

from enum import StrEnum

from nevport.errors import InvalidInput


class Reason(StrEnum):
    """Why a frame or a register dump was refused; stable names for counters and CLIs."""

    framing = "framing"
    length = "length"
    checksum = "checksum"
    bcd = "bcd"
    unknown = "unknown"
    value = "value"


class DecodeError(InvalidInput):
    """A frame or register dump that cannot be decoded.

    ``offset`` is the byte (or register) index where the fault was found, counted from
    the first byte given, preamble included, so a field engineer can point at it.
    """

    def __init__(self, reason: Reason, message: str, *, offset: int | None = None):
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(f"{reason.value}: {message}{where}")
        self.reason = reason
        self.offset = offset
