"""Ctrl-C for the long-running commands: the first asks the command to stop and tidy up, a second exits at once."""

from __future__ import annotations

import os
import signal
import threading
from typing import Callable

EXIT_INTERRUPTED = 130  # what shells report for a process ended by SIGINT (128 + 2)


class Interrupts:
    """While active, SIGINT (and the other `signals`) call `on_stop` once, on a thread of its own: a signal
    handler runs in the main thread between two bytecodes, perhaps while it holds a lock `on_stop` needs.
    Another SIGINT after that ends the process at once with exit code 130, without tidying up."""

    def __init__(self, on_stop: Callable[[], None], *, signals: tuple[int, ...] = (signal.SIGINT,)):
        self.on_stop = on_stop
        self.signals = signals
        self.received: int | None = None  # the first signal, once one came
        self.stopping = threading.Event()
        self._previous: dict[int, object] = {}

    @property
    def exit_code(self) -> int:
        """What a process ended by the signal would report (130 for Ctrl-C)."""
        return 128 + (self.received or signal.SIGINT)

    @property
    def interrupted(self) -> bool:
        """Ctrl-C was pressed (not another signal)."""
        return self.received == signal.SIGINT

    def __enter__(self) -> "Interrupts":
        for signum in self.signals:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        # a second Ctrl-C while the command tidies up after this block still exits at once
        for signum, handler in self._previous.items():
            if signum != signal.SIGINT or self.received is None:
                signal.signal(signum, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: object) -> None:
        if self.received is not None:
            if signum == signal.SIGINT:
                os.write(2, b"stopped at once\n")
                os._exit(EXIT_INTERRUPTED)
            return
        self.received = signum
        self.stopping.set()
        threading.Thread(target=self.on_stop, name="stopping", daemon=True).start()
