"""Scenario and map files: the library loads and runs; broken files give clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from nevport.sim.build import variant_count
from nevport.sim.campaign import suite_ids
from nevport.sim.cli import app
from nevport.sim.errors import SchemaError, UnknownNameError
from nevport.sim.maps import available_maps, load_map
from nevport.sim.runner import run_variants
from nevport.sim.scenario import library, load_scenario

GOOD = """\
id: tiny
title: {en: tiny, zh: 小}
category: urban
map: urban_street
duration: 3
parameters:
  gap: {default: 30, range: [20, 40]}
ego: {lane: 0, s: 20, speed_kmh: 30}
actors:
  - {id: lead, type: car, lane: 0, s: "$gap + 20", speed_kmh: 30}
storyboard:
  - name: brake
    when: {time: 1}
    do: [{speed: {actor: lead, target_kmh: 0, rate: 3}}]
"""

# (replace this, with that) -> (line, field, words the message must contain)
BROKEN = [
    ("category: urban", "category: rural", (3, "category", "expected one of urban, highway")),
    ("duration: 3", "duration: soon", (5, "duration", "expected a number")),
    ("    when: {time: 1}", "    when: {tim: 1}", (13, "storyboard[0].when.tim", "unknown field")),
    ('s: "$gap + 20"', 's: "$gapp + 20"', (10, "actors[0].s", "unknown parameter 'gapp'")),
    ("map: urban_street", "map: nowhere", (4, "map", "unknown map 'nowhere'")),
    (
        "actor: lead, target",
        "actor: leed, target",
        (14, "storyboard[0].do[0].speed.actor", "unknown actor 'leed'"),
    ),
    ("type: car", "type: tank", (10, "actors[0].type", "expected one of")),
    (
        "ego: {lane: 0, s: 20, speed_kmh: 30}",
        "ego: {lane: 0, speed_kmh: 30}",
        (8, "ego", "missing required field 's'"),
    ),
    ("range: [20, 40]", "range: [35, 40]", (7, "parameters.gap.default", "outside range")),
    ('s: "$gap + 20"', 's: "gap + 20"', (10, "actors[0].s", "written $name")),
    ("duration: 3", "duration: 3\nduration: 4", (6, "duration", "duplicate key")),
    ("    do: [", "    do: [[", (15, "<syntax>", "")),
    ("duration: 3", "duration: 3\ncriteria: [no_crash]", (6, "criteria[0]", "unknown criterion")),
    ("duration: 3", "duration: 3\nweathers: [sunny]", (6, "weathers[0]", "expected one of clear")),
    ("range: [20, 40]", "normal: [30, -2]", (7, "parameters.gap.normal", "must be positive")),
]


@pytest.mark.parametrize(("old", "new", "expect"), BROKEN, ids=[b[2][1] for b in BROKEN])
def test_invalid_scenario_names_file_line_and_field(
    tmp_path: Path, old: str, new: str, expect: tuple[int, str, str]
) -> None:
    assert old in GOOD
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    line, field, words = expect
    with pytest.raises(SchemaError) as info:
        load_scenario(path)
    err = info.value
    assert (err.file, err.field) == (str(path), field), str(err)
    assert err.line == line, str(err)
    assert words in str(err)
    assert str(err).startswith(f"{path}:{line}: {field}: ")


def test_cli_refuses_a_broken_file_with_exit_2_and_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("category: urban", "category: rural"), encoding="utf-8")
    for args in (["run", str(path)], ["test", str(path), "--out", str(tmp_path / "o")]):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 2
        assert res.output.count("\n") == 1
        assert f"{path}:3: category:" in res.output


def test_good_file_loads_and_runs(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(GOOD, encoding="utf-8")
    r = run_variants(load_scenario(path), "clear", [0, 1, 2])
    assert [x["variant"] for x in r] == [0, 1, 2]
    assert r[0]["parameters"] == {"gap": 30.0}
    assert 20 <= r[1]["parameters"]["gap"] <= 40


def test_library_size_and_coverage() -> None:
    lib = {sid: load_scenario(p) for sid, p in library().items()}
    non_suite = [s for s in lib.values() if not any(t.startswith("suite:") for t in s.tags)]
    assert len(lib) >= 30
    assert sum(s.category == "urban" for s in non_suite) >= 12
    assert sum(s.category == "highway" for s in non_suite) >= 12
    assert all(s.title_zh and s.title_en for s in lib.values())
    assert all(any(t.startswith("gbt41798-6.") for t in s.tags) for s in lib.values())
    assert len(suite_ids("euroncap")) == 6
    assert len(suite_ids("r157")) == 3


def test_gbt41798_clause_suites_follow_the_tags() -> None:
    """Each clause family is a suite of the scenarios tagged with it; 6.1-6.5 are covered,
    6.6-6.8 (parking, takeover, minimal risk) have no scenario in part 1."""
    tags = {sid: load_scenario(p).tags for sid, p in library().items()}
    for i in range(1, 9):
        clause = f"gbt41798-6.{i}"
        assert suite_ids(clause) == [sid for sid, t in tags.items() if clause in t]
        assert bool(suite_ids(clause)) == (i <= 5)
    assert "ncap_cpna" in suite_ids("gbt41798-6.3")
    assert "ur_signal_red" in suite_ids("gbt41798-6.1")
    with pytest.raises(UnknownNameError, match=r"gbt41798-6\.1 \.\.\. gbt41798-6\.8"):
        suite_ids("gbt41798-6.9")


def test_ncap_grids_follow_the_protocol_sizes() -> None:
    sizes = {
        sid: variant_count(load_scenario(library()[sid]), None)
        for sid in ("ncap_ccrs", "ncap_ccrm", "ncap_ccrb", "ncap_cpna", "ncap_cpfa")
    }
    assert sizes == {
        "ncap_ccrs": 75,
        "ncap_ccrm": 55,
        "ncap_ccrb": 4,
        "ncap_cpna": 22,
        "ncap_cpfa": 11,
    }


@pytest.mark.parametrize("sid", sorted(library()))
def test_every_library_scenario_runs_with_the_reference_ads(sid: str) -> None:
    scn = load_scenario(library()[sid])
    r = run_variants(scn, "clear", [0])[0]
    assert r["steps"] > 0
    assert len(r["trace_hash"]) == 64
    assert r["verdict"] in ("pass", "fail")
    if not any(t.startswith("suite:") for t in scn.tags):
        assert r["verdict"] == "pass", (sid, r["failed"])  # clear weather: the ADS copes


@pytest.mark.parametrize("name", available_maps())
def test_every_map_loads_and_has_a_continuous_reference_line(name: str) -> None:
    road = load_map(name)
    import numpy as np

    s = np.linspace(0, road.length, 400, endpoint=not road.periodic)
    x, y, _ = road.to_world(s, np.zeros_like(s))
    steps = np.hypot(np.diff(x), np.diff(y))
    assert np.allclose(steps, s[1] - s[0], rtol=1e-2)  # arc length is preserved


def test_arc_geometry_turns_by_length_over_radius() -> None:
    road = load_map("urban_left_turn")  # 23.56 m of radius 15 m: a quarter turn to the left
    import numpy as np

    _, _, h = road.to_world(np.array([road.length]), np.zeros(1))
    assert float(h[0]) == pytest.approx(np.pi / 2, abs=1e-3)


@pytest.mark.parametrize(
    "name", ["urban_left_turn", "highway_work_zone", "urban_signal", "urban_crossroads"]
)
def test_plot_helper_draws_every_lane_boundary_and_feature(name: str) -> None:
    from xml.etree import ElementTree as ET

    from nevport.sim.plot import map_svg

    road = load_map(name)
    svg = ET.fromstring(map_svg(road))
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    features = len(road.signals) + len(road.stop_signs) + len(road.crosswalks)
    features += sum(1 for j in road.junctions for a in j.arms if a.crosswalk > 0)
    arms = 3 * sum(len(j.arms) for j in road.junctions)  # two edges and a centre line each
    assert len(lines) == len(road.lanes) + 1 + features + len(road.obstacles) + arms


def test_curvature_ahead_matches_a_brute_force_scan() -> None:
    import numpy as np

    road = load_map("highway_curve")
    for s in np.arange(0.0, road.length, 37.0):
        scan = np.abs(road.curvature(s + np.arange(0.0, 150.0, 0.5))).max()
        assert float(road.curvature_ahead(np.array([s]))[0]) == pytest.approx(scan, abs=2e-4)


def test_parameter_distributions_turn_a_logical_scenario_into_concrete_variants() -> None:
    import numpy as np

    from nevport.sim.build import concrete

    scn = load_scenario(library()["hw_car_following"])  # gap ~ N(50, 12) clipped to [30, 80]
    gaps = np.array([concrete(scn, i, seed=4)["gap"] for i in range(1, 801)])
    speeds = np.array([concrete(scn, i, seed=4)["speed_kmh"] for i in range(1, 801)])
    assert gaps.min() >= 30.0
    assert gaps.max() <= 80.0
    assert gaps.mean() == pytest.approx(50.0, abs=1.5)
    assert gaps.std() == pytest.approx(12.0, rel=0.15)
    assert speeds.min() >= 80.0
    assert speeds.max() <= 120.0
    assert abs(speeds.mean() - 100.0) < 2.0
    assert concrete(scn, 0, seed=4) == {"speed_kmh": 100.0, "gap": 50.0}  # variant 0: defaults


def test_connecting_lanes_cross_the_junction_on_the_right_hand_lane() -> None:
    import numpy as np

    from nevport.sim.road import connection_path

    road = load_map("urban_signal")  # arms at -90 (south, right of the route) and +90 deg
    junction = road.junctions[0]
    south, north = junction.arms
    s, d = connection_path(road, junction, south, north, approach=40.0)
    centre_d = 0.5 * road.lane_edges[-1]
    assert np.allclose(s, junction.s + 0.5 * south.lane_width, atol=1e-6)  # its right lane
    assert d[0] == pytest.approx(centre_d - 40.0)
    assert d[-1] == pytest.approx(centre_d + 40.0)
    assert np.all(np.diff(d) > 0)  # drives straight across, no detours
    turn = load_map("urban_left_turn").junctions[0]
    ts, td = connection_path(load_map("urban_left_turn"), turn, turn.arms[0], turn.arms[1])
    assert len(ts) > 40
    assert np.all(np.hypot(np.diff(ts), np.diff(td)) < 2.5)


def test_a_bad_connection_names_the_junction_and_arms(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        GOOD.replace("map: urban_street", "map: urban_signal").replace(
            '{id: lead, type: car, lane: 0, s: "$gap + 20", speed_kmh: 30}',
            '{id: lead, type: car, speed_kmh: 30, connection: "main:south>west"}',
        ),
        encoding="utf-8",
    )
    with pytest.raises(SchemaError, match=r"actors\[0\]\.connection: expected 'junction:from>to'"):
        load_scenario(path)
