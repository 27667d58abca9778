"""GET /healthz over real HTTP: 200 when the database answers and the scheduler runs, 503 naming what is wrong;
and the listener opens for it only when asked (Socket Mode alone opens no port)."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler

from bot.http.face import open_http
from bot.http.health import health
from monitors.config import Secrets
from monitors.configure import parse_config

SOCKET_MODE = Secrets(slack_bot_token="xoxb-1", slack_app_token="xapp-1", slack_signing_secret=None,
                      slack_api_url=None, database_url="")


@pytest.fixture
def scheduler():
    scheduler = BackgroundScheduler()
    scheduler.add_job(lambda: None, "interval", seconds=60)
    scheduler.start()
    yield scheduler
    if scheduler.running:
        scheduler.shutdown(wait=False)


def listening(engine, scheduler, config: dict | None = None):
    runtime = SimpleNamespace(config=parse_config(config or {"http": {"port": 0}}), secrets=SOCKET_MODE,
                              engine=engine, scheduler=scheduler, clock=None, poller=None)
    return runtime, open_http(runtime, env={})


def test_healthy_is_200_with_a_small_json_body(sqlite_engine, scheduler):
    _, http = listening(sqlite_engine, scheduler)
    try:
        answer = httpx.get(http.url + "/healthz", timeout=5)
        assert answer.status_code == 200
        assert answer.json() == {"status": "ok", "database": "ok", "scheduler": "ok"}
        assert httpx.post(http.url + "/healthz", timeout=5).status_code == 405
    finally:
        http.close()


def test_a_database_that_does_not_answer_is_503_and_named(tmp_path, scheduler):
    (tmp_path / "a-file").write_text("")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a-file' / 'earful.db'}")  # its directory is a file
    _, http = listening(engine, scheduler)
    try:
        answer = httpx.get(http.url + "/healthz", timeout=10)
        assert answer.status_code == 503
        body = answer.json()
        assert body["status"] == "unhealthy" and body["scheduler"] == "ok"
        assert body["database"].startswith("does not answer (OperationalError")
        assert body["problems"] == [f"database: {body['database']}"]
    finally:
        http.close()
        engine.dispose()


def test_a_scheduler_not_started_or_stopped_is_503_and_named(sqlite_engine, scheduler):
    runtime, http = listening(sqlite_engine, None)
    try:
        answer = httpx.get(http.url + "/healthz", timeout=5)
        assert answer.status_code == 503 and answer.json()["scheduler"] == "not started yet"
        runtime.scheduler = scheduler  # the route asks the runtime each time: the scheduler starts later
        assert httpx.get(http.url + "/healthz", timeout=5).status_code == 200
        scheduler.pause()
        assert httpx.get(http.url + "/healthz", timeout=5).json()["problems"] == ["scheduler: paused"]
        scheduler.shutdown(wait=False)
        assert httpx.get(http.url + "/healthz", timeout=5).json()["scheduler"] == "stopped"
    finally:
        http.close()


def test_a_dead_scheduler_thread_is_unhealthy(sqlite_engine):
    dead = SimpleNamespace(state=1, _thread=SimpleNamespace(is_alive=lambda: False))  # 1: STATE_RUNNING
    assert health(sqlite_engine, dead) == (503, {"status": "unhealthy", "database": "ok",
                                                 "scheduler": "its thread has died",
                                                 "problems": ["scheduler: its thread has died"]})


def test_socket_mode_opens_no_port_unless_asked(sqlite_engine, scheduler):
    _, http = listening(sqlite_engine, scheduler, {"brands": [{"name": "Acme", "query": "acme"}]})
    assert http is None  # nothing needs inbound HTTP
    _, http = listening(sqlite_engine, scheduler, {"http": {"port": 0}})
    try:
        assert http is not None and http.app.paths == ["/healthz", "/metrics"]
        assert http.server.host == "127.0.0.1"
    finally:
        http.close()
