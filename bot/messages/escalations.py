"""The response clock's Slack messages (pure): the claimer's reminder and the on-call escalation."""

from __future__ import annotations

import re
from datetime import datetime

from bot.messages.cards import Message, age, escape, fit, safe_url
from storage.cases import CaseView

_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,20}$")


def group_ref(group: str) -> str:
    """`<!subteam^S123>` pings a user group; a name that is not a group id is shown, pinging nobody."""
    group = group.strip()
    if not group:
        return ""
    return f"<!subteam^{group}>" if _GROUP_ID.match(group) else escape(group)


def _about(view: CaseView) -> str:
    mention = view.mention
    snippet = fit(" ".join((mention.text or mention.title or "").split()), 200)
    url = safe_url(mention.url)
    link = f" (<{url}|the post>)" if url else ""
    who = fit(mention.author or "someone", 80)
    return f"case #{view.case.id} · {fit(view.brand, 80)} · {who}{link}: “{snippet}”"


def render_reminder(view: CaseView, *, now: datetime) -> Message:
    due = view.case.sla_due_at
    left = f"due in {age(now, due)}" if due and due > now else "due now"
    text = (f":hourglass: Still unanswered, {left}: {_about(view)}\n"
            f"Answer in public, then `/earful responded {view.case.id} URL` (or give the reply URL when resolving).")
    return Message(text=text)


def render_escalation(view: CaseView, *, round_no: int, oncall_group: str, now: datetime) -> Message:
    case = view.case
    claimed = f"claimed by <@{case.claimed_by}>" if case.claimed_by and case.status == "claimed" else "unclaimed"
    due = case.sla_due_at
    timing = f"overdue {age(due, now)}" if due and due <= now else (f"due in {age(now, due)}" if due else "")
    lead = "Unanswered complaint" if round_no == 0 else f"Still unanswered (follow-up {round_no})"
    ping = group_ref(oncall_group)
    opening = " ".join(p for p in (ping, f":rotating_light: {lead}") if p)
    facts = " · ".join(p for p in (claimed, f"priority {case.priority:.2f}", timing) if p)
    text = f"{opening}: {_about(view)}\n{facts}"
    return Message(text=text)
