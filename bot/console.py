"""The console backend: without Slack tokens, cards print to the terminal and commands are typed on stdin.

It is a Deliverer like the Slack one, so the outbox, the cards and the commands are the same code as in Slack.
"""

from __future__ import annotations

import getpass
import itertools
import re
import sys
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import Callable, TextIO

import sqlalchemy as sa

from bot.actions import execute, sla_rule
from bot.messages.cards import Message
from bot.commands import CommandError, parse_command
from monitors.cases.triage import Actor
from monitors.config import Config

CONSOLE_CHANNEL = "console"


_SLACK_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
# *bold* as Slack reads it: asterisks around text that neither begins nor ends with a space, not inside a word
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_ANSI_BOLD = "\x1b[1m{}\x1b[0m"


def terminal_text(mrkdwn: str, *, bold: bool = False) -> str:
    """Slack's markup made plain for a terminal: a time written for each reader's zone shows its UTC text, *bold*
    loses its asterisks (and is bold if `bold`, for a terminal that shows it), and the escaping is undone
    (`<!channel>` pings no one there, and `&lt;` would only puzzle)."""
    text = _SLACK_DATE.sub(r"\1", mrkdwn)
    text = _BOLD.sub(lambda found: _ANSI_BOLD.format(found[1]) if bold else found[1], text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _is_terminal(out: TextIO) -> bool:
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


class ConsoleDeliverer:
    plain_text = True  # the digest prints as text, not as Block Kit
    workspace_url = None

    def __init__(self, out: TextIO | None = None, files_dir: Path | None = None):
        self.out = out or sys.stdout
        self.files_dir = files_dir  # where uploads (the digest chart) are saved; default: the temp directory
        self._ts = itertools.count(1)
        self._lock = threading.Lock()

    def _print(self, text: str) -> None:
        with self._lock:
            print(text, file=self.out, flush=True)

    def _text(self, message: Message) -> str:
        return terminal_text(message.text, bold=_is_terminal(self.out))

    def post(self, *, channel: str, message: Message, thread_ts: str | None = None) -> tuple[str, str]:
        if thread_ts:
            self._print("   └ " + self._text(message).replace("\n", "\n     "))
        else:
            rule = "─" * 72
            self._print(f"{rule}\n{self._text(message)}\n{rule}")
        return CONSOLE_CHANNEL, f"{next(self._ts)}.000000"

    def update(self, *, channel: str, ts: str, message: Message) -> None:
        first_lines = "\n".join(self._text(message).splitlines()[:2])
        self._print(f"   ↻ {first_lines}")

    def upload_file(self, *, channel: str, thread_ts: str | None, filename: str, content: bytes,
                    title: str) -> str:
        folder = self.files_dir or Path(tempfile.gettempdir()) / "earful"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / filename
        path.write_bytes(content)
        self._print(f"   └ {title}: saved to {path}")
        return str(path)


class ConsoleShell:
    """Reads commands (`claim 12`, `resolve 12 refunded`, `queue`) and answers them."""

    def __init__(self, engine: sa.Engine, *, clock: Callable[[], datetime], out: TextIO | None = None,
                 user: str | None = None, config: Config | None = None):
        self.engine = engine
        self.clock = clock
        self.config = config  # the digest's time zone and the SLA of a case `complaint LINK` opens
        self.out = out or sys.stdout
        # the person at the terminal runs this instance, so they have a manager's rights
        self.actor = Actor(user=user or _local_user(), is_manager=True)

    def handle(self, line: str) -> str:
        try:
            command = parse_command(line)
        except CommandError as exc:
            return str(exc)
        if command.verb == "digest":
            return self._digest(command.brand)
        sla = sla_rule(self.config) if self.config is not None else None
        return terminal_text(execute(self.engine, command, actor=self.actor, now=self.clock(), sla=sla),
                             bold=_is_terminal(self.out))

    def _digest(self, brand: str | None) -> str:
        """Yesterday's digest (in the configured zone), as `earful digest --print` prints it."""
        from datetime import timedelta

        from bot.messages.digest import digest_text
        from monitors.digest.period import daily, local_date
        from monitors.digest.run import UnknownBrand, gather
        from storage.db import session_scope

        now = self.clock()
        zone = self.config.schedule.timezone if self.config is not None else "UTC"
        period = daily(local_date(now, zone) - timedelta(days=1), zone)
        try:
            with session_scope(self.engine) as session:
                return digest_text(gather(session=session, period=period, now=now, focus=brand)).rstrip("\n")
        except UnknownBrand as exc:
            text = str(exc)
            return text[:1].upper() + text[1:]

    def serve(self, lines: TextIO, stop: threading.Event) -> None:
        print("Type a command (`help` lists them); Ctrl-C stops Earful.", file=self.out, flush=True)
        for line in lines:
            if stop.is_set():
                break
            if line.strip().lower() in ("quit", "exit"):
                stop.set()
                break
            if line.strip():
                print(self.handle(line), file=self.out, flush=True)


def _local_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "console"
