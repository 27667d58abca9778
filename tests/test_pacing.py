"""Per-channel pacing shared through the database: several workers keep one channel at about the set rate."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

from bot.outbox.dispatcher import Dispatcher, Pacer
from storage.db import make_engine
from storage.pacing import give_back_slot, reserve_slot
from tests.fixtures.slack_world import Triage

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def test_reservations_queue_up_one_interval_apart_on_a_fake_clock(engine):
    assert reserve_slot(engine, "C1", interval=0.5, now=T0) == 0.0
    assert reserve_slot(engine, "C1", interval=0.5, now=T0) == 0.5
    assert reserve_slot(engine, "C1", interval=0.5, now=T0 + timedelta(seconds=0.25)) == 0.75
    assert reserve_slot(engine, "C2", interval=0.5, now=T0) == 0.0  # another channel has its own slots
    later = T0 + timedelta(seconds=10)
    assert reserve_slot(engine, "C1", interval=0.5, now=later) == 0.0  # idle time is not banked


def test_a_slot_given_back_is_free_for_the_next_sender(engine):
    assert reserve_slot(engine, "C1", interval=1.0, now=T0) == 0.0
    wait = reserve_slot(engine, "C1", interval=1.0, now=T0)
    give_back_slot(engine, "C1", interval=1.0, wait=wait, now=T0)
    assert reserve_slot(engine, "C1", interval=1.0, now=T0) == 1.0


def test_two_workers_pace_a_channel_name_and_its_id_as_one(engine):
    clock = lambda: T0  # noqa: E731
    first, second = Pacer(engine, 2.0, clock), Pacer(engine, 2.0, clock)
    first.alias("#support", "C1")
    second.alias("#support", "C1")
    assert first.reserve("#support")[0] == 0.0
    assert second.reserve("C1")[0] == 0.5
    assert second.reserve("#support")[0] == 1.0


def test_a_channel_first_paced_by_name_keeps_its_slots_under_its_id(engine):
    pacer = Pacer(engine, 2.0, lambda: T0)
    assert pacer.reserve("#support")[0] == 0.0  # the id is not known before the first answer
    pacer.alias("#support", "C1")
    assert pacer.reserve("#support")[0] == 0.5


def test_three_workers_keep_one_channel_at_the_set_rate(engine, slack):
    rate, workers = 5.0, 3
    triage = Triage(engine, slack, messages_per_second=1000, flood_threshold=50)
    ids = triage.complaints(*[f"complaint {i}" for i in range(12)])
    assert triage.deliver() == 12
    for case_id in ids:
        triage.change("claim", case_id, user="UANN")  # one card update each, all due now
    slow = triage.config.slack.model_copy(update={"messages_per_second": rate})
    engines = [make_engine(str(engine.url.render_as_string(hide_password=False))) for _ in range(workers)]
    dispatchers = [Dispatcher(e, triage.deliverer, slow) for e in engines]

    def work(dispatcher):
        # one row a run, so the workers interleave; a run that found its row taken by another worker settles
        # nothing, so each worker goes on until no update is left unsent
        deadline = time.monotonic() + 60
        while triage.outbox().get("pending") and time.monotonic() < deadline:
            if not dispatcher.run_once(triage.clock.now, limit=1):
                time.sleep(0.02)

    threads = [threading.Thread(target=work, args=(d,)) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for e in engines:
        e.dispose()
    arrivals = sorted(c.at for c in slack.calls_to("chat.update"))
    assert len(arrivals) == 12
    # 12 sends one interval apart span 11 intervals; three workers pacing alone would span about 3
    assert arrivals[-1] - arrivals[0] >= 0.85 * 11 / rate, arrivals
