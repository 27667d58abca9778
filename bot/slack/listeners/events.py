"""Events: the App Home tab."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.services import Services
from bot.slack.views import home_view
from storage import cases
from storage.db import session_scope

log = logging.getLogger(__name__)

HOME_QUEUE = 100  # cases read for the Home tab's queue; the tab shows a few per brand


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)


def home_opened(event, client, context) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(context["earful"], client, event["user"])


def publish_home(services: Services, client: WebClient, user: str) -> None:
    now = services.clock()
    with session_scope(services.engine) as session:
        mine = cases.open_queue(session=session, claimed_by=user)
        overdue = cases.overdue_cases(session=session, now=now)
        queue = cases.open_queue(session=session, limit=HOME_QUEUE)
    client.views_publish(user_id=user, view=home_view(user=user, mine=mine, overdue=overdue, queue=queue, now=now))
