"""Fine control: commands to equipment over Modbus, dry-run by default, interlocked,
confirmed, audited; and load-shifting suggestions priced by the tariff."""
