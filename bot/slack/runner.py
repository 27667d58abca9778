"""Running Earful on Slack: the outbox sends through the Web API, and the app listens over Socket Mode (the
default: works behind a firewall, needs SLACK_APP_TOKEN) or over HTTP at /slack/events (SLACK_SIGNING_SECRET)."""

from __future__ import annotations

import logging
import os
import threading
from socketserver import ThreadingMixIn
from typing import Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError

from bot.slack.app import build_app
from bot.slack.deliver import SlackDeliverer, make_client
from monitors.config import Secrets

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
DEFAULT_PORT = 3000


class Connection(Protocol):
    def close(self) -> None: ...


class SlackStartError(Exception):
    """Slack cannot be used as configured; the message says what to do (one line for the user)."""


def run_slack(runtime, stop: threading.Event) -> None:
    """Called by `earful run` when SLACK_BOT_TOKEN is set; returns when `stop` is set.

    Everything that can fail at start (the token, reaching Slack, the listening port) is tried before the
    scheduler starts, so a failed start has sent nothing."""
    secrets: Secrets = runtime.secrets
    if not (secrets.slack_app_token or secrets.slack_signing_secret):
        raise SlackStartError("Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode at "
                              f"{EVENTS_PATH}); see the README's Slack setup, or unset SLACK_BOT_TOKEN for the "
                              "console")
    runtime.attach(SlackDeliverer(make_client(secrets.slack_bot_token, base_url=secrets.slack_api_url)))
    try:
        app = build_app(config=runtime.config, secrets=secrets, engine=runtime.engine, clock=runtime.clock,
                        on_change=Kicker(runtime.outbox_job))
    except BoltError as exc:  # auth.test refused the token
        raise SlackStartError(f"Slack refused SLACK_BOT_TOKEN ({exc}); `earful doctor` says what to fix") from None
    except OSError as exc:  # no route, refused, DNS: Slack cannot be reached at all
        where = secrets.slack_api_url or "https://slack.com/api/"
        raise SlackStartError(f"cannot reach Slack at {where} ({_reason(exc)}); check the network or "
                              "SLACK_API_URL") from None
    try:
        connection = connect(app, secrets)
    except OSError as exc:  # e.g. the port is taken
        raise SlackStartError(f"cannot listen for Slack ({_reason(exc)}); set PORT to a free port") from None
    runtime.start_scheduler()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        connection.close()


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)  # urllib wraps the socket error
    return str(reason if reason is not None else exc.strerror or exc).strip()


class Kicker:
    """Runs a job soon after it is asked to, on its own thread; asks that arrive meanwhile make one more run.
    Listeners use it to send a changed card right away instead of at the next outbox tick."""

    def __init__(self, job):
        self.job = job
        self._wanted = threading.Event()
        threading.Thread(target=self._loop, name="outbox-kick", daemon=True).start()

    def __call__(self) -> None:
        self._wanted.set()

    def _loop(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            try:
                self.job()
            except Exception:  # noqa: BLE001 - the scheduled run will try again; keep the thread alive
                log.exception("sending right away failed")


def connect(app: App, secrets: Secrets, *, port: int | None = None) -> Connection:
    if secrets.slack_app_token:
        handler = SocketModeHandler(app, app_token=secrets.slack_app_token)
        handler.connect()  # returns once connected; the client reconnects by itself
        log.warning("Earful is connected to Slack over Socket Mode")
        return handler
    return serve_http(app, port=port if port is not None else int(os.environ.get("PORT") or DEFAULT_PORT))


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args) -> None:  # noqa: A002 - the stdlib's name
        log.debug("http: " + format, *args)


class HttpConnection:
    def __init__(self, server: WSGIServer):
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="slack-http",
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{EVENTS_PATH}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_http(app: App, *, port: int, host: str = "0.0.0.0") -> HttpConnection:
    """HTTP mode: Slack posts events, commands and clicks to /slack/events; every request's signature is checked."""
    server = make_server(host, port, SlackRequestHandler(app, path=EVENTS_PATH),
                         server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    connection = HttpConnection(server)
    log.warning("Earful listens for Slack at %s", connection.url)
    return connection
