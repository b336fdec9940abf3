"""What a channel measures, its stored unit, and the unit conversions at the edges.

Stored units: SI for instantaneous values (W, var, V, A, Hz); energy in kWh and
kvarh and volumes in m3, because those are the units counters and bills count in and a
decimal kWh is exact, whereas a conversion to joules would add nothing
(docs/energy/data-model.md).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from nevport.errors import InvalidInput


class Quantity(StrEnum):
    active_energy_import = "active_energy_import"
    active_energy_export = "active_energy_export"
    reactive_energy_import = "reactive_energy_import"
    reactive_energy_export = "reactive_energy_export"
    pv_energy = "pv_energy"
    water_volume = "water_volume"
    gas_volume = "gas_volume"
    active_power = "active_power"
    reactive_power = "reactive_power"
    voltage = "voltage"
    current = "current"
    power_factor = "power_factor"
    frequency = "frequency"

    @property
    def unit(self) -> str:
        return STORED_UNIT[self]

    @property
    def is_counter(self) -> bool:
        """A cumulative register: stored as readings, turned into intervals."""
        return self in COUNTERS


COUNTERS = frozenset(
    {
        Quantity.active_energy_import,
        Quantity.active_energy_export,
        Quantity.reactive_energy_import,
        Quantity.reactive_energy_export,
        Quantity.pv_energy,
        Quantity.water_volume,
        Quantity.gas_volume,
    }
)
STORED_UNIT = {
    Quantity.active_energy_import: "kWh",
    Quantity.active_energy_export: "kWh",
    Quantity.reactive_energy_import: "kvarh",
    Quantity.reactive_energy_export: "kvarh",
    Quantity.pv_energy: "kWh",
    Quantity.water_volume: "m3",
    Quantity.gas_volume: "m3",
    Quantity.active_power: "W",
    Quantity.reactive_power: "var",
    Quantity.voltage: "V",
    Quantity.current: "A",
    Quantity.power_factor: "",
    Quantity.frequency: "Hz",
}
# (given unit, stored unit) -> factor; exact decimal powers of ten
CONVERSIONS = {
    ("kW", "W"): Decimal(1000),
    ("kvar", "var"): Decimal(1000),
    ("Wh", "kWh"): Decimal("0.001"),
    ("varh", "kvarh"): Decimal("0.001"),
    ("MWh", "kWh"): Decimal(1000),
    ("kV", "V"): Decimal(1000),
}


def to_stored(quantity: Quantity, value: Decimal, unit: str) -> Decimal:
    """``value`` in ``unit`` converted to the quantity's stored unit, exactly."""
    if unit == quantity.unit:
        return value
    factor = CONVERSIONS.get((unit, quantity.unit))
    if factor is None:
        raise InvalidInput(f"cannot convert {unit!r} to {quantity.unit!r} for {quantity.value}")
    return value * factor
