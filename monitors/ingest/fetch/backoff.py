"""When to try a failing source again. Pure: the caller passes `now` and the random draw."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

MAX_BACKOFF = 6 * 3600.0  # a failing source is still retried at least every 6 hours
MAX_RETRY_AFTER = 7 * 86400.0  # a server may ask for a pause of up to a week; longer is treated as a week


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """A Retry-After header (delta-seconds or an HTTP-date) as seconds from `now`; None when absent or garbled."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT by definition
        when = when.replace(tzinfo=timezone.utc)
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER)


def backoff_delay(
    failures: int,
    *,
    interval: float,
    retry_after: float | None,
    random_fraction: float,
    cap: float = MAX_BACKOFF,
) -> float:
    """Seconds to wait before the next poll after `failures` consecutive failures.

    Exponential with full jitter between the normal interval and a ceiling that doubles per failure
    (capped at `cap`), so many failing sources do not retry in lockstep and a failing source is never
    polled more often than a healthy one. Never shorter than the server's Retry-After.
    """
    if not 0.0 <= random_fraction < 1.0:
        raise ValueError("random_fraction must be in [0, 1)")
    interval = max(0.0, interval)
    if failures <= 0:
        delay = interval
    else:
        ceiling = max(interval, min(cap, interval * 2.0 ** min(failures, 32)))
        delay = interval + random_fraction * (ceiling - interval)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay
