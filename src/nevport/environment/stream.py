"""Streaming: readings arrive one channel at a time and out of order; the engine wants
whole samples on a fixed grid. ``TickAssembler`` groups readings by sample time and
releases grid samples in order, each once every channel has reported or once data
``max_delay_s`` newer has arrived (missing channels, or a whole missing sample, are
NaN, which the rules treat as missing, never as 0 W).
"""

from __future__ import annotations

import numpy as np

from nevport.environment.engine import Engine
from nevport.environment.events import Event
from nevport.environment.states import F64, Mask


class TickAssembler:
    """Groups (t, channel, value) readings of n channels into complete samples."""

    def __init__(self, n: int, max_delay_s: int, step_s: int = 60):
        self.n = n
        self.step_s = step_s  # [s] the sample grid; readings are stamped on it
        self.max_delay_s = max_delay_s
        self.pending: dict[int, tuple[F64, Mask]] = {}  # t -> (values, channels seen)
        self.released_until: int | None = None  # samples at or before this are final

    def push(self, t: int, channel: int, value: float | None) -> list[tuple[int, F64]]:
        """Add one reading; return the samples that became complete, oldest first."""
        if self.released_until is not None and t <= self.released_until:
            return []  # too late: that sample was evaluated already (counted by the caller)
        if t not in self.pending:
            self.pending[t] = (np.full(self.n, np.nan), np.zeros(self.n, dtype=bool))
        values, seen = self.pending[t]
        values[channel] = np.nan if value is None else value
        seen[channel] = True
        return self._release(newest=t)

    def flush(self) -> list[tuple[int, F64]]:
        """Release everything still waiting (end of a stream)."""
        return self._release(newest=None)

    def _release(self, newest: int | None) -> list[tuple[int, F64]]:
        done: list[tuple[int, F64]] = []
        while self.pending:
            first = min(self.pending)
            expected = first if self.released_until is None else self.released_until + self.step_s
            late = newest is None or newest - expected >= self.max_delay_s
            if expected in self.pending:
                values, seen = self.pending[expected]
                if not seen.all() and not late:
                    break  # keep time order: later samples wait for this one
                del self.pending[expected]
            elif late:
                values = np.full(self.n, np.nan)  # nothing came for this sample at all
            else:
                break
            done.append((expected, values))
            self.released_until = expected
        return done


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
