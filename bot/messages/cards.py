"""Card rendering (pure): a case becomes a Slack message, as Block Kit plus a plain-text fallback.

Text from the outside world is escaped before it reaches mrkdwn, so a post containing `<!channel>`,
`<@U123>` or `<https://evil|innocent>` shows those characters and pings or links no one. Every piece is
trimmed to Slack's limits after escaping, so a long post never makes Slack refuse the card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import quote

from bot.slack.ids import SNOOZE_CHOICES, ActionId, BlockId, CaseRef
from storage.cases import CaseView
from storage.models import Event

SECTION_LIMIT = 3000  # Slack: characters in a section's text
CONTEXT_LIMIT = 3000
FALLBACK_LIMIT = 3000  # Slack allows 40,000; a notification never needs more than this
URL_LIMIT = 2000
HIGH_REACH = 1000  # followers, points or engagement from which an author's complaint travels far: marked on the card
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


@dataclass(frozen=True)
class Message:
    text: str  # the fallback (notifications, console, screen readers)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    # the outbox row's dedupe key; Slack stores it as message metadata so a retried post can find the first
    key: str | None = None


def escape(text: str | None) -> str:
    """Make outside text inert in mrkdwn (Slack's three control characters)."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fit(raw: str, limit: int, render: Callable[[str], str] = escape) -> str:
    """`render(raw)` cut so the result is at most `limit` characters. Cuts the raw text, never the rendered
    one, so an escape like `&amp;` is never split in half."""
    whole = render(raw)
    if len(whole) <= limit:
        return whole
    low, high = 0, len(raw)  # the longest prefix whose rendering (plus the ellipsis) fits
    while low < high:
        mid = (low + high + 1) // 2
        if len(render(raw[:mid].rstrip() + "…")) <= limit:
            low = mid
        else:
            high = mid - 1
    return render(raw[:low].rstrip() + "…")


def quoted(raw: str) -> str:
    """Escaped and shown as a block quote."""
    return ">" + escape(raw).replace("\n", "\n>")


def safe_url(url: str | None) -> str | None:
    """An http(s) URL that cannot break out of `<url|label>`, or None."""
    if not url or not url.startswith(("http://", "https://")):
        return None
    cleaned = quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~-._")  # encodes < > | " spaces and controls
    return cleaned if len(cleaned) <= URL_LIMIT else None


def user_ref(user: str | None) -> str:
    """A Slack user id becomes a mention; anything else (a console user name) is shown as escaped text."""
    if not user:
        return "someone"
    if user == "earful":
        return "Earful"
    return f"<@{user}>" if _USER_ID.match(user) else escape(user)


def local_time(at: datetime, *, with_date: bool = False) -> str:
    """`at` as Slack shows it to each reader, in their own time zone and clock format; the UTC text after the
    bar is what notifications, older clients and the console show instead."""
    utc = at.astimezone(timezone.utc)
    layout, fallback = ("{date_short_pretty} {time}", f"{utc:%Y-%m-%d %H:%M} UTC") if with_date else (
        "{time}", f"{utc:%H:%M} UTC")
    return f"<!date^{int(utc.timestamp())}^{layout}|{fallback}>"


def age(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "just now"


STATUS_LINE = {
    "open": "Open: nobody has it yet",
    "claimed": "Claimed by {claimed_by}",
    "snoozed": "Snoozed until {snoozed_until}",
    "resolved": "Resolved",
    "dismissed": "Dismissed: not a complaint",
}


def status_line(view: CaseView, now: datetime | None = None) -> str:
    case = view.case
    until = local_time(case.snoozed_until, with_date=True) if case.snoozed_until else "?"
    line = STATUS_LINE.get(case.status, escape(case.status)).format(
        claimed_by=user_ref(case.claimed_by), snoozed_until=until)
    if case.first_response_at is not None and case.status in ("open", "claimed", "snoozed"):
        started = view.mention.published_at or case.opened_at
        line += f" · answered in public after {age(started, case.first_response_at)}"
    elif now is not None and case.sla_due_at and case.status in ("open", "claimed"):
        if case.sla_due_at <= now:
            line += f" · *overdue {age(case.sla_due_at, now)}*"
        else:
            line += f" · reply due in {age(now, case.sla_due_at)}"
    if case.status in ("resolved", "dismissed") and case.note:
        line += " · " + fit(case.note, 500)
    return line


def headline(view: CaseView, now: datetime) -> str:
    case, mention = view.case, view.mention
    who = fit(mention.author or "someone", 80)
    reach = f" · reach {mention.author_reach:,}" if mention.author_reach else ""
    if mention.author_reach >= HIGH_REACH:
        reach += " · :loudspeaker: *high reach*"
    when = age(mention.published_at or case.opened_at, now)
    ago = when if when == "just now" else f"{when} ago"  # not "just now ago"
    return f"#{case.id} · {fit(view.brand, 80)} · {who}{reach} · {ago}"


def render_card(view: CaseView, *, now: datetime, source_name: str = "", can_dismiss: bool = True) -> Message:
    """`can_dismiss`: someone may press "Not a complaint" (managers are configured); else it is not offered."""
    case, mention = view.case, view.mention
    head = headline(view, now)
    status = status_line(view, now)
    title = (mention.title or "").strip()
    text = (mention.text or "").strip()
    if title and text and not text.startswith(title):
        body = f"*{fit(' '.join(title.split()), 300)}*\n" + fit(text, SECTION_LIMIT - 320, quoted)
    elif text or title:
        body = fit(text or title, SECTION_LIMIT, quoted)
    else:
        body = "_(no text)_"
    facts = [f"sentiment {mention.sentiment:+.2f}", f"complaint {mention.complaint_score:.2f}"]
    why = fit("why: " + ", ".join(mention.complaint_cues[:3]), 300) if mention.complaint_cues else ""
    if why:
        facts.append(why)
    if source_name:
        facts.append(fit(source_name, 200))
    facts.append(f"mention m{mention.id}")  # what `complaint m123` and `earful tune` name it by
    url = safe_url(mention.url)
    if url:
        facts.append(f"<{url}|open the post>")
    blocks: list[dict[str, Any]] = [
        _section(BlockId.CARD_HEAD, f"*{head}*\n{status}"),
        _section(BlockId.CARD_BODY, body),
        {"type": "context", "block_id": BlockId.CARD_FACTS,
         "elements": [{"type": "mrkdwn", "text": trim(" · ".join(facts), CONTEXT_LIMIT)}]},
    ]
    buttons = card_buttons(case.id, case.status, url, can_dismiss=can_dismiss)
    if buttons:
        blocks.append({"type": "actions", "block_id": BlockId.CARD_ACTIONS, "elements": buttons})
    # the source and the link in the text too: notifications and the console show only this
    where = " · ".join(p for p in (fit(source_name, 200) if source_name else "", url or "",
                                   f"mention m{mention.id}") if p)
    why_line = f"\n{why}" if why else ""  # the console shows the fallback: why it was flagged belongs there too
    fallback = (f"{head}\n{status}\n"
                + fit(text or title, FALLBACK_LIMIT - len(head) - len(status) - len(where) - len(why_line) - 3)
                + f"{why_line}\n{where}")
    return Message(text=fallback, blocks=blocks)


def card_buttons(case_id: int, status: str, url: str | None, *, can_dismiss: bool = True) -> list[dict[str, Any]]:
    value = CaseRef(case_id).encode()
    out: list[dict[str, Any]] = []
    if status in ("open", "snoozed"):
        out.append(_button(ActionId.CLAIM, "Claim", value, style="primary"))
    if status == "claimed":
        out.append(_button(ActionId.UNCLAIM, "Unclaim", value))
    if status in ("open", "claimed", "snoozed"):
        out.append(_button(ActionId.RESOLVE, "Resolve", value, style="primary" if status == "claimed" else None))
        dismiss = _button(ActionId.DISMISS, "Not a complaint", value, style="danger")
        dismiss["confirm"] = {
            "title": {"type": "plain_text", "text": "Not a complaint?"},
            "text": {"type": "mrkdwn", "text": f"Case #{case_id} closes and the detector learns from it."},
            "confirm": {"type": "plain_text", "text": "Dismiss"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
        if can_dismiss:
            out.append(dismiss)
        out.append({
            "type": "static_select", "action_id": ActionId.SNOOZE,
            "placeholder": {"type": "plain_text", "text": "Snooze"},
            "options": [{"text": {"type": "plain_text", "text": label},
                         "value": CaseRef(case_id, seconds).encode()} for label, seconds in SNOOZE_CHOICES],
        })
    if url and out:
        out.append({"type": "button", "action_id": ActionId.OPEN_POST, "url": url,
                    "text": {"type": "plain_text", "text": "Open post"}})
    return out


def _section(block_id: str, text: str) -> dict[str, Any]:
    return {"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": trim(text, SECTION_LIMIT)}}


def _button(action_id: str, label: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action_id, "value": value,
                              "text": {"type": "plain_text", "text": label}}
    if style:
        button["style"] = style
    return button


def render_event(event: Event, *, case_id: int) -> Message:
    """One line for the card's thread: who did what, when."""
    note = f": {fit(event.note, 2500)}" if event.note else ""
    until = _snoozed_until(event)
    if until is not None:  # shown like every other time: in each reader's own zone
        note = f": until {local_time(until, with_date=True)}"
    when = local_time(event.at)
    return Message(text=f"{when} {user_ref(event.actor)} {escape(event.action)} case #{case_id}{note}")


def _snoozed_until(event: Event) -> datetime | None:
    """The snooze's end, from the event's note (`until 2026-11-02T13:00+00:00`, as storage.cases writes it)."""
    if event.action != "snoozed" or not (event.note or "").startswith("until "):
        return None
    try:
        until = datetime.fromisoformat(event.note.removeprefix("until "))
    except ValueError:
        return None
    return until if until.tzinfo else until.replace(tzinfo=timezone.utc)


FLOOD_LINES = 25  # cases listed by name in a flood summary; the rest are counted


def render_flood_summary(brand: str, views: list[CaseView], *, now: datetime) -> Message:
    """One message instead of a card per case, when complaints about a brand arrive in a burst."""
    name = fit(brand, 80)
    intro = (f"*{len(views)} new complaints about {name}* arrived within a minute, too many for a card each. "
             f"They are in the queue: `/earful queue {escape(brand)}`, or claim one with `/earful claim ID`.")
    lines = []
    for view in views[:FLOOD_LINES]:
        snippet = " ".join((view.mention.text or view.mention.title or "").split())
        who = fit(view.mention.author or "someone", 40)
        lines.append(f"• #{view.case.id} · {who} · {fit(snippet, 90)}")
    blocks: list[dict[str, Any]] = [_section("flood.intro", intro)]
    chunk: list[str] = []
    for line in lines:  # several sections, each under Slack's 3,000 characters
        if chunk and sum(len(x) + 1 for x in chunk) + len(line) > SECTION_LIMIT - 10:
            blocks.append(_section(f"flood.list.{len(blocks)}", "\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(_section(f"flood.list.{len(blocks)}", "\n".join(chunk)))
    if len(views) > FLOOD_LINES:
        blocks.append({"type": "context", "block_id": "flood.more",
                       "elements": [{"type": "mrkdwn", "text": f"and {len(views) - FLOOD_LINES} more"}]})
    ids = ", ".join(f"#{v.case.id}" for v in views)
    text = trim(f"{len(views)} new complaints about {name}: {ids}", FALLBACK_LIMIT)
    return Message(text=text, blocks=blocks)
