"""Sends for case cards: the card, its in-place updates, its thread lines, and the summary that stands in for
a flood of cards. While a brand's spike alert stands, its new cards go into the alert's thread."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from bot.messages.cards import render_card, render_event, render_flood_summary
from bot.outbox.delivery import DeliveryError, NotYet, Outlet
from storage import spikes
from storage.cases import case_view, earlier_events, get_event, record_card
from storage.models import Outbox, Source
from storage.outbox import enqueue, rows_by_keys, sent_result

log = logging.getLogger(__name__)


def send_post_card(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str | None, str | None]:
    view = case_view(session=session, case_id=rows[0].payload["case_id"])
    if view.case.slack_ts:  # posted before a crash kept us from marking the row: never post twice
        return view.case.slack_channel, view.case.slack_ts
    source = session.get(Source, view.mention.source_id)
    message = render_card(view, now=out.now, source_name=source.name if source else "",
                          can_dismiss=managers_configured(out.slack))
    place = _complaint_place(out, session, view.case.brand_id, view.brand)
    channel, ts = out.post(rows, channel=place.channel, thread_ts=place.thread_ts, message=message)
    record_card(session=session, case_id=view.case.id, channel=channel, ts=ts)
    return channel, ts


def managers_configured(slack) -> bool:
    """Someone may dismiss: without managers nobody can, so the card does not offer "Not a complaint"."""
    return bool(slack.managers or slack.manager_group)


def send_flood_summary(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str, str]:
    views = [case_view(session=session, case_id=row.payload["case_id"]) for row in rows]
    message = render_flood_summary(views[0].brand, views, now=out.now)
    log.info("%d new cards for %s at once: posting one summary", len(rows), views[0].brand)
    place = _complaint_place(out, session, views[0].case.brand_id, views[0].brand)
    return out.post(rows, channel=place.channel, thread_ts=place.thread_ts, message=message)


def send_update_card(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str | None, str | None]:
    view = case_view(session=session, case_id=rows[0].payload["case_id"])
    if not view.case.slack_ts:
        return None, None  # not posted yet (it will show the newest state) or folded into a summary
    source = session.get(Source, view.mention.source_id)
    out.update(channel=view.case.slack_channel, ts=view.case.slack_ts,
               message=render_card(view, now=out.now, source_name=source.name if source else "",
                                   can_dismiss=managers_configured(out.slack)))
    return view.case.slack_channel, view.case.slack_ts


def send_thread_note(out: Outlet, session: Session, rows: list[Outbox]) -> tuple[str, str]:
    row = rows[0]
    case_id = row.payload["case_id"]
    event = get_event(session=session, event_id=row.payload["event_id"])
    if event is None:
        raise DeliveryError("the event is gone", permanent=True)
    channel, ts = _card_place(session, case_id)
    earlier = [f"thread:{event_id}" for event_id in
               earlier_events(session=session, case_id=case_id, before_event_id=event.id)]
    waiting = [r for r in rows_by_keys(session=session, dedupe_keys=earlier) if r.status == "pending"]
    if waiting:
        raise NotYet("an earlier thread line is still waiting",
                     until=max(min(r.next_attempt_at for r in waiting), out.now) + timedelta(seconds=1))
    return out.post(rows, channel=channel, thread_ts=ts, message=render_event(event, case_id=case_id))


def _card_place(session: Session, case_id: int) -> tuple[str, str]:
    """Where a case's thread lines go: under its card, or under the flood summary that listed it."""
    view = case_view(session=session, case_id=case_id)
    if view.case.slack_ts and view.case.slack_channel:
        return view.case.slack_channel, view.case.slack_ts
    card = rows_by_keys(session=session, dedupe_keys=[f"card:{case_id}"])
    if card and card[0].status == "failed":
        raise DeliveryError("the card was never posted", permanent=True)
    summary = sent_result(session=session, dedupe_key=f"card:{case_id}")
    if summary is not None and summary.result_ts and summary.result_channel:
        return summary.result_channel, summary.result_ts
    raise NotYet("waiting for the card to be posted")


def _complaint_place(out: Outlet, session: Session, brand_id: int, brand: str) -> CardPlace:
    """Where a brand's complaint card goes now; the first card folded into an alert asks for the pointer."""
    alert = spikes.live_alert(session=session, brand_id=brand_id)
    post_failed = False
    if alert is not None and not alert.slack_ts:
        posted = rows_by_keys(session=session, dedupe_keys=[f"spike:{alert.id}"])
        post_failed = not posted or posted[0].status == "failed"
    place = complaint_card_place(
        support_channel=out.slack.support_channel, alert_id=alert.id if alert else None,
        alert_channel=alert.slack_channel if alert else None, alert_ts=alert.slack_ts if alert else None,
        alert_post_failed=post_failed)
    if place.wait:
        raise NotYet("waiting for the brand's spike alert to be posted")
    if place.alert_id is not None:
        enqueue(session=session, kind="spike_pointer", dedupe_key=f"spike-pointer:{place.alert_id}",
                payload={"alert_id": place.alert_id, "brand": brand}, channel=out.slack.support_channel,
                now=out.now)
    return place


@dataclass(frozen=True)
class CardPlace:
    channel: str
    thread_ts: str | None = None
    alert_id: int | None = None  # the card is folded into this alert's thread
    wait: bool = False  # the alert is about to be posted: hold the card until it is


def complaint_card_place(*, support_channel: str, alert_id: int | None, alert_channel: str | None,
                         alert_ts: str | None, alert_post_failed: bool = False) -> CardPlace:
    """Where a complaint card goes: the support channel, or the thread of the brand's standing spike alert."""
    if alert_id is None:
        return CardPlace(support_channel)
    if alert_ts and alert_channel:
        return CardPlace(alert_channel, thread_ts=alert_ts, alert_id=alert_id)
    if alert_post_failed:
        return CardPlace(support_channel)
    return CardPlace(support_channel, wait=True)
