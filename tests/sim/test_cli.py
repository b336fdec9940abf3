"""The ``nevport sim`` commands, driven through Typer's runner on the sub-app."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from typer.testing import CliRunner

from nevport.sim.cli import app

GOLDEN = Path(__file__).parent / "data" / "list.golden"
runner = CliRunner()


def test_list_matches_the_golden_transcript() -> None:
    res = runner.invoke(app, ["list"])
    assert res.exit_code == 0
    assert res.output == GOLDEN.read_text(encoding="utf-8")


def test_list_json_has_id_category_title() -> None:
    rows = json.loads(runner.invoke(app, ["list", "--json"]).output)
    assert len(rows) >= 30
    assert all({"id", "category", "title"} <= row.keys() for row in rows)
    assert {row["category"] for row in rows} == {"urban", "highway"}


def test_run_prints_verdict_metrics_and_hash_and_records(tmp_path: Path) -> None:
    rec = tmp_path / "replay.npz"
    res = runner.invoke(
        app,
        [
            "run",
            "ur_signal_red",
            "--weather",
            "clear",
            "--record",
            str(rec),
            "--param",
            "speed_kmh=40",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "PASS" in res.output
    assert "red_light" in res.output
    assert "trace_hash" in res.output
    import numpy as np

    data = np.load(rec)
    assert data["x"].shape == data["y"].shape
    assert data["x"].shape[1] == len(data["actors"])


def test_run_exit_1_on_failure_and_2_on_usage_errors() -> None:
    res = runner.invoke(
        app,
        ["run", "ncap_ccrb", "--weather", "snow", "--param", "headway_m=12", "--param", "decel=6"],
    )
    assert res.exit_code == 1
    assert "FAIL" in res.output
    for args in (
        ["run", "nope"],
        ["run", "ncap_ccrb", "--weather", "sunny"],
        ["run", "ncap_ccrb", "--param", "wind=3"],
        ["run", "ncap_ccrb", "--param", "x"],
        ["run", "ncap_ccrb", "--driver", "no.such:Driver"],
        ["test", "--suite", "nope"],
        ["test", "ncap_ccrb", "--weather", "sunny"],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert res.output.startswith("error: ")
        assert res.output.count("\n") == 1


def test_test_writes_results_junit_and_report(tmp_path: Path) -> None:
    out = tmp_path / "camp"
    res = runner.invoke(
        app,
        [
            "test",
            "ncap_ccrb",
            "ur_signal_green",
            "--weather",
            "clear,snow",
            "--workers",
            "1",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 1, res.output  # CCRb in snow fails, honestly
    runs = json.loads((out / "results.json").read_text())["runs"]
    assert len(runs) == 2 * 4 + 2 * 1
    assert {
        "scenario",
        "weather",
        "parameters",
        "seed",
        "verdict",
        "metrics",
        "trace_hash",
    } <= runs[0].keys()
    cases = ET.parse(out / "junit.xml").getroot().iter("testcase")
    assert sum(1 for _ in cases) == len(runs)
    html = (out / "report.html").read_text()
    assert html.count("<svg") >= 3 * 2  # speed, TTC and path plots of each failed run
    assert "<svg" in html
    assert "ncap_ccrb" in html
    assert "src=" not in html
    assert "href=" not in html


def test_test_exit_0_when_all_pass(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        ["test", "ur_signal_green", "--weather", "clear", "--workers", "1", "--out", str(tmp_path)],
    )
    assert res.exit_code == 0, res.output


def test_bench_json_reports_vehicle_steps_per_s() -> None:
    res = runner.invoke(app, ["bench", "--json", "--seconds", "0.3", "--batch", "4"])
    data = json.loads(res.output)
    assert data["vehicles"] == 50
    assert data["batch"] == 4
    assert data["vehicle_steps_per_s"] > 1000


def test_custom_weather_by_parameters_changes_the_outcome() -> None:
    base = ["run", "ncap_ccrb", "--param", "headway_m=12", "--param", "decel=6"]
    dry = runner.invoke(app, [*base, "--weather", "clear"])
    icy = runner.invoke(app, [*base, "--weather", "clear:mu=0.15"])
    assert dry.exit_code == 0, dry.output
    assert icy.exit_code == 1, icy.output


def test_map_draws_an_svg_and_refuses_unknown_maps(tmp_path: Path) -> None:
    out = tmp_path / "m.svg"
    res = runner.invoke(app, ["map", "urban_signal", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text().startswith("<svg")
    assert "urban_signal" in res.output
    bad = runner.invoke(app, ["map", "atlantis"])
    assert bad.exit_code == 2
    assert bad.output.startswith("error: unknown map 'atlantis'")
