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

``push_many`` takes a whole time-ordered batch (a replay of stored history, a restart's
re-read) as arrays and gives exactly the samples that pushing it reading by reading
would, without a Python step per reading: the first reading per (sample, channel) is
scattered into a (samples, channels) matrix, the samples the batch makes due are taken
in one go and the hold is a forward fill down the columns.
"""

from __future__ import annotations

import numpy as np

from nevport.environment.engine import Engine
from nevport.environment.events import Event
from nevport.environment.states import F64, I64, Mask


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

    def push_many(self, t: I64, channel: I64, value: F64) -> list[tuple[int, F64]]:
        """``push`` of each reading in turn, in one go: ``t`` (N,) [s] sample times in
        non-decreasing order, ``channel`` (N,), ``value`` (N,) NaN where missing."""
        if self.released_until is not None:
            keep = t > self.released_until  # too late: those samples were evaluated
            t, channel, value = t[keep], channel[keep], value[keep]
        if not len(t):
            return []
        if self.n == 0 or self.max_delay_s <= 0 or np.any(np.diff(t) < 0):
            # Outside the order the bulk rules rely on (a reading could close its own
            # sample): one at a time.
            done: list[tuple[int, F64]] = []
            for ti, ci, vi in zip(t.tolist(), channel.tolist(), value.tolist(), strict=True):
                done += self.push(ti, ci, vi)
            return done
        newest = int(t[-1])
        if self.released_until is None:  # the first sample is the first reading's
            first = min([int(t[0]), *self.pending])
        else:
            first = self.released_until + self.step_s
        values, seen = self._grid(first, newest, t, channel, value)
        times = first + self.step_s * np.arange(len(values))
        due = seen.all(axis=1) | (newest - times >= self.max_delay_s)
        taken = len(due) if due.all() else int(np.argmin(due))  # up to the first not due
        for row in range(taken, len(values)):
            if seen[row].any():  # a sample with readings that is not due waits
                self.pending[int(times[row])] = (values[row], seen[row])
        done = []
        if taken:
            filled = self._hold_many(times[:taken], values[:taken], seen[:taken])
            done = [(int(times[i]), filled[i]) for i in range(taken)]
            self.released_until = int(times[taken - 1])
        return done + self._release(newest=newest)

    def _grid(self, first: int, last: int, t: I64, channel: I64, value: F64) -> tuple[F64, Mask]:
        """(S, n) values and channels seen of the samples ``first`` .. ``last`` [s]: what
        ``pending`` holds, then the first new reading of each (sample, channel); those
        samples leave ``pending``."""
        rows = (last - first) // self.step_s + 1
        values = np.full((rows, self.n), np.nan)
        seen = np.zeros((rows, self.n), dtype=bool)
        for at in [at for at in self.pending if first <= at <= last]:
            values[(at - first) // self.step_s], seen[(at - first) // self.step_s] = (
                self.pending.pop(at)
            )
        cell = (t - first) // self.step_s * self.n + channel
        _, firsts = np.unique(cell, return_index=True)  # the first reading in input order
        cell, new = cell[firsts], value[firsts]
        fresh = ~seen.ravel()[cell]  # what ``pending`` had stays
        values.ravel()[cell[fresh]] = new[fresh]
        seen.ravel()[cell[fresh]] = True
        return values, seen

    def _hold_many(self, times: I64, values: F64, seen: Mask) -> F64:
        """``_hold`` of each sample in turn: (S,) [s], (S, n) -> (S, n)."""
        if not self.hold_s:
            return values
        index = np.where(seen, np.arange(len(times))[:, None], -1)
        last = np.maximum.accumulate(index, axis=0)  # row of each channel's last reading
        ever = last >= 0
        columns = np.broadcast_to(np.arange(self.n), last.shape)
        held_t = np.where(ever, times[np.maximum(last, 0)], self._held_t)
        held = np.where(ever, values[np.maximum(last, 0), columns], self._held)
        carry = ~seen & (times[:, None] - held_t < self.hold_s)
        values[carry] = held[carry]
        self._held_t, self._held = held_t[-1].copy(), held[-1].copy()
        return values

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
