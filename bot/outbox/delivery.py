"""What the dispatcher and its send handlers share: the deliverer they send through, the errors a send can
end in, and the outlet a handler is given for one run (post, update, upload, each paced and sent once)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from bot.messages.cards import Message
from monitors.config import SlackConfig
from storage.models import Outbox


class DeliveryError(Exception):
    """A send that failed.

    `retry_after`: the other side said when to come back (429). `permanent`: retrying cannot help (the message
    is malformed, the card was deleted). `blocked`: a person must fix something (invite the bot, new token)."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False,
                 blocked: bool = False, everything: bool = False, outage: bool = False):
        super().__init__(message)
        self.outage = outage  # 5xx or the network: Slack or the way there is in trouble, not this row
        self.retry_after = retry_after
        self.permanent = permanent
        self.blocked = blocked
        self.everything = everything  # the failure is not about this channel: stop sending anything for now


class NotYet(Exception):
    """The row depends on something not sent yet (a thread line before its card or an earlier line)."""

    def __init__(self, message: str, *, until: datetime | None = None):
        super().__init__(message)
        self.until = until


class Deliverer(Protocol):
    def post(self, *, channel: str, message: Message, thread_ts: str | None = None) -> tuple[str, str]:
        """Post and return (channel id, ts)."""

    def update(self, *, channel: str, ts: str, message: Message) -> None: ...

    # Optional: `find_posted(channel=, key=, thread_ts=None, since=None) -> (channel id, ts) | None`, asked
    # before a retried post, tells whether an earlier try (made after `since`) already reached the other side.
    # Optional, for the digest: `upload_file(channel=, thread_ts=, filename=, content=, title=) -> str` puts the
    # chart in the digest's thread (without it the chart is skipped); `find_file(channel=, thread_ts=, filename=,
    # since=None)` finds an earlier try's upload; `workspace_url` (str | None) makes links to cards; `plain_text = True` asks
    # for the digest as plain text instead of Block Kit.


class Outlet(Protocol):
    """One dispatcher run as a send handler sees it."""

    now: datetime
    slack: SlackConfig
    deliverer: Any

    def post(self, rows: list[Outbox], *, channel: str, message: Message,
             thread_ts: str | None = None) -> tuple[str, str]:
        """Post once for `rows` (a retried row first looks for its earlier try); returns (channel id, ts)."""

    def update(self, *, channel: str, ts: str, message: Message) -> None: ...

    def can_upload(self) -> bool: ...

    def upload(self, row: Outbox, *, channel: str, ts: str, filename: str,
               chart: Callable[[], tuple[bytes, str]]) -> tuple[str, str]:
        """Upload a PNG into a thread once; `chart` renders only when the upload is really needed."""


# A send handler: sends what `rows` (one or several rows of one kind) ask for and returns where it landed,
# (None, None) when nothing needed sending any more. It raises NotYet to wait and DeliveryError to fail.
Handler = Callable[[Outlet, Session, list[Outbox]], tuple[str | None, str | None]]
