"""The digest as a Slack message (Block Kit within Slack's limits) and as plain text (pure)."""

from __future__ import annotations

from typing import Any

from bot.messages.cards import SECTION_LIMIT, Message, escape, trim
from bot.messages.sections import Section, Style, context_line, sections, summary, title_of
from monitors.digest.compose import Digest

HEADER_LIMIT = 150
MAX_BLOCKS = 50


def digest_message(digest: Digest, *, workspace_url: str | None = None, chart_follows: bool = True) -> Message:
    """`chart_follows`: the chart will be uploaded into the message's thread (a posted digest with files:write);
    the private `/earful digest` answer has no thread, so it does not promise one."""
    style = Style(slack=True, workspace_url=workspace_url)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": trim(title_of(digest), HEADER_LIMIT)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": trim(context_line(digest, style),
                                                                         SECTION_LIMIT)}]},
    ]
    for number, section in enumerate(sections(digest, style)):
        blocks.append({"type": "section", "block_id": f"digest.{number}",
                       "text": {"type": "mrkdwn", "text": pack(section, style)}})
    if chart_follows:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       "The chart of the last 14 days follows in the thread."}]})
    return Message(text=escape(summary(digest)), blocks=blocks[:MAX_BLOCKS])


def pack(section: Section, style: Style, limit: int = SECTION_LIMIT) -> str:
    """The title and as many whole lines as fit in `limit` characters; the rest are counted."""
    text = style.bold(section.title)
    for shown, line in enumerate(section.lines):
        rest = len(section.lines) - shown
        tail = f"\n…and {rest} more lines"
        if len(text) + 1 + len(line) + (len(tail) if rest > 1 else 0) > limit:
            return text + tail
        text += "\n" + line
    return text


def digest_text(digest: Digest) -> str:
    """What `earful digest --print` and the console show: the same sections, unformatted."""
    style = Style(slack=False)
    parts = [title_of(digest), context_line(digest, style), ""]
    for section in sections(digest, style):
        parts += [section.title, "-" * len(section.title), *section.lines, ""]
    return "\n".join(parts).rstrip() + "\n"
