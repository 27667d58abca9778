"""`earful run`'s inbound HTTP: which routes are needed, where to listen, and the one server that serves them.

Earful listens only when something needs inbound HTTP: Slack's HTTP mode (SLACK_SIGNING_SECRET without
SLACK_APP_TOKEN), a push source, or an `[http]` section in the config (for /healthz in Socket Mode). Socket
Mode with none of these opens no port at all. Whenever it listens, /healthz and /metrics are served too.

The port: `PORT`, else `EARFUL_PUSH_PORT` (both from before there was one listener), else `[http] port`, else
the first push source's `params.port` (8787 by default), else 3000.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Mapping

from bot.http.app import HttpApp
from bot.http.health import HEALTH_PATH, HealthApp
from bot.http.server import HttpServer, ServerSettings
from monitors.config import Config, HttpConfig, Secrets
from monitors.ingest.sources.push import DEFAULT_PORT as PUSH_DEFAULT_PORT

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
DEFAULT_PORT = 3000
PORT_VARIABLES = ("PORT", "EARFUL_PUSH_PORT")


class HttpSetupError(Exception):
    """The listener cannot be set up as configured; the message is one line for the user."""


def slack_http_mode(secrets: Secrets) -> bool:
    return bool(secrets.slack_bot_token and not secrets.slack_app_token and secrets.slack_signing_secret)


def _push_sources(config: Config) -> list:
    return [s for s in config.sources if s.kind == "push" and s.enabled]


def purposes(config: Config, secrets: Secrets) -> list[str]:
    """Why Earful should listen, for the log and for error messages; empty: it should not."""
    out = []
    if slack_http_mode(secrets):
        out.append(f"Slack ({SLACK_PATH})")
    if _push_sources(config):
        out.append("push sources (POST /ingest)")
    if config.http is not None and not out:
        out.append("/healthz and /metrics ([http] in the config)")
    return out


def listen_port(config: Config, env: Mapping[str, str]) -> int:
    given = {name: (env.get(name) or "").strip() for name in PORT_VARIABLES}
    given = {name: value for name, value in given.items() if value}
    for name, value in given.items():
        if not (value.isascii() and value.isdigit() and int(value) < 65536):
            raise HttpSetupError(f"environment: {name}={value!r} is not a TCP port (0-65535)")
    if len(set(given.values())) > 1:
        log.warning("PORT=%s and EARFUL_PUSH_PORT=%s: Slack and push now share one listener, on PORT",
                    given["PORT"], given["EARFUL_PUSH_PORT"])
    if given:
        return int(next(iter(given.values())))
    if config.http is not None and config.http.port is not None:
        return config.http.port
    pushes = _push_sources(config)
    if pushes:
        return pushes[0].params.get("port", PUSH_DEFAULT_PORT)
    return DEFAULT_PORT


def server_settings(http: HttpConfig) -> ServerSettings:
    return ServerSettings(threads=http.threads, connection_limit=http.connection_limit, timeout=http.timeout)


@dataclass
class Face:
    """The application and the server listening for it."""

    app: HttpApp
    server: HttpServer

    @property
    def url(self) -> str:
        return self.server.url

    def close(self) -> None:
        self.server.close()


def open_http(runtime, env: Mapping[str, str] | None = None) -> Face | None:
    """Called by `earful run` before the bot starts: listen if anything needs it (else None) and mount the push
    route; Slack's route is mounted once the Bolt app exists (bot/slack/runner.py). Raises OSError when the
    address cannot be bound, HttpSetupError for a bad setting."""
    env = os.environ if env is None else env
    why = purposes(runtime.config, runtime.secrets)
    if not why:
        return None
    http = runtime.config.http or HttpConfig()
    app = HttpApp()
    if _push_sources(runtime.config):
        from bot.http.push import INGEST_PATH, IngestApp, push_endpoints

        endpoints, problems = push_endpoints(runtime.config, runtime.engine, env)
        for problem in problems:
            log.warning("%s; its pushes will be refused", problem)
        ingest = IngestApp(runtime.engine, runtime.poller.pipeline, endpoints, clock=runtime.clock)
        app.mount(INGEST_PATH, ingest, gate=ingest.gate)
    if slack_http_mode(runtime.secrets):
        app.expect(SLACK_PATH, "the Slack app")
    app.mount(HEALTH_PATH, HealthApp(runtime.engine, lambda: runtime.scheduler), methods=("GET",))
    from bot.http.metrics import METRICS_PATH, MetricsApp  # prometheus_client loads only when Earful listens

    app.mount(METRICS_PATH, MetricsApp(runtime.engine, runtime.clock), methods=("GET",))
    server = HttpServer(app, host=http.host, port=listen_port(runtime.config, env), settings=server_settings(http))
    log.warning("Earful listens at %s for %s", server.url, ", ".join(why))
    return Face(app, server)
