"""Delivery to Slack through the outbox, on SQLite and PostgreSQL, against the Web API emulator.

Time is simulated by passing `now` to the dispatcher; nothing here sleeps for the minutes it simulates.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.console import terminal_text
from bot.outbox.dispatcher import GIVE_UP_AFTER
from storage import cases
from storage.db import session_scope
from tests.fixtures.slack_world import Triage


@pytest.fixture
def triage(engine, slack):
    return Triage(engine, slack)


class Killed(BaseException):
    """The process dies here (BaseException: no handler in the dispatcher may swallow it)."""


class DiesAround:
    """A deliverer that kills the process before or after the real post reaches Slack."""

    def __init__(self, real, *, after_post: bool):
        self.real, self.after_post = real, after_post

    def post(self, **kw):
        if not self.after_post:
            raise Killed()
        self.real.post(**kw)
        raise Killed()

    def update(self, **kw):
        raise Killed()

    def find_posted(self, **kw):
        return self.real.find_posted(**kw)


def run_for(triage: Triage, *, seconds: int, step: int = 1, dispatcher=None) -> None:
    dispatcher = dispatcher or triage.dispatcher
    for _ in range(0, seconds, step):
        triage.clock.advance(seconds=step)
        while dispatcher.run_once(triage.clock.now):
            pass


def cards_per_case(triage: Triage, case_ids: list[int]) -> dict[int, int]:
    """How many top-level messages in the channel show each case's card."""
    counts = {case_id: 0 for case_id in case_ids}
    for message in triage.slack.messages("#earful-support"):
        head = message["blocks"][0]["text"]["text"] if message.get("blocks") else ""
        for case_id in case_ids:
            if head.startswith(f"*#{case_id} ·"):
                counts[case_id] += 1
    return counts


def test_each_case_gets_one_card_that_later_changes_edit(triage):
    ids = triage.complaints("where is my refund", "app crashes on login", "charged twice")
    assert triage.deliver() == 3
    run_for(triage, seconds=10)  # later runs find nothing more to post
    assert cards_per_case(triage, ids) == {i: 1 for i in ids}
    card = triage.card(ids[0])
    assert triage.case(ids[0]).slack_channel == triage.channel_id
    triage.change("claim", ids[0], user="UANN")
    triage.change("resolve", ids[0], user="UANN", note="refunded")
    triage.deliver()
    assert len(triage.slack.messages("#earful-support")) == 3
    card = triage.card(ids[0])
    assert "Resolved" in card["blocks"][0]["text"]["text"] and "refunded" in card["blocks"][0]["text"]["text"]
    lines = [terminal_text(m["text"]) for m in triage.slack.thread(triage.channel_id, card["ts"])]
    assert lines == [f"12:00 UTC <@UANN> claimed case #{ids[0]}",
                     f"12:00 UTC <@UANN> resolved case #{ids[0]}: refunded"]
    assert triage.outbox() == {"sent": 3 + 2 * 2}


def test_a_crash_after_the_commit_and_before_the_post_loses_nothing(triage):
    ids = triage.complaints("refund please", "broken again")
    with pytest.raises(Killed):
        triage.new_dispatcher(DiesAround(triage.deliverer, after_post=False)).run_once(triage.clock.now)
    assert triage.slack.messages("#earful-support") == []
    restarted = triage.new_dispatcher()
    # The row the dead worker never tried is free once its batch lease (30 s) runs out; the one it was sending
    # waits out its send lease, since that post could yet have reached Slack.
    assert restarted.run_once(triage.clock.advance(seconds=30)) == 1
    assert cards_per_case(triage, ids) == {ids[0]: 0, ids[1]: 1}
    run_for(triage, seconds=180, step=30, dispatcher=restarted)
    assert cards_per_case(triage, ids) == {i: 1 for i in ids}
    assert triage.outbox() == {"sent": 2}


def test_a_crash_after_the_post_and_before_recording_it_posts_nothing_twice(triage):
    ids = triage.complaints("refund please")
    with pytest.raises(Killed):
        triage.new_dispatcher(DiesAround(triage.deliverer, after_post=True)).run_once(triage.clock.now)
    first = triage.slack.messages("#earful-support")
    assert len(first) == 1 and triage.case(ids[0]).slack_ts is None  # Slack has it, the database does not
    run_for(triage, seconds=180, step=30, dispatcher=triage.new_dispatcher())
    assert len(triage.slack.messages("#earful-support")) == 1
    assert triage.case(ids[0]).slack_ts == first[0]["ts"]  # the restarted worker adopted the first post
    triage.change("claim", ids[0], user="UBOB")
    triage.deliver()
    assert "Claimed by <@UBOB>" in triage.card(ids[0])["blocks"][0]["text"]["text"]


