"""Events the rules raise, their grades, and pre-reported (exempt) windows.

An event is emitted when it opens (``end_s`` None), again when its grade rises, and
once more when it closes. Its ``key`` is fixed by rule, facilities and start time, so
a store can upsert by key and a replay over the same history changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum


class Grade(StrEnum):
    blue = "blue"  # noteworthy, the enterprise should explain
    yellow = "yellow"  # sustained, the regulator follows up
    red = "red"  # serious or long, escalated at once

    @property
    def rank(self) -> int:
        return ("blue", "yellow", "red").index(self.value)


@dataclass(frozen=True)
class Event:
    """What a rule found, with everything needed to explain it."""

    rule: str
    facilities: tuple[str, ...]
    start_s: int  # [s since epoch, UTC]
    end_s: int | None  # None while still open; equal to start_s for instant events
    grade: Grade
    message: str
    readings: tuple[tuple[str, float | None], ...] = ()  # name -> value at the trigger
    thresholds: tuple[tuple[str, float], ...] = ()  # name -> value the rule compared with
    closed_reason: str | None = None  # e.g. "cleared", "data_missing", "end_of_data"
    exempted_by: str | None = None  # the pre-report window that covers it, if any

    @property
    def key(self) -> str:
        return f"{self.rule}:{'+'.join(self.facilities)}:{self.start_s}"

    @property
    def open(self) -> bool:
        return self.end_s is None

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "rule": self.rule,
            "facilities": list(self.facilities),
            "start_s": self.start_s,
            "end_s": self.end_s,
            "grade": self.grade.value,
            "message": self.message,
            "readings": dict(self.readings),
            "thresholds": dict(self.thresholds),
            "closed_reason": self.closed_reason,
            "exempted_by": self.exempted_by,
        }


@dataclass(frozen=True)
class GradeSteps:
    """Durations at which a sustained event becomes yellow, then red [s]."""

    yellow_s: int = 30 * 60
    red_s: int = 2 * 3600
    floor: Grade = Grade.blue  # some rules start higher (curtailment starts yellow)

    def grade(self, duration_s: int) -> Grade:
        if duration_s >= self.red_s:
            return Grade.red
        if duration_s >= self.yellow_s and self.floor is not Grade.red:
            return Grade.yellow
        return self.floor


@dataclass(frozen=True)
class ExemptWindow:
    """An approved pre-report: ``facilities`` may stop or misbehave in [start_s, end_s)."""

    label: str
    start_s: int
    end_s: int
    facilities: frozenset[str] = field(default_factory=frozenset)  # empty: all facilities

    def covers(self, event: Event) -> bool:
        end = event.start_s if event.end_s is None else event.end_s
        inside = self.start_s <= event.start_s and end <= self.end_s
        return inside and (not self.facilities or self.facilities.issuperset(event.facilities))


def mark_exempt(events: Iterable[Event], windows: Sequence[ExemptWindow]) -> list[Event]:
    """Events with ``exempted_by`` set where an approved window covers them entirely.

    A window must cover the whole event: a violation that outlasts its pre-report is
    still raised, which is what a regulator expects of a maintenance declaration.
    """
    marked = []
    for event in events:
        window = next((w for w in windows if w.covers(event)), None)
        marked.append(event if window is None else replace(event, exempted_by=window.label))
    return marked


def latest(events: Iterable[Event]) -> dict[str, Event]:
    """The last emitted version of each event, by key (what a store would hold)."""
    result: dict[str, Event] = {}
    for event in events:
        result[event.key] = event
    return result
