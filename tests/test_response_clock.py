"""The response clock in storage: answers recorded once, reminders and escalations exactly once (also with
several workers racing on PostgreSQL), and the reply watch stopping a clock from a real thread."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import select

from monitors.config import SlackConfig
from monitors.cases.escalation import sweep
from monitors.ingest.fetch import Fetcher, FetchSettings
from monitors.cases.replies.watch import ReplyWatch
from monitors.cases.sla import SlaPolicy
from storage import cases
from storage.db import make_engine, session_scope
from storage.mentions import NewMention, store_batch
from storage.models import Case, Event, Outbox
from storage.response_clock import AlreadyAnswered, record_response, running_clocks
from storage.sources import BrandSpec, SourceSpec, sync_brands, sync_sources

PUBLISHED = datetime(2026, 11, 7, 0, 0, tzinfo=timezone.utc)
POLICY = SlaPolicy(sla=timedelta(hours=4), high_priority=2.0, repeat=timedelta(hours=4))
SLACK = SlackConfig(escalation_channel="#esc", oncall_group="S0ONCALL")
REPLIES = Path(__file__).parent / "fixtures" / "sources" / "replies"


def world(engine, *, source_url="https://mastodon.example", cases_wanted=1, priority=1.0) -> list[int]:
    with session_scope(engine) as session:
        brands = sync_brands(session=session, specs=[
            BrandSpec("Acme", "acme", [], {"mastodon": ["@acme@127.0.0.1"]}, False)])
        sources = sync_sources(session=session, now=PUBLISHED, specs=[
            SourceSpec("masto", "mastodon", source_url, {}, ["Acme"], 600, True)])
        items = [NewMention(external_id=str(n + 1), text=f"acme never answers {n}", content_hash=f"h{n}",
                            story_key=f"s{n}", published_at=PUBLISHED, is_complaint=True, complaint_score=0.9,
                            brand_ids=[brands["Acme"]], case_brand_id=brands["Acme"],
                            sla_due_at=PUBLISHED + timedelta(hours=4), priority=priority)
                 for n in range(cases_wanted)]
        return store_batch(session=session, source_id=sources["masto"], items=items, now=PUBLISHED).case_ids


def events(engine, action: str) -> list[Event]:
    with session_scope(engine) as session:
        return list(session.exec(select(Event).where(Event.action == action)).all())


def outbox(engine, kind: str) -> list[Outbox]:
    with session_scope(engine) as session:
        return list(session.exec(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)).all())


def run_sweep(engine, now):
    with session_scope(engine) as session:
        return sweep(session=session, policy=POLICY, slack=SLACK, now=now)


def test_an_answer_is_recorded_once_and_claiming_is_not_answering(engine):
    (case_id,) = world(engine)
    with session_scope(engine) as session:
        cases.claim(session=session, case_id=case_id, user="U1", now=PUBLISHED + timedelta(minutes=5))
    with session_scope(engine) as session:
        assert session.get(Case, case_id).first_response_at is None
        record_response(session=session, case_id=case_id, actor="U1", url="https://x.example/r/1",
                        now=PUBLISHED + timedelta(hours=1))
    with pytest.raises(AlreadyAnswered), session_scope(engine) as session:
        record_response(session=session, case_id=case_id, actor="U2", url=None, now=PUBLISHED + timedelta(hours=2))
    with session_scope(engine) as session:
        assert session.get(Case, case_id).first_response_at == PUBLISHED + timedelta(hours=1)
    (answered,) = events(engine, "answered")
    assert (answered.actor, answered.note) == ("U1", "https://x.example/r/1")


def test_reminder_then_escalation_then_follow_ups_each_once(engine):
    (case_id,) = world(engine)
    with session_scope(engine) as session:
        cases.claim(session=session, case_id=case_id, user="U1", now=PUBLISHED)
    assert run_sweep(engine, PUBLISHED + timedelta(hours=2)).reminded == []
    for minutes in (180, 181, 200):  # 75% of 4 h, and again a little later: one reminder
        run_sweep(engine, PUBLISHED + timedelta(minutes=minutes))
    assert [(r.channel, r.payload["user"]) for r in outbox(engine, "remind")] == [("U1", "U1")]
    for minutes in (240, 241, 300, 479):  # breach, and repeats inside the 4 h window: one escalation
        run_sweep(engine, PUBLISHED + timedelta(minutes=minutes))
    assert [r.dedupe_key for r in outbox(engine, "escalate")] == [f"escalate:{case_id}:20261107T040000:0"]
    run_sweep(engine, PUBLISHED + timedelta(hours=8))
    run_sweep(engine, PUBLISHED + timedelta(hours=8, minutes=1))
    assert [r.payload["round"] for r in outbox(engine, "escalate")] == [0, 1]
    assert all(r.channel == "#esc" for r in outbox(engine, "escalate"))
    with session_scope(engine) as session:
        record_response(session=session, case_id=case_id, actor="U1", url=None, now=PUBLISHED + timedelta(hours=9))
    run_sweep(engine, PUBLISHED + timedelta(hours=13))
    assert len(outbox(engine, "escalate")) == 2  # answered: the clock stopped
    assert len(events(engine, "escalated")) == 2 and len(events(engine, "reminded")) == 1


def test_unclaimed_high_priority_escalates_at_half_time_and_resolved_never(engine):
    first, second = world(engine, cases_wanted=2, priority=3.0)
    with session_scope(engine) as session:
        cases.resolve(session=session, case_id=second, user="U1", now=PUBLISHED)
    assert run_sweep(engine, PUBLISHED + timedelta(hours=1, minutes=59)).escalated == []
    assert run_sweep(engine, PUBLISHED + timedelta(hours=2)).escalated == [first]


def test_two_workers_racing_the_sweep_escalate_exactly_once(engine, database_url):
    case_ids = world(engine, cases_wanted=5)
    workers = 4
    engines = [make_engine(database_url) for _ in range(workers)]
    start = threading.Barrier(workers)
    results, errors = [], []

    def work(worker_engine):
        try:
            start.wait(timeout=10)
            for minutes in (240, 241, 242):
                results.append(run_sweep(worker_engine, PUBLISHED + timedelta(minutes=minutes)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for e in engines:
        e.dispose()
    assert not errors, errors
    escalated = sorted(case for result in results for case in result.escalated)
    assert escalated == sorted(case_ids)
    assert sorted(r.payload["case_id"] for r in outbox(engine, "escalate")) == sorted(case_ids)
    assert len(events(engine, "escalated")) == len(case_ids)


def test_reply_watch_stops_the_clock_from_the_thread(engine, feed_server):
    (case_id,) = world(engine, source_url=feed_server.url(""))
    path = "/api/v1/statuses/1/context"
    feed_server.route(path, body=(REPLIES / "mastodon_unanswered.json").read_bytes(), content_type="application/json")
    with Fetcher(FetchSettings(timeout=2, total_timeout=4)) as fetcher:
        watch = ReplyWatch(engine, fetcher, interval=timedelta(minutes=10))
        assert watch.run_once(PUBLISHED + timedelta(minutes=5)).answered == []
        feed_server.route(path, body=(REPLIES / "mastodon_answered.json").read_bytes(),
                          content_type="application/json")
        assert watch.run_once(PUBLISHED + timedelta(minutes=9)).checked == 0  # not again within the interval
        assert watch.run_once(PUBLISHED + timedelta(minutes=15)).answered == [case_id]
        assert watch.run_once(PUBLISHED + timedelta(minutes=30)).checked == 0  # answered: no longer watched
    assert feed_server.hits(path) == 2
    with session_scope(engine) as session:
        assert session.get(Case, case_id).first_response_at == datetime(2026, 11, 7, 0, 9, tzinfo=timezone.utc)
    (answered,) = events(engine, "answered")
    assert (answered.actor, answered.note) == ("mastodon:acme@127.0.0.1", "https://mastodon.social/@acme/3")
    assert run_sweep(engine, PUBLISHED + timedelta(hours=5)).escalated == []


def test_cases_beyond_the_first_thousand_are_escalated_and_followed_up(engine):
    # The sweep used to read the 1,000 earliest-due unanswered cases, escalated ones included: with 1,003 cases
    # due at once, the same 1,000 came back every minute while they waited hours for a follow-up, and the
    # last three never got their escalation.
    case_ids = world(engine, cases_wanted=1_003)
    breach = PUBLISHED + timedelta(hours=4)
    unfolded = SlackConfig(escalation_channel="#esc", flood_threshold=10_000)  # a message each, to count them
    for now in (breach, breach + timedelta(minutes=1)):
        with session_scope(engine) as session:
            sweep(session=session, policy=POLICY, slack=unfolded, now=now)
    assert len(outbox(engine, "escalate")) == 1_003
    assert {r.payload["case_id"] for r in outbox(engine, "escalate")} == set(case_ids)


def test_the_sweep_pages_through_every_case_and_skips_those_waiting_for_a_follow_up(engine):
    first, *rest = world(engine, cases_wanted=7)
    breach = PUBLISHED + timedelta(hours=4)
    with session_scope(engine) as session:
        done = sweep(session=session, policy=POLICY, slack=SLACK, now=breach, page=3)
    assert sorted(done.escalated) == sorted([first, *rest])
    with session_scope(engine) as session:
        assert list(running_clocks(session=session, now=breach + timedelta(hours=1), repeat=POLICY.repeat)) == []
        due_again = running_clocks(session=session, now=breach + timedelta(hours=4), repeat=POLICY.repeat, page=2)
        assert len(list(due_again)) == 7  # the follow-up is due for all of them


def _store(engine, brand: str, n: int, *, published: datetime, seen: datetime, start: int = 0) -> list[int]:
    with session_scope(engine) as session:
        brands = sync_brands(session=session, specs=[BrandSpec("Acme", "acme", [], {}, False),
                                                     BrandSpec("Initech", "initech", [], {}, False)])
        sources = sync_sources(session=session, now=seen, specs=[
            SourceSpec("masto", "mastodon", "https://mastodon.example", {}, [], 600, True)])
        items = [NewMention(external_id=f"{brand}{k}", text=f"{brand} never answers {k}", content_hash=f"h{brand}{k}",
                            story_key=f"s{brand}{k}", published_at=published, is_complaint=True,
                            complaint_score=0.9, brand_ids=[brands[brand]], case_brand_id=brands[brand],
                            sla_due_at=published + timedelta(hours=4), priority=1.0)
                 for k in range(start, start + n)]
        return store_batch(session=session, source_id=sources["masto"], items=items, now=seen).case_ids


def test_backlog_is_listed_once_per_brand_and_never_escalated(engine):
    first_poll = PUBLISHED + timedelta(days=2)  # everything it finds is long past its deadline
    acme = _store(engine, "Acme", 12, published=PUBLISHED, seen=first_poll)
    initech = _store(engine, "Initech", 2, published=PUBLISHED, seen=first_poll)
    on_time = _store(engine, "Acme", 1, published=first_poll, seen=first_poll, start=50)  # seen before its deadline
    done = run_sweep(engine, first_poll)
    assert sorted(done.backlog) == sorted(acme + initech) and done.escalated == []
    for hours in (1, 5, 9, 30):  # days of sweeps: nothing more about them
        later = run_sweep(engine, first_poll + timedelta(hours=hours))
        assert later.backlog == [] and not set(later.escalated) & set(acme + initech)
    summaries = outbox(engine, "backlog")
    assert sorted(len(r.payload["case_ids"]) for r in summaries) == [2, 12]
    assert {r.channel for r in summaries} == {"#esc"}
    # the one seen in time: escalated at its breach (4 h in), then followed up at 9 h and 30 h, numbered 1 and 2
    assert [(r.payload["case_id"], r.payload["round"]) for r in outbox(engine, "escalate")] == [
        (on_time[0], 0), (on_time[0], 1), (on_time[0], 2)]
    # old posts a new source finds a day later: one more summary, of those only
    newer = _store(engine, "Acme", 3, published=PUBLISHED, seen=first_poll + timedelta(days=1), start=20)
    assert sorted(run_sweep(engine, first_poll + timedelta(days=1)).backlog) == sorted(newer)
    assert len(events(engine, "backlog")) == 17


def test_more_escalations_than_the_flood_threshold_go_out_as_one_message(engine):
    case_ids = world(engine, cases_wanted=7)
    breach = PUBLISHED + timedelta(hours=4)
    assert run_sweep(engine, breach).folded
    (folded,) = outbox(engine, "escalate_many")
    assert folded.channel == "#esc" and sorted(c for c, _ in folded.payload["cases"]) == sorted(case_ids)
    assert {r for _, r in folded.payload["cases"]} == {0}
    assert outbox(engine, "escalate") == [] and len(events(engine, "escalated")) == 7
    # Earful down for a day: the next one is follow-up 1 for each (one was sent), folded again
    assert run_sweep(engine, breach + timedelta(hours=24)).folded
    assert {r for _, r in outbox(engine, "escalate_many")[1].payload["cases"]} == {1}


def test_a_reopened_case_starts_its_escalations_again(engine):
    (case_id,) = world(engine)
    breach = PUBLISHED + timedelta(hours=4)
    run_sweep(engine, breach)
    with session_scope(engine) as session:
        cases.resolve(session=session, case_id=case_id, user="U1", now=breach + timedelta(minutes=1))
        cases.reopen(session=session, case_id=case_id, now=breach + timedelta(hours=1),
                     sla_due_at=breach + timedelta(hours=5))
    assert run_sweep(engine, breach + timedelta(hours=5)).escalated == [case_id]
    assert [r.payload["round"] for r in outbox(engine, "escalate")] == [0, 0]
