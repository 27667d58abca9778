"""Calm behaviour while the database is unreachable: one log line per failure, and a shared, growing pause.

Every scheduled job runs through one `DatabaseGuard`. A connection-level failure (the server refused, timed out,
is starting up or shutting down) logs `database unavailable: <reason>; retrying in N s` without a traceback and
pauses every job for N seconds, N doubling per consecutive failure up to a cap and reset by the next success.
Any other exception is not the guard's business: it propagates (and the scheduler logs it with its traceback).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Callable

import sqlalchemy.exc as sa_exc

log = logging.getLogger(__name__)

FIRST_PAUSE = 5.0
MAX_PAUSE = 300.0


def is_database_outage(exc: BaseException) -> bool:
    """A failure to reach or keep a connection, as opposed to a bad query or bad data."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)) or (
        isinstance(exc, sa_exc.TimeoutError))  # the pool's checkout timeout


def outage_reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[-1] if lines else type(orig).__name__


class DatabaseGuard:
    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic,
                 first_pause: float = FIRST_PAUSE, max_pause: float = MAX_PAUSE):
        self.monotonic = monotonic
        self.first_pause, self.max_pause = first_pause, max_pause
        self.failures = 0
        self.retry_at: float | None = None
        self._lock = threading.Lock()

    def pause(self) -> float:
        return min(self.first_pause * 2 ** max(self.failures - 1, 0), self.max_pause)

    def run(self, job: Callable[[], None], name: str = "") -> bool:
        """Run `job` unless the database is being waited for; returns whether it ran to the end."""
        with self._lock:
            if self.retry_at is not None and self.monotonic() < self.retry_at:
                return False
        try:
            job()
        except Exception as exc:  # noqa: BLE001 - only outages are handled; the rest is re-raised
            if not is_database_outage(exc):
                raise
            with self._lock:
                self.failures += 1
                pause = self.pause()
                self.retry_at = self.monotonic() + pause
            log.warning("database unavailable: %s; retrying in %d s", outage_reason(exc), round(pause))
            return False
        with self._lock:
            if self.failures:
                log.warning("database reachable again after %d failed tries", self.failures)
            self.failures, self.retry_at = 0, None
        return True

    def wrap(self, job: Callable[[], None]) -> Callable[[], None]:
        @functools.wraps(job)
        def guarded() -> None:
            self.run(job)
        return guarded