def test_a_lost_answer_from_slack_does_not_make_a_duplicate(engine, slack):
    triage = Triage(engine, slack, timeout=0.3)
    ids = triage.complaints("refund please", "still broken")
    slack.fail("lost_response", times=1, methods=("chat.postMessage",))
    triage.deliver()
    assert triage.outbox() == {"pending": 2}
    run_for(triage, seconds=120, step=5)
    assert cards_per_case(triage, ids) == {i: 1 for i in ids}
    assert triage.outbox() == {"sent": 2}
    assert len(slack.calls_to("conversations.history")) >= 1  # it looked before posting again


def chatter(slack, channel: str, count: int, *, thread_ts: str | None = None) -> None:
    """Messages other people (or other workers) post meanwhile."""
    for i in range(count):
        slack.handle("chat.postMessage", {"channel": channel, "text": f"chatter {i}", "thread_ts": thread_ts})


def test_a_retried_card_finds_its_earlier_try_behind_more_than_200_newer_posts(engine, slack):
    # The lookup read the newest 200 messages: 250 posts between the lost answer and the retry hid the card,
    # and the retry posted it again.
    triage = Triage(engine, slack, timeout=0.3)
    (case_id,) = triage.complaints("refund please")
    slack.fail("lost_response", times=1, methods=("chat.postMessage",))
    triage.deliver()
    [first] = slack.messages("#earful-support")
    triage.clock.advance(seconds=2)
    chatter(slack, "#earful-support", 250)
    run_for(triage, seconds=120, step=5)
    assert cards_per_case(triage, [case_id]) == {case_id: 1}
    assert triage.case(case_id).slack_ts == first["ts"]
    assert triage.outbox() == {"sent": 1}
    assert len(slack.calls_to("conversations.history")) >= 2  # it paged back to the first try


def test_a_retried_thread_line_finds_its_earlier_try_in_a_thread_of_more_than_200_replies(engine, slack):
    # conversations.replies answers the oldest replies first: in a long thread the lookup never saw the newest,
    # where the earlier try is, and every retry posted the line again.
    triage = Triage(engine, slack, timeout=0.3)
    (case_id,) = triage.complaints("refund please")
    triage.deliver()
    card = triage.card(case_id)
    chatter(slack, triage.channel_id, 230, thread_ts=card["ts"])
    triage.clock.advance(minutes=10)
    triage.change("claim", case_id, user="UANN")
    slack.fail("lost_response", times=1, methods=("chat.postMessage",))
    triage.deliver()
    triage.clock.advance(seconds=2)
    chatter(slack, triage.channel_id, 220, thread_ts=card["ts"])
    run_for(triage, seconds=120, step=5)
    lines = [m for m in slack.thread(triage.channel_id, card["ts"]) if "claimed case" in m["text"]]
    assert len(lines) == 1
    assert triage.outbox().get("pending", 0) == 0 and triage.outbox().get("failed", 0) == 0


def test_a_429_storm_is_waited_out_with_nothing_lost_or_duplicated(triage):
    from bot.metrics import PROCESS

    def counted() -> tuple[float, float]:  # /metrics' Slack send errors and 429 pauses
        return (PROCESS.get_sample_value("earful_slack_send_errors_total", {"kind": "rate_limited"}),
                PROCESS.get_sample_value("earful_slack_rate_limit_pauses_total"))

    errors_before, pauses_before = counted()
    ids = triage.complaints(*[f"complaint {i}" for i in range(5)])
    storm = triage.slack.fail("ratelimited", times=6, retry_after=30, methods=("chat.postMessage",))
    triage.deliver()
    assert len(triage.posts()) == 1  # the first 429 stops the run; no hammering
    calls = len(triage.slack.calls)
    run_for(triage, seconds=29)
    assert len(triage.slack.calls) == calls  # Retry-After is honoured
    run_for(triage, seconds=600, step=10)
    assert storm.hits == 6
    assert cards_per_case(triage, ids) == {i: 1 for i in ids}
    assert triage.outbox() == {"sent": 5}
    rate_limited = [c for c in triage.posts() if c.status == 429]
    assert len(rate_limited) == 6
    assert counted() == (errors_before + 6, pauses_before + 6)


def test_429s_do_not_count_as_attempts_so_a_later_500_backs_off_briefly(triage):
    # Every 429 used to count as an attempt, so after a storm one 500 backed the row off for minutes
    # (5 s doubled per attempt, up to 900 s) although Slack was answering again.
    (case_id,) = triage.complaints("complaint after a storm")
    storm = triage.slack.fail("ratelimited", times=6, retry_after=1, methods=("chat.postMessage",))
    error = triage.slack.fail("server_error", times=1, methods=("chat.postMessage",))  # once the storm is over
    triage.deliver()
    run_for(triage, seconds=40)
    assert (storm.hits, error.hits) == (6, 1)
    assert cards_per_case(triage, [case_id]) == {case_id: 1}
    assert triage.outbox() == {"sent": 1}


