"""Threshold suggestions from power histories."""

from __future__ import annotations

import numpy as np
import pytest

from nevport.environment.learn import suggest
from nevport.errors import InvalidInput


def test_three_levels_give_thresholds_between_them() -> None:
    rng = np.random.default_rng(3)
    levels = np.concatenate([np.full(400, 150.0), np.full(200, 2_500.0), np.full(500, 18_000.0)])
    found = suggest(levels * rng.uniform(0.95, 1.05, size=levels.size))
    assert 150 < found.standby_w < 2_500 < found.running_w < 18_000
    assert 18_000 < found.rated_w < 19_000
    assert found.samples == 1100


def test_missing_samples_are_ignored_and_too_few_refused() -> None:
    with_gaps = np.concatenate([np.full(60, 100.0), np.full(60, 9_000.0), np.full(50, np.nan)])
    assert suggest(with_gaps).samples == 120
    with pytest.raises(InvalidInput, match="at least 96"):
        suggest(np.full(50, 100.0))
    with pytest.raises(InvalidInput, match="never changes level"):
        suggest(np.full(200, 3_000.0))
