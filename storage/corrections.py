"""The stored correction to the complaint model (one JSON state per scope), read and written as plain dicts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, delete, select

from storage.models import DetectorCorrection

WORKSPACE = ""


def load_state(*, session: Session, scope: str = WORKSPACE) -> dict | None:
    row = session.exec(select(DetectorCorrection.state).where(DetectorCorrection.scope == scope)).first()
    return row if isinstance(row, dict) else None


def lock_state(*, session: Session, scope: str = WORKSPACE) -> dict | None:
    """The state, with its row locked until the transaction ends (PostgreSQL), so two verdicts given at once on
    two workers are applied one after the other rather than one overwriting the other."""
    row = session.exec(select(DetectorCorrection).where(DetectorCorrection.scope == scope).with_for_update()).first()
    return row.state if row is not None and isinstance(row.state, dict) else None


def save_state(*, session: Session, state: dict, verdicts: int, now: datetime, scope: str = WORKSPACE) -> None:
    row = session.get(DetectorCorrection, scope)
    if row is None:
        session.add(DetectorCorrection(scope=scope, state=state, verdicts=verdicts, updated_at=now))
    else:
        row.state, row.verdicts, row.updated_at = state, verdicts, now
        session.add(row)
    session.flush()


def forget_state(*, session: Session, scope: str = WORKSPACE) -> bool:
    """Drop the correction (the detector is the shipped model again); True if there was one."""
    return session.exec(delete(DetectorCorrection).where(DetectorCorrection.scope == scope)).rowcount > 0
