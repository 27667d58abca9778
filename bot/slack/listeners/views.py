"""Modal submissions: the Resolve dialog (a note, and optionally the link to the public reply)."""

from __future__ import annotations

import json

from slack_bolt import App

from bot.commands import Command, CommandError, reply_url
from bot.slack.ids import BlockId, CallbackId
from bot.slack.listeners._common import carry_out, tell
from bot.slack.views import modal_note, modal_reply_url


def register(app: App) -> None:
    app.view(CallbackId.RESOLVE)(resolve_submitted)


def resolve_submitted(ack, body, view, client, context) -> None:
    values = (view.get("state") or {}).get("values") or {}
    link = modal_reply_url(values)
    try:
        link = reply_url(link) if link else None
    except CommandError as exc:  # the dialog stays open with the problem under the field
        ack(response_action="errors", errors={BlockId.RESOLVE_REPLY: str(exc)})
        return
    ack()  # close the dialog now; the outcome arrives as a message only the person sees
    user = body["user"]["id"]
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        case_id = int(meta["case"])
    except (ValueError, KeyError, TypeError):
        tell(client, channel=None, user=user, text="That dialog is not one Earful understands any more.")
        return
    note = modal_note(values)
    answers = []
    if link:  # recorded before resolving, so the clock stops at the answer, not at the closing
        answers.append(carry_out(context["earful"], Command("responded", case_id=case_id, url=link), user=user))
    answers.append(carry_out(context["earful"], Command("resolve", case_id=case_id, note=note), user=user))
    tell(client, channel=meta.get("channel"), user=user, text=" ".join(answers))
