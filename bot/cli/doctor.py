"""`earful doctor`: check the Slack setup and say what to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from bot.cli import app
from bot.cli._common import ConfigOption, err, load_or_exit
from monitors.config import Secrets


@app.command()
def doctor(config: Optional[Path] = ConfigOption) -> None:
    """Check the Slack tokens, scopes, and that the bot is in every configured channel; says what to fix."""
    from bot.slack.doctor import run_checks

    findings = run_checks(load_or_exit(config), Secrets.from_env())
    for finding in findings:
        fine = finding.ok and not finding.warning
        mark = "[green]ok[/]  " if fine else ("[yellow]note[/]" if finding.ok else "[red]FIX[/] ")
        err.print(f"{mark} {finding.what}", soft_wrap=True, highlight=False)
        if finding.fix and not fine:
            err.print(f"       → {finding.fix}", soft_wrap=True, markup=False)
    problems = sum(1 for f in findings if not f.ok)
    problems += _given_up(Secrets.from_env())
    err.print(f"{problems} problem(s) to fix." if problems else "Slack is set up.")
    raise typer.Exit(1 if problems else 0)


def _given_up(secrets: Secrets) -> int:
    """Messages the outbox gave up on never reached Slack: listed with their errors, one problem in all."""
    from storage.db import StorageError, open_database, session_scope
    from storage.ops import given_up

    try:
        engine = open_database(secrets.database_url)
    except StorageError as exc:
        err.print(f"[yellow]note[/] the database could not be read, so undelivered messages are not checked: {exc}",
                  soft_wrap=True)
        return 0
    try:
        with session_scope(engine) as session:
            found = given_up(session=session, limit=5)
    finally:
        engine.dispose()
    if not found.count:
        err.print("[green]ok[/]   no Slack message was given up on", soft_wrap=True)
        return 0
    noun = "message was" if found.count == 1 else "messages were"
    err.print(f"[red]FIX[/]  {found.count} Slack {noun} given up on and never delivered; the latest:", soft_wrap=True)
    for kind, channel, error, created in found.latest:
        err.print(f"       {created:%Y-%m-%d %H:%M} UTC {kind} to {channel or 'its channel'}: {error or 'no error kept'}",
                  soft_wrap=True, markup=False)
    err.print("       → fix what the errors say (often: invite the bot, or a new token); they are not retried",
              soft_wrap=True, markup=False)
    return 1
