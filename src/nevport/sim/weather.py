"""Weather and light presets acting on friction, perception and traffic behaviour.

Every number is sourced in docs/sim/weather.md. Visibility is the meteorological optical
range (MOR, WMO-No. 8): the distance at which a black object's contrast falls to 5 %,
so the extinction coefficient is ``sigma = ln(20) / MOR`` (Koschmieder).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cached_property

from nevport.sim.errors import UnknownNameError
from nevport.sim.radar import fog_water, radar_range

CONTRAST_THRESHOLD = 0.05  # [-] WMO-No. 8 definition of MOR
SENSOR_RANGE_CLEAR = (
    150.0  # [m] object-list sensor range in clear air (typical long-range lidar/camera fusion)
)
SIGNAL_RANGE_CLEAR = 120.0  # [m] range at which a traffic light's state is read in clear air


@dataclass(frozen=True)
class Weather:
    """One environmental condition; all fields SI or dimensionless."""

    name: str
    mu: float  # [-] tyre-road friction coefficient
    mor: float  # [m] meteorological optical range (visibility)
    detect_prob: float  # [-] per-frame detection probability inside the effective range
    noise_pos: float  # [m] 1-sigma position noise at 50 m, grows linearly with range
    noise_vel: float  # [m/s] 1-sigma velocity noise
    lane_noise: float  # [m] 1-sigma lateral localisation noise from lane-marking perception
    light_range: float  # [m] range limit from illumination (headlights at night); inf by day
    speed_factor: float  # [-] multiplier on other traffic's desired speed
    headway_factor: float  # [-] multiplier on other traffic's time headway
    rain_mm_h: float = 0.0  # [mm/h] rain rate (water equivalent for snow); attenuates radar
    fog_lwc: float = 0.0  # [g/m^3] fog liquid water content; attenuates radar
    snowfall: float = 0.0  # [-] 1 where the precipitation falls as snow

    def __post_init__(self) -> None:
        if not 0.05 <= self.mu <= 1.2:
            raise ValueError(f"weather {self.name}: mu {self.mu} outside [0.05, 1.2]")
        if self.mor <= 0 or self.light_range <= 0:
            raise ValueError(f"weather {self.name}: visibility must be positive")
        if not 0.0 <= self.detect_prob <= 1.0:
            raise ValueError(f"weather {self.name}: detection probability {self.detect_prob}")

    @property
    def extinction(self) -> float:
        """Atmospheric extinction coefficient [1/m] (Koschmieder: MOR = ln(20)/sigma)."""
        return -math.log(CONTRAST_THRESHOLD) / self.mor

    @cached_property
    def sensor_range(self) -> float:
        """Effective detection range [m] of the object-list sensor.

        An active sensor's return falls as exp(-2 sigma R) / R^2; the range R solves
        R * exp(sigma R) = R_clear, i.e. the same return power as at R_clear in clear air.
        """
        return _attenuated_range(SENSOR_RANGE_CLEAR, self.extinction)

    @cached_property
    def radar_range(self) -> float:
        """Detection range [m] of the radar-like sensor for a car (radar.radar_range)."""
        return radar_range(self.rain_mm_h, self.fog_lwc)

    @property
    def unlit_range(self) -> float:
        """Range [m] for objects without lights (pedestrians, cyclists, parked objects)."""
        return min(self.sensor_range, self.light_range)

    @cached_property
    def signal_range(self) -> float:
        """Range [m] at which a signal head's state is perceived.

        A light source is seen one way (Allard's law, E ~ exp(-sigma R) / R^2), so R solves
        R * exp(sigma R / 2) = R_clear.
        """
        return _attenuated_range(SIGNAL_RANGE_CLEAR, 0.5 * self.extinction)


def _attenuated_range(r_clear: float, sigma: float) -> float:
    """Solve R * exp(sigma * R) = r_clear for R by Newton's method (monotone, converges)."""
    r = r_clear
    for _ in range(60):
        f = r * math.exp(sigma * r) - r_clear
        r = max(r - f / (math.exp(sigma * r) * (1.0 + sigma * r)), 1e-3)
    return r


_FOG_200M, _FOG_50M = fog_water(200.0), fog_water(50.0)  # [g/m^3] Eldridge 1971
_CLEAR_MOR = 20_000.0  # [m] clear air, WMO "very good visibility" > 20 km

PRESETS: dict[str, Weather] = {
    w.name: w
    for w in (
        Weather("clear", 0.85, _CLEAR_MOR, 0.99, 0.10, 0.10, 0.05, math.inf, 1.00, 1.00),
        Weather("light_rain", 0.65, 5_000.0, 0.97, 0.15, 0.15, 0.08, math.inf, 0.97, 1.05, 2.5),
        Weather("heavy_rain", 0.50, 1_000.0, 0.90, 0.25, 0.25, 0.15, math.inf, 0.92, 1.15, 25.0),
        Weather(
            "fog_200", 0.75, 200.0, 0.93, 0.20, 0.20, 0.10, math.inf, 0.88, 1.20, 0.0, _FOG_200M
        ),
        Weather("fog_50", 0.75, 50.0, 0.85, 0.30, 0.30, 0.20, math.inf, 0.75, 1.35, 0.0, _FOG_50M),
        Weather(
            "snow", 0.25, 800.0, 0.88, 0.30, 0.30, 0.25, math.inf, 0.85, 1.25, 2.0, snowfall=1.0
        ),
        Weather("night", 0.85, _CLEAR_MOR, 0.95, 0.15, 0.15, 0.08, 60.0, 0.95, 1.05),
    )
}


def get_weather(name: str) -> Weather:
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownNameError(f"unknown weather {name!r}; known: {', '.join(PRESETS)}") from None


def custom_weather(base: str = "clear", **changes: float) -> Weather:
    """A preset with some fields replaced, e.g. ``custom_weather('fog_200', mor=120.0)``."""
    tail = ":".join(f"{k}={v:g}" for k, v in sorted(changes.items()))
    return dataclasses.replace(
        get_weather(base), name=f"{base}:{tail}" if tail else base, **changes
    )


def parse_weather(spec: str) -> Weather:
    """A preset name, or a preset with fields replaced: ``fog_200:mor=120:mu=0.6``."""
    base, *parts = spec.split(":")
    numeric = {f.name for f in dataclasses.fields(Weather)} - {"name"}
    changes = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep or key not in numeric:
            raise UnknownNameError(
                f"bad weather field {part!r} in {spec!r}; use name=value with name in "
                f"{', '.join(sorted(numeric))}"
            )
        try:
            changes[key] = float(value)
        except ValueError:
            raise UnknownNameError(f"weather field {key} needs a number, got {value!r}") from None
    try:
        return custom_weather(base, **changes)
    except UnknownNameError:
        raise
    except ValueError as exc:  # a field outside its physical range
        raise UnknownNameError(f"invalid weather {spec!r}: {exc}") from None
