"""`earful digest --print [--date YYYY-MM-DD]`: the managers' digest as text, the same content Slack gets."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Optional

import typer

from bot.cli import app
from bot.cli._common import ConfigOption, database_or_exit, fail, load_or_exit


@app.command()
def digest(
    print_: bool = typer.Option(False, "--print", help="Print the digest as text."),
    day: Optional[str] = typer.Option(None, "--date", help="The (last) local day it covers (default: yesterday).",
                                      metavar="YYYY-MM-DD"),
    weekly: bool = typer.Option(False, "--weekly", help="The seven days ending on --date instead of one day."),
    brand: Optional[str] = typer.Option(None, "--brand", help="Only this brand (and its competitors)."),
    chart: Optional[Path] = typer.Option(None, "--chart", help="Also write the chart to this PNG file."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Compose the digest for a day (or a week) and print it; scheduled digests are sent by `earful run`."""
    from bot.clock import utcnow
    from bot.messages.digest import digest_text
    from monitors.digest.chart import render_chart
    from monitors.config import Secrets
    from monitors.digest.period import daily, local_date, weekly_ending
    from monitors.digest.run import UnknownBrand, gather
    from storage.db import session_scope
    from storage.rollup import refresh_rollup

    if not print_:
        raise fail("say --print to print the digest (`earful run` sends the scheduled ones to Slack)")
    if chart is not None:  # said before any work, not after the digest is printed
        if chart.suffix.lower() != ".png":
            raise fail(f"--chart {chart}: the chart is a PNG; give a file name ending in .png")
        if not chart.parent.is_dir():
            raise fail(f"--chart {chart}: there is no folder {chart.parent}")
    loaded = load_or_exit(config)
    zone = loaded.schedule.timezone
    now = utcnow()
    try:
        last = date.fromisoformat(day) if day else local_date(now, zone) - timedelta(days=1)
    except ValueError:
        raise fail(f"--date {day!r} is not a date; write it as YYYY-MM-DD") from None
    period = weekly_ending(last, zone) if weekly else daily(last, zone)
    engine = database_or_exit(Secrets.from_env())
    while True:  # count what was stored since the last refresh, so the figures are read from the rollup
        with session_scope(engine) as session:
            if not refresh_rollup(session=session, now=now):
                break
    try:
        with session_scope(engine) as session:
            composed = gather(session=session, period=period, now=now, focus=brand)
    except UnknownBrand as exc:
        raise fail(str(exc)) from None
    print(digest_text(composed), end="")
    if chart is not None:
        try:
            chart.write_bytes(render_chart(composed.chart))
        except OSError as exc:
            raise fail(f"--chart {chart}: cannot write it ({exc.strerror})") from None
        print(f"\nChart: {chart}")
