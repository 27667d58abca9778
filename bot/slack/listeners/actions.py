"""The card's buttons: Claim, Unclaim, Resolve (opens a modal), Not a complaint, Snooze, and the post link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.messages.cards import fit, headline
from bot.commands import Command
from bot.slack.ids import ActionId, CaseRef
from bot.slack.listeners._common import FAILED, carry_out, tell
from bot.slack.views import resolve_modal
from monitors.cases.triage import refusal
from storage import cases
from storage.db import session_scope

STALE_BUTTON = "That button is not one Earful understands any more; use `/earful` instead."


def register(app: App) -> None:
    app.action(ActionId.CLAIM)(claim_pressed)
    app.action(ActionId.UNCLAIM)(unclaim_pressed)
    app.action(ActionId.DISMISS)(dismiss_pressed)
    app.action(ActionId.SNOOZE)(snooze_chosen)
    app.action(ActionId.RESOLVE)(resolve_pressed)
    app.action(ActionId.OPEN_POST)(link_opened)


def _where(body: dict[str, Any]) -> tuple[str, str | None]:
    return body["user"]["id"], (body.get("channel") or {}).get("id")


def _simple(verb: str, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
            context: dict[str, Any]) -> None:
    ack()
    user, channel = _where(body)
    try:
        ref = CaseRef.decode(action.get("value"))
    except ValueError:
        tell(client, channel=channel, user=user, text=STALE_BUTTON)
        return
    answer = carry_out(context["earful"], Command(verb, case_id=ref.case_id), user=user)
    tell(client, channel=channel, user=user, text=answer)


def claim_pressed(ack, body, action, client, context) -> None:
    _simple("claim", ack, body, action, client, context)


def unclaim_pressed(ack, body, action, client, context) -> None:
    _simple("unclaim", ack, body, action, client, context)


def dismiss_pressed(ack, body, action, client, context) -> None:
    _simple("dismiss", ack, body, action, client, context)


def snooze_chosen(ack, body, action, client, context) -> None:
    ack()
    user, channel = _where(body)
    try:
        ref = CaseRef.decode((action.get("selected_option") or {}).get("value"))
        if ref.seconds is None:
            raise ValueError("no duration")
    except ValueError:
        tell(client, channel=channel, user=user, text=STALE_BUTTON)
        return
    command = Command("snooze", case_id=ref.case_id, snooze=timedelta(seconds=ref.seconds))
    tell(client, channel=channel, user=user, text=carry_out(context["earful"], command, user=user))


def resolve_pressed(ack, body, action, client, context) -> None:
    """Check first, so nobody fills in a note only to be refused; then open the modal."""
    ack()
    user, channel = _where(body)
    services = context["earful"]
    try:
        ref = CaseRef.decode(action.get("value"))
    except ValueError:
        tell(client, channel=channel, user=user, text=STALE_BUTTON)
        return
    with session_scope(services.engine) as session:
        try:
            view = cases.case_view(session=session, case_id=ref.case_id)
        except cases.CaseNotFound as exc:
            tell(client, channel=channel, user=user, text=f"{str(exc).capitalize()}.")
            return
    case = view.case
    refused = refusal("resolve", actor=services.actor(user), claimed_by=case.claimed_by)
    if refused:
        tell(client, channel=channel, user=user, text=refused[:1].upper() + refused[1:] + ".")
        return
    if case.status not in cases.OPEN_STATES:
        tell(client, channel=channel, user=user, text=f"Case #{case.id} is {case.status} already.")
        return
    snippet = " ".join((view.mention.text or view.mention.title or "").split())
    summary = f"*{headline(view, services.clock())}*\n>{fit(snippet, 600)}"
    try:
        client.views_open(trigger_id=body["trigger_id"], view=resolve_modal(case.id, channel=channel, summary=summary))
    except SlackApiError as exc:  # e.g. the trigger expired (3 s); the command still works
        tell(client, channel=channel, user=user,
             text=f"{FAILED} Try `/earful resolve {case.id} [note]`. ({exc.response.get('error')})")


def link_opened(ack) -> None:
    ack()  # the browser opens the link; Slack still wants the click acknowledged
