"""The digest as titled sections of lines (pure), in Slack mrkdwn or in plain text.

Both the Slack message and `earful digest --print` are made from these sections, so they say the same thing.
In mrkdwn, text from outside (brand, source and author names, post excerpts, terms) is escaped and links are
checked; long lists are cut to a few lines with an "and N more".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.messages.cards import fit, safe_url, user_ref
from monitors.digest.compose import BrandLine, CaseStats, Digest, SourceIssue
from storage.digest_queries import NegativePost, SpikeRow, WaitingCase

BRAND_LINES = 10  # brands listed by name; the rest fold into one line
LIST_LINES = 5
EXCERPT = 120


@dataclass(frozen=True)
class Style:
    """How a section is written: Slack mrkdwn (escaped, with links) or plain text."""

    slack: bool
    workspace_url: str | None = None  # e.g. https://acme.slack.com/, for links to cards

    def text(self, raw: str | None, limit: int = 200) -> str:
        cleaned = " ".join((raw or "").split())
        return fit(cleaned, limit) if self.slack else fit(cleaned, limit, str)

    def bold(self, styled: str) -> str:
        return f"*{styled}*" if self.slack else styled

    def link(self, url: str | None, label: str) -> str:
        """`label` is already styled."""
        safe = safe_url(url)
        if self.slack:
            return f"<{safe}|{label}>" if safe else label
        return f"{label} <{url}>" if url else label

    def user(self, user: str | None) -> str:
        return user_ref(user) if self.slack else (user or "someone")

    def card(self, case: WaitingCase) -> str:
        label = f"#{case.id}"
        if not (case.slack_channel and case.slack_ts):
            return label
        if self.slack and self.workspace_url:
            base = self.workspace_url.rstrip("/")
            return self.link(f"{base}/archives/{case.slack_channel}/p{case.slack_ts.replace('.', '')}", label)
        if self.slack:
            return f"{label} (card <#{case.slack_channel}> {case.slack_ts})"
        return f"{label} (card {case.slack_channel} {case.slack_ts})"


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[str]


def title_of(digest: Digest) -> str:
    kind = "Daily" if digest.period.days == 1 else "Weekly"
    focus = f" for {' '.join(digest.focus.split())[:60]}" if digest.focus else ""
    return f"{kind} digest{focus} · {digest.period.label()}"


def context_line(digest: Digest, style: Style) -> str:
    period = digest.period
    before = "the day before" if period.days == 1 else "the week before"
    line = f"{period.zone} · compared with {before} and the {period.baseline_label}"
    if digest.late and digest.scheduled_at is not None:
        zone = ZoneInfo(period.zone)
        due = digest.scheduled_at.astimezone(zone)
        sent = digest.now.astimezone(zone)
        line = (style.bold("Late:") + f" due {due:%a %H:%M}, sent {sent:%a %H:%M} (Earful was not running). ") + line
    return line


def sections(digest: Digest, style: Style) -> list[Section]:
    out = [_mentions(digest, style)]
    if len(digest.brands) > 1:
        out.append(_voice(digest, style))
    out.append(_complaints(digest.cases, digest, style))
    out.append(_waiting(digest.cases, digest, style))
    out.append(_negative_posts(digest.negative_posts, style))
    out.append(_drivers(digest, style))
    out.append(_spikes(digest.spikes, digest, style))
    out.append(_health(digest.source_issues, style, digest.given_up))
    return out


# -- numbers ----------------------------------------------------------------------------------------------------

def count(n: float) -> str:
    return f"{round(n):,}"


def change(now: float, before: float) -> str:
    if before == 0:
        return "new" if now else "±0"
    percent = round(100 * (now - before) / before)
    return f"{percent:+d}%" if percent else "±0%"


def net(value: float | None) -> str:
    return "—" if value is None else f"{round(value):+d}"


def share(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def duration(delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def _fold(lines: list[str], limit: int, more: str) -> list[str]:
    if len(lines) <= limit:
        return lines
    return lines[:limit] + [more.format(n=len(lines) - limit)]


# -- sections ---------------------------------------------------------------------------------------------------

def _mention_noun(number: float) -> str:
    return "mention" if number == 1 else "mentions"


def _brand_line(line: BrandLine, digest: Digest, style: Style) -> str:
    before = "day before" if digest.period.days == 1 else "week before"
    name = style.bold(style.text(line.name, 80)) + (" (competitor)" if line.competitor else "")
    return (f"{name}: {count(line.mentions)} {_mention_noun(line.mentions)} "
            f"({change(line.mentions, line.previous.total)} vs "
            f"{count(line.previous.total)} the {before}; {digest.period.baseline_label} "
            f"{count(line.baseline_average)}) · net sentiment {net(line.now.net)} ({before} "
            f"{net(line.previous.net)}, {digest.period.baseline_label} {net(line.baseline.net)}) · "
            f"{count(line.now.negative)} negative")


def _mentions(digest: Digest, style: Style) -> Section:
    if not digest.brands:
        return Section("Mentions and sentiment", ["No brands are configured."])
    lines = [_brand_line(line, digest, style) for line in digest.brands]
    rest = digest.brands[BRAND_LINES:]
    total = sum(b.mentions for b in rest)
    more = f"and {{n}} more brands with {count(total)} {_mention_noun(total)}"
    return Section("Mentions and sentiment", _fold(lines, BRAND_LINES, more))


def _voice(digest: Digest, style: Style) -> Section:
    lines = []
    for voice in digest.voice:
        points = ""
        if voice.share is not None and voice.previous_share is not None:
            delta = round(100 * (voice.share - voice.previous_share))
            points = f" ({delta:+d} pts)" if delta else " (±0 pts)"
        name = style.text(voice.name, 80) + (" (competitor)" if voice.competitor else "")
        lines.append(f"{name}: {share(voice.share)} of mentions{points} · "
                     f"{share(voice.positive_share)} of positive mentions")
    rest = digest.voice[BRAND_LINES:]
    more = f"and {{n}} more brands with {share(sum(v.share or 0 for v in rest))} of mentions"
    title = "Share of voice" + ("" if digest.has_competitors else " (no competitors configured)")
    return Section(title, _fold(lines, BRAND_LINES, more))


def _complaints(cases: CaseStats, digest: Digest, style: Style) -> Section:
    before = "day before" if digest.period.days == 1 else "week before"
    silent = f" ({cases.resolved_without_reply} without a recorded reply)" if cases.resolved_without_reply else ""
    lines = [
        f"Opened {cases.opened} ({before} {cases.opened_previous}) · answered {cases.answered} · resolved "
        f"{cases.resolved}{silent} · dismissed {cases.dismissed} · unanswered at the end {cases.unanswered} · "
        f"SLA breaches {cases.breaches}",
        f"Time to first response: median {duration(cases.response_median)}, p90 {duration(cases.response_p90)} "
        f"· to resolution: median {duration(cases.resolution_median)}, p90 {duration(cases.resolution_p90)} "
        "(from when the complaint was published)",
    ]
    people = [f"{style.user(a.user)} claimed {a.claimed}, answered {a.answered}, resolved {a.resolved}, "
              f"dismissed {a.dismissed}" for a in cases.agents]
    if people:
        lines.append("By person: " + " · ".join(_fold(people, 8, "and {n} more")))
    return Section("Complaints", lines)


def _waiting(cases: CaseStats, digest: Digest, style: Style) -> Section:
    if not cases.oldest_unanswered:
        return Section("Oldest unanswered", ["Nothing was waiting for an answer."])
    lines = []
    for case in cases.oldest_unanswered:
        waited = duration(digest.now - case.opened_at)
        holder = f" · claimed by {style.user(case.claimed_by)}" if case.claimed_by else " · nobody has it"
        who = style.text(case.author or "someone", 60)
        excerpt = style.text(case.text, EXCERPT)
        lines.append(f"• {style.card(case)} {style.text(case.brand, 60)} · waiting {waited}{holder} · "
                     f"{style.link(case.url, who)}: “{excerpt}”")
    if cases.unanswered > len(lines):
        lines.append(f"and {cases.unanswered - len(lines)} more")
    return Section("Oldest unanswered", lines)


def _negative_posts(posts: list[NegativePost], style: Style) -> Section:
    if not posts:
        return Section("Most-reached negative posts", ["No negative mentions."])
    lines = []
    for post in posts[:LIST_LINES]:
        who = style.text(post.author or "someone", 60)
        brands = ", ".join(style.text(b, 60) for b in post.brands)
        body = style.text(post.title if post.title and not post.text else post.text, EXCERPT)
        lines.append(f"• {style.link(post.url, who)} ({count(post.reach)} reach, {style.text(post.source, 60)}"
                     f"{', ' + brands if brands else ''}): “{body}”")
    return Section("Most-reached negative posts", lines)


def _drivers(digest: Digest, style: Style) -> Section:
    sources = " · ".join(f"{style.text(name, 60)} {n:,}" for name, n in digest.negative_sources[:LIST_LINES])
    terms = " · ".join(f"{style.text(term, 40)} ({n})" for term, n in digest.negative_terms)
    return Section("What drives negative mentions", [
        f"Sources: {sources or 'none'}",
        f"Words (posts they appear in): {terms or 'no word stands out'}",
    ])


def _spikes(spikes: list[SpikeRow], digest: Digest, style: Style) -> Section:
    if not spikes:
        return Section("Spikes", ["No spike alerts fired."])
    zone = ZoneInfo(digest.period.zone)
    lines = [
        f"• {style.text(s.brand, 60)}: {s.observed:g} {_mention_noun(s.observed)} vs {s.expected:.3g} expected "
        f"({s.window_start.astimezone(zone):%a %H:%M}–{s.window_end.astimezone(zone):%H:%M}, "
        f"score {s.score:.2f}, {style.text(s.status, 20)})"
        for s in spikes
    ]
    return Section("Spikes", _fold(lines, LIST_LINES, "and {n} more"))


def _health(issues: list[SourceIssue], style: Style, given_up: tuple[int, str] = (0, "")) -> Section:
    undelivered = []
    count, error = given_up
    if count:  # Earful's own delivery is a source of trouble too
        noun = "message" if count == 1 else "messages"
        latest = f"; the latest: {style.text(error, 200)}" if error else ""
        undelivered = [f"• Slack: {count} {noun} given up on, never delivered{latest} (`earful doctor` lists them)"]
    if not issues:
        return Section("Source health", undelivered or ["Every source is fetching normally."])
    lines = [f"• {style.text(i.name, 60)}: {i.problem} ({style.text(i.detail, 200)})" for i in issues]
    return Section("Source health", undelivered + _fold(lines, 8, "and {n} more sources with problems"))


def summary(digest: Digest) -> str:
    """One line for notifications."""
    mentions = sum(line.mentions for line in digest.brands if not line.competitor)
    late = " (late)" if digest.late else ""
    opened = digest.cases.opened
    return (f"{title_of(digest)}{late}: {mentions:,} {_mention_noun(mentions)}, {opened} "
            f"{'complaint' if opened == 1 else 'complaints'} opened, "
            f"{digest.cases.unanswered} unanswered")
