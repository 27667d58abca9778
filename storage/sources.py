"""Brands and sources as stored: syncing them from the config, leasing due sources, and per-source health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.lease import lease_rows
from storage.models import Brand, Source


@dataclass(frozen=True)
class BrandSpec:
    name: str
    query: str
    exclude: list[str]
    handles: dict[str, list[str]]
    competitor: bool


@dataclass(frozen=True)
class SourceSpec:
    name: str
    kind: str
    url: str
    params: dict[str, Any]
    brands: list[str]
    interval_seconds: int
    enabled: bool


def sync_brands(*, session: Session, specs: list[BrandSpec]) -> dict[str, int]:
    """Make the brand table say what the config says (brands are never deleted: mentions point at them)."""
    existing = {b.name: b for b in session.exec(select(Brand)).all()}
    for spec in specs:
        brand = existing.get(spec.name) or Brand(name=spec.name, query=spec.query)
        brand.query, brand.exclude, brand.handles, brand.competitor = (
            spec.query, list(spec.exclude), dict(spec.handles), spec.competitor)
        session.add(brand)
        existing[spec.name] = brand
    session.flush()
    return {name: brand.id for name, brand in existing.items()}


def sync_sources(*, session: Session, specs: list[SourceSpec], now: datetime) -> dict[str, int]:
    """Create or update sources from the config. A changed URL or kind forgets the old conditional-GET state and
    health; a source that left the config is disabled, not deleted (its mentions stay)."""
    existing = {s.name: s for s in session.exec(select(Source)).all()}
    for spec in specs:
        source = existing.get(spec.name)
        if source is None:
            source = Source(name=spec.name, kind=spec.kind, url=spec.url, next_poll_at=now)
        elif (source.kind, source.url, source.params) != (spec.kind, spec.url, spec.params):
            source.etag = source.last_modified = source.cursor = source.disabled_reason = None
            source.consecutive_failures, source.next_poll_at = 0, now
        source.kind, source.url, source.params, source.brands = spec.kind, spec.url, dict(spec.params), list(spec.brands)
        source.interval_seconds, source.enabled = spec.interval_seconds, spec.enabled
        session.add(source)
        existing[spec.name] = source
    for name, source in existing.items():
        if name not in {s.name for s in specs} and source.enabled:
            source.enabled = False
            source.disabled_reason = "removed from the configuration"
            session.add(source)
    session.flush()
    return {name: source.id for name, source in existing.items()}


def lease_due_sources(
    *, session: Session, now: datetime, owner: str, lease: timedelta, limit: int | None = 1000,
    all_enabled: bool = False,
) -> list[Source]:
    """Take the sources due for a poll (at most `limit`, None for all) and lease them to `owner`, so other
    workers skip them until the lease ends. `all_enabled` takes every enabled source regardless of its schedule
    (`earful poll --once`).
    Safe with several workers on SQLite and PostgreSQL alike (see storage.lease)."""
    due = select(Source.id).where(
        Source.enabled == True,  # noqa: E712  (SQL expression)
        col(Source.disabled_reason).is_(None),
        sa.or_(col(Source.lease_until).is_(None), col(Source.lease_until) <= now),
    )
    if not all_enabled:
        due = due.where(sa.or_(col(Source.next_poll_at).is_(None), col(Source.next_poll_at) <= now))
    due = due.order_by(col(Source.next_poll_at), col(Source.id)).limit(limit)
    return lease_rows(session, Source, due, {"lease_owner": owner, "lease_until": now + lease})


def renew_leases(*, session: Session, source_ids: list[int], owner: str, until: datetime) -> int:
    """Extend `owner`'s leases on sources still being polled; a lease another worker took since is left alone."""
    if not source_ids:
        return 0
    result = session.execute(
        sa.update(Source).where(col(Source.id).in_(source_ids), Source.lease_owner == owner)
        .values(lease_until=until)
    )
    return result.rowcount


def release_leases(*, session: Session, source_ids: list[int], owner: str) -> int:
    """Hand back `owner`'s leases unpolled (the cycle stopped early): the sources are due again at once."""
    if not source_ids:
        return 0
    result = session.execute(
        sa.update(Source).where(col(Source.id).in_(source_ids), Source.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )
    return result.rowcount


def record_success(
    *, session: Session, source_id: int, now: datetime, next_poll_at: datetime, status: int | None,
    etag: str | None, last_modified: str | None, cursor: str | None, items: int, warning: str | None = None,
) -> None:
    session.execute(
        sa.update(Source).where(Source.id == source_id).values(
            last_success_at=now, next_poll_at=next_poll_at, last_status=status, etag=etag,
            last_modified=last_modified, cursor=cursor, last_item_count=items, consecutive_failures=0,
            last_error=warning, last_error_at=now if warning else None, lease_owner=None, lease_until=None,
        )
    )


def record_failure(
    *, session: Session, source_id: int, now: datetime, next_poll_at: datetime, status: int | None, error: str,
    disable_reason: str | None = None,
) -> None:
    session.execute(
        sa.update(Source).where(Source.id == source_id).values(
            consecutive_failures=Source.consecutive_failures + 1, last_status=status, last_error=error[:1000],
            last_error_at=now, next_poll_at=next_poll_at, disabled_reason=disable_reason,
            lease_owner=None, lease_until=None,
        )
    )


def source_health(*, session: Session) -> list[Source]:
    return list(session.exec(select(Source).order_by(col(Source.name))).all())


def brands(*, session: Session) -> list[Brand]:
    return list(session.exec(select(Brand).order_by(col(Brand.id))).all())
