"""`earful poll --once`: poll every enabled source once, store, print a per-source summary."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli import app
from bot.cli._common import ConfigOption, err, fail, load_or_exit, setup_logging
from bot.cli.interrupt import EXIT_INTERRUPTED, Interrupts
from monitors.config import Secrets
from monitors.heap import settle_after_startup
from storage.db import StorageError


@app.command()
def poll(
    once: bool = typer.Option(False, "--once", help="Poll every enabled source once and exit."),
    config: Optional[Path] = ConfigOption,
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="Log debug detail, including Slack's and the libraries' own."),
) -> None:
    """Poll sources and store what they found. Exits 0 when the cycle ran, even if some sources failed."""
    from bot.runtime import Runtime

    setup_logging(verbose)
    if not once:
        raise fail("use `earful poll --once` for one cycle, or `earful run` to keep polling on schedule")
    loaded = load_or_exit(config)
    try:
        runtime = Runtime.build(loaded, Secrets.from_env())
    except StorageError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:  # Ctrl-C while the database was being opened: nothing was leased yet
        err.print("poll interrupted before any source was polled", markup=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    settle_after_startup()
    out = Console()
    # Ctrl-C stops the cycle: fetches in flight are dropped and the sources not done are handed back
    interrupts = Interrupts(runtime.poller.stop, signals=(signal.SIGINT, signal.SIGTERM))
    outcomes, skipped, total = [], [], 0
    try:
        with interrupts, Progress(TextColumn("polling"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("{task.description}"), TimeElapsedColumn(),
                                  console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("", total=None)

            def advance(outcome, done, count):
                nonlocal total
                total = count
                progress.update(task, completed=done, total=count, description=outcome.name)

            outcomes = runtime.poller.poll_due(runtime.clock(), all_enabled=True, on_progress=advance)
        if not interrupts.stopping.is_set():
            skipped = _not_polled(runtime, {o.name for o in outcomes})
    finally:
        runtime.close()
    if interrupts.stopping.is_set():
        left = f" of {total}" if total else ""
        err.print(f"poll interrupted after {len(outcomes)}{left} source(s); the others were handed back and the "
                  "next poll takes them", markup=False)
        raise typer.Exit(interrupts.exit_code)
    table = Table(title=f"{len(outcomes)} source(s) polled", title_justify="left")
    for column in ("source", "kind", "fetched", "new", "complaints", "errors"):
        table.add_column(column, justify="right" if column in ("fetched", "new", "complaints") else "left")
    for o in sorted(outcomes, key=lambda o: o.name):
        note = o.error or ("; ".join(o.warnings) if o.warnings else ("not modified" if o.not_modified else ""))
        table.add_row(escape(o.name), o.kind, str(o.fetched), str(o.new), str(o.complaints),
                      f"[red]{escape(o.error)}[/]" if o.error else escape(note))
    for line in skipped:  # not polled, and saying why rather than missing from the table
        table.add_row(escape(line.name), escape(line.kind), "", "", "",
                      f"[yellow]not polled: {escape(line.state)}[/]" + (f": {escape(line.why)}" if line.why else ""))
    totals = [sum(getattr(o, k) for o in outcomes) for k in ("fetched", "new", "complaints")]
    table.add_row("total", "", *map(str, totals), f"{sum(1 for o in outcomes if o.error)} failed", end_section=True)
    out.print(table)


def _not_polled(runtime, polled: set[str]):
    """The configured sources this cycle left out (disabled, or leased by another worker), as `earful sources`
    describes them."""
    from bot.cli.sources import source_line
    from storage.db import session_scope
    from storage.sources import source_health

    configured = {source.name for source in runtime.config.sources}
    now = runtime.clock()
    with session_scope(runtime.engine) as session:
        return [source_line(source, now) for source in source_health(session=session)
                if source.name in configured and source.name not in polled]
