"""Carry out a triage command for a person and say what happened, in one sentence or a short list.

The console backend and Slack's `/earful` both end here, so the rules and the wording are the same in both.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.messages.cards import age, local_time
from bot.commands import HELP, Command
from monitors.cases.response_times import CaseTimes, stats_table
from monitors.cases.triage import Actor, refusal
from storage import cases
from storage.db import session_scope
from monitors.ingest.canonical import canonical_url
from storage.case_times import case_times
from monitors.learning import record_verdict
from storage.feedback import UnknownMention, mention_by_link
from storage.models import Case
from storage.response_clock import AlreadyAnswered, record_response


def execute(engine: sa.Engine, command: Command, *, actor: Actor, now: datetime) -> str:
    with session_scope(engine) as session:
        try:
            return _run(session, command, actor, now)
        except cases.CaseError as exc:
            session.rollback()
            return _sentence(str(exc))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _run(session: Session, command: Command, actor: Actor, now: datetime) -> str:
    verb = command.verb
    if verb == "help":
        return HELP
    if verb in ("queue", "mine"):
        views = cases.open_queue(session=session, brand=command.brand,
                                 claimed_by=actor.user if verb == "mine" else None)
        return queue_text(views, now=now, empty="You have no claimed cases." if verb == "mine" else "The queue is empty.")
    if verb == "stats":
        return stats_text(session, now)
    if verb == "complaint":
        return _mark_complaint(session, command, actor, now)
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


def _mark_complaint(session: Session, command: Command, actor: Actor, now: datetime) -> str:
    """Feedback that a mention is a complaint (one the detector scored too low): the detector learns from it."""
    mention_id = command.mention_id
    if mention_id is None:
        mention_id = mention_by_link(session=session, canonical=canonical_url(command.url))
        if mention_id is None:
            return "Earful has not stored that post; only posts that mention a brand can be marked."
    try:
        record_verdict(session=session, mention_id=mention_id, verdict=True, who=actor.user, now=now)
    except UnknownMention as exc:
        return _sentence(str(exc))
    return (f"Noted: mention #{mention_id} is a complaint. The detector learns from it for new posts; "
            "`earful tune` shows what your verdicts changed.")


def queue_text(views: list[cases.CaseView], *, now: datetime, empty: str) -> str:
    if not views:
        return empty
    lines = []
    for view in views:
        case, mention = view.case, view.mention
        who = f"claimed by {case.claimed_by}" if case.claimed_by else case.status
        due = ""
        if case.sla_due_at:
            due = f", overdue {age(case.sla_due_at, now)}" if case.sla_due_at < now else f", due in {age(now, case.sla_due_at)}"
        snippet = " ".join((mention.text or mention.title or "").split())[:80]
        lines.append(f"#{case.id} [{view.brand}] {who}{due} (priority {case.priority:.2f}): {snippet}")
    return "\n".join(lines)


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
