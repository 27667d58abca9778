"""Spike alert cards (pure): an alert becomes a Slack message, Block Kit plus a plain-text fallback, and the
pointer message the support channel gets while complaint cards go into the alert's thread.

Posts are outside text: escaped and trimmed with the card helpers, linked only through `safe_url`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.messages.cards import (CONTEXT_LIMIT, FALLBACK_LIMIT, Message, _button, _section, escape, fit, local_time, safe_url,
                       trim, user_ref)
from bot.slack.ids import ActionId, AlertRef, BlockId
from monitors.spikes.report import AlertReport
from monitors.spikes.detector import human_span

_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,20}$")

STATUS = {
    "open": "Open: nobody has acknowledged it yet",
    "acknowledged": "Acknowledged by {who}",
    "muted": "Muted until {until} by {who}",
    "ended": "Back to normal at {ended}",
    "resolved": "Resolved by {who} at {ended}",
}


def _clock(at: datetime | None) -> str:
    return local_time(at) if at else "?"


def group_ref(group: str) -> str:
    """The on-call user group as a mention when it is a group id; nothing otherwise."""
    return f"<!subteam^{group}>" if _GROUP_ID.match(group or "") else ""


def alert_status(report: AlertReport, now: datetime) -> str:
    alert = report.alert
    line = STATUS.get(alert.status, escape(alert.status)).format(
        who=user_ref(alert.handled_by), until=_clock(alert.muted_until), ended=_clock(alert.ended_at))
    if alert.status == "muted" and alert.muted_until and alert.muted_until <= now:
        line = f"Mute ran out at {_clock(alert.muted_until)}"
    return line


def render_alert(report: AlertReport, *, now: datetime, oncall_group: str = "") -> Message:
    """The card. `oncall_group` is mentioned when given: only the first post passes it."""
    alert, brand = report.alert, fit(report.brand, 80)
    live = alert.status in ("open", "acknowledged", "muted")
    lasted = human_span((alert.ended_at or max(now, alert.window_end)) - alert.window_start)
    icon = ":rotating_light:" if live else ":white_check_mark:"
    head = (f"{icon} *Negative spike: {brand}*: {alert.observed:g} negative mentions vs {alert.expected:.0f} "
            f"expected · since {_clock(alert.window_start)} ({lasted})")
    status = alert_status(report, now)
    ping = group_ref(oncall_group)
    blocks: list[dict[str, Any]] = [
        _section(BlockId.ALERT_HEAD, f"{ping + ' ' if ping else ''}{head}\n{status}"),
        {"type": "context", "block_id": BlockId.ALERT_WHY,
         "elements": [{"type": "mrkdwn", "text": trim(escape(alert.explanation.capitalize()), CONTEXT_LIMIT)}]},
    ]
    if report.posts:
        blocks.append(_section(BlockId.ALERT_POSTS, "*Top posts*\n" + "\n".join(_post_line(p) for p in report.posts)))
    if report.terms:
        words = ", ".join(f"{fit(word, 40)} ({n})" for word, n in report.terms)
        blocks.append({"type": "context", "block_id": BlockId.ALERT_TERMS,
                       "elements": [{"type": "mrkdwn", "text": trim(f"Words driving it: {words}", CONTEXT_LIMIT)}]})
    buttons = alert_buttons(alert.id, alert.status)
    if buttons:
        blocks.append({"type": "actions", "block_id": BlockId.ALERT_ACTIONS, "elements": buttons})
    plain_head = (f"Negative spike: {report.brand}: {alert.observed:g} negative mentions vs {alert.expected:.0f} "
                  f"expected, since {_clock(alert.window_start)}")
    fallback = "\n".join(x for x in (ping, plain_head, status, alert.explanation) if x)
    return Message(text=trim(fallback, FALLBACK_LIMIT), blocks=blocks)


def _post_line(post) -> str:
    snippet = " ".join((post.text or post.title or "").split())
    who = fit(post.author or "someone", 60)
    url = safe_url(post.url)
    who = f"<{url}|{who}>" if url else who
    reach = f" (reach {post.reach:,})" if post.reach else ""
    return f"• {who}{reach}: {fit(snippet, 200)}"


def alert_buttons(alert_id: int, status: str) -> list[dict[str, Any]]:
    value = AlertRef(alert_id).encode()
    if status not in ("open", "acknowledged", "muted"):
        return []
    out = []
    if status == "open":
        out.append(_button(ActionId.ALERT_ACK, "Acknowledge", value, style="primary"))
    out.append(_button(ActionId.ALERT_RESOLVE, "Resolve", value))
    if status != "muted":
        out.append(_button(ActionId.ALERT_MUTE, "Mute", value))  # how long is `spikes.mute`; the card then says until when
    return out


def render_pointer(brand: str) -> Message:
    """The one message the support channel gets while complaint cards for `brand` go into the alert thread."""
    text = (f":rotating_light: {fit(brand, 80)} spike: new complaint cards are in the alert thread in the "
            f"escalation channel → (they are still in the queue: `/earful queue {escape(brand)}`)")
    return Message(text=text)
