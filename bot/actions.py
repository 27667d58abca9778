"""Carry out a triage command for a person and say what happened, in one sentence or a short list.

The console backend and Slack's `/earful` both end here, so the rules and the wording are the same in both.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.messages.cards import age, local_time
from bot.commands import HELP, Command
from monitors.cases.response_times import CaseTimes, stats_table
from monitors.cases.sla import SlaPolicy, sla_length
from monitors.cases.triage import Actor, refusal
from monitors.config import Config
from monitors.ingest.pipeline import priority
from storage import cases
from storage.db import session_scope
from monitors.ingest.canonical import canonical_url
from storage.case_times import case_times
from monitors.learning import record_verdict
from storage.feedback import UnknownMention, mention_by_link, own_brand_of
from storage.models import Case, Source
from storage.response_clock import AlreadyAnswered, record_response


SlaRule = Callable[[str, float], timedelta]  # (brand, priority) -> time to answer; see sla_rule


def sla_rule(config: Config) -> SlaRule:
    """The SLA a case of `brand` with `priority` gets, as the pipeline gives it (monitors.cases.sla)."""
    complaints = config.complaints
    policy = SlaPolicy(sla=timedelta(seconds=complaints.sla), high_priority=complaints.high_priority,
                       sla_high=timedelta(seconds=complaints.sla_high) if complaints.sla_high else None)
    per_brand = {b.name: timedelta(seconds=b.sla) for b in config.brands if b.sla}
    return lambda brand, rank: sla_length(policy, priority=rank, brand_sla=per_brand.get(brand))


def execute(engine: sa.Engine, command: Command, *, actor: Actor, now: datetime, sla: SlaRule | None = None) -> str:
    """`sla` lets `complaint LINK` open a case with the brand's deadline (without it: the default 4 h)."""
    with session_scope(engine) as session:
        try:
            return _run(session, command, actor, now, sla or _DEFAULT_SLA)
        except cases.CaseError as exc:
            session.rollback()
            return _sentence(str(exc))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


_DEFAULT_SLA: SlaRule = lambda brand, rank: timedelta(hours=4)  # noqa: E731 - complaints.sla's default


def _run(session: Session, command: Command, actor: Actor, now: datetime, sla: SlaRule) -> str:
    verb = command.verb
    if verb == "help":
        return HELP
    if verb in ("queue", "mine"):
        views = cases.open_queue(session=session, brand=command.brand,
                                 claimed_by=actor.user if verb == "mine" else None)
        return queue_text(views, now=now, empty="You have no claimed cases." if verb == "mine" else "The queue is empty.",
                          sources=source_names(session=session))
    if verb == "stats":
        return stats_text(session, now)
    if verb == "complaint":
        return _mark_complaint(session, command, actor, now, sla)
    case = cases.get_case(session=session, case_id=command.case_id)
    refused = refusal(verb, actor=actor, claimed_by=case.claimed_by)
    if refused:
        return _sentence(refused)
    if verb == "claim":
        cases.claim(session=session, case_id=case.id, user=actor.user, now=now)
        return f"You have case #{case.id}."
    if verb == "unclaim":
        cases.unclaim(session=session, case_id=case.id, user=actor.user, now=now)
        return f"Case #{case.id} is back in the queue."
    if verb == "resolve":
        cases.resolve(session=session, case_id=case.id, user=actor.user, now=now, note=command.note)
        return f"Case #{case.id} resolved."
    if verb == "dismiss":
        cases.dismiss(session=session, case_id=case.id, user=actor.user, now=now, note=command.note)
        record_verdict(session=session, mention_id=case.mention_id, verdict=False, who=actor.user, now=now)
        return f"Case #{case.id} dismissed as not a complaint."
    if verb == "responded":
        try:
            record_response(session=session, case_id=case.id, actor=actor.user, url=command.url, now=now)
        except AlreadyAnswered as exc:  # nothing was written; said in the reader's own time, as elsewhere
            return f"Case #{case.id} was already answered at {local_time(exc.case.first_response_at, with_date=True)}."
        return f"Case #{case.id} is answered; its response clock stopped at {local_time(now, with_date=True)}."
    if verb == "snooze":
        until = now + command.snooze
        cases.snooze(session=session, case_id=case.id, user=actor.user, now=now, until=until)
        return f"Case #{case.id} snoozed until {local_time(until, with_date=True)}."
    raise ValueError(f"unhandled command {verb}")