def test_a_five_minute_outage_costs_few_calls_and_loses_nothing(engine, slack):
    five_minute_outage(Triage(engine, slack), "server_error")


def test_a_five_minute_network_outage_too(sqlite_engine, slack):
    five_minute_outage(Triage(sqlite_engine, slack, timeout=0.15), "hang")  # each try times out


def five_minute_outage(triage: Triage, kind: str) -> None:
    slack = triage.slack
    early = triage.complaints("posted before the outage")
    triage.deliver()
    outage = slack.fail(kind)
    during = triage.complaints("refund", "crash", "double charge")
    triage.change("claim", early[0], user="UANN")
    before = len(slack.calls)
    run_for(triage, seconds=300, step=5)
    attempts = len(slack.calls) - before
    assert 1 <= attempts <= 10, attempts  # backing off as a whole, not once per row per tick
    outage.clear()
    run_for(triage, seconds=400, step=20)
    assert cards_per_case(triage, early + during) == {i: 1 for i in early + during}
    card = triage.card(early[0])
    assert "Claimed by <@UANN>" in card["blocks"][0]["text"]["text"]
    assert [m["text"][-len("claimed case #1"):] for m in slack.thread(triage.channel_id, card["ts"])] == [
        f"claimed case #{early[0]}"]
    assert triage.outbox().get("failed", 0) == 0 and triage.outbox().get("pending", 0) == 0


def test_flood_of_cards_for_one_brand_becomes_one_summary(triage):
    acme = triage.complaints(*[f"acme outage report {i}" for i in range(12)], brand="Acme")
    globex = triage.complaints("globex broke", "globex again", brand="Globex")
    triage.deliver()
    messages = triage.slack.messages("#earful-support")
    summaries = [m for m in messages if "new complaints about Acme" in m["text"]]
    assert len(summaries) == 1 and len(messages) == 1 + 2
    assert all(f"#{i}" in summaries[0]["text"] for i in acme)
    assert cards_per_case(triage, globex) == {i: 1 for i in globex}
    with session_scope(triage.engine) as session:
        assert len(cases.open_queue(session=session, brand="Acme")) == 12  # still there to be worked
    triage.change("claim", acme[3], user="UBOB")
    triage.deliver()
    lines = triage.slack.thread(triage.channel_id, summaries[0]["ts"])
    assert [terminal_text(m["text"]) for m in lines] == [f"12:00 UTC <@UBOB> claimed case #{acme[3]}"]
    assert triage.slack.calls_to("chat.update") == []  # a folded case has no card to edit
    assert triage.outbox().get("pending", 0) == 0


def test_a_steady_trickle_is_capped_per_brand_per_minute(sqlite_engine, slack):
    triage = Triage(sqlite_engine, slack, flood_threshold=2)
    first = triage.complaints("one", "two")
    triage.deliver()
    assert cards_per_case(triage, first) == {i: 1 for i in first}
    third = triage.complaints("three")
    triage.clock.advance(seconds=10)
    triage.deliver()
    assert len(slack.messages("#earful-support")) == 2  # this minute's share for Acme is used up
    other = triage.complaints("globex is fine", brand="Globex")
    triage.deliver()
    assert cards_per_case(triage, other) == {other[0]: 1}  # other brands are not held back
    run_for(triage, seconds=90, step=10)
    assert cards_per_case(triage, third) == {third[0]: 1}


def test_pending_updates_for_one_card_become_one_edit_with_the_newest_state(triage):
    ids = triage.complaints("refund")
    triage.deliver()
    triage.change("claim", ids[0], user="UANN")
    triage.change("unclaim", ids[0], user="UANN")
    triage.change("claim", ids[0], user="UBOB")
    triage.deliver()
    assert len(triage.slack.calls_to("chat.update")) == 1
    card = triage.card(ids[0])
    assert "Claimed by <@UBOB>" in card["blocks"][0]["text"]["text"]
    actions = [line["text"].split(" ")[3] for line in triage.slack.thread(triage.channel_id, card["ts"])]
    assert actions == ["claimed", "unclaimed", "claimed"]


