"""Slack-only Block Kit (pure): the resolve modal, the App Home tab, and queue lines for `/earful queue`.

Everything from the outside world goes through `bot.messages.cards` escaping and trimming, as on the cards.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.messages.cards import age, fit, local_time, safe_url, user_ref
from bot.commands import HELP
from bot.slack.ids import ActionId, BlockId, CallbackId
from storage.cases import CaseView

VIEW_BLOCKS = 100  # Slack's limit for a modal or the Home tab
SECTION_LIMIT = 3000
HOME_LINES = 15  # per list on the Home tab


def case_line(view: CaseView, *, now: datetime, show_claimer: bool = True, source: str = "") -> str:
    """`#12 · Acme · claimed by @ann · overdue 2h · forum · the post — "the text…"`, escaped."""
    case, mention = view.case, view.mention
    parts = [f"*#{case.id}*", fit(view.brand, 60)]
    if case.status == "claimed" and show_claimer:
        parts.append(f"claimed by {user_ref(case.claimed_by)}")
    elif case.status != "claimed":
        parts.append(case.status)
    if case.sla_due_at and case.status in ("open", "claimed"):
        if case.sla_due_at <= now:
            parts.append(f"*overdue {age(case.sla_due_at, now)}*")
        else:
            parts.append(f"due in {age(now, case.sla_due_at)}")
    if source:
        parts.append(fit(source, 60))
    url = safe_url(mention.url)
    if url:
        parts.append(f"<{url}|the post>")
    snippet = " ".join((mention.text or mention.title or "").split())
    return " · ".join(parts) + (" — " + fit(snippet, 100) if snippet else "")


def lines_text(lines: list[str], *, limit: int, empty: str) -> str:
    """Up to `limit` lines under Slack's section size, then how many more there are."""
    if not lines:
        return empty
    shown: list[str] = []
    for line in lines[:limit]:
        if sum(len(x) + 1 for x in shown) + len(line) > SECTION_LIMIT - 40:
            break
        shown.append(line)
    more = len(lines) - len(shown)
    return "\n".join(shown) + (f"\n_…and {more} more_" if more else "")


def queue_reply(views: list[CaseView], *, now: datetime, empty: str, total: int | None = None,
                sources: dict[int, str] | None = None) -> str:
    """The answer to `/earful queue` or `/earful mine`, as mrkdwn: each line with its source and link."""
    lines = [case_line(v, now=now, source=(sources or {}).get(v.mention.source_id, "")) for v in views]
    text = lines_text(lines, limit=20, empty=empty)
    if total is not None and total > len(views) and lines:
        text += f"\n_{total} in all; showing the most urgent {len(views)}_"
    return text


def help_reply() -> str:
    lines = HELP.replace("Commands:\n", "").splitlines()
    return "Use `/earful COMMAND`:\n```\n" + "\n".join(lines) + "\n```"


def resolve_modal(case_id: int, *, channel: str | None, summary: str) -> dict[str, Any]:
    """The Resolve dialog: an optional note, kept on the case and in the card's thread, and an optional link to
    the public reply (for a case whose answer is not recorded yet)."""
    return {
        "type": "modal",
        "callback_id": CallbackId.RESOLVE,
        "private_metadata": json.dumps({"case": case_id, "channel": channel}),
        "title": {"type": "plain_text", "text": f"Resolve case #{case_id}"[:24]},
        "submit": {"type": "plain_text", "text": "Resolve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": fit(summary, 2900)}},
            {"type": "input", "block_id": BlockId.RESOLVE_NOTE, "optional": True,
             "label": {"type": "plain_text", "text": "Note (optional)"},
             "hint": {"type": "plain_text", "text": "What was done: it goes in the card's thread and the audit trail."},
             "element": {"type": "plain_text_input", "action_id": ActionId.NOTE, "multiline": True,
                         "max_length": 2000}},
            {"type": "input", "block_id": BlockId.RESOLVE_REPLY, "optional": True,
             "label": {"type": "plain_text", "text": "Link to your public reply (optional)"},
             "hint": {"type": "plain_text", "text": "If you answered the customer in public, paste the link: it "
                                                    "stops the case's response clock."},
             "element": {"type": "plain_text_input", "action_id": ActionId.REPLY_URL, "max_length": 2000}},
        ],
    }


def modal_note(values: dict[str, Any]) -> str | None:
    note = (values.get(BlockId.RESOLVE_NOTE, {}).get(ActionId.NOTE, {}) or {}).get("value")
    return note.strip() or None if isinstance(note, str) else None


def modal_reply_url(values: dict[str, Any]) -> str | None:
    url = (values.get(BlockId.RESOLVE_REPLY, {}).get(ActionId.REPLY_URL, {}) or {}).get("value")
    return url.strip() or None if isinstance(url, str) else None


def home_view(*, user: str, mine: list[CaseView], overdue: list[CaseView], queue: list[CaseView],
              now: datetime) -> dict[str, Any]:
    """The Home tab: the viewer's cases, those past their SLA, and the open queue by brand."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Earful: complaints to answer"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
            f"Updated {local_time(now, with_date=True)} · `/earful help` lists the commands"}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Your cases ({len(mine)})*"}},
        _section(lines_text([case_line(v, now=now, show_claimer=False) for v in mine], limit=HOME_LINES,
                            empty="_You have no claimed cases. Press Claim on a card to take one._")),
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Past their SLA ({len(overdue)})*"}},
        _section(lines_text([case_line(v, now=now) for v in overdue], limit=HOME_LINES,
                            empty="_Nothing is overdue._")),
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Open queue by brand*"}},
    ]
    by_brand: dict[str, list[CaseView]] = {}
    for view in queue:
        by_brand.setdefault(view.brand, []).append(view)
    if not by_brand:
        blocks.append(_section("_The queue is empty._"))
    for brand, views in sorted(by_brand.items(), key=lambda item: (-len(item[1]), item[0])):
        if len(blocks) >= VIEW_BLOCKS - 2:
            blocks.append(_section(f"_…and {len(by_brand)} brands in all; see `/earful queue`_"))
            break
        title = f"*{fit(brand, 80)}* · {len(views)} waiting\n"
        body = lines_text([case_line(v, now=now) for v in views], limit=5, empty="")
        blocks.append(_section(title + body))
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS]}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}}
