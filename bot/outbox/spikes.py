"""Sends for spike alerts: the alert card (the on-call group mentioned this once), its redraws, the chart in
its thread, and the pointer the support channel gets while complaint cards go into the alert's thread."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.messages.alerts import render_alert, render_pointer
from bot.outbox.delivery import DeliveryError, NotYet, Outlet
from monitors.spikes.chart import render_spike_chart
from monitors.spikes.report import AlertGone, alert_report, chart_points
from storage import spikes
from storage.models import Outbox
from storage.outbox import rows_by_keys


def send_spike_alert(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str | None, str | None]:
    alert_id = rows[0].payload["alert_id"]
    report = _report(session, alert_id)
    if report.alert.slack_ts:  # posted before a crash kept us from marking the row
        return report.alert.slack_channel, report.alert.slack_ts
    message = render_alert(report, now=out.now, oncall_group=out.slack.oncall_group)
    channel, ts = out.post(rows, channel=rows[0].channel or out.slack.escalation_channel, message=message)
    spikes.record_alert_message(session=session, alert_id=alert_id, channel=channel, ts=ts)
    return channel, ts


def send_spike_update(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str | None, str | None]:
    """Redraw the card with the alert's newest state; several pending updates are one chat.update."""
    report = _report(session, rows[0].payload["alert_id"])
    if not report.alert.slack_ts:
        return None, None  # the card is not posted yet and will show the newest state when it is
    out.update(channel=report.alert.slack_channel, ts=report.alert.slack_ts,
               message=render_alert(report, now=out.now))
    return report.alert.slack_channel, report.alert.slack_ts


def send_spike_chart(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str | None, str | None]:
    """The last 48 hours as a PNG in the alert's thread (skipped by a deliverer that cannot upload)."""
    row = rows[0]
    if not out.can_upload():
        return None, None
    channel, ts = _alert_place(session, row.payload["alert_id"])
    report = _report(session, row.payload["alert_id"])
    step = timedelta(seconds=row.payload.get("step", 300))

    def chart() -> tuple[bytes, str]:
        points = chart_points(session=session, alert=report.alert, now=out.now, step=step)
        title = f"{report.brand}: negative mentions per {int(step.total_seconds() // 60)} min, last 48 hours"
        return render_spike_chart(points, title=title, window_start=report.alert.window_start,
                                  window_end=report.alert.window_end), title

    return out.upload(row, channel=channel, ts=ts, filename=f"earful-spike-{report.alert.id}.png", chart=chart)


def send_spike_pointer(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str, str]:
    row = rows[0]
    return out.post(rows, channel=row.channel or out.slack.support_channel,
                    message=render_pointer(row.payload.get("brand", "")))


def _report(session: Session, alert_id: int):
    try:
        return alert_report(session=session, alert_id=alert_id)
    except AlertGone as exc:
        raise DeliveryError(str(exc), permanent=True) from None


def _alert_place(session: Session, alert_id: int) -> tuple[str, str]:
    alert = spikes.get_alert(session=session, alert_id=alert_id)
    if alert is None:
        raise DeliveryError(f"there is no spike alert #{alert_id}", permanent=True)
    if alert.slack_ts and alert.slack_channel:
        return alert.slack_channel, alert.slack_ts
    posted = rows_by_keys(session=session, dedupe_keys=[f"spike:{alert_id}"])
    if not posted or posted[0].status == "failed":
        raise DeliveryError("the alert was never posted", permanent=True)
    raise NotYet("waiting for the alert to be posted")
