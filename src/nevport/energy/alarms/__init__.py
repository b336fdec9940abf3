"""Energy alarms: rules over channels, an alarm lifecycle with history, webhooks."""
