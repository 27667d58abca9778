"""The Bolt app, driven by real signed requests (slash commands, button clicks, modal submissions, events), with
the real WebClient talking to the emulator; on SQLite and PostgreSQL where state changes are involved."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import httpx
import pytest
from slack_bolt import BoltRequest

from bot.console import terminal_text
from bot.slack.ids import ActionId, CallbackId
from bot.http.app import HttpApp
from bot.http.face import Face
from bot.http.server import HttpServer
from bot.slack.runner import connect
from monitors.config import Secrets
from storage import cases
from storage.db import session_scope
from tests.fixtures.slack_socket import SocketModeServer
from tests.fixtures.slack_world import (Triage, command_request, event_request, signed_headers,
                                        view_submission_request)

HOSTILE = "<!channel> refund me <@U123> or see <https://evil.example|innocent>"


@pytest.fixture
def triage(engine, slack):
    return Triage(engine, slack)


@pytest.fixture
def quick(sqlite_engine, slack):
    """For behaviour that does not depend on the database."""
    return Triage(sqlite_engine, slack)


def thread_lines(triage: Triage, case_id: int) -> list[str]:
    """The card's thread as its text reads with times in UTC (Slack shows each reader their own zone)."""
    return [terminal_text(m["text"]) for m in triage.slack.thread(triage.channel_id, triage.card(case_id)["ts"])]


@pytest.mark.parametrize("text, expected", [
    ("", "Use `/earful COMMAND`"),
    ("help", "claim ID"),
    ("help", "digest [brand]"),
    ("frobnicate", "Unknown command 'frobnicate'; try `/earful help`"),
    ("claim", "`claim` needs a case number, e.g. `claim 12`"),
    ("claim abc", "'abc' is not a case number"),
    ("claim 0", "'0' is not a case number"),
    ("claim 999", "There is no case #999."),
    ("resolve 999 refunded", "There is no case #999."),
    ("snooze 1", "`snooze` needs a duration"),
    ("snooze 1 soon", "'soon' is not a duration"),
    ("snooze 1 90d", "snooze for 30 days at most"),
    ("unclaim 1", "Case #1 is open; cannot unclaim it."),
    ("dismiss 1", "Only a manager can mark a case as not a complaint."),
    ("queue Nope", "There is no brand 'Nope'; the brands are: Acme, Globex."),
    ("queue <!channel>", "There is no brand '&lt;!channel&gt;'"),
    ("mine", "You have no claimed cases."),
    ("stats", "Cases: 1 open, 0 claimed"),
])
def test_every_command_input_gets_a_clear_ephemeral_answer(quick, text, expected):
    quick.complaints("where is my refund")
    response = quick.app.dispatch(command_request(text, user="UANN", channel=quick.channel_id))
    assert response.status == 200
    body = json.loads(response.body)
    assert body["response_type"] == "ephemeral"
    assert expected.lower() in body["text"].lower(), body["text"]
    assert "Traceback" not in body["text"]


def test_a_complaint_is_claimed_and_resolved_from_slack_and_the_card_tells_the_story(triage):
    [case_id] = triage.complaints("the app charged me twice, refund please")
    triage.deliver()
    assert "Open: nobody has it yet" in triage.card(case_id)["blocks"][0]["text"]["text"]
    assert triage.command(f"claim {case_id}", user="UANN") == f"You have case #{case_id}."
    assert triage.command("mine", user="UANN").startswith(f"*#{case_id}* · Acme")
    triage.clock.advance(minutes=20)
    assert triage.command(f"resolve {case_id} refunded both charges", user="UANN") == f"Case #{case_id} resolved."
    triage.deliver()
    head = triage.card(case_id)["blocks"][0]["text"]["text"]
    assert "Resolved · refunded both charges" in head
    assert not [b for b in triage.card(case_id)["blocks"] if b["type"] == "actions"]  # nothing left to press
    assert thread_lines(triage, case_id) == [
        f"12:00 UTC <@UANN> claimed case #{case_id}",
        f"12:20 UTC <@UANN> resolved case #{case_id}: refunded both charges",
    ]
    claimed_at = int(datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc).timestamp())
    first = triage.slack.thread(triage.channel_id, triage.card(case_id)["ts"])[0]["text"]
    assert first.startswith(f"<!date^{claimed_at}^{{time}}|12:00 UTC> ")  # each reader sees their own zone
    with session_scope(triage.engine) as session:
        events = [(e.actor, e.action, e.note) for e in cases.case_events(session=session, case_id=case_id)]
    assert events == [("earful", "opened", None), ("UANN", "claimed", None),
                      ("UANN", "resolved", "refunded both charges")]


