"""Counter readings -> increments, losing and inventing nothing (pure, exact decimals).

A meter register only grows, except when it rolls over at its maximum, is reset, is
replaced, or a read goes wrong. The rules, as in docs/energy/counters.md:

* forward step: the increment is the difference times the multiplier (CT x PT);
* backward step: confirmed only when the next ``confirm`` readings agree with it (they
  stay below the old base and do not fall); then it is a rollover when the old base sat
  in the top ``window`` of the register and the new value in the bottom ``window``, and
  a reset to zero otherwise. Unconfirmed backward readings (a transient zero, a garbled
  read) are skipped and never re-base the counter;
* a breakpoint (replacement, declared reset, CT/PT change) ends the old counter at its
  final value and starts the new one at its initial value, with the new multiplier.

Hence the sum of increments equals the energy between the first and the last confirmed
reading exactly; the only energy that cannot be known is what a meter counted between
its last read and an undeclared reset, and that is flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import IntFlag


class Flag(IntFlag):
    """Quality of an increment or interval; stored as an integer bit set."""

    OK = 0
    ESTIMATED = 1  # prorated across a short gap, or final value of a replaced meter unknown
    GAP = 2  # closes a long gap: also holds the energy of the NULL buckets before it
    MISSING = 4  # no data: the value is NULL, never 0
    ROLLOVER = 8
    RESET = 16  # undeclared reset: energy between the last read and the reset is unknown
    REPLACED = 32  # meter replaced, declared reset, or multiplier changed
    SUSPECT = 64  # a backward reading was ignored here
    PENDING = 128  # the newest reading went backward and waits for confirmation


@dataclass(frozen=True)
class Sample:
    ts: datetime
    value: Decimal | None  # raw register value; None: the read failed


@dataclass(frozen=True)
class Breakpoint:
    """The counter changes identity at ``ts`` (replacement, declared reset, CT/PT change)."""

    ts: datetime
    old_final: Decimal | None  # last register value of the old counter; None: unknown
    new_initial: Decimal  # first register value of the new counter
    multiplier: Decimal  # in force from ``ts``
    modulus: Decimal | None = None  # the new register's modulus; None: unchanged


@dataclass(frozen=True)
class CounterSpec:
    multiplier: Decimal = Decimal(1)  # CT ratio x PT ratio at the start
    modulus: Decimal = Decimal(1_000_000)  # register wraps to 0 here (XXXXXX.XX kWh, DL/T 645)
    window: Decimal = Decimal("0.1")  # fraction of the register that marks a rollover
    confirm: int = 2  # readings that must agree before a backward step re-bases


@dataclass(frozen=True)
class Increment:
    start: datetime
    end: datetime
    energy: Decimal  # primary side, in the channel's unit
    flags: Flag = Flag.OK


@dataclass(frozen=True)
class Run:
    increments: list[Increment]
    pending: bool  # the newest reading went backward and waits for confirmation
    skipped: list[datetime]  # readings judged bad (never a base)


@dataclass
class _Counter:
    base: Decimal | None
    base_ts: datetime | None
    multiplier: Decimal
    modulus: Decimal
    carry: Flag = Flag.OK  # flags waiting for the next increment


def _confirmed(values: Sequence[Decimal], base: Decimal, first: Decimal) -> bool | None:
    """True if ``values`` (the readings after ``first``) stay below ``base`` and do not fall;
    None when there are too few to tell yet."""
    previous = first
    for value in values:
        if value >= base or value < previous:
            return False
        previous = value
    return None if not values else True


def _backward(c: _Counter, value: Decimal, spec: CounterSpec) -> tuple[Decimal, Flag]:
    assert c.base is not None
    top = c.modulus * (1 - spec.window)
    if c.base >= top and value < c.modulus * spec.window:
        return (value + c.modulus - c.base) * c.multiplier, Flag.ROLLOVER
    return value * c.multiplier, Flag.RESET


def _break(c: _Counter, bp: Breakpoint, out: list[Increment]) -> None:
    if c.base is not None and c.base_ts is not None:
        flags = Flag.REPLACED | c.carry
        final = bp.old_final
        if final is None:
            final, flags = c.base, flags | Flag.ESTIMATED
        raw = final - c.base
        if raw < 0:  # the old register wrapped between its last read and the replacement
            raw += c.modulus
            flags |= Flag.ROLLOVER
        out.append(Increment(c.base_ts, bp.ts, raw * c.multiplier, flags))
        c.carry = Flag.OK
    c.base, c.base_ts = bp.new_initial, bp.ts
    c.multiplier = bp.multiplier
    c.modulus = bp.modulus or c.modulus


def increments(
    samples: Sequence[Sample],
    breakpoints: Sequence[Breakpoint] = (),
    spec: CounterSpec | None = None,
) -> Run:
    """Increments between consecutive accepted readings. Inputs are sorted by time."""
    spec = spec or CounterSpec()
    valid = [s for s in samples if s.value is not None]
    pending = list(breakpoints)
    c = _Counter(None, None, spec.multiplier, spec.modulus)
    out: list[Increment] = []
    skipped: list[datetime] = []
    for i, sample in enumerate(valid):
        assert sample.value is not None
        while pending and pending[0].ts <= sample.ts:
            _break(c, pending.pop(0), out)
        if c.base is None or c.base_ts is None:
            c.base, c.base_ts = sample.value, sample.ts
            continue
        if sample.value >= c.base:
            energy, flags = (sample.value - c.base) * c.multiplier, Flag.OK
        else:
            horizon = pending[0].ts if pending else None
            ahead = [
                s.value
                for s in valid[i + 1 : i + 1 + spec.confirm]
                if s.value is not None and (horizon is None or s.ts < horizon)
            ]
            verdict = _confirmed(ahead, c.base, sample.value)
            if verdict is None and horizon is None:
                return Run(out, pending=True, skipped=skipped)
            if verdict and len(ahead) < spec.confirm and horizon is None:
                return Run(out, pending=True, skipped=skipped)
            if not verdict:  # contradicted, or cut off by a breakpoint before any check
                c.carry |= Flag.SUSPECT
                skipped.append(sample.ts)
                continue
            energy, flags = _backward(c, sample.value, spec)
        out.append(Increment(c.base_ts, sample.ts, energy, flags | c.carry))
        c.base, c.base_ts, c.carry = sample.value, sample.ts, Flag.OK
    for bp in pending:  # replacements after the newest reading close the old counter
        _break(c, bp, out)
    return Run(out, pending=False, skipped=skipped)
