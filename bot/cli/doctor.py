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
    err.print(f"{problems} problem(s) to fix." if problems else "Slack is set up.")
    raise typer.Exit(1 if problems else 0)
