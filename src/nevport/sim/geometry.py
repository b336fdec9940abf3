"""Oriented-box geometry in the Frenet plane (boxes are small against road curvature)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
B8 = NDArray[np.bool_]


def boxes_overlap(ds: F64, dd: F64, h1: F64, l1: F64, w1: F64, h2: F64, l2: F64, w2: F64) -> B8:
    """Separating-axis test of two oriented rectangles; (ds, dd) is centre 2 minus centre 1.

    All arguments broadcast; headings in rad, lengths and widths in m.
    """
    c1, s1, c2, s2 = np.cos(h1), np.sin(h1), np.cos(h2), np.sin(h2)
    separated = np.zeros(np.broadcast(ds, h1, h2).shape, dtype=bool)
    for ux, uy in ((c1, s1), (-s1, c1), (c2, s2), (-s2, c2)):
        dist = np.abs(ds * ux + dd * uy)
        r1 = 0.5 * l1 * np.abs(c1 * ux + s1 * uy) + 0.5 * w1 * np.abs(-s1 * ux + c1 * uy)
        r2 = 0.5 * l2 * np.abs(c2 * ux + s2 * uy) + 0.5 * w2 * np.abs(-s2 * ux + c2 * uy)
        separated |= dist > r1 + r2
    return ~separated


def wrap_delta(ds: F64, period: float) -> F64:
    """Shortest signed longitudinal difference on a ring of ``period`` m (0 = open road)."""
    if period <= 0:
        return ds
    return (ds + 0.5 * period) % period - 0.5 * period
