"""Load anomalies on an hourly mean-power series (pure).

Three stories an energy manager recognises (docs/energy/baseline.md, "Anomalies"):
load outside shifts, a step change that persists, and a night load above the day load.
Input: ``(start_utc, watts | None)`` per hour; missing hours are skipped, never zeros.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

Hour = tuple[datetime, float | None]

OFF_SHIFT_RATIO = 0.5  # off-shift hour above half the mean on-shift load is suspect
STEP_WINDOW = 6  # [h] medians compared before and after a candidate step
STEP_MIN_RELATIVE = 0.3  # a step must move the median by at least 30 %
STEP_MAD_FACTOR = 5.0  # ... and by 5 robust standard deviations of the noise
NIGHT_HOURS = frozenset({22, 23, 0, 1, 2, 3, 4, 5})  # [h local]
DAY_HOURS = frozenset(range(8, 18))  # [h local]


@dataclass(frozen=True)
class Anomaly:
    kind: str  # off_shift_load | step_change | night_above_day
    start: datetime  # UTC: the hour, the step, or the local day's midnight
    value_w: float
    reference_w: float
    detail: str


@dataclass(frozen=True)
class Shifts:
    """Working hours (local, [start, end) whole hours) on working weekdays (0 = Monday)."""

    hours: frozenset[int] = frozenset(range(8, 22))
    weekdays: frozenset[int] = frozenset(range(5))

    def on(self, local: datetime) -> bool:
        return local.weekday() in self.weekdays and local.hour in self.hours


def off_shift_load(
    series: Sequence[Hour], shifts: Shifts, zone: ZoneInfo, ratio: float = OFF_SHIFT_RATIO
) -> list[Anomaly]:
    on = [w for t, w in series if w is not None and shifts.on(t.astimezone(zone))]
    if not on:
        return []
    reference = statistics.fmean(on)
    return [
        Anomaly("off_shift_load", t, w, reference, f"{w / reference:.0%} of the mean on-shift load")
        for t, w in series
        if w is not None and not shifts.on(t.astimezone(zone)) and w > ratio * reference
    ]


def step_changes(series: Sequence[Hour], window: int = STEP_WINDOW) -> list[Anomaly]:
    """Points where the median of the next ``window`` hours departs from the last ``window``."""
    known = [(t, w) for t, w in series if w is not None]
    found: list[Anomaly] = []
    i = window
    while i <= len(known) - window:
        before = [w for _, w in known[i - window : i]]
        after = [w for _, w in known[i : i + window]]
        m0, m1 = statistics.median(before), statistics.median(after)
        noise = 1.4826 * statistics.median(
            [abs(w - m0) for w in before] + [abs(w - m1) for w in after]
        )
        if abs(m1 - m0) > max(STEP_MAD_FACTOR * noise, STEP_MIN_RELATIVE * abs(m0)):
            i = _sharpest(known, i, window)
            m0 = statistics.median(w for _, w in known[i - window : i])
            m1 = statistics.median(w for _, w in known[i : i + window])
            direction = "up" if m1 > m0 else "down"
            found.append(Anomaly("step_change", known[i][0], m1, m0, f"load stepped {direction}"))
            i += window  # one report per step, not one per hour it stays changed
        else:
            i += 1
    return found


def _sharpest(known: Sequence[tuple[datetime, float]], i: int, window: int) -> int:
    """The split near ``i`` with the largest jump of means: medians flag a step up to half
    a window early, means of the two sides peak where it really is."""

    def jump(j: int) -> float:
        before = statistics.fmean(w for _, w in known[j - window : j])
        return abs(statistics.fmean(w for _, w in known[j : j + window]) - before)

    return max(range(i, min(i + window, len(known) - window + 1)), key=jump)


def night_above_day(series: Sequence[Hour], zone: ZoneInfo) -> list[Anomaly]:
    """Local days whose mean night load (22-06) exceeds their mean day load (08-18)."""
    night: dict[date, list[float]] = defaultdict(list)
    day: dict[date, list[float]] = defaultdict(list)
    first: dict[date, datetime] = {}
    for t, w in series:
        if w is None:
            continue
        local = t.astimezone(zone)
        # 00:00-06:00 belong to the night that began the evening before
        key = local.date() if local.hour >= 6 else local.date() - timedelta(days=1)
        first.setdefault(key, t)
        if local.hour in NIGHT_HOURS:
            night[key].append(w)
        elif local.hour in DAY_HOURS:
            day[key].append(w)
    out = []
    for key in sorted(set(night) & set(day)):
        n, d = statistics.fmean(night[key]), statistics.fmean(day[key])
        if n > d:
            out.append(Anomaly("night_above_day", first[key], n, d, f"night of {key.isoformat()}"))
    return out
