"""Built-in drivers: the reference ADS and the UN R157 careful-and-competent human model.

Both are batched and work on the perceived object list only (the human model asks for
privileged perception: R157 models human perception by explicit delays instead).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from nevport.sim.driver import DriverInfo
from nevport.sim.radar import SIGMA_AZIMUTH
from nevport.sim.road import AMBER, GREEN, RED
from nevport.sim.sensors import Observation
from nevport.sim.state import CYCLIST, PEDESTRIAN
from nevport.sim.traffic import idm_acceleration

F64 = NDArray[np.float64]

# reference ADS tuning; braking and cornering are planned with a friction estimated from the
# perceived conditions (friction_estimate), never the true one
PLAN_DECEL = 4.0  # [m/s^2] comfortable planning deceleration on a dry road
PLAN_SHARE = 0.5  # [-] share of the estimated friction that planned braking and cornering use
AEB_SHARE = 0.9  # [-] share of it that emergency braking counts on
AEB_LATENCY = 0.3  # [s] brake build-up added to the time an emergency stop needs
AEB_TTC = 1.6  # [s] time-to-collision that triggers full braking
AEB_RELEASE_TTC = 3.0  # [s] a latched AEB releases once TTC is above this again
AEB_DECEL = -10.0  # [m/s^2] full braking request (the tyres cap it at mu*g)
A_LAT_MAX = 2.0  # [m/s^2] curve speed comfort limit
REACTION = 0.3  # [s] system latency assumed in the visibility speed limit
CORRIDOR_MARGIN = 0.4  # [m] lateral clearance added to both vehicles' half widths
PREDICT = 3.0  # [s] horizon over which crossing road users are predicted into the corridor
STANLEY_K = 1.2  # [1/s] cross-track gain of the Stanley steering law (Thrun et al. 2006)
EGO_LENGTH, EGO_WIDTH = 4.7, 1.85  # [m] the built-in ego car (build.SIZES)
LANE_WIDTH = 3.5  # [m] lane width assumed for the free-lane check
CREEP_ACCEL = 0.5  # [m/s^2] acceleration used to creep out of a blocked lane change
HOLD_GAIN = 1.0  # [1/s] speed-holding gain of the test driver in AEB tests
VEL_ALPHA = 0.3  # [-] exponential smoothing weight of a new velocity measurement (20 Hz)
CROSSING_SPEED = 0.5  # [m/s] lateral speed from which an object counts as crossing
TRACK_COAST = 1.0  # [s] how long a track survives without a detection
FUSE_LATERAL = 0.6  # [m] 1-sigma lateral error up to which a radar-only object is used (115 m)
NO_PASS_BEFORE = 80.0  # [m] no passing manoeuvre this far before a junction centre
NO_PASS_AFTER = 40.0  # [m] nor this far after it
PASS_MARGIN = 3.0  # [s] spare time required before meeting oncoming traffic after a pass
RETURN_HOLD = 3.0  # [s] minimum time in a passing lane before heading back
RETURN_HORIZON = 4.0  # [s] the preferred lane must be clear this far ahead (at current speed)


# friction [-] planned with per perceived condition: the low end of each class's range in
# Wallman & Astrom, VTI meddelande 911A (2001), tables 2-3 (docs/sim/drivers.md)
MU_DRY, MU_DAMP, MU_WET, MU_SNOW = 0.8, 0.7, 0.5, 0.2
MU_RAIN_DAMP = 0.6  # [-] light rain: between damp and wet
HEAVY_RAIN = 10.0  # [mm/h] from here the road carries a water film (heavy rain, WMO >= 7.6)
FOG = 1000.0  # [m] MOR below which fog leaves the road damp (WMO fog definition)


def friction_estimate(obs: Observation) -> F64:
    """(B,) [-] road friction the reference ADS plans with, from what it perceives:
    precipitation (rate, snow or rain) and visibility, never the true friction."""
    wet = obs.precipitation > 0.0
    mu = np.where(obs.visibility < FOG, MU_DAMP, MU_DRY)
    mu = np.where(wet, np.where(obs.precipitation >= HEAVY_RAIN, MU_WET, MU_RAIN_DAMP), mu)
    return np.asarray(np.where(wet & obs.snowfall, MU_SNOW, mu))


class ReferenceADS:
    """ACC + lane keeping + AEB + lane changes + signal, stop-sign and pedestrian handling."""

    batched = True

    def reset(self, info: DriverInfo) -> None:
        self.info = info
        road = info.road
        self.centres = road.lane_centres
        self.dirs = road.lane_array("direction")
        self.starts, self.ends = road.lane_array("start"), road.lane_array("end")
        self.junctions = np.array([j.s for j in road.junctions], dtype=float)
        self.last_signal = np.full(info.batch, -1)
        self.stopped_at = np.full(info.batch, -np.inf)  # s [m] of the stop sign already served
        self.target: NDArray[np.int64] | None = None
        self.pref: NDArray[np.int64] = np.zeros(info.batch, np.int64)
        self.changed_at = np.full(info.batch, -np.inf)  # [s] time of the last lane change
        self.tracks: dict[str, F64] = {}
        self.aeb = np.zeros(info.batch, bool)  # emergency braking latched

    @staticmethod
    def fuse(obs: Observation) -> Observation:
        """Camera/lidar and radar object lists, slot by slot: the camera's position where it
        sees the object (better laterally), the radar's where only it does, and the
        radar's Doppler speed along the road whenever it has one."""
        cam = obs.obj_valid
        # a radar-only object counts where its azimuth error still places it in a lane
        rad = obs.radar_valid & (np.hypot(obs.radar_s, obs.radar_d) < FUSE_LATERAL / SIGMA_AZIMUTH)
        return dataclasses.replace(
            obs,
            obj_s=np.where(cam, obs.obj_s, obs.radar_s),
            obj_d=np.where(cam, obs.obj_d, obs.radar_d),
            obj_vs=np.where(rad, obs.radar_vs, obs.obj_vs),
            obj_vd=np.where(cam, obs.obj_vd, obs.radar_vd),
            obj_valid=cam | rad,
        )

    def _track(self, obs: Observation) -> Observation:
        """A minimal tracker: smooth velocities, coast objects through detection gaps.

        Without it a single missed frame makes an occupied lane look free, and one noisy
        lateral velocity makes a lead car look like a crossing object (a false AEB).
        """
        fields = ("obj_s", "obj_d", "obj_vs", "obj_vd")
        if not self.tracks:
            self.tracks = {f: getattr(obs, f).copy() for f in fields}
            self.tracks["seen"] = np.where(obs.obj_valid, obs.t[:, None], -np.inf)
        tr, dt = self.tracks, self.info.dt
        coast = ~obs.obj_valid & (obs.t[:, None] - tr["seen"] <= TRACK_COAST)
        pred_s = tr["obj_s"] + (tr["obj_vs"] - obs.speed[:, None]) * dt
        pred_d = tr["obj_d"] + tr["obj_vd"] * dt
        known = obs.obj_valid & (obs.t[:, None] - tr["seen"] <= TRACK_COAST)
        smooth = {
            f: np.where(known, tr[f] + VEL_ALPHA * (getattr(obs, f) - tr[f]), getattr(obs, f))
            for f in ("obj_vs", "obj_vd")
        }
        out = {
            "obj_s": np.where(coast, pred_s, obs.obj_s),
            "obj_d": np.where(coast, pred_d, obs.obj_d),
            "obj_vs": np.where(coast, tr["obj_vs"], smooth["obj_vs"]),
            "obj_vd": np.where(coast, tr["obj_vd"], smooth["obj_vd"]),
        }
        valid = obs.obj_valid | coast
        for f in fields:
            tr[f] = np.where(valid, out[f], tr[f])
        tr["seen"] = np.where(obs.obj_valid, obs.t[:, None], tr["seen"])
        return dataclasses.replace(obs, obj_valid=valid, **out)

    def act(self, obs: Observation) -> F64:
        if self.target is None:
            self.target, self.pref = obs.lane.copy(), obs.lane.copy()
        obs = self._track(self.fuse(obs))
        v = obs.speed
        mu_g = friction_estimate(obs) * 9.81  # [m/s^2] estimated tyre limit
        self.plan_decel = np.minimum(PLAN_DECEL, PLAN_SHARE * mu_g)
        shift = self.centres[obs.lane] - self.centres[self.target]
        gap, v_lead = self._lead(obs, obs.offset + shift)
        self._plan_lane(obs, gap, v_lead)
        target_gap, _ = self._lead(obs, obs.offset + shift, ego_corridor=False)
        # AEB looks at real objects in the ego's own width only (no margin, no stop lines)
        aeb_gap, aeb_v = self._lead(obs, obs.offset + shift, margin=0.0, ego_corridor=True)
        gap = np.minimum(gap, np.minimum(self._stop_lines(obs), self._crosswalk(obs)))
        gap = np.minimum(gap, np.where(self.target == obs.lane, obs.lane_end_dist, 1e4))
        v_des = np.minimum(
            np.minimum(obs.speed_limit, self.info.set_speed),
            np.sqrt(
                np.minimum(A_LAT_MAX, PLAN_SHARE * mu_g) / np.maximum(obs.curvature_ahead, 1e-4)
            ),
        )
        # drive no faster than the sensors can see: reaction distance + braking within range
        # (firm braking, AEB_SHARE of the estimated friction, for an object appearing there)
        rng = np.maximum(obs.sensor_range - 5.0, 1.0)
        firm = np.minimum(PLAN_DECEL, AEB_SHARE * mu_g)
        v_vis = firm * (-REACTION + np.sqrt(REACTION**2 + 2.0 * rng / firm))
        dec = self.plan_decel
        v_des = np.maximum(np.minimum(v_des, v_vis), 1.0)
        ones = np.ones_like(v)
        acc = idm_acceleration(v, v_des, gap, v - v_lead, 1.2 * ones, 2.0 * ones, dec, 2.5 * ones)
        closing = v - aeb_v
        ttc = np.where(closing > 0.1, aeb_gap / np.maximum(closing, 0.1), np.inf)
        # the emergency brake fires once a stop at the estimated tyre limit needs all the time
        # left, and no later than AEB_TTC
        trigger = np.maximum(AEB_TTC, closing / (2.0 * AEB_SHARE * mu_g) + AEB_LATENCY)
        # AEB tests: the test driver holds the speed; only the emergency brake may intervene
        hold = np.clip(HOLD_GAIN * (self.info.set_speed - v), -2.0, 2.0)
        acc = np.where(self.info.hold_speed, hold, acc)
        # AEB brakes fully and holds the brake (it does not creep back into the obstacle)
        # until the threat has gone, e.g. the ego has steered past it; in AEB tests the
        # test driver does not drive on after the event
        release = trigger + (AEB_RELEASE_TTC - AEB_TTC)
        hold_on = self.aeb & ((ttc < release) | self.info.hold_speed)
        self.aeb = (hold_on | (ttc < trigger)) & ((v > 0.1) | self.info.hold_speed)
        acc = np.where(self.aeb, AEB_DECEL, np.clip(acc, -9.0, 2.0))
        # half-way through a lane change a car only blocking the old lane must not freeze
        # the ego: creep so that the steering can finish the change
        off_centre = np.abs(obs.offset + self.centres[obs.lane] - self.centres[self.target]) > 0.4
        creep = off_centre & (v < 1.0) & (target_gap > 8.0) & ~self.aeb
        acc = np.where(creep, np.maximum(acc, CREEP_ACCEL), acc)
        offset_t = obs.offset + self.centres[obs.lane] - self.centres[self.target]
        vv = np.maximum(v, 1.0)
        steer = (
            np.arctan(self.info.wheelbase * obs.curvature)
            - obs.heading
            - np.arctan(STANLEY_K * offset_t / vv)
        )
        return np.stack([acc, steer], axis=1)

    def _lead(
        self,
        obs: Observation,
        offset_t: F64,
        *,
        ego_corridor: bool = True,
        margin: float = CORRIDOR_MARGIN,
    ) -> tuple[F64, F64]:
        """Gap [m] and speed [m/s] of the nearest object in (or predicted into) the corridor
        spanned by the ego and its target lane."""
        half = 0.5 * (EGO_WIDTH + obs.obj_wid) + margin
        rel_d, rel_t = obs.obj_d, obs.obj_d + offset_t[:, None]
        into = (
            (obs.obj_cls == PEDESTRIAN)
            | (obs.obj_cls == CYCLIST)
            | (np.abs(obs.obj_vd) > CROSSING_SPEED)
        )
        # a crossing object moves along d, so its length lies across the road
        gap = obs.obj_s - 0.5 * (EGO_LENGTH + np.where(into, obs.obj_wid, obs.obj_len))
        in_now = (np.abs(rel_d) < half) & ego_corridor | (np.abs(rel_t) < half)
        hit = obs.obj_valid & (obs.obj_s > 0) & (in_now | (into & _crosses(obs, gap)))
        # one always-empty column keeps argmin defined when there are no other actors
        g = np.concatenate([np.where(hit, gap, np.inf), np.full((len(gap), 1), np.inf)], 1)
        into = np.concatenate([into, np.zeros((len(gap), 1), bool)], 1)
        vs = np.concatenate([obs.obj_vs, np.zeros((len(gap), 1))], 1)
        j = np.argmin(g, axis=1)
        rows = np.arange(len(j))
        best = g[rows, j]
        v_lead = np.where(np.isfinite(best) & ~into[rows, j], np.maximum(vs[rows, j], 0.0), 0.0)
        self.lead_is_vehicle = np.isfinite(best) & ~into[rows, j]
        return np.where(np.isfinite(best), np.maximum(best, 0.1), 1e4), v_lead

    def _lane_free(
        self, obs: Observation, lane: NDArray[np.int64], behind: float, ahead: F64
    ) -> NDArray[np.bool_]:
        """No perceived object in ``lane`` between ``behind`` and ``ahead`` (B, M) m of the ego."""
        rel = obs.obj_d + (obs.offset + self.centres[obs.lane] - self.centres[lane])[:, None]
        band = np.abs(rel) < 0.5 * LANE_WIDTH + 0.5 * obs.obj_wid
        near = (obs.obj_s > behind) & (obs.obj_s < ahead)
        return np.asarray(~(obs.obj_valid & band & near).any(axis=1), dtype=bool)

    def _plan_lane(self, obs: Observation, gap: F64, v_lead: F64) -> None:
        """Change lane around slow or stopped obstacles and out of ending lanes."""
        assert self.target is not None
        n = len(self.centres)
        settled = self.target == obs.lane
        ending = obs.lane_end_dist < 200.0
        slow = (gap < 70.0) & (v_lead < 0.4 * obs.speed_limit) & self.lead_is_vehicle
        # never pass a queue at a signal or near crossings: the obstacle is legitimate
        slow &= (obs.signal_dist > 120.0) & (obs.crosswalk_dist > 60.0) & (obs.stop_dist > 60.0)
        # nor at junctions, where traffic turns in and out (GB road law regulations art. 47)
        to_junction = self.junctions[None, :] - obs.ego_s[:, None]
        slow &= ~((to_junction > -NO_PASS_AFTER) & (to_junction < NO_PASS_BEFORE)).any(axis=1)
        blocked = slow | ending
        for step_dir in (1, -1):
            cand = np.clip(self.target + step_dir, 0, n - 1)
            exists = (
                (cand != self.target)
                & (obs.ego_s >= self.starts[cand])
                & (obs.ego_s <= self.ends[cand] - 40.0)
            )
            oncoming = self.dirs[cand] != self.dirs[obs.lane]
            # oncoming lane: every oncoming object must stay clear for the whole pass
            t_pass = (np.minimum(gap, 100.0) + 25.0) / np.maximum(obs.speed, 3.0) + PASS_MARGIN
            meet = (obs.speed[:, None] - np.minimum(obs.obj_vs, 0.0)) * t_pass[:, None]
            reach = np.where(oncoming[:, None], np.maximum(meet, 60.0), 40.0)
            ok = settled & blocked & exists & self._lane_free(obs, cand, -30.0, reach)
            ok &= ~oncoming | (obs.speed_limit < 70 / 3.6)  # oncoming lanes only on urban roads
            self.pref = np.where(ok & ending, cand, self.pref)
            self.target = np.where(ok, cand, self.target)
            self.changed_at = np.where(ok, obs.t, self.changed_at)
            settled &= ~ok
        # return to the preferred lane only when it is clear far enough ahead, and not right
        # after a change: otherwise the car swings back towards the obstacle it avoided
        back = settled & (self.target != self.pref) & (obs.ego_s <= self.ends[self.pref] - 40.0)
        back &= obs.t - self.changed_at > RETURN_HOLD
        clear_ahead = np.maximum(80.0, RETURN_HORIZON * obs.speed)
        back &= self._lane_free(obs, self.pref, -15.0, clear_ahead[:, None])
        self.target = np.where(back, self.pref, self.target)

    def _crosswalk(self, obs: Observation) -> F64:
        """Stop before a crosswalk while a pedestrian or cyclist is on it (GB road law art. 47)."""
        cw = obs.crosswalk_dist[:, None]
        vru = (obs.obj_cls == PEDESTRIAN) | (obs.obj_cls == CYCLIST)
        on = obs.obj_valid & vru & (obs.obj_s > cw - 1.0) & (obs.obj_s < cw + 6.0)
        on &= np.abs(obs.obj_d) < 4.5
        wait = on.any(axis=1) & (obs.crosswalk_dist < 40.0)
        return np.where(wait, np.maximum(obs.crosswalk_dist - 1.0, 0.1), 1e4)

    def _stop_lines(self, obs: Observation) -> F64:
        seen = obs.signal_state >= 0
        self.last_signal = np.where(seen, obs.signal_state, self.last_signal)
        self.last_signal = np.where(np.isfinite(obs.signal_dist), self.last_signal, -1)
        state = self.last_signal
        dist = obs.signal_dist - 1.0
        firm = np.minimum(PLAN_DECEL, AEB_SHARE * friction_estimate(obs) * 9.81)
        can_stop = obs.speed**2 < 2.0 * firm * np.maximum(dist, 0.0)
        stop = (state == RED) | ((state == AMBER) & can_stop) | ((state == -1) & (dist < 25.0))
        stop &= state != GREEN
        gap = np.where(stop & (dist > -0.5), np.maximum(dist, 0.1), 1e4)
        stop_line = obs.ego_s + obs.stop_dist
        served = np.isclose(stop_line, self.stopped_at, atol=2.0)
        here = (obs.stop_dist < 3.0) & (obs.speed < 0.3)
        self.stopped_at = np.where(here, stop_line, self.stopped_at)
        sign_gap = np.where(
            np.isfinite(obs.stop_dist) & ~served, np.maximum(obs.stop_dist - 0.5, 0.1), 1e4
        )
        return np.minimum(gap, sign_gap)


