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

    loaded = load_or_exit(config)
    problems = Secrets.from_env().problems()
    for problem in problems:
        err.print(f"  environment: {problem}", markup=False)
    if problems:
        raise typer.Exit(2)
    print(f"{config_path(config)}: OK — {len(loaded.brands)} brand(s), {len(loaded.sources)} source(s)")
