"""The Bolt app: built from the config, the secrets and the database; listeners registered in one place.

A middleware puts `Services` (engine, config, clock, managers, the outbox kick) into every request's context,
so listeners are plain functions of what they are given and a test can call them or dispatch real signed
requests to the app; another acknowledges a retried or replayed request without running it again
(bot/slack/repeats.py).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable

import sqlalchemy as sa
from slack_bolt import App
from slack_sdk import WebClient

from bot.clock import utcnow
from bot.slack.directory import Directory
from bot.slack.listeners import register_listeners
from bot.slack.repeats import HandledRequests, skip_repeated_requests
from bot.slack.services import Services
from monitors.config import Config, Secrets

log = logging.getLogger(__name__)


def make_web_client(secrets: Secrets) -> WebClient:
    """The client listeners use (ephemeral answers, modals, Home): SLACK_API_URL points it elsewhere."""
    kwargs: dict[str, Any] = {"token": secrets.slack_bot_token, "timeout": 10}
    if secrets.slack_api_url:
        kwargs["base_url"] = secrets.slack_api_url.rstrip("/") + "/"
    return WebClient(**kwargs)


def build_app(*, config: Config, secrets: Secrets, engine: sa.Engine, client: WebClient | None = None,
              clock: Callable[[], datetime] = utcnow, on_change: Callable[[], None] | None = None,
              verify_token: bool = True, process_before_response: bool = False) -> App:
    """The app for Socket Mode or HTTP mode. Requests are signature-checked when SLACK_SIGNING_SECRET is set
    (HTTP mode needs it; Socket Mode connections are authenticated by the app token instead).
    `process_before_response` makes a request return only after its listener finished (tests)."""
    client = client or make_web_client(secrets)
    app = App(
        client=client,
        signing_secret=secrets.slack_signing_secret or "",
        request_verification_enabled=bool(secrets.slack_signing_secret),
        token_verification_enabled=verify_token,  # auth.test at start: a bad token fails now, not at the first click
        process_before_response=process_before_response,
        raise_error_for_unhandled_request=False,
    )
    services = Services(engine=engine, config=config, directory=Directory(client, config.slack), clock=clock,
                        on_change=on_change or (lambda: None), handled=HandledRequests(engine, clock))
    app.middleware(_provide(services))
    app.middleware(skip_repeated_requests)
    app.error(_log_error)
    register_listeners(app)
    return app


def _provide(services: Services):
    def provide_services(context, next):
        context["earful"] = services
        return next()

    return provide_services


def _log_error(error, body, logger):
    # a listener failed after acknowledging: log it with enough to find the request; the person saw an answer
    kind = body.get("type") if isinstance(body, dict) else None
    logger.exception("Slack listener failed on a %s request: %s", kind, error)
