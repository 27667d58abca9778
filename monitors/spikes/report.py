"""What an alert card shows, gathered from storage: the alert, its brand, the posts and words driving it, and the
last 48 hours of negative mentions for its chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from monitors.digest.terms import brand_terms, top_terms
from monitors.spikes.watch import floor_to, series
from storage import spikes as store
from storage.models import Brand, SpikeAlert

CHART_SPAN = timedelta(hours=48)


class AlertGone(LookupError):
    pass


@dataclass(frozen=True)
class AlertReport:
    alert: SpikeAlert
    brand: str
    posts: list[store.SpikePost]
    terms: list[tuple[str, int]]


def alert_report(*, session: Session, alert_id: int, posts: int = 3, terms: int = 6) -> AlertReport:
    alert = store.get_alert(session=session, alert_id=alert_id)
    if alert is None:
        raise AlertGone(f"there is no spike alert #{alert_id}")
    brand = session.get(Brand, alert.brand_id)
    name = brand.name if brand else f"brand {alert.brand_id}"
    start, end = alert.window_start, alert.window_end
    top = store.top_negative_posts(session=session, brand_id=alert.brand_id, start=start, end=end, limit=posts)
    texts = store.negative_texts(session=session, brand_id=alert.brand_id, start=start, end=end)
    exclude = brand_terms([(name, brand.query if brand else "")])
    return AlertReport(alert, name, top, top_terms(texts, exclude=exclude, limit=terms))


def chart_points(*, session: Session, alert: SpikeAlert, now: datetime, step: timedelta) -> list[tuple[datetime, int]]:
    """Negative mentions per bucket over the 48 hours before now (or before the alert ended)."""
    end = floor_to(min(now, (alert.ended_at or now) + timedelta(hours=1)), step)
    start = end - CHART_SPAN
    counts = store.negative_counts(session=session, brand_id=alert.brand_id, start=start, end=end + step, step=step)
    return series(counts, start, end, step)
