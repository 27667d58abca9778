"""`earful run` started while PostgreSQL is down waits for it (saying so once a minute) and starts when it is
back; stopping it while it waits is clean; a database that can never work still fails at once."""

from __future__ import annotations

import signal
import subprocess
import threading

import pytest
from sqlalchemy.engine import make_url

from tests.fixtures.tcp_proxy import TcpProxy
from tests.test_first_run import EARFUL, _env, example_config, wait_for


class Worker:
    def __init__(self, config, tmp_path, database_url: str):
        env = _env(tmp_path, DATABASE_URL=database_url)
        self.process = subprocess.Popen(EARFUL + ["--config", str(config)], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, cwd=tmp_path)
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=lambda s=stream, l=lines: l.extend(iter(s.readline, "")), daemon=True).start()

    def stderr(self) -> str:
        return "".join(self.err)

    def stop(self, sig=None) -> int:
        if sig is None:
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
        else:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=60)
        finally:
            self.process.kill()


@pytest.fixture
def proxy(postgres_url):
    url = make_url(postgres_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))  # not listening yet: the database is "down"
    yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.off()


def waiting_lines(worker: Worker) -> list[str]:
    return [line for line in worker.err if line.startswith("waiting for the database at")]


@pytest.mark.slow
def test_a_worker_started_before_its_database_waits_and_then_starts(tmp_path, proxy):
    tcp, url = proxy
    worker = Worker(example_config(tmp_path, ""), tmp_path, url)
    try:
        wait_for(lambda: waiting_lines(worker), timeout=60, what="the waiting line")
        assert worker.process.poll() is None
        wait_for(lambda: "onnection refused" in worker.stderr(), timeout=10, what="the reason")
        tcp.on()
        wait_for(lambda: "· Acme" in "".join(worker.out), timeout=90, what="the first cards")
        assert len(waiting_lines(worker)) == 1  # once a minute, and it waited less than one
    finally:
        code = worker.stop(signal.SIGTERM)
    assert code == 0 and "Traceback" not in worker.stderr(), worker.stderr()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stopping_a_worker_that_waits_for_its_database_is_clean(tmp_path, proxy, sig):
    _, url = proxy
    worker = Worker(example_config(tmp_path, ""), tmp_path, url)
    wait_for(lambda: waiting_lines(worker), timeout=60, what="the waiting line")
    code = worker.stop(sig)
    # Ctrl-C reports itself as shells expect (130); SIGTERM is an ordinary stop
    assert code == (130 if sig == signal.SIGINT else 0) and "Traceback" not in worker.stderr(), worker.stderr()


@pytest.mark.slow
def test_a_database_that_does_not_exist_fails_at_once(tmp_path, postgres_url):
    url = make_url(postgres_url).set(database="earful_no_such_db").render_as_string(hide_password=False)
    worker = Worker(example_config(tmp_path, ""), tmp_path, url)
    code = worker.process.wait(timeout=60)
    wait_for(lambda: "error:" in worker.stderr(), timeout=10, what="the error")
    assert code == 2 and "Traceback" not in worker.stderr() and not waiting_lines(worker), worker.stderr()
