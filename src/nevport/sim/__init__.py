"""nevport.sim: autonomous-driving virtual simulation test system (a plain library).

Quick use::

    from nevport.sim import find_scenario, run_variants
    results = run_variants(find_scenario("hw_cut_in_near"), "fog_50", [0, 1, 2], seed=0)

The core imports nothing from the rest of nevport; see docs/sim/README.md.
"""

from nevport.sim.errors import DriverError, SchemaError, SimError, UnknownNameError
from nevport.sim.runner import run_variants
from nevport.sim.scenario import Scenario, find_scenario, library, load_scenario
from nevport.sim.state import SimParams, SimState
from nevport.sim.step import step
from nevport.sim.weather import PRESETS, Weather, custom_weather, get_weather

__all__ = [
    "PRESETS",
    "DriverError",
    "Scenario",
    "SchemaError",
    "SimError",
    "SimParams",
    "SimState",
    "UnknownNameError",
    "Weather",
    "custom_weather",
    "find_scenario",
    "get_weather",
    "library",
    "load_scenario",
    "run_variants",
    "step",
]
