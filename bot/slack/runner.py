"""Running Earful on Slack: the outbox sends through the Web API, and the app listens over Socket Mode (the
default: works behind a firewall, needs SLACK_APP_TOKEN) or over HTTP at /slack/events (SLACK_SIGNING_SECRET)."""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Mapping, Protocol

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.http.app import Refusal, refuse
from bot.http.face import SLACK_PATH, Face
from bot.slack.app import build_app
from bot.slack.deliver import SlackDeliverer, make_client
from monitors.config import Secrets

log = logging.getLogger(__name__)

EVENTS_PATH = SLACK_PATH


class Connection(Protocol):
    def close(self) -> None: ...


class SlackStartError(Exception):
    """Slack cannot be used as configured; the message says what to do (one line for the user)."""


def run_slack(runtime, stop: threading.Event, http: Face | None = None) -> None:
    """Called by `earful run` when SLACK_BOT_TOKEN is set; returns when `stop` is set. In HTTP mode the Bolt app
    is mounted at /slack/events on `http`, the listener `earful run` opened (bot/http/face.py).

    Everything that can fail at start (the token, reaching Slack, the listening port) is tried before the
    scheduler starts, so a failed start has sent nothing."""
    secrets: Secrets = runtime.secrets
    if not (secrets.slack_app_token or secrets.slack_signing_secret):
        raise SlackStartError("Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode at "
                              f"{EVENTS_PATH}); see the README's Slack setup, or unset SLACK_BOT_TOKEN for the "
                              "console")
    client = make_client(secrets.slack_bot_token, base_url=secrets.slack_api_url)
    runtime.attach(SlackDeliverer(client))
    try:
        if not wait_for_slack(client, stop):
            return
        # the token was just checked: a second auth.test could meet a passing fault and end the worker
        app = build_app(config=runtime.config, secrets=secrets, engine=runtime.engine, clock=runtime.clock,
                        on_change=Kicker(runtime.outbox_job), verify_token=False)
    except BoltError as exc:  # Bolt refused the app's settings
        raise SlackStartError(f"the Slack app cannot start ({exc}); `earful doctor` says what to fix") from None
    except OSError as exc:  # no route, refused, DNS: Slack cannot be reached at all
        where = secrets.slack_api_url or "https://slack.com/api/"
        raise SlackStartError(f"cannot reach Slack at {where} ({_reason(exc)}); check the network or "
                              "SLACK_API_URL") from None
    connection = connect(app, secrets, http=http)
    runtime.start_scheduler()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        _close_briefly(connection)


# while Slack struggles at start: the first retry after this long, doubling up to the most
SLACK_WAIT_FIRST, SLACK_WAIT_MOST, SLACK_WAIT_SAY_EVERY = 2.0, 30.0, 60.0


def wait_for_slack(client: WebClient, stop: threading.Event) -> bool:
    """Ask auth.test until Slack answers it: the one check of the token at start. A 5xx or a 429 says Slack is
    struggling, not that the token is bad (a worker restarted during an outage used to exit): wait, saying so
    once a minute, and go on when it answers. Any other refusal raises SlackStartError. False when stopped."""
    delay, said_at = SLACK_WAIT_FIRST, None
    while True:
        try:
            client.auth_test()
            return True
        except SlackApiError as exc:
            status = exc.response.status_code
            if status != 429 and status < 500:
                error = exc.response.get("error") if isinstance(exc.response.data, dict) else exc.response.data
                raise SlackStartError(f"Slack refused SLACK_BOT_TOKEN ({error}); `earful doctor` says what to "
                                      "fix") from None
            reason = "rate limited (429)" if status == 429 else f"HTTP {status}"
            wait = max(delay, _retry_after(exc.response.headers))
        if said_at is None or time.monotonic() - said_at >= SLACK_WAIT_SAY_EVERY:
            log.warning("Slack is not answering at start (%s); waiting for Slack, retrying every few seconds", reason)
            said_at = time.monotonic()
        if stop.wait(wait):
            return False
        delay = min(delay * 2, SLACK_WAIT_MOST)


def _retry_after(headers: Mapping[str, str]) -> float:
    value = headers.get("Retry-After") or headers.get("retry-after") or "0"
    try:
        return min(float(value), SLACK_WAIT_MOST)
    except ValueError:
        return 0.0


def _close_briefly(connection: "Connection", wait: float = 0.5) -> None:
    """Close the connection, waiting for it at most `wait` seconds: Socket Mode's client takes about 2.5 s to wind
    down its threads, and `earful run` is on its way out (Ctrl-C stops within 2 s), which ends them anyway."""
    closer = threading.Thread(target=connection.close, name="slack-close", daemon=True)
    closer.start()
    closer.join(wait)


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


def connect(app: App, secrets: Secrets, *, http: Face | None = None) -> Connection:
    if secrets.slack_app_token:
        handler = SocketModeHandler(app, app_token=secrets.slack_app_token)
        handler.connect()  # returns once connected; the client reconnects by itself
        log.warning("Earful is connected to Slack over Socket Mode")
        return handler
    if http is None:
        raise SlackStartError("HTTP mode needs Earful's HTTP listener; see the README's Slack setup")
    return mount_http(app, http)


class Mounted:
    """HTTP mode's connection: the Bolt app mounted on the shared listener; closing it unmounts the route."""

    def __init__(self, http: Face):
        self.http = http

    @property
    def url(self) -> str:
        return self.http.url + EVENTS_PATH

    def close(self) -> None:
        self.http.app.unmount(EVENTS_PATH)


SIGNATURE_WINDOW = 300  # seconds; Bolt refuses older requests too
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def slack_gate(environ: Mapping[str, str], *, now: float) -> Refusal | None:
    """What Slack's signature headers tell before the body is read: present, well formed and fresh. Bolt then
    checks the signature itself against the body."""
    stamp = (environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "").strip()
    signature = (environ.get("HTTP_X_SLACK_SIGNATURE") or "").strip()
    if not stamp or not signature:
        return Refusal(401, "not signed by Slack: X-Slack-Request-Timestamp and X-Slack-Signature are required")
    if not (stamp.isascii() and stamp.isdigit()):
        return Refusal(401, "X-Slack-Request-Timestamp is not unix seconds")
    if abs(now - int(stamp)) > SIGNATURE_WINDOW:
        return Refusal(401, "X-Slack-Request-Timestamp is more than 5 minutes from the server's clock")
    if not _SIGNATURE.fullmatch(signature):
        return Refusal(401, "X-Slack-Signature is not a v0 signature")
    length = (environ.get("CONTENT_LENGTH") or "").strip()
    if not (length.isascii() and length.isdigit()):
        return Refusal(411, "a Content-Length header is required")
    return None


def _utf8_only(handler: SlackRequestHandler):
    """Bolt decodes the body as UTF-8 and would fail with a 500 on anything else; that is the sender's error."""
    def serve(environ: dict, start_response):
        try:
            return handler(environ, start_response)
        except UnicodeDecodeError:
            return refuse(start_response, Refusal(400, "the body is not UTF-8"))

    return serve


def mount_http(app: App, http: Face) -> Mounted:
    """HTTP mode: Slack posts events, commands and clicks to /slack/events; every request's signature is checked
    (its headers before the body is read, then by Bolt against the body)."""
    http.app.mount(EVENTS_PATH, _utf8_only(SlackRequestHandler(app, path=EVENTS_PATH)),
                   gate=lambda environ: slack_gate(environ, now=time.time()))
    mounted = Mounted(http)
    log.warning("Earful listens for Slack at %s", mounted.url)
    return mounted
