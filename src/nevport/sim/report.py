"""Campaign outputs: results.json, junit.xml and a self-contained report.html."""

from __future__ import annotations

import html
import json
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from nevport.sim.road import Road

SVG_W, SVG_H = 360, 140  # [px] size of each inline plot


def write_all(
    out: Path,
    results: list[dict[str, Any]],
    meta: dict[str, Any],
    roads: dict[str, Road] | None = None,
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(
        json.dumps({"meta": meta, "runs": results}, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    write_junit(out / "junit.xml", results)
    (out / "report.html").write_text(render_html(results, meta, roads), encoding="utf-8")


def _case_name(r: dict[str, Any]) -> str:
    return f"{r['scenario']}[{r['weather']}#{r['variant']}]"


def write_junit(path: Path, results: list[dict[str, Any]]) -> None:
    """One testsuite per scenario, one testcase per run (the format CI systems read)."""
    by_scn: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        by_scn[r["scenario"]].append(r)
    root = ET.Element(
        "testsuites",
        name="nevport-sim",
        tests=str(len(results)),
        failures=str(sum(r["verdict"] == "fail" for r in results)),
    )
    for scn, runs in by_scn.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=scn,
            tests=str(len(runs)),
            failures=str(sum(r["verdict"] == "fail" for r in runs)),
        )
        for r in runs:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"sim.{scn}",
                name=_case_name(r),
                time=f"{r['metrics'].get('time') or 0:.2f}",
            )
            if r["verdict"] == "fail":
                m = r["metrics"]
                msg = f"failed: {', '.join(r['failed'])}"
                ET.SubElement(case, "failure", message=msg).text = (
                    f"{msg}; impact_speed={m.get('impact_speed')} m/s, "
                    f"min_ttc={m.get('min_ttc')} s, "
                    f"parameters={r['parameters']}, trace={r['trace_hash']}"
                )
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _polyline(xs: list[float], ys: list[float], y_max: float, colour: str) -> str:
    if not xs:
        return ""
    x0, x1 = min(xs), max(xs) or 1.0
    span = max(x1 - x0, 1e-6)
    pts = " ".join(
        f"{(x - x0) / span * (SVG_W - 40) + 30:.1f},"
        f"{SVG_H - 20 - min(y, y_max) / y_max * (SVG_H - 30):.1f}"
        for x, y in zip(xs, ys, strict=True)
    )
    return f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{pts}"/>'


def _svg(title: str, xs: list[float], ys: list[float], y_max: float, unit: str) -> str:
    y_max = max(y_max, 1e-6)
    axis = (
        f'<line x1="30" y1="{SVG_H - 20}" x2="{SVG_W - 10}" y2="{SVG_H - 20}" stroke="#888"/>'
        f'<line x1="30" y1="10" x2="30" y2="{SVG_H - 20}" stroke="#888"/>'
        f'<text x="32" y="12" font-size="10">{html.escape(title)} (max {y_max:.1f} {unit})</text>'
        f'<text x="{SVG_W - 40}" y="{SVG_H - 5}" font-size="10">t [s]</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_W}" height="{SVG_H}">{axis}'
        f"{_polyline(xs, ys, y_max, '#c0392b')}</svg>"
    )


def _matrix(results: list[dict[str, Any]]) -> str:
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    weathers: list[str] = []
    for r in results:
        key = (r["scenario"], r["weather"])
        cells[key][0] += r["verdict"] == "pass"
        cells[key][1] += 1
        if r["weather"] not in weathers:
            weathers.append(r["weather"])
    fails = {s for (s, _), (p, n) in cells.items() if p < n}
    scenarios = sorted({s for s, _ in cells}, key=lambda s: (s not in fails, s))
    head = "".join(f"<th>{html.escape(w)}</th>" for w in weathers)
    rows = []
    for s in scenarios:
        tds = []
        for w in weathers:
            if (s, w) not in cells:
                tds.append("<td></td>")
                continue
            p, n = cells[(s, w)]
            tds.append(f'<td class="{"ok" if p == n else "bad"}">{p}/{n}</td>')
        rows.append(f"<tr><th>{html.escape(s)}</th>{''.join(tds)}</tr>")
    return f"<table><tr><th>scenario</th>{head}</tr>{''.join(rows)}</table>"


def _path_svg(road: Road | None, ser: dict[str, list[float]]) -> str:
    """The failed run's ego path in the straightened road (s right, d up, lanes drawn)."""
    if road is None or not ser.get("s"):
        return ""
    s, d = ser["s"], ser["d"]
    edges = [float(e) for e in road.lane_edges]
    s0, s1 = min(s) - 10.0, max(s) + 10.0
    d0, d1 = min(edges + d) - 1.0, max(edges + d) + 1.0

    def pt(x: float, y: float) -> str:
        px = 30 + (x - s0) / (s1 - s0) * (SVG_W - 40)
        return f"{px:.1f},{SVG_H - 20 - (y - d0) / (d1 - d0) * (SVG_H - 30):.1f}"

    lanes = "".join(
        f'<polyline fill="none" stroke="#888" points="{pt(s0, e)} {pt(s1, e)}"/>' for e in edges
    )
    path = " ".join(pt(x, y) for x, y in zip(s, d, strict=True))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_W}" height="{SVG_H}">'
        f'<text x="32" y="12" font-size="10">ego path, s {s0:.0f}-{s1:.0f} m (lanes grey)'
        f'</text>{lanes}<polyline fill="none" stroke="#27ae60" stroke-width="2" '
        f'points="{path}"/></svg>'
    )


def render_html(
    results: list[dict[str, Any]], meta: dict[str, Any], roads: dict[str, Road] | None = None
) -> str:
    """Scenario x weather matrix, failures first, with trajectory, speed and TTC plots of
    failed runs (``roads`` by scenario id, for the trajectory plots)."""
    failed = [r for r in results if r["verdict"] == "fail"]
    parts = []
    for r in failed[:200]:  # the first 200 failures keep the file small enough to open
        ser = r.get("series", {})
        t = ser.get("t", [])
        m = r["metrics"]
        parts.append(
            f"<section><h3>{html.escape(_case_name(r))}: {html.escape(', '.join(r['failed']))}</h3>"
            f"<p>parameters {html.escape(json.dumps(r['parameters']))}; impact "
            f"{m.get('impact_speed')} m/s; min TTC {m.get('min_ttc')} s; trace "
            f"<code>{r['trace_hash'][:16]}</code></p>"
            f"{_svg('ego speed', t, ser.get('v', []), max(ser.get('v', [1.0]) or [1.0]), 'm/s')}"
            f"{_svg('TTC to the object ahead', t, ser.get('ttc', []), 10.0, 's')}"
            f"{_path_svg((roads or {}).get(r['scenario']), ser)}</section>"
        )
    passed = len(results) - len(failed)
    style = (
        "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px}"
        ".ok{background:#d5f5e3}.bad{background:#f5b7b1}section{margin:1em 0}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>nevport sim report</title>"
        f"<style>{style}</style></head><body><h1>Simulation campaign</h1>"
        f"<p>{passed} of {len(results)} runs passed. {html.escape(json.dumps(meta))}</p>"
        f"<h2>Scenario x weather (failures first)</h2>{_matrix(results)}"
        f"<h2>Failed runs</h2>{''.join(parts) or '<p>none</p>'}</body></html>"
    )