def _mark_complaint(session: Session, command: Command, actor: Actor, now: datetime, sla: SlaRule) -> str:
    """A mention the detector scored too low is a complaint: the detector learns from it, and it opens its case
    (for the first of the user's own brands it mentions), so someone answers it."""
    mention_id = command.mention_id
    if mention_id is None:
        mention_id = mention_by_link(session=session, canonical=canonical_url(command.url))
        if mention_id is None:
            return "Earful has not stored that post; only posts that mention a brand can be marked."
    try:
        record_verdict(session=session, mention_id=mention_id, verdict=True, who=actor.user, now=now)
    except UnknownMention as exc:
        return _sentence(str(exc))
    noted = f"Noted: mention m{mention_id} is a complaint (the detector learns from it for new posts)"
    existing = session.exec(select(Case.id).where(Case.mention_id == mention_id)).first()
    if existing is not None:
        return f"{noted}; it is case #{existing}."
    own = own_brand_of(session=session, mention_id=mention_id)
    if own is None:
        return f"{noted}; it mentions no brand of yours, so it opens no case."
    brand_id, brand, published, score, reach = own
    rank = priority(max(score, 0.5), reach)
    opened = cases.open_cases(session=session, now=now, requests=[cases.CaseRequest(
        mention_id=mention_id, brand_id=brand_id, sla_due_at=(published or now) + sla(brand, rank), priority=rank)])
    return f"{noted}; it opened case #{opened[0]} for {brand}." if opened else f"{noted}."


def source_names(*, session: Session) -> dict[int, str]:
    return dict(session.exec(select(Source.id, Source.name)).all())


def queue_text(views: list[cases.CaseView], *, now: datetime, empty: str, sources: dict[int, str] | None = None) -> str:
    """One line per case: number, brand, state and deadline, priority, source, link and the text's start."""
    if not views:
        return empty
    lines = []
    for view in views:
        case, mention = view.case, view.mention
        who = f"claimed by {case.claimed_by}" if case.claimed_by else case.status
        due = ""
        if case.sla_due_at:
            due = f", overdue {age(case.sla_due_at, now)}" if case.sla_due_at < now else f", due in {age(now, case.sla_due_at)}"
        where = " · ".join(p for p in ((sources or {}).get(mention.source_id), mention.url) if p)
        lines.append(f"#{case.id} [{view.brand}] {who}{due} (priority {case.priority:.2f}, mention m{mention.id})"
                     f"{' · ' + where if where else ''}: {snippet(mention.text or mention.title or '', 80)}")
    return "\n".join(lines)


def snippet(text: str, limit: int) -> str:
    """The text's start on one line, cut at a word with an ellipsis rather than mid-word."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] if " " in flat[:limit] else flat[:limit]
    return cut.rstrip(",.;:") + "…"


STATS_WINDOW = timedelta(days=7)  # `stats` in Slack and the console; `earful stats --since` for other periods


def stats_text(session: Session, now: datetime) -> str:
    counts = dict(session.exec(select(Case.status, sa.func.count()).group_by(Case.status)).all())
    overdue = session.exec(
        select(sa.func.count()).select_from(Case)
        .where(col(Case.status).in_(cases.OPEN_STATES), col(Case.sla_due_at) < now)
    ).one()
    parts = [f"{counts.get(s, 0)} {s}" for s in ("open", "claimed", "snoozed", "resolved", "dismissed")]
    since = now - STATS_WINDOW
    times = [CaseTimes(*row) for row in case_times(session=session, since=since)]
    return ("Cases: " + ", ".join(parts) + f"; {overdue} past their SLA.\n"
            + "```\n" + stats_table(times, since=since, now=now) + "\n```")
