"""Keeping a poll cycle's source leases short: renewed while the sources are still being polled, handed back
when the cycle ends early.

A lease is only as long as a worker may be silent. With a short one, a killed worker's sources are due again
within about a minute and a half; the heartbeat keeps a live worker's slow sources (a feed that takes minutes,
a long first cycle) from being polled twice.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Callable

import sqlalchemy as sa

from storage.db import session_scope
from storage.sources import release_leases, renew_leases

log = logging.getLogger(__name__)


class LeaseHeartbeat:
    """Renews `owner`'s leases on the sources not settled yet every third of `lease`, on its own thread.

    Lease times follow the cycle's `now` plus the time that has really passed since, so a cycle run with a
    simulated clock keeps leases consistent with it."""

    def __init__(self, engine: sa.Engine, *, owner: str, lease: timedelta, now: datetime, source_ids: list[int],
                 monotonic: Callable[[], float] = time.monotonic):
        self.engine = engine
        self.owner = owner
        self.lease = lease
        self._now = now
        self._monotonic = monotonic
        self._started = monotonic()
        self._open = set(source_ids)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
        self._failing = False

    def __enter__(self) -> "LeaseHeartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        with self._lock:
            left = sorted(self._open)
        if left:  # the cycle stopped before these were settled: hand them back rather than wait for the lease
            try:
                with session_scope(self.engine) as session:
                    release_leases(session=session, source_ids=left, owner=self.owner)
                # INFO: a stop someone asked for (Ctrl-C) is said by the command, an error by its own line
                log.info("poll cycle stopped early; handed back %d source lease(s)", len(left))
            except Exception as error:  # noqa: BLE001 - the leases then simply run out
                log.warning("could not hand back %d source lease(s) (%s); they run out within %ds",
                            len(left), _line(error), self.lease.total_seconds())

    def settled(self, source_id: int) -> None:
        """The source's outcome is recorded (and its lease released with it)."""
        with self._lock:
            self._open.discard(source_id)

    def renew(self) -> int:
        with self._lock:
            ids = sorted(self._open)
        until = self._now + timedelta(seconds=self._monotonic() - self._started) + self.lease
        with session_scope(self.engine) as session:
            return renew_leases(session=session, source_ids=ids, owner=self.owner, until=until)

    def _beat(self) -> None:
        interval = self.lease.total_seconds() / 3
        while not self._stop.wait(interval):
            try:
                self.renew()
                if self._failing:
                    log.warning("source leases renewed again")
                self._failing = False
            except Exception as error:  # noqa: BLE001 - e.g. the database is away; the next beat tries again
                if not self._failing:
                    log.warning("cannot renew source leases: %s", _line(error))
                self._failing = True


def _line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
