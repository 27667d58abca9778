"""Storage, on SQLite and on the real PostgreSQL: idempotent upserts, stories, cases, leases, the outbox."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import select

from storage import cases
from storage.db import StorageError, make_engine, migrate, open_database, session_scope, shown_url
from storage.mentions import NewMention, store_batch
from storage.models import Case, Event, Mention, MentionBrand, Outbox, Source
from storage.outbox import begin_attempt, enqueue, mark_sent, lease_due
from storage.sources import (BrandSpec, SourceSpec, lease_due_sources, record_failure, record_success,
                             sync_brands, sync_sources)

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)


def setup_world(engine):
    with session_scope(engine) as session:
        brands = sync_brands(session=session, specs=[
            BrandSpec("Acme", "acme", [], {}, False), BrandSpec("Globex", "globex", [], {}, True)])
        sources = sync_sources(session=session, now=NOW, specs=[
            SourceSpec("blog", "feed", "https://a.example/feed", {}, ["Acme", "Globex"], 600, True),
            SourceSpec("forum", "feed", "https://b.example/feed", {}, ["Acme"], 600, True)])
    return brands, sources


def item(external_id: str, text: str, *, story: str | None = None, complaint: bool = True, brand_ids=(1,),
         case_brand: int | None = 1) -> NewMention:
    return NewMention(
        external_id=external_id, text=text, content_hash=f"h:{text}", story_key=story or f"s:{text}",
        published_at=NOW - timedelta(hours=1), is_complaint=complaint, complaint_score=0.9 if complaint else 0.1,
        brand_ids=list(brand_ids), case_brand_id=case_brand if complaint else None,
        sla_due_at=NOW + timedelta(hours=3) if complaint else None,
    )


def count(engine, model) -> int:
    with session_scope(engine) as session:
        return session.exec(select(sa.func.count()).select_from(model)).one()


def test_same_item_twice_is_one_mention_and_one_case(engine):
    brands, sources = setup_world(engine)
    for _ in range(2):
        with session_scope(engine) as session:
            result = store_batch(session=session, source_id=sources["blog"], now=NOW,
                                 items=[item("1", "acme broke"), item("2", "acme fine", complaint=False)])
    assert (result.new, result.updated, result.unchanged) == (0, 0, 2)
    assert count(engine, Mention) == 2
    assert count(engine, Case) == 1
    assert count(engine, MentionBrand) == 2
    assert count(engine, Outbox) == 1  # one card to post


def test_republished_with_an_edit_updates_in_place(engine):
    _, sources = setup_world(engine)
    with session_scope(engine) as session:
        store_batch(session=session, source_id=sources["blog"], now=NOW, items=[item("1", "acme broke")])
    later = NOW + timedelta(minutes=5)
    with session_scope(engine) as session:
        result = store_batch(session=session, source_id=sources["blog"], now=later,
                             items=[item("1", "acme broke, edited")])
    assert (result.new, result.updated) == (0, 1)
    with session_scope(engine) as session:
        mention = session.exec(select(Mention)).one()
    assert mention.text == "acme broke, edited" and mention.updated_at == later
    assert count(engine, Case) == 1


def test_cross_posts_are_one_story_with_one_case(engine):
    _, sources = setup_world(engine)
    with session_scope(engine) as session:
        first = store_batch(session=session, source_id=sources["blog"], now=NOW,
                            items=[item("a", "acme ate my data", story="k")])
    with session_scope(engine) as session:
        second = store_batch(session=session, source_id=sources["forum"], now=NOW,
                             items=[item("b", "acme ate my data!", story="k")])
    assert len(first.case_ids) == 1 and second.case_ids == [] and second.cross_posts == 1
    with session_scope(engine) as session:
        mentions = session.exec(select(Mention).order_by(Mention.id)).all()
    assert mentions[0].story_key == mentions[1].story_key == "k"


def test_cross_posts_within_one_batch_open_one_case(engine):
    _, sources = setup_world(engine)
    with session_scope(engine) as session:
        result = store_batch(session=session, source_id=sources["blog"], now=NOW, items=[
            item("a", "acme ate my data", story="k"), item("b", "acme ate my data!", story="k"),
            item("c", "acme lost my order", story="other")])
    assert (result.new, len(result.case_ids), result.cross_posts) == (3, 2, 1)
    with session_scope(engine) as session:
        opened_for = session.exec(select(Mention.external_id).join(Case, Case.mention_id == Mention.id)).all()
    assert sorted(opened_for) == ["a", "c"]  # the first of the story has its case


def test_same_guid_twice_in_one_batch_keeps_the_later(engine):
    _, sources = setup_world(engine)
    with session_scope(engine) as session:
        result = store_batch(session=session, source_id=sources["blog"], now=NOW,
                             items=[item("1", "acme old"), item("1", "acme new")])
    assert result.new == 1
    with session_scope(engine) as session:
        assert session.exec(select(Mention.text)).one() == "acme new"


def open_one(engine) -> int:
    _, sources = setup_world(engine)
    with session_scope(engine) as session:
        return store_batch(session=session, source_id=sources["blog"], now=NOW,
                           items=[item("1", "acme broke")]).case_ids[0]


def test_case_lifecycle_writes_events_and_outbox_rows(engine):
    case_id = open_one(engine)
    with session_scope(engine) as session:
        cases.claim(session=session, case_id=case_id, user="U1", now=NOW)
    with session_scope(engine) as session:
        with pytest.raises(cases.WrongState, match=r"case #\d+ is claimed by <@U1>; cannot claim it"):
            cases.claim(session=session, case_id=case_id, user="U2", now=NOW)
    with session_scope(engine) as session:
        change = cases.resolve(session=session, case_id=case_id, user="U1", now=NOW, note="refunded")
    assert change.case.status == "resolved" and change.case.note == "refunded" and change.case.version == 3
    with session_scope(engine) as session:
        actions = [e.action for e in cases.case_events(session=session, case_id=case_id)]
        kinds = sorted(r.kind for r in session.exec(select(Outbox)).all())
    assert actions == ["opened", "claimed", "resolved"]
    assert kinds == ["post_card", "thread_note", "thread_note", "update_card", "update_card"]


def test_unknown_case(engine):
    with session_scope(engine) as session:
        with pytest.raises(cases.CaseNotFound, match="there is no case #99"):
            cases.claim(session=session, case_id=99, user="U1", now=NOW)


def test_snooze_wakes_itself(engine):
    case_id = open_one(engine)
    with session_scope(engine) as session:
        cases.snooze(session=session, case_id=case_id, user="U1", now=NOW, until=NOW + timedelta(hours=1))
    with session_scope(engine) as session:
        assert cases.wake_snoozed(session=session, now=NOW + timedelta(minutes=59)) == []
    with session_scope(engine) as session:
        woken = cases.wake_snoozed(session=session, now=NOW + timedelta(hours=1))
    assert [c.case.status for c in woken] == ["open"]


def test_claim_race_has_exactly_one_winner(engine):
    case_id = open_one(engine)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def press(user: str) -> None:
        barrier.wait()
        try:
            with session_scope(engine) as session:
                cases.claim(session=session, case_id=case_id, user=user, now=NOW)
            results.append(f"won:{user}")
        except cases.WrongState:
            results.append("lost")
        except sa.exc.OperationalError:  # SQLite: "database is locked" is a loss too, never a double win
            results.append("lost")

    threads = [threading.Thread(target=press, args=(f"U{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r.startswith("won")]
    assert len(winners) == 1 and len(results) == 8
    with session_scope(engine) as session:
        case = session.get(Case, case_id)
        claims = session.exec(select(Event).where(Event.action == "claimed")).all()
    assert case.claimed_by == winners[0].split(":")[1] and len(claims) == 1


def test_queue_orders_by_priority_then_deadline(engine):
    _, sources = setup_world(engine)
    rows = [item(str(i), f"acme {i}") for i in range(3)]
    rows[0].priority, rows[1].priority, rows[2].priority = 1.0, 3.0, 1.0
    rows[2].sla_due_at = NOW + timedelta(minutes=5)
    with session_scope(engine) as session:
        store_batch(session=session, source_id=sources["blog"], now=NOW, items=rows)
    with session_scope(engine) as session:
        order = [v.mention.external_id for v in cases.open_queue(session=session)]
        assert [v.brand for v in cases.open_queue(session=session, brand="acme")] == ["Acme"] * 3
    assert order == ["1", "2", "0"]


def test_sources_lease_once_and_record_health(engine):
    _, sources = setup_world(engine)
    with session_scope(engine) as session:
        first = lease_due_sources(session=session, now=NOW, owner="w1", lease=timedelta(minutes=5))
    with session_scope(engine) as session:
        second = lease_due_sources(session=session, now=NOW, owner="w2", lease=timedelta(minutes=5))
    assert len(first) == 2 and second == []
    with session_scope(engine) as session:
        record_failure(session=session, source_id=sources["blog"], now=NOW, status=404, error="404",
                       next_poll_at=NOW + timedelta(minutes=1), disable_reason="gone")
        record_success(session=session, source_id=sources["forum"], now=NOW, status=200, etag='"x"',
                       last_modified=None, cursor=None, items=3, next_poll_at=NOW + timedelta(minutes=10))
    with session_scope(engine) as session:
        later = lease_due_sources(session=session, now=NOW + timedelta(hours=1), owner="w3",
                                  lease=timedelta(minutes=5))
        blog = session.get(Source, sources["blog"])
    assert [s.name for s in later] == ["forum"]  # the disabled one is not polled
    assert (blog.consecutive_failures, blog.disabled_reason) == (1, "gone")


def test_changing_a_source_url_forgets_its_state(engine):
    _, sources = setup_world(engine)
    with session_scope(engine) as session:
        record_failure(session=session, source_id=sources["blog"], now=NOW, status=410, error="gone",
                       next_poll_at=NOW + timedelta(days=1), disable_reason="gone")
    with session_scope(engine) as session:
        sync_sources(session=session, now=NOW, specs=[
            SourceSpec("blog", "feed", "https://new.example/feed", {}, [], 600, True)])
    with session_scope(engine) as session:
        blog = session.get(Source, sources["blog"])
        forum = session.get(Source, sources["forum"])
    assert (blog.disabled_reason, blog.consecutive_failures, blog.next_poll_at) == (None, 0, NOW)
    assert forum.enabled is False and forum.disabled_reason == "removed from the configuration"


def test_outbox_dedupes_and_leases(engine):
    with session_scope(engine) as session:
        assert enqueue(session=session, kind="k", dedupe_key="a", payload={}, channel=None, now=NOW)
        assert not enqueue(session=session, kind="k", dedupe_key="a", payload={}, channel=None, now=NOW)
    with session_scope(engine) as session:
        taken = lease_due(session=session, now=NOW)
    with session_scope(engine) as session:
        assert lease_due(session=session, now=NOW) == []  # leased to the first taker
    with session_scope(engine) as session:
        mark_sent(session=session, outbox_id=taken[0].id, now=NOW, channel="C1", ts="1.0")
    with session_scope(engine) as session:
        assert lease_due(session=session, now=NOW + timedelta(hours=1)) == []


def test_a_leased_row_is_tried_only_by_the_worker_that_still_holds_it(engine):
    with session_scope(engine) as session:
        enqueue(session=session, kind="k", dedupe_key="a", payload={}, channel=None, now=NOW)
    with session_scope(engine) as session:
        slow = lease_due(session=session, now=NOW)[0]  # a worker that takes long to reach this row
    later = NOW + timedelta(seconds=31)
    with session_scope(engine) as session:
        quick = lease_due(session=session, now=later)[0]  # the batch lease ran out: another worker takes it
    with session_scope(engine) as session:
        assert begin_attempt(session=session, row=quick, now=later)
        assert not begin_attempt(session=session, row=slow, now=later)  # no longer the slow worker's to send
    assert (quick.attempts, quick.first_attempt_at) == (1, later)
    with session_scope(engine) as session:  # the try holds it for the send lease, not the batch lease
        assert lease_due(session=session, now=later + timedelta(seconds=60)) == []


def test_migrations_are_idempotent(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)
    engine.dispose()


def test_sqlite_connections_get_the_settings_storing_relies_on(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'earful.db'}")
    with engine.connect() as conn:
        setting = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("journal_mode", "synchronous", "foreign_keys", "temp_store")}
    engine.dispose()
    # WAL lets readers run beside the writer; NORMAL syncs at checkpoints, not on every commit; statement
    # journals of multi-row inserts stay in memory (temp_store 2) instead of going through temporary files
    assert setting == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "temp_store": 2}


@pytest.mark.parametrize("url, words", [
    ("not a url", "is not a database URL"),
    ("mysql://x@localhost/db", "not supported"),
    ("postgresql://nobody@127.0.0.1:1/none", "cannot open the database"),
    ("sqlite:////nonexistent-dir/sub/earful.db", "cannot open the database"),
])
def test_bad_database_url_is_a_clear_error(url, words):
    with pytest.raises(StorageError, match=words):
        open_database(url)


@pytest.mark.parametrize("url", ["postgresql://earful:hunter2@127.0.0.1:1/none", "post gres://earful:hunter2@x/db"])
def test_a_database_password_is_never_shown(url):
    with pytest.raises(StorageError) as caught:
        open_database(url)
    assert "hunter2" not in str(caught.value) and "***" in str(caught.value)
    assert shown_url(url).count("hunter2") == 0
    assert shown_url("sqlite:///earful.db") == "sqlite:///earful.db"


def test_two_workers_never_lease_the_same_source(engine):
    with session_scope(engine) as session:
        sync_sources(session=session, now=NOW, specs=[
            SourceSpec(f"s{i}", "feed", f"https://x.example/{i}", {}, [], 600, True) for i in range(40)])
    leased: dict[str, list[str]] = {}
    barrier = threading.Barrier(3)

    def worker(owner: str) -> None:
        barrier.wait()
        got = []
        for _ in range(20):
            with session_scope(engine) as session:
                got += [s.name for s in lease_due_sources(session=session, now=NOW, owner=owner, limit=3,
                                                          lease=timedelta(minutes=5))]
        leased[owner] = got

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [name for names in leased.values() for name in names]
    assert len(everything) == len(set(everything)) == 40
