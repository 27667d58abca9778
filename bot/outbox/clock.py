"""Sends for the response clock: the reminder to a claimer and the escalation to the escalation channel. A case
answered or closed after the row was queued needs no message any more."""

from __future__ import annotations

from sqlmodel import Session

from bot.messages.escalations import (LISTED, render_backlog, render_escalation, render_folded_escalations,
                                     render_reminder)
from bot.outbox.delivery import Outlet
from storage.cases import case_view
from storage.models import Brand, Outbox
from storage.response_clock import still_unanswered


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



def send_escalate_many(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str | None, str | None]:
    row = rows[0]
    rounds = {int(case_id): int(round_no) for case_id, round_no in row.payload["cases"]}
    waiting = still_unanswered(session=session, case_ids=list(rounds))
    if not waiting:
        return None, None
    if len(waiting) == 1:  # the others were answered meanwhile: an ordinary escalation says more
        view = case_view(session=session, case_id=waiting[0])
        message = render_escalation(view, round_no=rounds[waiting[0]], oncall_group=out.slack.oncall_group,
                                    now=out.now)
    else:
        shown = [case_view(session=session, case_id=case_id) for case_id in waiting[:LISTED]]
        message = render_folded_escalations([(view, rounds[view.case.id]) for view in shown], waiting,
                                            oncall_group=out.slack.oncall_group, now=out.now)
    return out.post(rows, channel=row.channel or out.slack.escalation_channel, message=message)


def send_backlog(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str | None, str | None]:
    row = rows[0]
    waiting = still_unanswered(session=session, case_ids=[int(c) for c in row.payload["case_ids"]])
    if not waiting:
        return None, None
    brand = session.get(Brand, row.payload["brand_id"])
    message = render_backlog(brand.name if brand else "?", waiting)
    return out.post(rows, channel=row.channel or out.slack.escalation_channel, message=message)
