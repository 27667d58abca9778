"""Modal submissions: the Resolve dialog."""

from __future__ import annotations

import json

from slack_bolt import App

from bot.commands import Command
from bot.slack.ids import CallbackId
from bot.slack.listeners._common import carry_out, tell
from bot.slack.views import modal_note


def register(app: App) -> None:
    app.view(CallbackId.RESOLVE)(resolve_submitted)


def resolve_submitted(ack, body, view, client, context) -> None:
    ack()  # close the dialog now; the outcome arrives as a message only the person sees
    user = body["user"]["id"]
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        case_id = int(meta["case"])
    except (ValueError, KeyError, TypeError):
        tell(client, channel=None, user=user, text="That dialog is not one Earful understands any more.")
        return
    note = modal_note((view.get("state") or {}).get("values") or {})
    answer = carry_out(context["earful"], Command("resolve", case_id=case_id, note=note), user=user)
    tell(client, channel=meta.get("channel"), user=user, text=answer)
