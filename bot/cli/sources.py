"""`earful sources`: every source with its state, last success, last error and next poll; a disabled one says
why. `earful poll --once` uses the same lines for the sources it did not poll."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

import typer

from bot.cli import app
from bot.cli._common import ConfigOption, database_or_exit, load_or_exit

REMOVED = "removed from the configuration"


@dataclass(frozen=True)
class SourceLine:
    name: str
    kind: str
    state: str  # ok, not modified, failing, backing off, disabled, removed, never polled
    why: str  # what the state needs said: the disabling reason, the failure count, a warning
    last_success: str
    last_error: str
    next_poll: str


def when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    if abs(seconds) < 60:
        relative = "just now"
    else:
        relative = _span(abs(seconds))
        relative = f"{relative} ago" if seconds > 0 else f"in {relative}"
    return f"{moment:%Y-%m-%d %H:%M} UTC ({relative})"


def _span(seconds: int) -> str:
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if unit == 'day' and count != 1 else ''}"
    return f"{seconds} s"


def source_line(source, now: datetime) -> SourceLine:
    """How one stored source (storage.models.Source) stands at `now`, in words."""
    error = (source.last_error or "").strip()
    last_error = f"{when(source.last_error_at, now)}: {error}" if error else ""
    next_poll = when(source.next_poll_at, now) if source.next_poll_at and source.next_poll_at > now else "due now"
    if source.lease_until is not None and source.lease_until > now:
        next_poll = f"being polled (by {source.lease_owner or 'a worker'})"
    if source.disabled_reason == REMOVED:
        state, why, next_poll = "removed", "no longer in the configuration; its mentions are kept", "never"
    elif source.disabled_reason:
        state, why, next_poll = "disabled", source.disabled_reason, "never (until its url changes)"
    elif not source.enabled:
        state, why, next_poll = "disabled", "enabled = false in the configuration", "never"
    elif source.consecutive_failures:
        times = "once" if source.consecutive_failures == 1 else f"{source.consecutive_failures} times in a row"
        backing_off = source.next_poll_at is not None and source.next_poll_at > now
        state, why = ("backing off" if backing_off else "failing"), f"failed {times}"
    elif source.last_success_at is None:
        state, why = "never polled", ""
    else:
        state = "not modified" if source.last_status == 304 else "ok"  # a 304 is a healthy answer
        why = f"warning: {error}" if error else ""
        last_error = ""  # a warning of a successful poll is not an error
    return SourceLine(name=source.name, kind=source.kind, state=state, why=why,
                      last_success=when(source.last_success_at, now), last_error=last_error, next_poll=next_poll)


@app.command()
def sources(
    config: Optional[Path] = ConfigOption,
    as_json: bool = typer.Option(False, "--json", help="One JSON object per source."),
) -> None:
    """List every source: its state (a disabled one says why), last success, last error and next poll."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from bot.clock import utcnow
    from monitors.config import Secrets
    from monitors.sync import apply_config
    from storage.db import session_scope
    from storage.sources import source_health

    loaded = load_or_exit(config)
    engine = database_or_exit(Secrets.from_env())
    now = utcnow()
    apply_config(engine, loaded, now=now)  # what a worker starting now would do: the config's sources, as it says
    with session_scope(engine) as session:
        lines = [source_line(source, now) for source in source_health(session=session)]
    engine.dispose()
    if as_json:
        for line in lines:
            print(json.dumps(asdict(line)))
        return
    table = Table(title=f"{len(lines)} source(s)", title_justify="left")
    for column in ("source", "kind", "state", "last success", "last error", "next poll"):
        table.add_column(column)
    for line in lines:
        state = escape(f"{line.state}: {line.why}" if line.why else line.state)
        colour = {"failing": "red", "backing off": "red", "disabled": "yellow"}.get(line.state)
        table.add_row(*map(escape, (line.name, line.kind)), f"[{colour}]{state}[/]" if colour else state,
                      *map(escape, (line.last_success, line.last_error, line.next_poll)))
    Console().print(table)
