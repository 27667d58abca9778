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


LISTED = 10  # cases named in a folded escalation or a backlog summary; the rest are counted


def _numbers(case_ids: list[int]) -> str:
    shown = ", ".join(f"#{case_id}" for case_id in case_ids[:LISTED])
    rest = len(case_ids) - LISTED
    return f"{shown} and {rest} more" if rest > 0 else shown


def _line(view: CaseView, round_no: int, now: datetime) -> str:
    case = view.case
    due = case.sla_due_at
    timing = f"overdue {age(due, now)}" if due and due <= now else (f"due in {age(now, due)}" if due else "")
    claimed = f"claimed by <@{case.claimed_by}>" if case.claimed_by and case.status == "claimed" else "unclaimed"
    step = "" if round_no == 0 else f"follow-up {round_no}"
    url = safe_url(view.mention.url)
    link = f"<{url}|#{case.id}>" if url else f"#{case.id}"
    return " · ".join(p for p in (f"• {link}", fit(view.brand, 80), claimed, timing, step) if p)


def render_folded_escalations(shown: list[tuple[CaseView, int]], case_ids: list[int], *, oncall_group: str,
                              now: datetime) -> Message:
    """One message for many escalations due together (`case_ids`), pinging the on-call group once: the first
    ten (`shown`, with their round) with their facts, then how many more."""
    ping = group_ref(oncall_group)
    count = len(case_ids)
    head = " ".join(p for p in (ping, f":rotating_light: {count} unanswered complaints need an answer") if p)
    lines = [_line(view, round_no, now) for view, round_no in shown[:LISTED]]
    if count > len(lines):
        lines.append(f"and {count - len(lines)} more")
    text = (f"{head} ({_numbers(case_ids)}), too many at once for a message each:\n" + "\n".join(lines)
            + "\nThey are in the queue, most urgent first: `/earful queue`.")
    return Message(text=text)


def render_backlog(brand: str, case_ids: list[int]) -> Message:
    """The one summary of a brand's backlog: complaints already past their SLA when Earful first saw them. Not
    an emergency, so it pings nobody."""
    name = fit(brand, 80)
    one = len(case_ids) == 1
    text = (f":inbox_tray: Backlog for {name}: {len(case_ids)} {'complaint was' if one else 'complaints were'} "
            f"already past the SLA when Earful first saw {'it' if one else 'them'} (old posts, e.g. from a first poll or "
            f"a new source): {_numbers(case_ids)}. {'It is' if one else 'They are'} in the queue and "
            f"{'is' if one else 'are'} not escalated one by one: `/earful queue {escape(brand)}`.")
    return Message(text=text)
