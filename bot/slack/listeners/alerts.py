"""The spike alert card's buttons: Acknowledge, Resolve, Mute. Each changes the alert and asks for its card to be
redrawn through the outbox, then tells the person what happened."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.ids import ActionId, AlertRef
from bot.slack.listeners._common import FAILED, tell
from monitors.spikes.watch import enqueue_alert_update
from monitors.spikes.detector import human_span
from storage import spikes
from storage.db import session_scope

log = logging.getLogger(__name__)

STALE_BUTTON = "That button is not one Earful understands any more."


def register(app: App) -> None:
    app.action(ActionId.ALERT_ACK)(acknowledge_pressed)
    app.action(ActionId.ALERT_RESOLVE)(resolve_pressed)
    app.action(ActionId.ALERT_MUTE)(mute_pressed)


def acknowledge_pressed(ack, body, action, client, context) -> None:
    _handle("acknowledge", ack, body, action, client, context)


def resolve_pressed(ack, body, action, client, context) -> None:
    _handle("resolve", ack, body, action, client, context)


def mute_pressed(ack, body, action, client, context) -> None:
    _handle("mute", ack, body, action, client, context)


def _handle(verb: str, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
            context: dict[str, Any]) -> None:
    ack()
    user, channel = body["user"]["id"], (body.get("channel") or {}).get("id")
    try:
        ref = AlertRef.decode(action.get("value"))
    except ValueError:
        tell(client, channel=channel, user=user, text=STALE_BUTTON)
        return
    services = context["earful"]
    now = services.clock()
    mute = timedelta(seconds=services.config.spikes.mute)
    try:
        with session_scope(services.engine) as session:
            alert = spikes.handle_alert(session=session, alert_id=ref.alert_id, action=verb, user=user, now=now,
                                        mute=mute)
            enqueue_alert_update(session=session, alert_id=alert.id, reason=f"{verb}:{user}:{now.isoformat()}",
                                 now=now)
            brand = spikes.brand_name(session=session, brand_id=alert.brand_id)
    except (spikes.AlertNotFound, ValueError) as exc:
        tell(client, channel=channel, user=user, text=f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
        return
    except Exception:  # noqa: BLE001 - the person gets a sentence, the log gets the traceback
        log.exception("%s on spike alert %s by %s failed", verb, ref.alert_id, user)
        tell(client, channel=channel, user=user, text=FAILED)
        return
    services.on_change()
    answer = {
        "acknowledge": f"You acknowledged the {brand} spike.",
        "resolve": f"You resolved the {brand} spike; complaint cards go to the support channel again.",
        "mute": f"The {brand} spike is muted for {human_span(mute)}.",
    }[verb]
    tell(client, channel=channel, user=user, text=answer)
