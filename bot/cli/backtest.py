"""`earful backtest`: run the spike detector over past counts and print what it would have flagged.

`--series FILE.csv` replays a CSV and writes one scored row per timestamp (the benchmark contract); what it did
to the input (repeated timestamps added up, values that are not counts skipped) goes to stderr as notes.
`--brand NAME --since 30d` replays a brand's stored negative mentions, bucketed as the live check buckets them,
with the current settings, and lists the alerts that would have fired.
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import typer
from rich.markup import escape

from bot.cli import app
from bot.cli._common import ConfigOption, database_or_exit, fail, load_or_exit
from bot.clock import utcnow
from monitors.spikes.backtest import OUTPUT_HEADER, SeriesError, parse_series, replay, result_rows
from monitors.config import Secrets, parse_duration
from monitors.spikes.watch import detector_settings, stored_series
from monitors.spikes.detector import human_span
from storage.db import session_scope
from storage.spikes import brand_id_by_name


@app.command()
def backtest(
    series: Path | None = typer.Option(None, "--series",
                                       help="CSV of 'timestamp,value' rows: counts per fixed interval."),
    brand: str | None = typer.Option(None, "--brand", help="Replay this brand's stored negative mentions instead."),
    since: str = typer.Option("30d", "--since", help="With --brand: how far back, e.g. 30d, 12h."),
    until: str | None = typer.Option(None, "--until", help="With --brand: replay up to this UTC time "
                                     "(YYYY-MM-DDTHH:MM) instead of now."),
    config: Path | None = ConfigOption,
) -> None:
    """Replay counts through the spike detector, online, and show what it would have flagged."""
    if (series is None) == (brand is None):
        raise fail("give either --series FILE.csv or --brand NAME")
    if brand is not None:
        _brand_backtest(brand, since, until, config)
        return
    try:
        with series.open(newline="", encoding="utf-8-sig") as handle:
            parsed = parse_series(handle)
    except OSError as exc:
        raise fail(escape(f"cannot read {series}: {exc.strerror or exc}")) from None
    except UnicodeDecodeError:
        raise fail(escape(f"cannot read {series}: not UTF-8 text")) from None
    except SeriesError as exc:
        raise fail(escape(f"{series}: {exc}")) from None
    for note in parsed.notes:  # stdout stays the scored table; what was done to the input goes beside it
        typer.echo(f"note: {series}: {note}", err=True)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(OUTPUT_HEADER)
    writer.writerows(result_rows(parsed.rows))


def _brand_backtest(name: str, since: str, until: str | None, config_file: Path | None) -> None:
    config = load_or_exit(config_file)
    try:
        span = timedelta(seconds=parse_duration(since))
    except ValueError as exc:
        raise fail(escape(f"--since: {exc}")) from None
    end = utcnow()
    if until is not None:
        try:
            end = datetime.fromisoformat(until)
        except ValueError:
            raise fail(escape(f"--until: {until!r} is not a time like 2026-11-05T14:00")) from None
        end = end.replace(tzinfo=timezone.utc) if end.tzinfo is None else end.astimezone(timezone.utc)
    step = timedelta(seconds=config.schedule.spike_check_interval)
    settings = detector_settings(config.spikes)
    engine = database_or_exit(Secrets.from_env())
    with session_scope(engine) as session:
        brand_id = brand_id_by_name(session=session, name=name)
        if brand_id is None:
            raise fail(escape(f"there is no brand {name!r} in the database (run `earful poll --once` first?)"))
        points = stored_series(session=session, brand_id=brand_id, start=end - span, end=end, step=step)
    out = typer.echo
    if not points:
        out(f"{name}: no stored mentions in the last {human_span(span)}; nothing to replay.")
        return
    first, last = points[0][0], points[-1][0] + step
    out(f"{name}: {len(points)} buckets of {human_span(step)} from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} "
        f"UTC, {sum(n for _, n in points)} negative mentions; sensitivity {settings.burst_sigma:g} robust σ "
        f"(raised to the brand's most unusual moment so far, which counts half after "
        f"{human_span(settings.record_half_life)}; {settings.alert_multiple:g}× normal always counts), "
        f"at least {settings.min_count:g} mentions, cooldown {human_span(settings.cooldown)}")
    fired = [verdict for verdict in replay(points, settings) if verdict.alert]
    for verdict in fired:
        why = verdict.explanation
        out(f"{verdict.at + step:%Y-%m-%d %H:%M} UTC  observed {why.observed:g} vs expected {why.expected:.1f}  "
            f"({why.signal}, score {verdict.score:.2f}): {why.text('negative mentions')}")
    out(f"{len(fired)} alert{'s' if len(fired) != 1 else ''} would have fired.")