def test_claim_race_exactly_one_wins_and_the_others_are_told_who(triage):
    [case_id] = triage.complaints("refund")
    triage.deliver()
    users = [f"URACE{i}" for i in range(8)]
    start = threading.Barrier(len(users))

    def press(user):
        start.wait()
        triage.press(ActionId.CLAIM, case_id, user=user)

    threads = [threading.Thread(target=press, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winner = triage.case(case_id).claimed_by
    assert winner in users
    assert triage.told(winner) == [f"You have case #{case_id}."]
    for user in users:
        if user != winner:
            assert triage.told(user) == [f"Case #{case_id} is claimed by <@{winner}>; cannot claim it."]
    triage.deliver()
    assert thread_lines(triage, case_id) == [f"12:00 UTC <@{winner}> claimed case #{case_id}"]


def test_resolve_is_for_the_claimer_or_a_manager_and_dismiss_for_managers(triage):
    first, second = triage.complaints("refund", "not really a complaint")
    triage.deliver()
    triage.press(ActionId.CLAIM, first, user="UANN")
    triage.press(ActionId.RESOLVE, first, user="UBOB")
    assert triage.told("UBOB") == ["Only <@UANN> (who has it) or a manager can resolve this case."]
    assert triage.slack.modals == []  # refused before anyone types a note
    triage.press(ActionId.DISMISS, second, user="UBOB")
    assert triage.told("UBOB")[-1] == "Only a manager can mark a case as not a complaint."
    triage.press(ActionId.DISMISS, second, user=Triage.MANAGER)
    assert triage.case(second).status == "dismissed"
    triage.press(ActionId.RESOLVE, first, user=Triage.MANAGER)
    assert triage.slack.modals[-1]["callback_id"] == CallbackId.RESOLVE  # a manager may close anyone's case


def test_resolve_modal_takes_an_optional_note(triage):
    with_note, without = triage.complaints("refund", "late delivery")
    triage.deliver()
    for case_id, note in ((with_note, "  sent a voucher "), (without, None)):
        triage.press(ActionId.CLAIM, case_id, user="UANN")
        triage.press(ActionId.RESOLVE, case_id, user="UANN")
        modal = triage.slack.modals[-1]
        values = {"resolve.note": {ActionId.NOTE: {"type": "plain_text_input", "value": note}}}
        response = triage.app.dispatch(view_submission_request(modal, values, user="UANN"))
        assert response.status == 200 and response.body == ""  # the dialog closes
    assert (triage.case(with_note).status, triage.case(with_note).note) == ("resolved", "sent a voucher")
    assert (triage.case(without).status, triage.case(without).note) == ("resolved", None)
    assert triage.told("UANN")[-1] == f"Case #{without} resolved."
    triage.deliver()
    assert thread_lines(triage, with_note)[-1].endswith(f"resolved case #{with_note}: sent a voucher")


def test_an_expired_modal_trigger_still_leaves_a_way(quick):
    [case_id] = quick.complaints("refund")
    quick.deliver()
    quick.slack.fail("expired_trigger_id", methods=("views.open",), times=1)
    quick.press(ActionId.RESOLVE, case_id, user=Triage.MANAGER)
    assert f"/earful resolve {case_id}" in quick.told(Triage.MANAGER)[-1]


def test_managers_can_come_from_a_user_group(sqlite_engine, slack):
    triage = Triage(sqlite_engine, slack, manager_group="@support-leads")
    slack.add_usergroup("SLEADS", ["UBOB"], handle="support-leads")
    first, second = triage.complaints("not a complaint", "also fine")
    triage.deliver()
    triage.press(ActionId.DISMISS, first, user="UBOB")
    triage.press(ActionId.DISMISS, second, user="UBOB")
    triage.press(ActionId.DISMISS, second, user="UANN")
    assert triage.case(first).status == triage.case(second).status == "dismissed"
    assert "Only a manager" in triage.told("UANN")[-1]
    assert len(slack.calls_to("usergroups.users.list")) == 1  # remembered, not asked per click


def test_snooze_hides_a_case_and_it_reopens_itself(triage):
    [case_id] = triage.complaints("refund")
    triage.deliver()
    triage.press(ActionId.SNOOZE, case_id, user="UANN", seconds=3600)
    assert list(map(terminal_text, triage.told("UANN"))) == [f"Case #{case_id} snoozed until 2026-11-02 13:00 UTC."]
    triage.deliver()
    assert "Snoozed until 2026-11-02 13:00 UTC" in terminal_text(triage.card(case_id)["blocks"][0]["text"]["text"])
    for minutes, expected in ((59, "snoozed"), (2, "open")):
        triage.clock.advance(minutes=minutes)
        with session_scope(triage.engine) as session:
            cases.wake_snoozed(session=session, now=triage.clock.now)
        assert triage.case(case_id).status == expected
    triage.deliver()
    assert "Open: nobody has it yet" in triage.card(case_id)["blocks"][0]["text"]["text"]
    assert thread_lines(triage, case_id) == [
        f"12:00 UTC <@UANN> snoozed case #{case_id}: until 2026-11-02 13:00 UTC",
        f"13:01 UTC Earful woke case #{case_id}",
    ]


def test_outside_text_pings_no_one_anywhere(quick):
    [case_id] = quick.complaints(HOSTILE, author="<!here>")
    quick.deliver()
    quick.command(f"claim {case_id}", user="UANN")
    quick.deliver()
    quick.app.dispatch(event_request({"type": "app_home_opened", "user": "UANN", "tab": "home"}, event_id="Ev1"))
    shown = [json.dumps(quick.card(case_id)), quick.command("queue", user="UANN"),
             quick.command("mine", user="UANN"), json.dumps(quick.slack.home["UANN"])]
    for text in shown:
        for control in ("<!channel>", "<@U123>", "<https://evil", "<!here>"):
            assert control not in text
    assert "&lt;!channel&gt;" in shown[1]


def test_app_home_shows_my_cases_overdue_ones_and_the_queue_by_brand(triage):
    mine, late, other = triage.complaints("mine to fix", "waiting too long", "a third one")
    triage.complaints("globex trouble", brand="Globex")
    triage.command(f"claim {mine}", user="UANN")
    with session_scope(triage.engine) as session:  # make one case miss its deadline
        case = cases.get_case(session=session, case_id=late)
        case.sla_due_at = triage.clock.now - timedelta(hours=2)
        session.add(case)
    response = triage.app.dispatch(event_request({"type": "app_home_opened", "user": "UANN", "tab": "home"},
                                                 event_id="Ev100"))
    assert response.status == 200
    text = json.dumps(triage.slack.home["UANN"], ensure_ascii=False)
    assert "Your cases (1)" in text and f"*#{mine}* · Acme" in text
    assert "Past their SLA (1)" in text and f"*#{late}* · Acme · open · *overdue 2h*" in text
    assert "*Acme* · 3 waiting" in text and "*Globex* · 1 waiting" in text


def test_a_redelivered_event_is_acknowledged_and_not_handled_twice(quick):
    event = {"type": "app_home_opened", "user": "UANN", "tab": "home"}
    assert quick.app.dispatch(event_request(event, event_id="Ev7")).status == 200
    again = quick.app.dispatch(event_request(event, event_id="Ev7", retry_num=1))
    assert again.status == 200
    assert len(quick.slack.calls_to("views.publish")) == 1
    quick.app.dispatch(event_request(event, event_id="Ev8"))
    assert len(quick.slack.calls_to("views.publish")) == 2


def test_requests_with_a_bad_signature_are_refused(quick):
    quick.complaints("refund")
    forged = command_request("claim 1", user="UANN", secret="not-the-secret")
    assert quick.app.dispatch(forged).status == 401
    body = urlencode({"command": "/earful", "text": "claim 1", "user_id": "UANN"})
    stale = BoltRequest(body=body, headers=signed_headers(body, timestamp=1_600_000_000))
    assert quick.app.dispatch(stale).status == 401
    assert quick.case(1).status == "open"


def test_http_mode_serves_slack_at_slack_events(quick):
    quick.complaints("refund")
    router = HttpApp()
    face = Face(router, HttpServer(router, host="127.0.0.1", port=0))
    secrets = Secrets(slack_bot_token=quick.slack.token, slack_app_token=None, slack_signing_secret="s",
                      slack_api_url=quick.slack.url, database_url="")
    server = connect(quick.app, secrets, http=face)  # HTTP mode: mounted on the shared listener
    try:
        request = command_request("claim 1", user="UANN", channel=quick.channel_id)
        headers = {name: values[0] for name, values in request.headers.items()}
        answer = httpx.post(server.url, content=request.raw_body, headers=headers, timeout=5)
        assert answer.status_code == 200 and answer.json()["text"] == "You have case #1."
        assert httpx.post(server.url.replace("/slack/events", "/other"), content="x", timeout=5).status_code == 404
        assert httpx.post(server.url, content=request.raw_body, timeout=5).status_code == 401  # unsigned
        server.close()
        assert httpx.post(server.url, content=request.raw_body, headers=headers, timeout=5).status_code == 404
    finally:
        face.close()


def test_socket_mode_receives_commands_and_clicks(quick):
    [case_id] = quick.complaints("refund")
    quick.deliver()
    socket = SocketModeServer().start()
    quick.slack.socket_url = socket.url
    secrets = Secrets(slack_bot_token=quick.slack.token, slack_app_token=quick.slack.app_token,
                      slack_signing_secret=None, slack_api_url=quick.slack.url, database_url="")
    from bot.slack.app import build_app

    app = build_app(config=quick.config, secrets=secrets, engine=quick.engine, clock=quick.clock,
                    process_before_response=True)
    connection = connect(app, secrets)
    try:
        assert socket.wait_connected()
        ack = socket.request("slash_commands", {
            "command": "/earful", "text": "queue", "user_id": "UANN", "channel_id": quick.channel_id,
            "team_id": "TEMULATOR", "api_app_id": "AEARFUL"})
        assert ack["payload"]["text"].startswith(f"*#{case_id}* · Acme")
        card = quick.card(case_id)
        socket.request("interactive", {
            "type": "block_actions", "user": {"id": "UBOB"}, "team": {"id": "TEMULATOR"}, "api_app_id": "AEARFUL",
            "channel": {"id": quick.channel_id}, "container": {"type": "message", "message_ts": card["ts"]},
            "trigger_id": "t1", "message": {"ts": card["ts"]},
            "actions": [{"action_id": ActionId.CLAIM, "block_id": "card.actions", "type": "button",
                         "value": json.dumps({"case": case_id})}]})
        assert quick.case(case_id).claimed_by == "UBOB"
    finally:
        threading.Thread(target=connection.close, daemon=True).start()  # its reconnect loop takes seconds to stop
        socket.stop()
