"""Counter -> increments -> intervals: stories for each event, and the exact-sum property."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from nevport.energy.counters import Breakpoint, CounterSpec, Flag, Sample, increments
from nevport.energy.intervals import Resolution, quarters, roll_up

T0 = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal


def series(*values: str | None, step_s: int = 60) -> list[Sample]:
    return [
        Sample(T0 + timedelta(seconds=i * step_s), None if v is None else D(v))
        for i, v in enumerate(values)
    ]


def total(values: list[Sample], **kw: object) -> tuple[Decimal, Flag]:
    run = increments(values, **kw)  # type: ignore[arg-type]
    flags = Flag.PENDING if run.pending else Flag.OK
    for inc in run.increments:
        flags |= inc.flags
    return sum((i.energy for i in run.increments), D(0)), flags


def test_plain_counter() -> None:
    assert total(series("10.00", "10.50", "11.25")) == (D("1.25"), Flag.OK)


def test_rollover_at_register_max_counts_the_wrap() -> None:
    spec = CounterSpec(modulus=D("1000000"))
    energy, flags = total(series("999999.50", "0.25", "0.75", "1.00"), spec=spec)
    assert energy == D("1.50")
    assert flags & Flag.ROLLOVER


def test_transient_zero_does_not_rebase() -> None:
    energy, flags = total(series("500.00", "0", "500.40", "500.90"))
    assert energy == D("0.90")
    assert increments(series("500.00", "0", "500.40", "500.90")).skipped == [
        T0 + timedelta(minutes=1)
    ]
    assert flags & Flag.SUSPECT


def test_transient_garbage_then_normal() -> None:
    energy, _ = total(series("500.00", "120.00", "85.00", "500.40", "500.50"))
    assert energy == D("0.50")


def test_reset_confirmed_by_following_readings() -> None:
    energy, flags = total(series("500.00", "501.00", "0.20", "0.70", "1.10"))
    assert energy == D("1.00") + D("1.10")
    assert flags & Flag.RESET


def test_newest_backward_reading_waits() -> None:
    run = increments(series("500.00", "501.00", "0.20"))
    assert run.pending
    assert sum(i.energy for i in run.increments) == D("1.00")


def test_meter_replacement_with_multiplier_change() -> None:
    samples = series("100.00", "101.00", "3.00", "4.00")
    swap = Breakpoint(T0 + timedelta(seconds=90), D("101.50"), D("2.50"), D(40))
    energy, flags = total(samples, breakpoints=[swap], spec=CounterSpec(multiplier=D(20)))
    assert energy == D("1.00") * 20 + D("0.50") * 20 + D("1.50") * 40
    assert flags & Flag.REPLACED


def test_missing_reads_are_bridged_not_zeroed() -> None:
    assert total(series("1.00", None, None, "1.30"))[0] == D("0.30")


def test_long_gap_leaves_null_buckets_and_keeps_the_sum() -> None:
    samples = [Sample(T0, D("10")), Sample(T0 + timedelta(hours=2, minutes=5), D("30"))]
    qs = quarters(increments(samples).increments)
    assert [q.value for q in qs[:-1]] == [None] * (len(qs) - 1)
    assert all(q.flags & Flag.MISSING for q in qs[:-1])
    assert (qs[-1].value, bool(qs[-1].flags & Flag.GAP)) == (D(20), True)


def test_short_gap_is_shared_by_time() -> None:
    samples = [
        Sample(T0 + timedelta(minutes=10), D("0")),
        Sample(T0 + timedelta(minutes=25), D("3")),
    ]
    qs = quarters(increments(samples).increments)
    assert [(q.start.minute, q.value) for q in qs] == [(0, D("1")), (15, D("2"))]


def test_days_are_cut_at_shanghai_midnight() -> None:
    # 15:50 UTC .. 16:10 UTC straddles 00:00 in Shanghai (UTC+8)
    start = datetime(2025, 3, 3, 15, 50, tzinfo=UTC)
    samples = [Sample(start + timedelta(minutes=m), D(m)) for m in range(0, 21, 5)]
    days = roll_up(quarters(increments(samples).increments), Resolution.day, SHANGHAI)
    assert [d.start.astimezone(SHANGHAI).day for d in days] == [3, 4]
    assert [d.value for d in days] == [D(10), D(10)]
    assert all(d.flags & Flag.MISSING for d in days)  # neither day is complete


# --- the property: whatever happens to the meter, nothing is lost or invented ---------

EVENTS = st.sampled_from(["step"] * 8 + ["miss", "glitch", "reset", "replace", "ct"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(EVENTS, st.integers(0, 5000)), min_size=3, max_size=80),
    st.sampled_from([D("1000"), D("100000")]),
)
def test_sum_of_intervals_equals_energy_exactly(
    script: list[tuple[str, int]], modulus: Decimal
) -> None:
    mult = D(1)
    register = D(0)
    truth = D(0)
    samples: list[Sample] = []
    breakpoints: list[Breakpoint] = []
    quiet = 0  # steps since the last event, so confirmations are unambiguous
    t = T0
    for event, n in [*script, *[("step", 7)] * 4]:  # trailing steps confirm everything
        t += timedelta(seconds=30 + n % 900)
        raw = D(n % 4000).scaleb(-2)  # at most 40 per step, far below 10 % of the register
        in_middle = modulus * D("0.2") <= register < modulus * D("0.85")
        if event == "reset" and quiet > 3 and in_middle:
            register, quiet = D(0), 0  # cleared just after the last read
        elif event == "replace" and quiet > 3:
            new = D(n % 700)
            breakpoints.append(Breakpoint(t - timedelta(seconds=1), register, new, mult, modulus))
            register, quiet = new, 0
        elif event == "ct" and quiet > 3:
            mult = D(n % 7 + 1) * 5
            breakpoints.append(Breakpoint(t - timedelta(seconds=1), register, register, mult))
            quiet = 0
        register += raw
        if samples:
            truth += raw * mult
        if register >= modulus:
            register -= modulus
        if event == "miss" and samples:
            samples.append(Sample(t, None))
        elif event == "glitch" and quiet > 3 and samples:
            # a garbled read: the energy it missed arrives with the next good reading
            # (a run of confirm+1 agreeing bad reads is a reset by definition, so runs are short)
            samples.append(Sample(t, D(0) if n % 2 else (register / 3).quantize(D("0.01"))))
            quiet = 0
        else:
            samples.append(Sample(t, register))
        quiet += 1
    run = increments(samples, breakpoints, CounterSpec(multiplier=D(1), modulus=modulus))
    assert not run.pending
    assert all(i.energy >= 0 for i in run.increments)
    qs = quarters(run.increments)
    assert sum((q.value for q in qs if q.value is not None), D(0)) == truth
    days = roll_up(qs, Resolution.day, SHANGHAI)
    assert sum((d.value for d in days if d.value is not None), D(0)) == truth
