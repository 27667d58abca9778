"""`earful run` worker processes as a supervisor (systemd, Kubernetes) keeps them: one killed comes back."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIGNING_SECRET = "faults-signing-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Worker:
    name: str
    config: Path
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    starts: int = 0
    kills: int = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("a") as out:
            out.write(f"\n=== start {self.starts} at {time.strftime('%H:%M:%S')}\n")
            out.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from bot.cli import main; main()", "run", "--config", str(self.config)],
                env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Supervisor:
    """Runs the workers and restarts one that died (killed, or exited on its own) after `restart_after` s."""

    workers: list[Worker]
    restart_after: float = 2.0
    exits: int = 0  # workers that ended on their own (not killed here)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _dead_since: dict[str, float] = field(default_factory=dict)  # worker -> when it died

    def start(self) -> None:
        for worker in self.workers:
            worker.start()
        threading.Thread(target=self._watch, name="supervisor", daemon=True).start()

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                for worker in self.workers:
                    if worker.alive() or self._stopping.is_set():
                        continue
                    if worker.name not in self._dead_since:  # not killed here: it ended on its own
                        self.exits += 1
                        self._dead_since[worker.name] = time.monotonic()
                    if time.monotonic() - self._dead_since[worker.name] >= self.restart_after:
                        worker.start()
                        del self._dead_since[worker.name]

    def by_name(self, name: str) -> Worker | None:
        return next((w for w in self.workers if w.name == name), None)

    def kill(self, name: str) -> bool:
        """kill -9 the worker (all its processes) and bring it back later; False if it was not running."""
        worker = self.by_name(name)
        with self._lock:
            if worker is None or not worker.alive() or self._stopping.is_set():
                return False
            os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait()
            worker.kills += 1
            self._dead_since[worker.name] = time.monotonic()
            return True

    def alive(self) -> list[str]:
        return [w.name for w in self.workers if w.alive()]

    def stop(self, timeout: float = 20.0) -> None:
        """Stop as an operator does (Ctrl-C, then SIGKILL for a worker that does not stop in time)."""
        self._stopping.set()
        with self._lock:
            pass  # a restart under way finishes first
        for worker in self.workers:
            if worker.alive():
                os.killpg(worker.process.pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            if worker.process is None:
                continue
            try:
                worker.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(worker.process.pid, signal.SIGKILL)
                worker.process.wait()
