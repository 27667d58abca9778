"""`earful stats [--since 7d] [--brand NAME]`: median and p90 time to claim, to first reply and to resolve."""

from __future__ import annotations

from datetime import timedelta
from typing import Optional

import typer

from bot.cli import app
from bot.cli._common import database_or_exit, fail
from monitors.config import Secrets, parse_duration


@app.command()
def stats(
    since: str = typer.Option("7d", help="How far back to look at opened cases (e.g. 24h, 7d, 30d)."),
    brand: Optional[str] = typer.Option(None, help="Only this brand's cases."),
) -> None:
    """Response times per brand and per agent for the cases opened in a period."""
    from bot.clock import utcnow
    from monitors.cases.response_times import CaseTimes, stats_table
    from storage.case_times import case_times
    from storage.db import session_scope
    from storage.sources import brands

    try:
        window = timedelta(seconds=parse_duration(since))
    except ValueError as exc:
        raise fail(f"--since: {exc}") from None
    engine = database_or_exit(Secrets.from_env())
    now = utcnow()
    with session_scope(engine) as session:
        known = [b.name for b in brands(session=session)]
        if brand is not None and brand.lower() not in {name.lower() for name in known}:
            raise fail(f"--brand {brand!r}: there is no such brand; the brands are: {', '.join(known) or 'none yet'}")
        rows = case_times(session=session, since=now - window, brand=brand)
    print(stats_table([CaseTimes(*row) for row in rows], since=now - window, now=now))
