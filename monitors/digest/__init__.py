"""The managers' digest: composing it from plain rows (pure), its period and schedule, the terms it
surfaces, the chart, and the run that gathers, renders and queues it."""
