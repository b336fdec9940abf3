"""Draw any map (and optionally a trajectory) as a standalone SVG string, no plotting library."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nevport.sim.crosswalks import zones
from nevport.sim.road import Road

F64 = NDArray[np.float64]
MARGIN = 10.0  # [px]


ARM_LENGTH = 60.0  # [m] how much of each crossing road is drawn


def _arms(road: Road, lo: float, hi: float) -> list[tuple[F64, F64, str]]:
    """World polylines of the crossing roads' edges and centre lines at each junction."""
    out = []
    d_centre = np.array([0.5 * road.lane_edges[-1]])
    for j in (j for j in road.junctions if lo <= j.s <= hi):
        cx, cy, ch = (float(a[0]) for a in road.to_world(np.array([j.s]), d_centre))
        t = np.array([0.5 * j.width, ARM_LENGTH])
        for arm in j.arms:
            u = np.array([np.cos(ch + arm.angle), np.sin(ch + arm.angle)])
            n = np.array([-u[1], u[0]])  # inbound lanes lie left of u, outbound right
            for off, style in (
                (arm.lanes_in * arm.lane_width, ""),
                (0.0, ' stroke-dasharray="6,6"'),
                (-arm.lanes_out * arm.lane_width, ""),
            ):
                out.append((cx + u[0] * t + n[0] * off, cy + u[1] * t + n[1] * off, style))
    return out


def map_svg(
    road: Road,
    width: int = 800,
    path: tuple[F64, F64] | None = None,
    s_range: tuple[float, float] | None = None,
) -> str:
    """SVG of lane boundaries (solid or dashed), stop lines, crosswalks and obstacles.

    ``path`` optionally overlays an ego trajectory given as Frenet (s, d) arrays;
    ``s_range`` [m] draws only that stretch of road (e.g. around a failed run).
    """
    lo, hi = s_range if s_range is not None else (0.0, road.length)
    lo, hi = max(lo, 0.0), min(hi, road.length)
    s = np.linspace(lo, hi, max(50, int((hi - lo) / 2.0)))
    lines = []
    xs, ys = [], []
    for k, d in enumerate(road.lane_edges):
        x, y, _ = road.to_world(s, np.full_like(s, d))
        xs.append(x)
        ys.append(y)
        solid = k in (0, len(road.lanes)) or road.lanes[k - 1].marking_left == "solid"
        lines.append((x, y, "" if solid else ' stroke-dasharray="6,6"', "#444"))
    for x, y, style in _arms(road, lo, hi):
        xs.append(x)
        ys.append(y)
        lines.append((x, y, style, "#777"))
    allx, ally = np.concatenate(xs), np.concatenate(ys)
    lo_x, hi_x, lo_y, hi_y = allx.min(), allx.max(), ally.min(), ally.max()
    scale = (width - 2 * MARGIN) / max(hi_x - lo_x, hi_y - lo_y, 1.0)
    height = int((hi_y - lo_y) * scale + 2 * MARGIN)

    def pts(x: F64, y: F64) -> str:
        px = (x - lo_x) * scale + MARGIN
        py = height - ((y - lo_y) * scale + MARGIN)
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))

    across = np.array([road.lane_edges[0], road.lane_edges[-1]])
    marks = [(sg.s, "#c0392b") for sg in road.signals] + [(x, "#2c3e50") for x in road.stop_signs]
    marks += [(c[0], "#2980b9") for c in road.crosswalks]
    marks = [(m, c) for m, c in marks if lo <= m <= hi]
    for s_mark, colour in marks:
        x, y, _ = road.to_world(np.full(2, s_mark), across)
        lines.append((x, y, "", colour))
    z = zones(road)
    for k in range(len(road.crosswalks), len(z)):  # arms' crosswalks: their crossing line
        if lo <= z.s[k] <= hi:
            u = np.array([-1.0, 1.0]) * z.half_len[k]
            x, y, _ = road.to_world(z.s[k] + u * z.ax_s[k], z.d[k] + u * z.ax_d[k])
            lines.append((x, y, ' stroke-width="3"', "#2980b9"))
    for ob in (o for o in road.obstacles if lo <= o.s <= hi):
        x, y, _ = road.to_world(
            np.array([ob.s - ob.length / 2, ob.s + ob.length / 2]), np.full(2, ob.d)
        )
        lines.append((x, y, ' stroke-width="4"', "#e67e22"))
    if path is not None:
        x, y, _ = road.to_world(path[0], path[1])
        lines.append((x, y, ' stroke-width="2"', "#27ae60"))
    body = "".join(
        f'<polyline fill="none" stroke="{c}"{extra} points="{pts(x, y)}"/>'
        for x, y, extra, c in lines
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f"<title>{road.id}</title>{body}</svg>"
    )
