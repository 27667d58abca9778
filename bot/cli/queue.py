"""`earful queue [--json]`: the open cases, most urgent first."""

from __future__ import annotations

import json
from typing import Optional

import typer

from bot.cli import app
from bot.cli._common import database_or_exit
from monitors.config import Secrets


@app.command()
def queue(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per case."),
    brand: Optional[str] = typer.Option(None, help="Only this brand's cases."),
    limit: int = typer.Option(100, min=1, help="At most this many cases."),
) -> None:
    """List open, claimed and snoozed cases, most urgent first."""
    from bot.actions import queue_text, source_names
    from bot.cli._common import fail
    from storage.sources import brands
    from bot.clock import utcnow
    from storage.cases import open_queue
    from storage.db import session_scope

    engine = database_or_exit(Secrets.from_env())
    now = utcnow()
    with session_scope(engine) as session:
        known = [b.name for b in brands(session=session)]
        if brand is not None and brand.lower() not in {name.lower() for name in known}:
            raise fail(f"--brand {brand!r}: there is no such brand; the brands are: {', '.join(known) or 'none yet'}")
        views = open_queue(session=session, brand=brand, limit=limit)
        sources = source_names(session=session)
    if not as_json:
        print(queue_text(views, now=now, empty="The queue is empty.", sources=sources))
        return
    for view in views:
        case, mention = view.case, view.mention
        print(json.dumps({
            "id": case.id, "brand": view.brand, "status": case.status, "priority": case.priority,
            "claimed_by": case.claimed_by, "opened_at": case.opened_at.isoformat(),
            "sla_due_at": case.sla_due_at.isoformat() if case.sla_due_at else None,
            "overdue": bool(case.sla_due_at and case.sla_due_at < now),
            "url": mention.url, "source": sources.get(mention.source_id), "mention_id": mention.id,
            "author": mention.author, "text": mention.text,
            "complaint_score": mention.complaint_score, "cues": mention.complaint_cues,
        }))
