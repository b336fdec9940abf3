"""Traffic models: IDM car following and MOBIL lane changes, written as in the papers.

IDM: Treiber, Hennecke, Helbing, Phys. Rev. E 62, 1805 (2000).
MOBIL: Kesting, Treiber, Helbing, Transp. Res. Rec. 1999, 86-94 (2007).
Both take their neighbours explicitly, so "what if I changed lane" is one more call.
All arguments broadcast; shapes are (B, N) in the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

DELTA = 4.0  # [-] IDM acceleration exponent (Treiber 2000)
B_SAFE = 4.0  # [m/s^2] MOBIL maximum safe deceleration imposed on the new follower (Kesting 2007)
A_THRESHOLD = 0.2  # [m/s^2] MOBIL switching threshold (Kesting 2007)
FAR = 1.0e4  # [m] gap used when there is no leader


def idm_acceleration(
    v: F64, v0: F64, gap: F64, dv: F64, headway: F64, a_max: F64, b_comf: F64, s0: F64
) -> F64:
    """IDM acceleration [m/s^2] of a follower at speed ``v`` behind a leader.

    ``gap`` [m] bumper to bumper, ``dv`` [m/s] = v - v_leader (approach rate).
    """
    s_star = s0 + np.maximum(0.0, v * headway + v * dv / (2.0 * np.sqrt(a_max * b_comf)))
    ratio = v / np.maximum(v0, 0.1)
    ratio2 = ratio * ratio  # (v/v0)**DELTA with DELTA = 4, without the slow generic power
    gap_ratio = s_star / np.maximum(gap, 0.1)
    return a_max * (1.0 - ratio2 * ratio2 - gap_ratio * gap_ratio)


def mobil_gain(
    a_self_old: F64,
    a_self_new: F64,
    a_nf_old: F64,
    a_nf_new: F64,
    a_of_old: F64,
    a_of_new: F64,
    politeness: F64,
) -> tuple[F64, B8]:
    """MOBIL incentive [m/s^2] and safety flag for one candidate lane.

    nf: the follower in the target lane, of: the follower in the current lane.
    """
    gain = (a_self_new - a_self_old) + politeness * ((a_nf_new - a_nf_old) + (a_of_new - a_of_old))
    return gain, a_nf_new >= -B_SAFE


@dataclass(frozen=True)
class LaneIndex:
    """Lane entries sorted by (batch, lane, s along the lane's direction).

    Every actor has a primary entry (entry i = flat actor i) in the lane of its centre and a
    secondary entry (entry B*N + i) in a second lane its body overlaps, if any, so a car
    straddling two lanes is a leader in both. Queries return entries; ``actor(e)`` maps back.
    """

    keys: F64  # (2BN,) sorted keys
    order: I64  # (2BN,) entry of each sorted key
    n_lanes: int
    span: float
    offset: float
    period: float  # [m] road length if periodic, else 0
    bounds: I64  # (B*(L+1)+1,) first sorted position of each (batch, lane) group
    rank: I64  # (BN,) sorted position of each actor's primary entry
    sdir: F64  # (2BN,) [m] s along the entry lane's direction
    vdir: F64  # (2BN,) [m/s] speed along the entry lane's direction
    n_actors: int

    @staticmethod
    def build(
        lane: I64,
        lane2: I64,
        s: F64,
        v_along: F64,
        lane_dir: F64,
        road_length: float,
        periodic: bool,
    ) -> LaneIndex:
        """``lane``, ``lane2`` (B, N): primary and secondary lane (-1 none or off-road);
        ``s`` [m] and ``v_along`` [m/s] along +s; ``lane_dir`` (L,) +1/-1."""
        b, n = lane.shape
        nl = len(lane_dir)
        lanes = np.concatenate([lane.ravel(), lane2.ravel()])
        lanes = np.where(lanes < 0, nl, lanes)  # unused entries go to a lane never queried
        dirs = np.where(lanes < nl, lane_dir[np.minimum(lanes, nl - 1)], 1.0)
        sdir = np.concatenate([s.ravel(), s.ravel()]) * dirs
        vdir = np.concatenate([v_along.ravel(), v_along.ravel()]) * dirs
        offset = road_length + 1000.0  # [m] keeps every key's s part positive
        span = 2.0 * offset
        batch = np.tile(np.repeat(np.arange(b), n), 2)
        keys = (batch * (nl + 1) + lanes) * span + sdir + offset
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        bounds = np.searchsorted(sorted_keys, np.arange(b * (nl + 1) + 1) * span)
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return LaneIndex(
            sorted_keys,
            order.astype(np.int64),
            nl,
            span,
            offset,
            road_length if periodic else 0.0,
            bounds.astype(np.int64),
            rank[: b * n].astype(np.int64),
            sdir,
            vdir,
            b * n,
        )

    def actor(self, entry: I64) -> I64:
        return np.where(entry >= 0, entry % self.n_actors, -1)

    def _group(self, batch: I64, lane: I64) -> tuple[I64, I64]:
        g = batch * (self.n_lanes + 1) + lane
        return self.bounds[g], self.bounds[g + 1]

    def _pick(self, idx: I64, lo: I64, hi: I64, ahead: bool) -> tuple[I64, F64]:
        """Resolve a sorted position to an entry, wrapping around a ring road."""
        inside = (idx < hi) if ahead else (idx >= lo)
        wrap = ~inside & (hi > lo) & (self.period > 0)
        pick = np.where(inside, idx, lo if ahead else hi - 1).clip(0, len(self.keys) - 1)
        shift = np.where(wrap, self.period if ahead else -self.period, 0.0)
        return np.where(inside | wrap, self.order[pick], -1), shift

    def own_leader(self, batch: I64, lane: I64) -> tuple[I64, F64]:
        """Leader entry of every actor in its primary lane: the next sorted key, no search."""
        lo, hi = self._group(batch, lane)
        return self._pick(self.rank + 1, lo, hi, ahead=True)

    def own_follower(self, batch: I64, lane: I64) -> tuple[I64, F64]:
        lo, hi = self._group(batch, lane)
        return self._pick(self.rank - 1, lo, hi, ahead=False)

    def leader(self, batch: I64, lane: I64, s_dir: F64) -> tuple[I64, F64]:
        """Entry of the first actor strictly ahead of ``s_dir`` in ``lane`` (-1 none) and the
        longitudinal shift [m] to add to its s_dir (one period when wrapping the ring)."""
        lo, hi = self._group(batch, lane)
        key = (batch * (self.n_lanes + 1) + lane) * self.span + s_dir + self.offset
        return self._pick(np.searchsorted(self.keys, key, side="right"), lo, hi, ahead=True)

    def follower(self, batch: I64, lane: I64, s_dir: F64) -> tuple[I64, F64]:
        """Entry of the first actor strictly behind, and the shift to add to its s_dir."""
        lo, hi = self._group(batch, lane)
        key = (batch * (self.n_lanes + 1) + lane) * self.span + s_dir + self.offset
        return self._pick(np.searchsorted(self.keys, key, side="left") - 1, lo, hi, ahead=False)
