"""Dynamic energy analysis: pure functions over series (cost, demand, power factor,
EnPI, equivalents, baselines, anomalies) and the service that feeds them stored data."""
