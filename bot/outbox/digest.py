"""Sends for the digest: the message (Block Kit, or plain text for the console) and its chart, uploaded
into the digest's thread once the digest is posted. Both are gathered at send time."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.messages.cards import Message
from bot.messages.digest import digest_message, digest_text
from bot.outbox.delivery import DeliveryError, NotYet, Outlet
from monitors.digest.chart import render_chart
from monitors.digest.period import Period
from monitors.digest.run import gather, period_of
from storage.models import Outbox
from storage.outbox import rows_by_keys


def send_digest(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str, str]:
    row = rows[0]
    digest = _gather(session, row, out.now)
    if getattr(out.deliverer, "plain_text", False):
        message = Message(text=digest_text(digest))
    else:
        message = digest_message(digest, workspace_url=getattr(out.deliverer, "workspace_url", None),
                                 chart_follows=out.can_upload())
    return out.post(rows, channel=row.channel or out.slack.digest_channel, message=message)


def send_digest_chart(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str | None, str | None]:
    row = rows[0]
    if not out.can_upload():
        return None, None
    posted = rows_by_keys(session=session, dedupe_keys=[row.payload["digest_key"]])
    if not posted or posted[0].status == "failed":
        raise DeliveryError("the digest was never posted", permanent=True)
    if posted[0].status != "sent" or not posted[0].result_ts:
        raise NotYet("waiting for the digest to be posted")
    channel, ts = posted[0].result_channel or row.channel, posted[0].result_ts

    def chart() -> tuple[bytes, str]:
        digest = _gather(session, row, out.now)
        return render_chart(digest.chart), digest.chart.title

    return out.upload(row, channel=channel, ts=ts, filename=chart_filename(period_of(row.payload)), chart=chart)


def chart_filename(period: Period) -> str:
    return f"earful-digest-{period.key.replace('/', '-')}.png"


def _gather(session: Session, row: Outbox, now: datetime):
    data = row.payload
    scheduled = data.get("scheduled_at")
    return gather(session=session, period=period_of(data), now=now, late=bool(data.get("late")),
                  scheduled_at=datetime.fromisoformat(scheduled) if scheduled else None)
