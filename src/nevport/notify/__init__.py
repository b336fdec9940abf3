"""Platform webhooks: subscriptions, a durable outbox and signed, retried delivery.

Other domains call ``nevport.notify.service.enqueue`` inside the transaction that causes
the event; the background loop in ``nevport.notify.delivery`` sends it (docs/notify.md).
"""
