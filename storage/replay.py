"""Signed requests already accepted: a replay of one is refused while its timestamp would still be accepted.
Push requests are keyed by their signature; Slack requests by a key that their retries share too
(bot/slack/repeats.py).

The row is written in the same transaction as the request's own writes, so a request whose storing failed can
be sent again, and of two identical requests racing on two workers exactly one commits (the other's insert
meets the first's row and finds nothing to insert).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from storage.models import SeenSignature
from storage.upsert import insert_ignore


def signature_seen(*, session: Session, signature: str, since: datetime) -> bool:
    return session.exec(select(SeenSignature.signature).where(
        SeenSignature.signature == signature, col(SeenSignature.seen_at) >= since)).first() is not None


def record_signature(*, session: Session, signature: str, now: datetime, keep: timedelta) -> bool:
    """True when `signature` is new (it is now recorded); False when it was recorded within `keep`. Rows older
    than `keep` are pruned first, so the table holds only the last few minutes."""
    session.exec(delete(SeenSignature).where(col(SeenSignature.seen_at) < now - keep))
    return insert_ignore(session, SeenSignature, [{"signature": signature, "seen_at": now}],
                         keys=["signature"]) == 1
