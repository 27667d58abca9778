"""`earful run`: everything in one process — scheduler, monitors, and the Slack or console bot."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import Optional

import typer

from bot.cli import app
from bot.cli._common import ConfigOption, err, fail, load_or_exit, setup_logging
from bot.cli.interrupt import EXIT_INTERRUPTED, Interrupts
from monitors.config import Secrets
from monitors.heap import settle_after_startup
from storage.db import StorageError, shown_url, wait_for_database


@app.command()
def run(config: Optional[Path] = ConfigOption, verbose: bool = typer.Option(False, "--verbose", "-v",
                                                                           help="Log debug detail, including "
                                                                           "Slack's and the libraries' own.")) -> None:
    """Run Earful: poll on schedule and post cards to Slack (or to this terminal without Slack tokens)."""
    from bot.runtime import Runtime

    setup_logging(verbose)
    loaded = load_or_exit(config)
    secrets = Secrets.from_env()
    for problem in secrets.problems():
        raise fail(f"environment: {problem}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        # a worker started before its database (a reboot, a compose file) waits for it rather than exiting
        if not wait_for_database(secrets.database_url, stop=stop, say=lambda line: err.print(line, soft_wrap=True)):
            return
        runtime = Runtime.build(loaded, secrets)
    except StorageError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:  # Ctrl-C while waiting for the database or opening it
        err.print("stopped before starting", markup=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    settle_after_startup()
    runtime.on_poll_progress = _progress_printer()

    def stopping() -> None:
        stop.set()
        runtime.stop()

    interrupts = Interrupts(stopping, signals=(signal.SIGINT, signal.SIGTERM))
    interrupts.__enter__()
    # one listener for Slack's HTTP mode, push sources and /healthz, when any is needed (see bot/http/face.py)
    from bot.http.face import HttpSetupError, open_http

    try:
        http = open_http(runtime)
    except (OSError, HttpSetupError) as exc:  # e.g. the port is taken
        runtime.close()
        if isinstance(exc, HttpSetupError):
            raise fail(str(exc)) from None
        raise fail(_cannot_listen(runtime, exc)) from None
    failed_start = None
    try:
        if secrets.slack_bot_token:
            from bot.slack.runner import SlackStartError, run_slack  # the Slack side; see bot/slack/

            try:
                run_slack(runtime, stop, http=http)
            except SlackStartError as exc:
                failed_start = str(exc)
        else:
            _run_console(runtime, stop)
    except KeyboardInterrupt:
        pass
    finally:
        if failed_start is None:
            err.print("stopping… (Ctrl-C again quits at once)", markup=False)
        runtime.stop()
        if http is not None:
            http.close()
        runtime.close()
        interrupts.__exit__()
    if failed_start is not None:
        raise fail(failed_start)
    queued = _queued(runtime)
    if queued:
        err.print(f"{queued} message{'s' if queued != 1 else ''} stay{'' if queued != 1 else 's'} queued; "
                  "they go out when Earful next starts", markup=False)
    if interrupts.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)


def _queued(runtime) -> int:
    from storage.db import session_scope
    from storage.outbox import pending_count

    try:  # a disposed engine opens a fresh connection when asked
        with session_scope(runtime.engine) as session:
            return pending_count(session=session)
    except Exception:  # noqa: BLE001 - only a courtesy line
        return 0
    finally:
        runtime.engine.dispose()


def _cannot_listen(runtime, exc: OSError) -> str:
    from bot.http.face import listen_port, purposes

    http = runtime.config.http
    host = http.host if http is not None else "127.0.0.1"
    reason = (exc.strerror or str(exc)).strip()
    return (f"cannot listen for {' and '.join(purposes(runtime.config, runtime.secrets))} on "
            f"{host}:{listen_port(runtime.config, os.environ)} ({reason}); set [http] port (or PORT) "
            "to a free port")


def _run_console(runtime, stop: threading.Event) -> None:
    from bot.console import ConsoleShell

    err.print(f"Earful: console mode (no SLACK_BOT_TOKEN), database {shown_url(runtime.secrets.database_url)}, "
              f"{len(runtime.config.sources)} source(s).", markup=False, soft_wrap=True)
    runtime.attach_console()
    runtime.start_scheduler()
    shell = ConsoleShell(runtime.engine, clock=runtime.clock, config=runtime.config)
    if sys.stdin is not None and not sys.stdin.closed:
        reader = threading.Thread(target=shell.serve, args=(sys.stdin, stop), daemon=True, name="console")
        reader.start()
    while not stop.wait(0.5):
        pass


PROGRESS_FROM = 20  # sources in one cycle before progress is worth showing (a first poll of many sources)


def _progress_printer():
    """Every tenth of a long poll cycle, one line on stderr: a first poll of hundreds of sources takes a while."""
    shown: dict[str, int] = {}

    def show(outcome, done: int, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        step = max(1, total // 10)
        if done % step == 0 or done == total:
            err.print(f"polling: {done}/{total} sources", markup=False)
        if outcome.error:
            shown["errors"] = shown.get("errors", 0) + 1
        if done == total and shown.get("errors"):
            err.print(f"{shown.pop('errors')} source(s) failed; `earful poll --once` shows which and why",
                      markup=False)

    return show
