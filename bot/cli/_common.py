"""What every command needs: the config, the database, clear errors instead of tracebacks."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import sqlalchemy as sa
import typer
from rich.console import Console

from monitors.config import Config, ConfigError, Secrets
from monitors.configure import load_config
from storage.db import StorageError, open_database

DEFAULT_CONFIG = "earful.toml"
err = Console(stderr=True, highlight=False)

ConfigOption = typer.Option(
    None, "--config", "-c", help="The TOML configuration file (default: $EARFUL_CONFIG or ./earful.toml).",
    show_default=False,
)


def config_path(path: Path | None) -> Path:
    return path or Path(os.environ.get("EARFUL_CONFIG") or DEFAULT_CONFIG)


def fail(message: str, code: int = 2) -> "typer.Exit":
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def load_or_exit(path: Path | None) -> Config:
    path = config_path(path)
    try:
        return load_config(path)
    except ConfigError as exc:
        if len(exc.problems) == 1:
            raise fail(f"{path}: {exc.problems[0]}") from None
        err.print(f"[bold red]{path}[/] has {len(exc.problems)} problems:", soft_wrap=True)
        for problem in exc.problems:
            err.print(f"  {problem}", soft_wrap=True, markup=False)
        raise typer.Exit(2) from None


def database_or_exit(secrets: Secrets) -> sa.Engine:
    try:
        return open_database(secrets.database_url)
    except StorageError as exc:
        raise fail(str(exc)) from None


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not verbose:
        # slack_sdk logs every failed request before raising it, and Earful reports each failure itself in
        # one line (the outbox's retries, `earful doctor`, a failed start): without --verbose, once is enough
        logging.getLogger("slack_sdk.web.base_client").setLevel(logging.CRITICAL)
    # APScheduler says at WARNING that a job still running skipped a turn, or ran late after a pause: how a
    # schedule works, not a problem; shown as INFO, and only with --verbose
    for name in ("apscheduler.scheduler", "apscheduler.executors.default"):  # a filter holds for its own logger
        logging.getLogger(name).addFilter(_scheduler_news(verbose))
    # Bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns that the client Earful hands
    # it (with the same token) wins; that is the intent, not news
    logging.getLogger("slack_bolt.App").addFilter(
        lambda record: not record.getMessage().startswith("As you gave `client` as well"))


_SCHEDULER_NEWS = ("maximum number of running instances reached", "was missed by")


def _scheduler_news(verbose: bool):
    def keep(record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and any(text in record.getMessage() for text in _SCHEDULER_NEWS):
            record.levelno, record.levelname = logging.INFO, "INFO"
            return verbose
        return True

    return keep
