"""Card rendering (pure): a case becomes a Slack message, as Block Kit plus a plain-text fallback.

Text from the outside world is escaped before it reaches mrkdwn, so a post containing `<!channel>` shows
those characters and pings no one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.cases import CaseView
from storage.models import Event

TEXT_LIMIT = 2800  # Slack allows 3,000 chars in a section; leave room for the quote marks and ellipsis


@dataclass(frozen=True)
class Message:
    text: str  # the fallback (notifications, console, screen readers)
    blocks: list[dict[str, Any]] = field(default_factory=list)


def escape(text: str | None) -> str:
    """Make outside text inert in mrkdwn (Slack's three control characters)."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def age(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "just now"


STATUS_LINE = {
    "open": "Open: nobody has it yet",
    "claimed": "Claimed by <@{claimed_by}>",
    "snoozed": "Snoozed until {snoozed_until}",
    "resolved": "Resolved",
    "dismissed": "Dismissed: not a complaint",
}


def status_line(view: CaseView) -> str:
    case = view.case
    until = case.snoozed_until.strftime("%Y-%m-%d %H:%M UTC") if case.snoozed_until else "?"
    return STATUS_LINE.get(case.status, case.status).format(claimed_by=case.claimed_by, snoozed_until=until)


def render_card(view: CaseView, *, now: datetime, source_name: str = "") -> Message:
    case, mention = view.case, view.mention
    who = escape(mention.author) or "someone"
    reach = f" · reach {mention.author_reach:,}" if mention.author_reach else ""
    link = f"<{mention.url}|open the post>" if mention.url and mention.url.startswith(("http://", "https://")) else ""
    body = trim(escape(mention.text or mention.title or ""), TEXT_LIMIT)
    headline = f"#{case.id} · {escape(view.brand)} · {who}{reach} · {age(mention.published_at or case.opened_at, now)} ago"
    scores = f"sentiment {mention.sentiment:+.2f} · complaint {mention.complaint_score:.2f}"
    if mention.complaint_cues:
        scores += " · " + escape(", ".join(mention.complaint_cues[:5]))
    text = f"{headline}\n{status_line(view)}\n{body}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*\n{status_line(view)}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": ">" + body.replace("\n", "\n>") if body else "_(no text)_"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": trim(" · ".join(p for p in (scores, escape(source_name), link) if p), 2900)}]},
    ]
    return Message(text=trim(text, 3900), blocks=blocks)


def render_event(event: Event, *, case_id: int) -> Message:
    actor = "Earful" if event.actor == "earful" else f"<@{event.actor}>"
    note = f": {escape(event.note)}" if event.note else ""
    when = event.at.strftime("%H:%M UTC")
    return Message(text=trim(f"{when} {actor} {event.action} case #{case_id}{note}", 3000))
