"""The integer fast path for rising counters gives exactly what the general path gives."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from nevport.energy.counters import CounterSpec, Flag, Sample, increments
from nevport.energy.intervals import TINY, UNIX, Interval, quarters, rising_quarters

START = datetime(2026, 3, 1, 9, 58, tzinfo=UTC)
STEPS_S = [1, 5, 60, 899, 900, 901, 1800, 3600, 3601, 7200]  # [s] around the quarter and gap


def _general(samples: list[tuple[int, int]], multiplier: Decimal) -> list[Interval]:
    run = increments(
        [Sample(UNIX + us * TINY, Decimal(v).scaleb(-6)) for us, v in samples],
        spec=CounterSpec(multiplier=multiplier),
    )
    return quarters(run.increments)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.sampled_from(STEPS_S), st.integers(1, 10_000)),
            st.integers(0, 5_000_000),  # [micro-kWh] rise between readings
            st.integers(0, 999_999),  # [us] sub-second part of the time
        ),
        max_size=40,
    ),
    st.sampled_from([Decimal(1), Decimal(40), Decimal("1.5"), Decimal("0.25")]),
)
def test_equals_the_general_path(steps: list[tuple[int, int, int]], multiplier: Decimal) -> None:
    us = (START - UNIX) // TINY
    value = 12_345_670_000
    samples = []
    for gap_s, rise, fraction in steps:
        us += gap_s * 10**6 + fraction
        value += rise
        samples.append((us, value))
    assert rising_quarters(samples, multiplier) == _general(samples, multiplier)


def test_a_reading_on_a_boundary_closes_the_earlier_quarter() -> None:
    at = (datetime(2026, 3, 1, 10, 14, 59, tzinfo=UTC) - UNIX) // TINY
    samples = [(at, 0), (at + 10**6, 2_000_000), (at + 2 * 10**6, 5_000_000)]
    out = rising_quarters(samples)
    assert [(i.start.minute, i.value, i.flags) for i in out] == [
        (0, Decimal(2), Flag.OK),  # 10:14:59 -> 10:15:00 ends in (10:00, 10:15]
        (15, Decimal(3), Flag.OK),
    ]
