"""System 3: environmental power supervision.

Checks through power data that pollution-control facilities run whenever production
runs (see docs/environment/). The rule engine (``rules``, ``engine``) is pure and works on
sampled series; power is read only through ``nevport.energy.service`` (``source``).
"""
