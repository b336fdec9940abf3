"""When a rule fires and when it clears, as pure functions over samples.

Each function walks new samples in time order from the rule's current state and returns
only the changes (raise or clear), so a spike between two evaluations is still seen and
a persisting condition raises once. Missing values (None) neither raise nor clear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

SECONDS_PER_MINUTE = Decimal(60)


@dataclass(frozen=True)
class Sample:
    ts: datetime
    value: Decimal | None


@dataclass(frozen=True)
class Change:
    at: datetime
    firing: bool  # True: raise, False: clear
    value: Decimal | None
    message: str


def raised(at: datetime, value: Decimal | None, message: str) -> Change:
    return Change(at=at, firing=True, value=value, message=message)


def cleared(at: datetime, value: Decimal | None, message: str) -> Change:
    return Change(at=at, firing=False, value=value, message=message)


def threshold(
    samples: Sequence[Sample], *, above: bool, limit: Decimal, deadband: Decimal, firing: bool
) -> list[Change]:
    """Fires beyond ``limit``; clears once back inside by ``deadband`` (hysteresis)."""
    out = []
    word = "above" if above else "below"
    for s in samples:
        if s.value is None:
            continue
        beyond = s.value > limit if above else s.value < limit
        back = s.value <= limit - deadband if above else s.value >= limit + deadband
        if not firing and beyond:
            firing = True
            out.append(raised(s.ts, s.value, f"{s.value} is {word} the limit {limit}"))
        elif firing and back:
            firing = False
            out.append(cleared(s.ts, s.value, f"{s.value} is back within {limit}"))
    return out


def rate_of_change(
    previous: Sample | None,
    samples: Sequence[Sample],
    *,
    limit: Decimal,
    deadband: Decimal,
    firing: bool,
) -> list[Change]:
    """Fires when |change| per minute between successive known samples exceeds ``limit``."""
    out = []
    for s in samples:
        if s.value is None:
            continue
        if previous is not None and previous.value is not None and s.ts > previous.ts:
            minutes = Decimal((s.ts - previous.ts).total_seconds()) / SECONDS_PER_MINUTE
            rate = abs(s.value - previous.value) / minutes
            if not firing and rate > limit:
                firing = True
                text = f"changed {rate:.3f} per minute, limit {limit}"
                out.append(raised(s.ts, s.value, text))
            elif firing and rate <= limit - deadband:
                firing = False
                out.append(cleared(s.ts, s.value, f"rate {rate:.3f} per minute is normal"))
        previous = s
    return out


def offline(
    last_seen: datetime | None, now: datetime, after_s: int, *, firing: bool
) -> list[Change]:
    """Fires when the newest reading is older than ``after_s``; clears when one arrives."""
    silent = last_seen is None or (now - last_seen).total_seconds() > after_s
    if silent and not firing:
        since = "never" if last_seen is None else f"since {last_seen.isoformat()}"
        return [raised(now, None, f"no reading for over {after_s} s ({since})")]
    if not silent and firing and last_seen is not None:
        return [cleared(last_seen, None, "readings arrive again")]
    return []
