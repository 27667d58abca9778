"""`earful backtest`: run the spike detector over past counts and print what it would have flagged."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import typer
from rich.markup import escape

from bot.cli import app
from bot.cli._common import fail
from monitors.backtest import OUTPUT_HEADER, SeriesError, parse_series, result_rows


@app.command()
def backtest(
    series: Path = typer.Option(..., "--series", help="CSV of 'timestamp,value' rows: counts per fixed interval."),
) -> None:
    """Replay counts through the spike detector, online, and write timestamp,value,anomaly_score,alert."""
    # A later `--brand NAME --since 30d` mode loads (datetime, count) pairs from storage and feeds them to
    # monitors.backtest.replay the same way; only the source of the points differs.
    try:
        with series.open(newline="", encoding="utf-8-sig") as handle:
            rows = parse_series(handle)
    except OSError as exc:
        raise fail(escape(f"cannot read {series}: {exc.strerror or exc}")) from None
    except UnicodeDecodeError:
        raise fail(escape(f"cannot read {series}: not UTF-8 text")) from None
    except SeriesError as exc:
        raise fail(escape(f"{series}: {exc}")) from None
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(OUTPUT_HEADER)
    writer.writerows(result_rows(rows))
