"""System 2: the energy management center (acquisition, storage, analysis, alarms)."""
