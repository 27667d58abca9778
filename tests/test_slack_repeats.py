"""A Slack request changes a case once: a command Slack retries (X-Slack-Retry-Num), an identical signed click sent
again, and one request reaching two workers on one database each leave one event, one thread line and one card
update. Driven over real sockets: signed HTTP requests to Earful's HTTP listener with Bolt mounted, the real
WebClient against the Slack emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from slack_bolt import BoltRequest

from bot.console import terminal_text
from bot.http.app import HttpApp
from bot.http.face import Face
from bot.http.server import HttpServer
from bot.slack.app import build_app
from bot.slack.ids import ActionId, CaseRef
from bot.slack.repeats import request_key
from bot.slack.runner import mount_http
from storage import cases
from storage.db import make_engine, session_scope
from tests.fixtures.slack_world import Triage, action_request, command_request, signed_headers

pytestmark = pytest.mark.timeout(60)


class Listener:
    """One worker's HTTP face with its own Bolt app (its own memory), on the shared database."""

    def __init__(self, triage: Triage, engine=None):
        app = build_app(config=triage.config, secrets=triage.secrets, engine=engine or triage.engine,
                        clock=triage.clock, process_before_response=True)
        router = HttpApp()
        self.face = Face(router, HttpServer(router, host="127.0.0.1", port=0))
        self.url = mount_http(app, self.face).url

    def send(self, request: BoltRequest, **extra: str) -> httpx.Response:
        headers = {name: values[0] for name, values in request.headers.items()}
        return httpx.post(self.url, content=request.raw_body, headers={**headers, **extra}, timeout=10)

    def close(self) -> None:
        self.face.close()


@pytest.fixture
def triage(engine, slack):
    return Triage(engine, slack)


@pytest.fixture
def worker(triage):
    listener = Listener(triage)
    yield listener
    listener.close()


def history(triage: Triage, case_id: int) -> list[tuple[str, str]]:
    with session_scope(triage.engine) as session:
        return [(e.actor, e.action) for e in cases.case_events(session=session, case_id=case_id)]


def delivered(triage: Triage, case_id: int) -> tuple[int, int]:
    """After the outbox ran: (lines in the card's thread, edits of the card)."""
    triage.deliver()
    card = triage.card(case_id)
    edits = [c for c in triage.slack.calls_to("chat.update", ok=True) if c.params.get("ts") == card["ts"]]
    return len(triage.slack.thread(triage.channel_id, card["ts"])), len(edits)


def resigned(request: BoltRequest, *, retry_num: int) -> BoltRequest:
    """The same body as Slack sends it again: a new timestamp and signature, and the retry headers."""
    headers = signed_headers(request.raw_body, timestamp=int(time.time()) + retry_num, retry_num=retry_num)
    return BoltRequest(body=request.raw_body, headers=headers)


def snooze_click(triage: Triage, case_id: int, *, user: str, seconds: int) -> BoltRequest:
    action = {"action_id": ActionId.SNOOZE, "type": "static_select",
              "selected_option": {"value": CaseRef(case_id, seconds).encode(),
                                  "text": {"type": "plain_text", "text": "1 hour"}}}
    return action_request(action, user=user, channel=triage.channel_id, message_ts=triage.card(case_id)["ts"])


def test_a_command_slack_retries_is_acknowledged_and_not_run_again(triage, worker):
    [case_id] = triage.complaints("refund please")
    triage.deliver()
    first = command_request(f"snooze {case_id} 1h", user="UANN", channel=triage.channel_id)
    answer = worker.send(first)
    assert answer.status_code == 200 and answer.json()["text"].startswith(f"Case #{case_id} snoozed until")
    triage.clock.advance(minutes=1)  # a retry that did run again would snooze until a minute later
    for retry in (1, 2):
        again = worker.send(resigned(first, retry_num=retry))
        assert (again.status_code, again.text) == (200, "")
    assert history(triage, case_id) == [("earful", "opened"), ("UANN", "snoozed")]
    assert delivered(triage, case_id) == (1, 1)
    other = worker.send(command_request(f"snooze {case_id} 4h", user="UANN", channel=triage.channel_id))
    assert other.json()["text"].startswith(f"Case #{case_id} snoozed until")  # a new command still runs
    assert history(triage, case_id)[-1] == ("UANN", "snoozed") and len(history(triage, case_id)) == 3


