"""``TickAssembler.push_many`` gives exactly the samples of ``push`` reading by reading."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nevport.environment.stream import TickAssembler

STEP_S = 60  # [s]

# One reading: (minute, channel, value or None: the device could not read).
reading = st.tuples(st.integers(0, 40), st.integers(0, 3), st.one_of(st.none(), st.floats(0, 1e4)))
# A chunk: readings in time order, then maybe the clock.
chunk = st.tuples(
    st.lists(reading, max_size=30).map(lambda rows: sorted(rows, key=lambda r: r[0])),
    st.one_of(st.none(), st.integers(0, 45)),
)


def fresh(n: int, max_delay_min: int, hold_min: int, start: int | None) -> TickAssembler:
    start_s = None if start is None else start * STEP_S
    return TickAssembler(
        n, max_delay_min * STEP_S, STEP_S, start_s=start_s, hold_s=hold_min * STEP_S
    )


def same(a: list[tuple[int, np.ndarray]], b: list[tuple[int, np.ndarray]]) -> None:
    assert [t for t, _ in a] == [t for t, _ in b]
    for (_, x), (_, y) in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 4),
    max_delay_min=st.integers(1, 4),
    hold_min=st.integers(0, 6),
    start=st.one_of(st.none(), st.integers(0, 10)),
    chunks=st.lists(chunk, min_size=1, max_size=5),
    live=st.lists(reading, max_size=10),
)
def test_bulk_pushes_release_what_single_pushes_release(
    n: int,
    max_delay_min: int,
    hold_min: int,
    start: int | None,
    chunks: list[tuple[list[tuple[int, int, float | None]], int | None]],
    live: list[tuple[int, int, float | None]],
) -> None:
    one, bulk = fresh(n, max_delay_min, hold_min, start), fresh(n, max_delay_min, hold_min, start)
    # Readings out of order first (the live trickle), so both carry pending samples and
    # late readings into the chunks, which may reach back before them.
    for minute, channel, value in live:
        same(
            one.push(minute * STEP_S, channel % n, value),
            bulk.push(minute * STEP_S, channel % n, value),
        )
    released = 0
    for rows, clock in chunks:
        expected = []
        for minute, channel, value in rows:
            expected += one.push(minute * STEP_S, channel % n, value)
        got = bulk.push_many(
            np.array([r[0] * STEP_S for r in rows], dtype=np.int64),
            np.array([r[1] % n for r in rows], dtype=np.int64),
            np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=np.float64),
        )
        same(got, expected)
        released += len(got)
        if clock is not None:
            same(bulk.until(clock * STEP_S), one.until(clock * STEP_S))
        assert bulk.released_until == one.released_until
        assert sorted(bulk.pending) == sorted(one.pending)
    same(bulk.flush(), one.flush())


def test_bulk_takes_the_first_reading_holds_and_waits() -> None:
    """A story: channel 1 reports at 0 only; channel 0 twice in minute 1, then at 4."""
    assembler = TickAssembler(2, 120, STEP_S, hold_s=180)
    t = np.array([0, 0, 60, 60, 240], dtype=np.int64)
    got = assembler.push_many(
        t, np.array([0, 1, 0, 0, 0], dtype=np.int64), np.array([5.0, 7.0, 6.0, 9.0, 1.0])
    )
    # 0 is complete; 60 and 120 are two minutes old by 240, channel 1 held from 0.
    assert [s for s, _ in got] == [0, 60, 120]
    np.testing.assert_array_equal(np.stack([v for _, v in got]), [[5, 7], [6, 7], [6, 7]])
    assert list(assembler.pending) == [240]  # waits for channel 1
    # By the clock, 180 is due: channel 1's reading at 0 is 180 s old, no longer held.
    ((t180, values),) = assembler.until(300)
    assert t180 == 180
    np.testing.assert_array_equal(values, [6, np.nan])
