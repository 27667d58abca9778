"""Delivery of the outbox's rows to Slack or the console: the dispatcher's policy (leases, order, pacing,
retries, flood folding) and one send handler per kind of message."""
