"""Corrections to the Slack loop (issue 16, item 9), each driven through the Bolt app with signed requests and
the outbox against the Slack emulator."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.console import terminal_text
from bot.slack.ids import ActionId
from tests.fixtures.slack_world import Triage, command_request


@pytest.fixture
def triage(engine, slack):
    return Triage(engine, slack)


def test_a_snoozed_case_keeps_its_claimer(triage):
    [case_id] = triage.complaints("refund please")
    triage.deliver()
    triage.press(ActionId.CLAIM, case_id, user="UANN")
    triage.press(ActionId.SNOOZE, case_id, user="UANN", seconds=3600)
    triage.press(ActionId.CLAIM, case_id, user="UBOB")
    assert triage.told("UBOB") == [f"Case #{case_id} is snoozed; cannot claim it."]
    assert (triage.case(case_id).status, triage.case(case_id).claimed_by) == ("snoozed", "UANN")
    assert triage.command(f"resolve {case_id} refunded", user="UANN") == f"Case #{case_id} resolved."


def test_the_claimer_may_take_their_snoozed_case_back_and_an_unclaimed_one_is_anyones(triage):
    mine, nobodys = triage.complaints("refund please", "late again")
    triage.deliver()
    triage.command(f"claim {mine}", user="UANN")
    triage.command(f"snooze {mine} 1h", user="UANN")
    assert triage.command(f"claim {mine}", user="UANN") == f"You have case #{mine}."
    triage.command(f"snooze {nobodys} 1h", user="UANN")
    assert triage.command(f"claim {nobodys}", user="UBOB") == f"You have case #{nobodys}."


def test_the_snooze_line_in_the_thread_is_in_each_readers_zone(triage):
    [case_id] = triage.complaints("refund please")
    triage.deliver()
    triage.press(ActionId.SNOOZE, case_id, user="UANN", seconds=3600)
    triage.deliver()
    [line] = triage.slack.thread(triage.channel_id, triage.card(case_id)["ts"])
    until = int(datetime(2026, 11, 2, 13, 0, tzinfo=timezone.utc).timestamp())
    assert f"until <!date^{until}^{{date_short_pretty}} {{time}}|2026-11-02 13:00 UTC>" in line["text"]
    assert terminal_text(line["text"]).endswith(f"snoozed case #{case_id}: until 2026-11-02 13:00 UTC")


def buttons(card: dict) -> list[str]:
    return [e.get("action_id") for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_without_managers_not_a_complaint_is_not_offered_and_the_command_says_how(engine, slack):
    triage = Triage(engine, slack, managers=[])
    [case_id] = triage.complaints("refund please")
    triage.deliver()
    assert ActionId.DISMISS not in buttons(triage.card(case_id)) and ActionId.CLAIM in buttons(triage.card(case_id))
    answer = triage.command(f"dismiss {case_id}", user="UANN")
    assert answer.startswith("Only a manager can mark a case as not a complaint, and none is configured")
    assert "`slack.managers`" in answer and "`slack.manager_group`" in answer
    triage.command(f"claim {case_id}", user="UANN")
    triage.deliver()
    assert ActionId.DISMISS not in buttons(triage.card(case_id))  # nor after an update


def test_with_managers_the_button_is_offered(triage):
    [case_id] = triage.complaints("refund please")
    triage.deliver()
    assert ActionId.DISMISS in buttons(triage.card(case_id))
    assert triage.command(f"dismiss {case_id}", user="UANN") == "Only a manager can mark a case as not a complaint."


def test_the_private_digest_answer_promises_no_chart(triage):
    triage.complaints("acme charged me twice")
    triage.clock.advance(days=1)
    response = triage.app.dispatch(command_request("digest", user="UANN", channel=triage.channel_id))
    text = json.dumps(json.loads(response.body)["blocks"])
    assert "Daily digest" in text and "chart" not in text.lower()
