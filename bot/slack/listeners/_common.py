"""What several listeners do: carry out a triage command for a person and tell them the outcome."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.actions import execute, sla_rule
from bot.commands import Command
from bot.slack.services import Services

log = logging.getLogger(__name__)

FAILED = "Sorry, that did not work because of a problem on Earful's side; it has been logged."


def carry_out(services: Services, command: Command, *, user: str) -> str:
    """Run the command with the person's rights; the answer is one sentence for them."""
    try:
        answer = execute(services.engine, command, actor=services.actor(user), now=services.clock(),
                         sla=sla_rule(services.config))
    except Exception:  # noqa: BLE001 - the person gets a sentence, the log gets the traceback
        log.exception("%s on case %s by %s failed", command.verb, command.case_id, user)
        return FAILED
    services.on_change()
    return answer


def tell(client: WebClient, *, channel: str | None, user: str, text: str) -> None:
    """An answer only the person sees, in the channel they acted in (or their DM with the app)."""
    try:
        client.chat_postEphemeral(channel=channel or user, user=user, text=text)
    except SlackApiError as exc:
        log.warning("cannot tell %s %r: %s", user, text, exc.response.get("error"))
