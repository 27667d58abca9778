"""`earful check-config`: validate the configuration and the environment, list every problem with its place."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from bot.cli import app
from bot.cli._common import ConfigOption, config_path, err, load_or_exit
from monitors.config import Secrets


@app.command("check-config")
def check_config(config: Optional[Path] = ConfigOption) -> None:
    """Validate the config file and the secrets in the environment."""
    import typer

    import os

    from monitors.configure import setup_problems

    loaded = load_or_exit(config)
    problems = [f"environment: {problem}" for problem in Secrets.from_env().problems()]
    problems += setup_problems(loaded, os.environ)
    if problems:
        err.print(f"{config_path(config)} cannot work as it is: {len(problems)} problem(s):", markup=False,
                  soft_wrap=True)
    for problem in problems:
        err.print(f"  {problem}", markup=False, soft_wrap=True)
    if problems:
        raise typer.Exit(2)
    print(f"{config_path(config)}: OK — {len(loaded.brands)} brand(s), {len(loaded.sources)} source(s)")
