"""Standard-coal and CO2 equivalents of metered energy, with documented factors.

Factors and their sources: docs/energy/tariffs.md, "Equivalents". Results are Decimal
and exact given the factors; kgce is kilograms of standard coal equivalent (29.3076 MJ).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from nevport.energy.quantities import Quantity

# [kgce/kWh] electricity, calorific equivalent (当量值), GB/T 2589-2020 Table A.1
COAL_PER_KWH = Decimal("0.1229")
# [kgce/m3] natural gas, GB/T 2589-2020 Table A.1, mid value of 1.1000-1.3300
COAL_PER_M3_GAS = Decimal("1.2143")
# [kgce/m3] fresh water (新水), GB/T 2589-2008 Table A.2 (energy used to supply it)
COAL_PER_M3_WATER = Decimal("0.0857")
# [kgCO2/kWh] national average grid factor for 2022, MEE and NBS announcement (2024)
CO2_PER_KWH = Decimal("0.5366")
# [kgCO2/m3] natural gas: 56,100 kgCO2/TJ (IPCC 2006 Vol. 2 Table 2.2) x 38.931 MJ/m3
# net calorific value (GB/T 2589-2020) = 2.1840 kg/m3
CO2_PER_M3_GAS = Decimal("2.1840")
# [kgCO2/m3] fresh water: no direct emission; its supply energy is in the grid factor
CO2_PER_M3_WATER = Decimal(0)

FACTORS: dict[Quantity, tuple[Decimal, Decimal]] = {
    Quantity.active_energy_import: (COAL_PER_KWH, CO2_PER_KWH),
    Quantity.gas_volume: (COAL_PER_M3_GAS, CO2_PER_M3_GAS),
    Quantity.water_volume: (COAL_PER_M3_WATER, CO2_PER_M3_WATER),
}


@dataclass(frozen=True)
class Equivalent:
    quantity: Quantity
    amount: Decimal  # in the quantity's unit (kWh, m3)
    coal_kgce: Decimal
    co2_kg: Decimal


def equivalent(
    quantity: Quantity, amount: Decimal, grid_co2_per_kwh: Decimal | None = None
) -> Equivalent:
    """Coal and CO2 of ``amount``; ``grid_co2_per_kwh`` overrides the national grid factor
    (a regional or a newer annual factor) for electricity."""
    if quantity not in FACTORS:
        known = ", ".join(q.value for q in FACTORS)
        raise ValueError(f"no equivalence factors for {quantity.value}; known: {known}")
    coal, co2 = FACTORS[quantity]
    if quantity is Quantity.active_energy_import and grid_co2_per_kwh is not None:
        co2 = grid_co2_per_kwh
    return Equivalent(quantity, amount, amount * coal, amount * co2)