def test_thread_lines_wait_for_the_card_and_keep_their_order(triage):
    ids = triage.complaints("refund")
    triage.change("claim", ids[0], user="UANN")  # before the card was ever posted
    triage.change("snooze", ids[0], user="UANN", until=triage.clock.now + timedelta(hours=1))
    triage.slack.fail("server_error", times=1, methods=("chat.postMessage",))
    triage.deliver()
    assert triage.slack.messages("#earful-support") == []
    run_for(triage, seconds=120, step=5)
    card = triage.card(ids[0])
    assert "Snoozed until" in card["blocks"][0]["text"]["text"]
    actions = [line["text"].split(" ")[3] for line in triage.slack.thread(triage.channel_id, card["ts"])]
    assert actions == ["claimed", "snoozed"]


def test_channel_problems_wait_for_a_person_and_then_deliver(sqlite_engine, slack):
    triage = Triage(sqlite_engine, slack)
    ids = triage.complaints("refund")
    fix = triage.slack.fail("not_in_channel")
    triage.deliver()
    run_for(triage, seconds=3600, step=60)
    assert triage.outbox() == {"pending": 1}  # never given up on within the hour, never posted
    assert 10 <= len(triage.posts()) <= 13  # every five minutes, not every tick
    fix.clear()  # someone invited the bot
    run_for(triage, seconds=600, step=60)
    assert cards_per_case(triage, ids) == {ids[0]: 1}


def test_a_message_slack_will_never_accept_is_given_up_with_its_thread(triage):
    ids = triage.complaints("refund")
    triage.slack.fail("invalid_blocks", times=1)
    triage.deliver()
    triage.change("claim", ids[0])
    run_for(triage, seconds=60, step=5)
    assert triage.outbox() == {"failed": 2, "sent": 1}  # card and its thread line failed; the no-op update sent
    assert triage.slack.messages("#earful-support") == []


def test_rows_stuck_for_a_day_are_given_up(sqlite_engine, slack):
    triage = Triage(sqlite_engine, slack)
    triage.complaints("refund")
    triage.slack.fail("server_error")
    triage.deliver()
    run_for(triage, seconds=int(GIVE_UP_AFTER.total_seconds()) + 3600, step=3600)
    assert triage.outbox() == {"failed": 1}


def test_two_workers_never_send_the_same_card(engine, slack):
    triage = Triage(engine, slack, flood_threshold=50)
    ids = triage.complaints(*[f"complaint {i}" for i in range(20)])
    workers = [triage.new_dispatcher() for _ in range(3)]
    barrier = threading.Barrier(len(workers))

    def work(dispatcher):
        barrier.wait()
        while dispatcher.run_once(triage.clock.now, limit=5):
            pass

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    run_for(triage, seconds=180, step=30)
    assert cards_per_case(triage, ids) == {i: 1 for i in ids}


def test_about_one_message_per_second_per_channel(sqlite_engine, slack):
    triage = Triage(sqlite_engine, slack, messages_per_second=20, flood_threshold=50)
    triage.complaints(*[f"complaint {i}" for i in range(6)])
    triage.deliver()
    arrivals = [c.at for c in triage.posts()]
    assert len(arrivals) == 6
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert min(gaps) >= 0.045, gaps  # 1/20 s apart, give or take the clock


def test_a_run_stops_waiting_when_its_time_budget_is_spent(sqlite_engine, slack):
    engine = sqlite_engine
    triage = Triage(engine, slack, messages_per_second=5, flood_threshold=50)
    triage.complaints(*[f"complaint {i}" for i in range(4)])
    dispatcher = triage.new_dispatcher()
    dispatcher.budget = 0.3  # room for one wait of 0.2 s, not two
    settled = dispatcher.run_once(triage.clock.now)
    assert settled == 2 and triage.outbox() == {"sent": 2, "pending": 2}
    with session_scope(engine) as session:
        from storage.models import Outbox
        from sqlmodel import select

        waiting = session.exec(select(Outbox).where(Outbox.status == "pending")).all()
    assert all(row.attempts == 0 for row in waiting)  # handed back, not counted as failures


def test_an_unknown_error_looking_for_an_earlier_try_holds_back_that_row_only(engine, slack):
    triage = Triage(engine, slack, timeout=0.3)
    first, = triage.complaints("refund please")
    slack.fail("lost_response", times=1, methods=("chat.postMessage",))
    triage.deliver()
    assert triage.outbox() == {"pending": 1}
    second, = triage.complaints("still broken")
    slack.fail("something_new", times=1, methods=("conversations.history",))
    triage.clock.advance(seconds=10)
    while triage.dispatcher.run_once(triage.clock.now):
        pass
    paused = triage.dispatcher.paused_until  # the lost answer's pause ran out long ago; no new one
    assert paused is None or paused <= triage.clock.now, paused
    assert cards_per_case(triage, [second]) == {second: 1}  # the other row went out
    run_for(triage, seconds=120, step=5)
    assert cards_per_case(triage, [first, second]) == {first: 1, second: 1}  # and nothing twice
    assert triage.outbox() == {"sent": 2}
