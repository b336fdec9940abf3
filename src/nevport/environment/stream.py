"""Streaming: readings arrive one channel at a time and out of order; the engine wants
whole samples on a fixed grid. ``TickAssembler`` groups readings by sample time and
releases grid samples in order, each once every channel has reported, once data
``max_delay_s`` newer has arrived, or once the clock (``until``) is ``max_delay_s``
past it (missing channels, or a whole missing sample, are NaN, which the rules treat as
missing, never as 0 W).

A channel's first reading in a sample is the one that counts (a device's readings come
in time order, so the stream and a replay of stored readings agree). With ``hold_s``,
a channel that did not report in a sample keeps its last value for that long, so a
meter read every 5 minutes does not look missing on a 1-minute grid; a reading the
device could not make is held as missing.
"""

from __future__ import annotations

import numpy as np

from nevport.environment.engine import Engine
from nevport.environment.events import Event
from nevport.environment.states import F64, Mask


class TickAssembler:
    """Groups (t, channel, value) readings of n channels into complete samples."""

    def __init__(
        self,
        n: int,
        max_delay_s: int,
        step_s: int = 60,
        *,
        start_s: int | None = None,
        hold_s: int = 0,
    ):
        self.n = n
        self.step_s = step_s  # [s] the sample grid; readings are stamped on it
        self.max_delay_s = max_delay_s
        self.hold_s = hold_s  # [s] a channel's last value stands in for this long
        self.pending: dict[int, tuple[F64, Mask]] = {}  # t -> (values, channels seen)
        # samples at or before this are final; ``start_s`` is the first sample to release
        self.released_until: int | None = None if start_s is None else start_s - step_s
        self._held_t = np.full(n, -np.inf)  # [s] sample of each channel's last reading
        self._held: F64 = np.full(n, np.nan)  # its value

    def push(self, t: int, channel: int, value: float | None) -> list[tuple[int, F64]]:
        """Add one reading; return the samples that became complete, oldest first."""
        if self.released_until is not None and t <= self.released_until:
            return []  # too late: that sample was evaluated already (counted by the caller)
        if t not in self.pending:
            self.pending[t] = (np.full(self.n, np.nan), np.zeros(self.n, dtype=bool))
        values, seen = self.pending[t]
        if not seen[channel]:  # the first reading of a sample counts
            values[channel] = np.nan if value is None else value
            seen[channel] = True
        return self._release(newest=t)

    def until(self, now: int) -> list[tuple[int, F64]]:
        """Release what the clock ``now`` [s] makes due, reported or not."""
        return self._release(newest=now)

    def flush(self) -> list[tuple[int, F64]]:
        """Release everything still waiting (end of a stream)."""
        return self._release(newest=None)

    def _release(self, newest: int | None) -> list[tuple[int, F64]]:
        done: list[tuple[int, F64]] = []
        while self.pending or (newest is not None and self.released_until is not None):
            if self.released_until is None:
                expected = min(self.pending)
            else:
                expected = self.released_until + self.step_s
            late = newest is None or newest - expected >= self.max_delay_s
            if expected in self.pending:
                values, seen = self.pending[expected]
                if not seen.all() and not late:
                    break  # keep time order: later samples wait for this one
                del self.pending[expected]
            elif late:
                values = np.full(self.n, np.nan)  # nothing came for this sample at all
                seen = np.zeros(self.n, dtype=bool)
            else:
                break
            done.append((expected, self._hold(expected, values, seen)))
            self.released_until = expected
        return done

    def _hold(self, t: int, values: F64, seen: Mask) -> F64:
        if not self.hold_s:
            return values
        self._held_t[seen] = t
        self._held[seen] = values[seen]
        carry = ~seen & (t - self._held_t < self.hold_s)
        values[carry] = self._held[carry]
        return values


class StreamingEngine:
    """An ``Engine`` fed reading by reading (power channels only)."""

    def __init__(self, engine: Engine, max_delay_s: int = 120):
        self.engine = engine
        self.assembler = TickAssembler(len(engine.topology.facilities), max_delay_s)

    def push(self, t: int, channel: int, value: float | None) -> list[Event]:
        events: list[Event] = []
        for sample_t, power in self.assembler.push(t, channel, value):
            events.extend(self.engine.step(sample_t, power))
        return events

    def flush(self) -> list[Event]:
        events: list[Event] = []
        for sample_t, power in self.assembler.flush():
            events.extend(self.engine.step(sample_t, power))
        return events
