"""`nevport energy tariff` as an operator runs it: a real process, JSON out, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import nevport_cli


def test_show_prints_prices_and_the_period_of_each_hour() -> None:
    result = nevport_cli("energy", "tariff", "show", "--month", "7")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["prices"] == {
        "flat": "0.650000",
        "peak": "1.040000",
        "valley": "0.260000",
        "critical_peak": "1.248000",
    }
    assert (shown["hours"]["03:00"], shown["hours"]["09:00"], shown["hours"]["11:00"]) == (
        "valley",
        "peak",
        "critical_peak",
    )


def test_check_refuses_a_file_with_a_gap_naming_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text('name: x\nflat_price: "0.5"\nperiods:\n  peak: [["08:00", "12:00"]]\n')
    result = nevport_cli("energy", "tariff", "check", str(bad))
    assert result.returncode == 2
    assert f"periods: {bad}:4: periods leave 80 quarter hours out, from 00:00" in result.stderr
