"""The outbox's sends for the response clock (`remind`, `escalate` rows), mixed into the Dispatcher, which finds
a row's handler by its kind. A case answered or closed after the row was queued needs no message any more."""

from __future__ import annotations

from sqlmodel import Session

from bot.messages.escalations import render_escalation, render_reminder
from storage.cases import case_view
from storage.models import Outbox


class ClockSends:
    """Needs the Dispatcher's `post` and `slack`."""

    def _send_remind(self, session: Session, rows: list[Outbox], run) -> tuple[str | None, str | None]:
        row = rows[0]
        view = case_view(session=session, case_id=row.payload["case_id"])
        if view.case.first_response_at is not None or view.case.status != "claimed":
            return None, None
        user = row.payload["user"]  # a user id as channel: Slack opens the direct message
        return self.post(run, rows, channel=user, message=render_reminder(view, now=run.now))

    def _send_escalate(self, session: Session, rows: list[Outbox], run) -> tuple[str | None, str | None]:
        row = rows[0]
        view = case_view(session=session, case_id=row.payload["case_id"])
        if view.case.first_response_at is not None or view.case.status not in ("open", "claimed"):
            return None, None
        message = render_escalation(view, round_no=int(row.payload.get("round", 0)),
                                    oncall_group=self.slack.oncall_group, now=run.now)
        return self.post(run, rows, channel=row.channel or self.slack.escalation_channel, message=message)
