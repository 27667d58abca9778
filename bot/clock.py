"""The one place that reads the wall clock; everything below takes `now` as a value."""

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
