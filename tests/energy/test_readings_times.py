"""Stored reading times as µs: the one NumPy parse of SQLite's text gives what converting
each stamp does, and stamps it cannot take exactly go the per-stamp way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from nevport.energy.rawdb import Raw
from nevport.energy.readings import _us, _us_all


def sqlite_raw() -> Raw:
    raw = Raw.__new__(Raw)  # the time conversions need no connection
    raw.sqlite = True
    return raw


# hypothesis takes naive bounds and puts the zone on what it draws
instants = st.datetimes(
    min_value=datetime(1960, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(instants, min_size=1, max_size=20))
def test_stored_text_reads_as_each_stamp_alone(stamps: list[datetime]) -> None:
    raw = sqlite_raw()
    text = [raw.ts(at) for at in stamps]
    got = _us_all(raw, text)
    assert got == [_us(raw, ts) for ts in text]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert got == [(at - epoch) // timedelta(microseconds=1) for at in stamps]


def test_other_spellings_are_read_one_by_one() -> None:
    raw = sqlite_raw()
    # Without fractions, and with an offset that ``_us`` ignores as the stored text is UTC.
    text = ["2026-11-27 05:06:20.000001", "2026-11-27 05:06:20", "2026-11-27 05:06:20+08:00"]
    assert _us_all(raw, text) == [1795755980000001, 1795755980000000, 1795755980000000]
    assert _us_all(raw, text) == [_us(raw, ts) for ts in text]
