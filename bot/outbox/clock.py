"""Sends for the response clock: the reminder to a claimer and the escalation to the escalation channel. A case
answered or closed after the row was queued needs no message any more."""

from __future__ import annotations

from sqlmodel import Session

from bot.messages.escalations import render_escalation, render_reminder
from bot.outbox.delivery import Outlet
from storage.cases import case_view
from storage.models import Outbox


def send_remind(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str | None, str | None]:
    row = rows[0]
    view = case_view(session=session, case_id=row.payload["case_id"])
    if view.case.first_response_at is not None or view.case.status != "claimed":
        return None, None
    user = row.payload["user"]  # a user id as channel: Slack opens the direct message
    return out.post(rows, channel=user, message=render_reminder(view, now=out.now))


def send_escalate(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str | None, str | None]:
    row = rows[0]
    view = case_view(session=session, case_id=row.payload["case_id"])
    if view.case.first_response_at is not None or view.case.status not in ("open", "claimed"):
        return None, None
    message = render_escalation(view, round_no=int(row.payload.get("round", 0)),
                                oncall_group=out.slack.oncall_group, now=out.now)
    return out.post(rows, channel=row.channel or out.slack.escalation_channel, message=message)
