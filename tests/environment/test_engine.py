"""Streaming gives the events replay gives; configs refuse unknown keys."""

from __future__ import annotations

import numpy as np
import pytest

from nevport.environment.engine import Engine, Period, replay
from nevport.environment.rules import REGISTRY, Rule, parse_config, register
from nevport.environment.states import Thresholds
from nevport.environment.stream import StreamingEngine, TickAssembler
from nevport.environment.topology import Facility, FacilityKind, Link, Topology
from nevport.errors import Conflict, InvalidInput

from .traces import BOOTH, MINUTE, T0, VOC

PARK = Topology(
    facilities=(
        Facility("SC1", FacilityKind.production, BOOTH),
        Facility("SB1", FacilityKind.treatment, VOC),
        Facility("SC2", FacilityKind.production, BOOTH),
        Facility("SB2", FacilityKind.treatment, VOC),
    ),
    links=(Link("SC1", "SB1", 0.5), Link("SC2", "SB2", 0.5)),
)


def messy_day(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A day of shifts with random late starts, stops, noise and data gaps."""
    rng = np.random.default_rng(seed)
    minutes = 24 * 60
    t = T0 + MINUTE * np.arange(minutes, dtype=np.int64)
    level = np.zeros((minutes, 4))
    rated = np.array([40_000.0, 20_000.0, 40_000.0, 20_000.0])
    for start in rng.integers(0, minutes - 60, size=40):
        column = rng.integers(0, 4)
        level[start : start + rng.integers(5, 180), column] = rng.uniform(0.1, 0.8)
    power = np.maximum(level * rated, 100.0) * rng.uniform(0.9, 1.1, size=level.shape)
    power[rng.random(size=level.shape) < 0.01] = np.nan
    power[300:330, 1] = np.nan  # a half-hour outage of one treatment meter
    return t, power


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_streaming_out_of_order_equals_replay(seed: int) -> None:
    t, power = messy_day(seed)
    periods = [Period("staggered", T0 + 600 * MINUTE, T0 + 720 * MINUTE)]
    expected = replay(PARK, t, power, periods=periods)
    assert len({e.rule for e in expected}) >= 4  # the day really exercises the rules

    rng = np.random.default_rng(seed + 100)
    readings = [(int(t[i]), c, power[i, c]) for i in range(len(t)) for c in range(4)]
    # Shuffle within blocks of two minutes: readings arrive late and out of order.
    order = np.argsort(np.arange(len(readings)) // 8 + rng.random(len(readings)))
    stream = StreamingEngine(Engine(PARK, periods=periods), max_delay_s=2 * MINUTE)
    got = []
    for index in order:
        ts, channel, value = readings[index]
        got.extend(stream.push(ts, channel, None if np.isnan(value) else float(value)))
    got.extend(stream.flush())
    assert got == expected


def test_a_reading_too_late_for_its_sample_is_dropped_not_reordered() -> None:
    assembler = TickAssembler(n=2, max_delay_s=120, step_s=60)
    assert assembler.push(0, 0, 1.0) == []
    assert assembler.push(60, 0, 1.0) == []  # channel 1 of sample 0 may still come
    ((t0, values),) = assembler.push(120, 0, 2.0)  # two minutes on: sample 0 is due
    assert t0 == 0
    assert np.isnan(values[1])  # channel 1 never came: missing, not 0
    released = assembler.push(240, 1, 2.0)
    assert [t for t, _ in released] == [60, 120]  # in order; 180 may still come
    assert assembler.push(0, 1, 5.0) == []  # too late for a sample already evaluated
    ((t180, missing),) = assembler.flush()[:1]
    assert t180 == 180
    assert np.isnan(missing).all()  # a sample nobody reported is all missing


def test_the_clock_releases_silent_samples_and_a_held_value_stands_in_for_a_while() -> None:
    assembler = TickAssembler(n=2, max_delay_s=120, step_s=60, hold_s=180)
    assert assembler.push(0, 1, 7.0) == []
    ((t0, first),) = assembler.push(0, 0, 5.0)  # every channel reported: released at once
    assert (t0, first.tolist()) == (0, [5.0, 7.0])
    assert assembler.push(60, 0, 6.0) == []  # channel 1 of sample 60 may still come
    assert assembler.push(60, 0, 9.0) == []  # a second reading in a sample does not count
    assert assembler.until(179) == []  # not two minutes past sample 60 yet
    released = assembler.until(480)  # the clock alone: nobody reported after sample 60
    assert [t for t, _ in released] == [60, 120, 180, 240, 300, 360]
    values = np.array([v for _, v in released])
    assert values[0].tolist() == [6.0, 7.0]  # channel 1 held from sample 0
    assert values[1:3, 0].tolist() == [6.0, 6.0]  # held for hold_s after its reading
    assert np.isnan(values[3:, 0]).all()  # then missing, never 0
    assert np.isnan(values[2:, 1]).all()
    assembler.push(420, 1, None)  # the device could not read: held as missing
    ((t420, last),) = assembler.push(420, 0, 1.0)
    assert t420 == 420
    assert last[0] == 1.0
    assert np.isnan(last[1])


def test_engine_refuses_time_going_backwards() -> None:
    engine = Engine(PARK)
    engine.step(T0, np.zeros(4))
    with pytest.raises(InvalidInput, match="not after"):
        engine.step(T0, np.zeros(4))


def test_unknown_rule_and_unknown_key_are_errors_naming_them() -> None:
    with pytest.raises(InvalidInput, match="unknown rule 'treatment_of'"):
        parse_config("treatment_of", {})
    with pytest.raises(InvalidInput) as caught:
        parse_config("under_load", {"k": 0.3, "minutes": 30})
    assert caught.value.field == "rules.under_load.minutes"
    with pytest.raises(InvalidInput) as caught:
        parse_config("under_load", {"k": 1.5})
    assert caught.value.field == "rules.under_load.k"
    with pytest.raises(InvalidInput, match="unknown rules"):
        Engine(PARK, {"treatment_off": {}, "nope": {}})


def test_configs_are_frozen_and_the_registry_refuses_duplicates() -> None:
    config = parse_config("treatment_off", {"min_duration_s": 60})
    with pytest.raises(ValueError, match="frozen"):
        config.min_duration_s = 5  # type: ignore[misc]

    class Again(Rule):
        name = "treatment_off"
        config_type = REGISTRY["treatment_off"].config_type

        def step(self, tick: object) -> list:  # type: ignore[override]
            return []

    with pytest.raises(Conflict):
        register(Again)
    assert {
        "treatment_off",
        "start_stop_lag",
        "under_load",
        "abnormal_stop",
        "cycling",
        "ratio_drift",
        "curtailment",
        "offline",
        "suspicious_zero",
    } == set(REGISTRY)


def test_thresholds_refuse_inconsistent_values() -> None:
    with pytest.raises(InvalidInput, match="standby_w < running_w"):
        Thresholds(standby_w=5_000, running_w=1_000, rated_w=10_000)
    with pytest.raises(InvalidInput, match="hysteresis_w"):
        Thresholds(standby_w=500, running_w=1_000, rated_w=10_000, hysteresis_w=600)