def test_an_identical_signed_click_sent_again_changes_nothing(triage, worker):
    [case_id] = triage.complaints("refund please")
    triage.deliver()
    click = snooze_click(triage, case_id, user="UANN", seconds=3600)
    for _ in range(3):  # the captured request as it was: same body, timestamp and signature
        assert worker.send(click).status_code == 200
    assert delivered(triage, case_id) == (1, 1)
    claim = action_request({"action_id": ActionId.CLAIM, "type": "button", "value": CaseRef(case_id).encode()},
                           user="UBOB", channel=triage.channel_id, message_ts=triage.card(case_id)["ts"])
    assert worker.send(claim).status_code == 200 and worker.send(claim).status_code == 200
    assert history(triage, case_id) == [("earful", "opened"), ("UANN", "snoozed"), ("UBOB", "claimed")]
    assert [terminal_text(t) for t in triage.told("UANN")] == [f"Case #{case_id} snoozed until 2026-11-02 13:00 UTC."]
    assert triage.told("UBOB") == [f"You have case #{case_id}."]  # the replay got no second answer either
    assert delivered(triage, case_id) == (2, 2)


def test_two_workers_receiving_the_same_request_run_it_once(triage, database_url):
    [case_id] = triage.complaints("refund please")
    triage.deliver()
    engines = [make_engine(database_url) for _ in range(2)]
    workers = [Listener(triage, engine) for engine in engines]
    try:
        click = snooze_click(triage, case_id, user="UANN", seconds=3600)
        start = threading.Barrier(len(workers) * 3)
        answers: list[int] = []

        def send(listener: Listener) -> None:
            start.wait()
            answers.append(listener.send(click).status_code)

        threads = [threading.Thread(target=send, args=(w,)) for w in workers for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert answers == [200] * 6
        assert history(triage, case_id) == [("earful", "opened"), ("UANN", "snoozed")]
        assert len(triage.told("UANN")) == 1
        assert delivered(triage, case_id) == (1, 1)
    finally:
        for listener in workers:
            listener.close()
        for engine in engines:
            engine.dispose()


def test_a_restarted_worker_still_knows_the_request(triage, worker):
    [case_id] = triage.complaints("refund please")
    triage.deliver()
    click = snooze_click(triage, case_id, user="UANN", seconds=3600)
    assert worker.send(click).status_code == 200
    worker.close()
    restarted = Listener(triage)  # a new process: nothing in memory
    try:
        assert restarted.send(click).status_code == 200
    finally:
        restarted.close()
    assert history(triage, case_id) == [("earful", "opened"), ("UANN", "snoozed")]


def test_the_same_change_asked_twice_changes_nothing_the_second_time(triage):
    """Not a repeated request but two separate ones: the case is already as asked, so no event and no message."""
    [case_id] = triage.complaints("refund please")
    triage.deliver()
    assert triage.command(f"claim {case_id}", user="UANN") == f"You have case #{case_id}."
    assert delivered(triage, case_id) == (1, 1)
    assert triage.command(f"claim {case_id}", user="UANN") == f"You have case #{case_id} already."
    assert delivered(triage, case_id) == (1, 1)
    assert triage.command(f"resolve {case_id} done", user="UANN") == f"Case #{case_id} resolved."
    assert triage.command(f"resolve {case_id} again", user="UANN") == f"Case #{case_id} is resolved already."
    assert history(triage, case_id) == [("earful", "opened"), ("UANN", "claimed"), ("UANN", "resolved")]
    assert delivered(triage, case_id) == (2, 2)


def test_request_keys():
    assert request_key({"event_id": "Ev1", "type": "event_callback"}) == "slack:event:Ev1"
    assert request_key({"trigger_id": "13.45", "command": "/earful"}) == "slack:trigger:13.45"
    assert request_key({"type": "url_verification", "challenge": "x"}) is None
    assert request_key({"ssl_check": "1"}) is None
    plain = request_key({"type": "view_closed", "view": {"id": "V1"}})
    assert plain and plain.startswith("slack:body:")
    assert plain == request_key(json.loads(json.dumps({"view": {"id": "V1"}, "type": "view_closed"})))
    assert plain != request_key({"type": "view_closed", "view": {"id": "V2"}})
