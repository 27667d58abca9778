"""From feeds served over real HTTP to stored, scored mentions and opened cases, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import select

from monitors.configure import parse_config
from monitors.ingest.fetch import Fetcher, FetchSettings
from monitors.ingest.pipeline import Pipeline
from monitors.ingest.poller import SOURCES_PER_CYCLE, Poller
from monitors.ingest.raw import RawMention
from monitors.sync import apply_config
from storage.db import session_scope
from storage.models import Case, Mention, MentionBrand, Outbox, Source

NOW = datetime(2026, 11, 6, 12, 0, tzinfo=timezone.utc)

COMPLAINT = "Acme has been failing to sync for three days, still no response from support. I want a refund."
PRAISE = "The new Acme dashboard is fast and clear, great work!"
COMPETITOR = "Globex deleted my folder and support never answered."


def rss(*items: tuple[str, str], published: str = "Fri, 06 Nov 2026 10:00:00 GMT") -> bytes:
    body = "".join(
        f"<item><guid>{guid}</guid><link>https://blog.example/{guid}?utm_source=x</link>"
        f"<pubDate>{published}</pubDate><description>{text}</description></item>"
        for guid, text in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


def make_poller(engine, feed_server, sources: list[dict]) -> Poller:
    config = parse_config({
        "brands": [{"name": "Acme", "query": "acme"}, {"name": "Globex", "query": "globex", "competitor": True}],
        "sources": sources,
    })
    brand_ids = apply_config(engine, config, now=NOW)
    fetcher = Fetcher(FetchSettings(timeout=2))
    return Poller(engine, Pipeline(config, brand_ids), fetcher, workers=4, rng=random.Random(1))


def table(engine, model):
    with session_scope(engine) as session:
        return list(session.exec(select(model).order_by(model.id)).all())


def test_poll_stores_scored_mentions_and_opens_cases(engine, feed_server):
    feed_server.route("/a.xml", rss(("1", COMPLAINT), ("2", PRAISE), ("3", COMPETITOR), ("4", "unrelated")),
                      content_type="application/rss+xml", etag='"v1"')
    poller = make_poller(engine, feed_server, [{"name": "a", "kind": "feed", "url": feed_server.url("/a.xml")}])
    [outcome] = poller.poll_due(NOW)
    assert (outcome.fetched, outcome.new, outcome.complaints, outcome.error) == (4, 3, 1, None)
    mentions = {m.external_id: m for m in table(engine, Mention)}
    assert set(mentions) == {"1", "2", "3"}  # "unrelated" matches no brand
    assert mentions["1"].is_complaint and mentions["1"].sentiment_label == "negative"
    assert mentions["1"].canonical_url == "https://blog.example/1"
    assert mentions["2"].sentiment_label == "positive" and not mentions["2"].is_complaint
    [case] = table(engine, Case)
    assert case.mention_id == mentions["1"].id  # the competitor's complaint opens no case
    assert case.sla_due_at == datetime(2026, 11, 6, 14, 0, tzinfo=timezone.utc)  # published 10:00 + 4h
    assert [r.kind for r in table(engine, Outbox)] == ["post_card"]
    assert len(table(engine, MentionBrand)) == 3

    # the next poll is conditional and costs nothing
    [again] = poller.poll_due(NOW + timedelta(hours=1))
    assert again.not_modified and again.new == 0
    assert feed_server.last("/a.xml").headers.get("if-none-match") == '"v1"'
    assert len(table(engine, Mention)) == 3
    poller.fetcher.close()


def test_a_failing_source_does_not_stop_the_others(engine, feed_server):
    feed_server.route("/ok.xml", rss(("1", COMPLAINT)), content_type="application/rss+xml")
    feed_server.route("/down.xml", b"oops", status=500)
    feed_server.route("/html", b"<!doctype html><html><body>hello</body></html>", content_type="text/html")
    poller = make_poller(engine, feed_server, [
        {"name": "ok", "kind": "feed", "url": feed_server.url("/ok.xml")},
        {"name": "down", "kind": "feed", "url": feed_server.url("/down.xml"), "interval": "10m"},
        {"name": "html", "kind": "feed", "url": feed_server.url("/html")},
    ])
    outcomes = {o.name: o for o in poller.poll_due(NOW)}
    assert outcomes["ok"].new == 1 and outcomes["ok"].error is None
    assert "500" in outcomes["down"].error
    assert "HTML" in outcomes["html"].error
    sources = {s.name: s for s in table(engine, Source)}
    down = sources["down"]
    assert down.consecutive_failures == 1 and down.last_status == 500 and "500" in down.last_error
    assert NOW < down.next_poll_at <= NOW + timedelta(hours=6)  # backed off, not dropped
    assert sources["ok"].last_success_at == NOW and sources["ok"].consecutive_failures == 0


def test_retry_after_is_honoured(engine, feed_server):
    feed_server.route("/busy.xml", b"", status=429, headers={"Retry-After": "7200"})
    poller = make_poller(engine, feed_server, [{"name": "busy", "kind": "feed", "url": feed_server.url("/busy.xml"),
                                                "interval": "1m"}])
    poller.poll_due(NOW)
    [busy] = table(engine, Source)
    assert busy.next_poll_at >= NOW + timedelta(seconds=7200)


def test_gone_feeds_are_disabled_with_a_reason(engine, feed_server):
    feed_server.route("/gone.xml", b"", status=410)
    poller = make_poller(engine, feed_server, [{"name": "gone", "kind": "feed", "url": feed_server.url("/gone.xml")}])
    for attempt in range(3):
        poller.poll_due(NOW + timedelta(days=attempt), all_enabled=True)
    [gone] = table(engine, Source)
    assert gone.consecutive_failures == 3 and "410" in gone.disabled_reason
    assert poller.poll_due(NOW + timedelta(days=9), all_enabled=True) == []
    assert feed_server.hits("/gone.xml") == 3


def test_a_crash_while_storing_loses_nothing(engine, feed_server, monkeypatch):
    """The conditional-GET state is saved with the mentions: a batch that fails to store is fetched again."""
    feed_server.route("/a.xml", rss(("1", COMPLAINT)), content_type="application/rss+xml", etag='"v1"')
    poller = make_poller(engine, feed_server, [{"name": "a", "kind": "feed", "url": feed_server.url("/a.xml")}])
    import monitors.ingest.intake as intake_module  # polled and pushed batches are stored there

    def broken_store(**_):
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(intake_module, "store_batch", broken_store)
    [failed] = poller.poll_due(NOW)
    assert "could not store" in failed.error
    [source] = table(engine, Source)
    assert source.etag is None and table(engine, Mention) == []
    # the failure is in the source's health and its lease is handed back for the next poll
    assert "could not store" in source.last_error and source.lease_until is None and source.lease_owner is None
    monkeypatch.undo()
    [retried] = poller.poll_due(NOW + timedelta(minutes=20), all_enabled=True)
    assert retried.new == 1 and not retried.not_modified
    assert len(table(engine, Case)) == 1


def test_old_complaints_open_no_case(engine, feed_server):
    feed_server.route("/old.xml", rss(("1", COMPLAINT), published="Mon, 01 Jun 2026 10:00:00 GMT"),
                      content_type="application/rss+xml")
    poller = make_poller(engine, feed_server, [{"name": "old", "kind": "feed", "url": feed_server.url("/old.xml")}])
    [outcome] = poller.poll_due(NOW)
    assert outcome.new == 1 and outcome.complaints == 0
    assert table(engine, Case) == []


@pytest.mark.parametrize("count", [30])
def test_many_sources_poll_in_parallel_with_a_per_host_limit(sqlite_engine, feed_server, count):
    for n in range(count):
        feed_server.route(f"/f{n}.xml", rss((f"{n}", f"Acme item {n}")), content_type="application/rss+xml",
                          delay=0.05)
    poller = make_poller(sqlite_engine, feed_server, [
        {"name": f"f{n}", "kind": "feed", "url": feed_server.url(f"/f{n}.xml")} for n in range(count)])
    seen = []
    outcomes = poller.poll_due(NOW, on_progress=lambda outcome, done, total: seen.append((done, total)))
    assert len(outcomes) == count and all(o.new == 1 for o in outcomes)
    assert seen[-1] == (count, count)
    assert feed_server.peak_active <= 2  # fetch.per_host default


def _not_here(*args, **kwargs):
    raise AssertionError("prepared in the calling thread")


def test_big_batches_are_scored_in_worker_processes_with_the_same_result(sqlite_engine, feed_server, monkeypatch):
    from monitors.ingest import pool as scoring_pool
    from monitors.ingest.pool import POOL_MIN_BYTES, POOL_MIN_ITEMS, WORKER_NICENESS

    texts = [COMPLAINT, PRAISE, "Acme release notes are out"]
    filler = " More about it in the next post." * 15
    items = [(str(i), f"{texts[i % 3]} ({i}).{filler}") for i in range(POOL_MIN_ITEMS + 10)]
    body = rss(*items)
    assert len(body) >= POOL_MIN_BYTES  # so the feed is parsed and scored in the processes
    feed_server.route("/big.xml", body, content_type="application/rss+xml")
    poller = make_poller(sqlite_engine, feed_server, [{"name": "big", "kind": "feed",
                                                       "url": feed_server.url("/big.xml")}])
    poller.scoring.processes = 2
    try:
        assert poller.scoring.wait_until_started(timeout=60)
        # from now on a batch prepared in this process fails (the processes have their own copy of the module)
        monkeypatch.setattr(scoring_pool, "prepare", _not_here)
        [outcome] = poller.poll_due(NOW)
        # the processes yield the CPU to this one, which stores what they prepare (os.nice(0) reads niceness)
        pool = poller.scoring._started()
        assert pool.submit(os.nice, 0).result() == min(19, os.nice(0) + WORKER_NICENESS)
    finally:
        poller.close()
    assert outcome.new == len(items) and outcome.error is None
    inline = poller.pipeline.prepare(
        [RawMention(guid, text) for guid, text in items], brand_names=["Acme"], now=NOW)
    stored = {m.external_id: (m.sentiment, m.is_complaint) for m in table(sqlite_engine, Mention)}
    assert stored == {row.external_id: (row.sentiment, row.is_complaint) for row in inline}
    assert outcome.complaints == sum(1 for row in inline if row.is_complaint)


def test_a_big_page_that_is_no_feed_fails_in_the_processes_with_a_clear_error(sqlite_engine, feed_server):
    from monitors.ingest.pool import POOL_MIN_BYTES

    page = b"<!DOCTYPE html><html><head><title>Acme blog</title></head><body>" + b"<p>hello</p>" * (
        POOL_MIN_BYTES // 10) + b"</body></html>"
    feed_server.route("/page", page, content_type="text/html")
    feed_server.route("/ok.xml", rss(("1", COMPLAINT)), content_type="application/rss+xml")
    poller = make_poller(sqlite_engine, feed_server, [
        {"name": "page", "kind": "feed", "url": feed_server.url("/page")},
        {"name": "ok", "kind": "feed", "url": feed_server.url("/ok.xml")}])
    poller.scoring.processes = 2
    try:
        assert poller.scoring.wait_until_started(timeout=60)
        outcomes = {o.name: o for o in poller.poll_due(NOW)}
    finally:
        poller.close()
    assert "HTML page" in outcomes["page"].error and outcomes["ok"].new == 1
    with session_scope(sqlite_engine) as session:
        page = session.exec(select(Source).where(Source.name == "page")).one()
        assert page.consecutive_failures == 1 and "HTML page" in page.last_error
        assert page.next_poll_at > NOW  # backed off, not retried at once


def test_killed_worker_processes_are_replaced_and_lose_nothing(sqlite_engine, feed_server):
    from monitors.ingest.pool import POOL_MIN_BYTES

    filler = " More about it in the next post." * 15
    items = [(str(i), f"{COMPLAINT} ({i}).{filler}") for i in range(POOL_MIN_BYTES // 400)]
    feed_server.route("/big.xml", rss(*items), content_type="application/rss+xml")
    poller = make_poller(sqlite_engine, feed_server, [{"name": "big", "kind": "feed",
                                                       "url": feed_server.url("/big.xml")}])
    poller.scoring.processes = 2
    try:
        assert poller.scoring.wait_until_started(timeout=60)
        for process in list(poller.scoring._started()._processes.values()):
            process.kill()
            process.join()
        [outcome] = poller.poll_due(NOW)
        assert poller.scoring.wait_until_started(timeout=60)  # and a fresh pool comes up
    finally:
        poller.close()
    assert outcome.error is None and outcome.new == len(items)


def _big_feed(engine, feed_server) -> tuple[Poller, list[tuple[str, str]]]:
    from monitors.ingest.pool import POOL_MIN_BYTES

    filler = " More about it in the next post." * 15
    items = [(str(i), f"{(COMPLAINT, PRAISE)[i % 2]} ({i}).{filler}") for i in range(POOL_MIN_BYTES // 400)]
    feed_server.route("/big.xml", rss(*items), content_type="application/rss+xml")
    poller = make_poller(engine, feed_server, [{"name": "big", "kind": "feed", "url": feed_server.url("/big.xml")}])
    poller.scoring.processes = 2
    return poller, items


def test_while_the_processes_start_big_batches_are_prepared_in_this_process(sqlite_engine, feed_server):
    poller, items = _big_feed(sqlite_engine, feed_server)
    try:
        fetched = poller._fetch(poller_state(sqlite_engine), NOW)
        future = poller.scoring.submit(fetched, brand_names=["Acme"], now=NOW)  # starts them in the background
        assert future.done()  # prepared here meanwhile: a fork server takes a third of a second to come up
        inline = poller.pipeline.prepare([RawMention(guid, text) for guid, text in items], brand_names=["Acme"],
                                         now=NOW)
        assert [(r.external_id, r.is_complaint) for r in future.result().rows] == [
            (r.external_id, r.is_complaint) for r in inline]
        assert poller.scoring.wait_until_started(timeout=60)
    finally:
        poller.close()


def _no_processes(poller, monkeypatch) -> None:
    from monitors.ingest import pool as scoring_pool

    def no_processes(*args, **kwargs):
        raise OSError("function not implemented: no semaphores here")

    monkeypatch.setattr(scoring_pool, "ProcessPoolExecutor", no_processes)


def _workers_that_cannot_start(poller, monkeypatch) -> None:
    poller.scoring.pipeline.brand_ids = {}  # a worker cannot build its pipeline from this (a KeyError there)


@pytest.mark.parametrize("break_them, says", [
    (_no_processes, "scoring processes could not start (function not implemented"),
    (_workers_that_cannot_start, "scoring processes could not start"),
])
def test_processes_that_cannot_start_leave_the_scoring_to_this_process(sqlite_engine, feed_server, monkeypatch,
                                                                       caplog, break_them, says):
    poller, items = _big_feed(sqlite_engine, feed_server)
    break_them(poller, monkeypatch)
    try:
        assert not poller.scoring.wait_until_started(timeout=60)
        [outcome] = poller.poll_due(NOW)
    finally:
        poller.close()
    assert outcome.error is None and outcome.new == len(items)
    assert says in caplog.text


def poller_state(engine):
    with session_scope(engine) as session:
        return Poller._state(session.exec(select(Source)).one())


def _three_feeds(engine, feed_server) -> Poller:
    """Feeds a, b and c, each with one complaint of its own (not cross-posts of one story)."""
    for name in "abc":
        feed_server.route(f"/{name}.xml", rss((f"{name}1", f"{COMPLAINT} Order {name}.")),
                          content_type="application/rss+xml", etag=f'"{name}"')
    return make_poller(engine, feed_server, [
        {"name": name, "kind": "feed", "url": feed_server.url(f"/{name}.xml")} for name in "abc"])


def _ready_batches(poller: Poller, engine) -> list:
    """Every source fetched and scored, as the poll loop hands them to storing when they finish together."""
    from monitors.ingest.poller import _Poll

    with session_scope(engine) as session:
        polls = [_Poll(Poller._state(s), s.interval_seconds, s.consecutive_failures, list(s.brands))
                 for s in session.exec(select(Source).order_by(Source.id)).all()]
    ready = []
    for poll in polls:
        poll.result = poller._fetch(poll.state, NOW)
        future = poller.scoring.submit(poll.result, brand_names=poll.brands, now=NOW)
        ready.append((poll, poller._prepared(future, poll, NOW)))
    return ready


def test_sources_ready_together_share_one_transaction(engine, feed_server, monkeypatch):
    import monitors.ingest.poller as poller_module

    poller = _three_feeds(engine, feed_server)
    transactions = []
    real_scope = poller_module.session_scope

    def counted(engine_):
        transactions.append(1)
        return real_scope(engine_)

    monkeypatch.setattr(poller_module, "session_scope", counted)
    outcomes = poller._store(_ready_batches(poller, engine), NOW)
    assert len(transactions) == 1
    assert [(o.name, o.new, o.complaints, o.error) for o in outcomes] == [
        ("a", 1, 1, None), ("b", 1, 1, None), ("c", 1, 1, None)]
    assert {s.name: s.etag for s in table(engine, Source)} == {"a": '"a"', "b": '"b"', "c": '"c"'}


def test_a_batch_that_cannot_be_stored_fails_alone_in_its_group(engine, feed_server, monkeypatch):
    import monitors.ingest.intake as intake_module

    poller = _three_feeds(engine, feed_server)
    ready = _ready_batches(poller, engine)
    bad_source = ready[1][0].state.id
    real_store = intake_module.store_batch

    def store_batch(*, session, source_id, **kw):
        if source_id == bad_source:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real_store(session=session, source_id=source_id, **kw)

    monkeypatch.setattr(intake_module, "store_batch", store_batch)
    outcomes = {o.name: o for o in poller._store(ready, NOW)}
    assert outcomes["a"].new == 1 and outcomes["c"].new == 1
    assert "could not store" in outcomes["b"].error and outcomes["b"].new == 0
    # b keeps its old conditional-GET state, so its items are fetched again next time; a and c are stored
    assert {s.name: s.etag for s in table(engine, Source)} == {"a": '"a"', "b": None, "c": '"c"'}
    assert sorted(m.external_id for m in table(engine, Mention)) == ["a1", "c1"]



def test_poll_once_polls_every_enabled_source_even_beyond_a_cycles_share(sqlite_engine, feed_server):
    # `earful poll --once` promises every enabled source; it used to stop at the 1,000 a scheduled cycle leases
    feed_server.route("/f.xml", rss(("1", "Acme item")), content_type="application/rss+xml")
    count = SOURCES_PER_CYCLE + 5
    poller = make_poller(sqlite_engine, feed_server, [
        {"name": f"f{n}", "kind": "feed", "url": feed_server.url(f"/f.xml?n={n}")} for n in range(count)])
    outcomes = poller.poll_due(NOW, all_enabled=True)
    assert len(outcomes) == count and not [o for o in outcomes if o.error]


def test_a_feed_behind_an_xhtml_doctype_is_read_and_its_dtd_never_fetched(engine, feed_server):
    dtd = feed_server.url("/xhtml1-strict.dtd")
    feed_server.route("/xhtml1-strict.dtd", b"<!ENTITY boom 'x'>", content_type="application/xml-dtd")
    body = (b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "'
            + dtd.encode() + b'">\n' + rss(("1", COMPLAINT)))
    feed_server.route("/x.xml", body, content_type="application/rss+xml")
    poller = make_poller(engine, feed_server, [{"name": "x", "kind": "feed", "url": feed_server.url("/x.xml")}])
    [outcome] = poller.poll_due(NOW)
    assert outcome.error is None and outcome.new == 1
    assert feed_server.hits("/xhtml1-strict.dtd") == 0