# UN R157 Annex 4 Appendix 3, careful and competent human driver (docs/sim/suites.md)
CC_PERCEPTION = 0.4  # [s] risk perception time
CC_REACTION = 0.75  # [s] time from perception to the start of braking
CC_DECEL = 0.774 * 9.81  # [m/s^2] maximum deceleration 0.774 g
CC_RISE = 0.6  # [s] time to build up the maximum deceleration
CC_WANDER = 0.375  # [m] lateral wandering that marks a cut-in as a risk


class CarefulCompetentDriver:
    """R157's reference human: keeps lane and speed, then brakes after fixed delays."""

    batched = True
    privileged = True

    def reset(self, info: DriverInfo) -> None:
        self.info = info
        self.risk_at = np.full(info.batch, np.nan)
        self.prev_vs: F64 | None = None

    def act(self, obs: Observation) -> F64:
        half_lane = 1.75  # [m] half of a 3.5 m lane
        near = obs.obj_valid & (obs.obj_s > 0)
        intrude = np.abs(obs.obj_d) < half_lane + 0.5 * obs.obj_wid - CC_WANDER
        in_lane = np.abs(obs.obj_d) < 0.5
        gap = obs.obj_s - 0.5 * (4.7 + obs.obj_len)
        closing = obs.speed[:, None] - obs.obj_vs
        ttc = np.where(closing > 0.1, gap / np.maximum(closing, 0.1), np.inf)
        braking = np.zeros_like(near)
        if self.prev_vs is not None:
            braking = (self.prev_vs - obs.obj_vs) / self.info.dt > 2.0
        self.prev_vs = obs.obj_vs.copy()
        risk = (near & intrude & (ttc < 4.0) & ~in_lane) | (
            near & in_lane & (braking | (ttc < 3.0))
        )
        new = risk.any(axis=1) & np.isnan(self.risk_at)
        self.risk_at = np.where(new, obs.t, self.risk_at)
        since = obs.t - (self.risk_at + CC_PERCEPTION + CC_REACTION)
        decel = np.where(since > 0, np.minimum(CC_DECEL, CC_DECEL * since / CC_RISE), 0.0)
        steer = np.arctan(self.info.wheelbase * obs.curvature) - obs.heading - 0.3 * obs.offset
        return np.stack([np.nan_to_num(-decel), steer], axis=1)


def _crosses(obs: Observation, gap: F64) -> NDArray[np.bool_]:
    """(B, M) will a crossing object be in the ego's path while the ego passes its s?

    The ego occupies the object's s from t_in = gap / v to t_out = (gap + both lengths) / v;
    the object sweeps d linearly meanwhile and blocks if its extent meets the corridor.
    """
    v = np.maximum(obs.speed[:, None], 1.0)
    t_in = np.clip(gap / v, 0.0, PREDICT)
    t_out = np.clip((gap + EGO_LENGTH + obs.obj_wid) / v, 0.0, PREDICT + 1.0)
    d_in, d_out = obs.obj_d + obs.obj_vd * t_in, obs.obj_d + obs.obj_vd * t_out
    reach = 0.5 * (EGO_WIDTH + obs.obj_len) + CORRIDOR_MARGIN
    near = np.minimum(d_in, d_out) < reach
    return np.asarray(near & (np.maximum(d_in, d_out) > -reach) & (t_in < PREDICT), dtype=bool)
