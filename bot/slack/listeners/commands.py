"""`/earful`: help, queue [brand], mine, claim, unclaim, resolve, dismiss, snooze, stats, digest [brand].

Every answer is ephemeral and comes back in the acknowledgement itself; bad input gets a sentence saying what to
type instead, never silence or a traceback."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_bolt import App

from bot.messages.cards import Message, escape
from bot.commands import CommandError, parse_command
from bot.messages.digest import digest_message
from bot.slack.services import Services
from bot.slack.listeners._common import FAILED, carry_out
from bot.slack.views import help_reply, queue_reply
from bot.actions import source_names
from monitors.digest.period import daily, local_date
from monitors.digest.run import UnknownBrand, gather
from storage import cases
from storage.db import session_scope
from storage.sources import brands

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.command("/earful")(earful_command)


def earful_command(ack, command, context) -> None:
    services: Services = context["earful"]
    text = command.get("text") or ""
    verb, _, rest = text.strip().partition(" ")
    try:
        if verb.lower() == "digest":
            message = digest_reply(services, rest.strip() or None, team_domain=command.get("team_domain"))
            ack(response_type="ephemeral", text=message.text, blocks=message.blocks)
            return
        reply = answer(services, text, user=command["user_id"])
    except Exception:  # noqa: BLE001
        log.exception("/earful %r failed", command.get("text"))
        reply = FAILED
    ack(response_type="ephemeral", text=reply)


def digest_reply(services: Services, brand: str | None, *, team_domain: str | None = None) -> Message:
    """`/earful digest [brand]`: yesterday's digest (in the configured zone), for the asker's eyes only."""
    now = services.clock()
    zone = services.config.schedule.timezone
    period = daily(local_date(now, zone) - timedelta(days=1), zone)
    workspace = f"https://{team_domain}.slack.com/" if team_domain else None
    try:
        with session_scope(services.engine) as session:
            composed = gather(session=session, period=period, now=now, focus=brand)
    except UnknownBrand as exc:
        return Message(text=escape(_sentence(str(exc))))
    return digest_message(composed, workspace_url=workspace, chart_follows=False)  # no thread for a chart here


def answer(services: Services, text: str, *, user: str) -> str:
    try:
        parsed = parse_command(text)
    except CommandError as exc:
        return escape(_sentence(str(exc).replace("try `help`", "try `/earful help`")))
    if parsed.verb == "help":
        return help_reply()
    if parsed.verb in ("queue", "mine"):
        return _queue(services, user=user, brand=parsed.brand, mine=parsed.verb == "mine")
    return carry_out(services, parsed, user=user)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?", "`")) else ".")


def _queue(services: Services, *, user: str, brand: str | None, mine: bool) -> str:
    with session_scope(services.engine) as session:
        if brand is not None:
            known = [b.name for b in brands(session=session)]
            if brand.lower() not in {name.lower() for name in known}:
                return escape(f"There is no brand {brand!r}; the brands are: {', '.join(sorted(known)) or 'none yet'}.")
        views = cases.open_queue(session=session, brand=brand, claimed_by=user if mine else None, limit=20)
        sources = source_names(session=session)
    empty = "You have no claimed cases." if mine else "The queue is empty."
    return queue_reply(views, now=services.clock(), empty=empty, sources=sources)
