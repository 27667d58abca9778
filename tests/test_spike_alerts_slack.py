"""A spike alert's life in the Slack emulator: posted once with the on-call group and a chart, redrawn as it
grows, buttons pressed through real signed requests, complaint cards folded into its thread, back to normal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.console import terminal_text
from bot.slack.ids import ActionId, AlertRef
from monitors.config import SlackConfig
from monitors.spikes.watch import SpikeWatch
from storage.db import session_scope
from storage.models import SpikeAlert
from tests.fixtures.slack_world import Triage, action_request
from tests.fixtures.spike_history import SPIKE_AT, history, run_checks, store_counts

ONCALL = "S0ONCALL"


class Spiking:
    """The Slack side plus a live spike check over Acme's stored history, with a burst at SPIKE_AT."""

    def __init__(self, engine, slack):
        from bot.outbox.dispatcher import Dispatcher

        self.triage = t = Triage(engine, slack)
        t.config = t.config.model_copy(update={"slack": SlackConfig(
            **{**t.config.slack.model_dump(), "oncall_group": ONCALL})})
        t.dispatcher = Dispatcher(engine, t.deliverer, t.config.slack)
        store_counts(engine, t.source, t.brands["Acme"], history(SPIKE_AT + timedelta(hours=5), spike=True), "a")
        self.watch = SpikeWatch(engine, t.config, owner="test")
        self.watch.check(SPIKE_AT - timedelta(hours=1))
        self.next_check = SPIKE_AT - timedelta(minutes=55)
        self.escalations = slack.channel("earful-escalations").id

    def until(self, end) -> None:
        self.next_check = run_checks(self.watch, self.next_check, end)
        self.triage.clock.now = end
        self.triage.deliver()

    def alert(self) -> SpikeAlert:
        with session_scope(self.triage.engine) as session:
            from sqlmodel import select

            return session.exec(select(SpikeAlert)).one()

    def top_level(self) -> list[dict]:
        return [m for m in self.triage.slack.messages(self.escalations) if not m.get("thread_ts")
                or m.get("thread_ts") == m["ts"]]

    def card(self) -> dict:
        [card] = self.top_level()
        return card

    def card_text(self) -> str:
        """Every mrkdwn and button text on the card, one block a line, with times as their UTC text."""
        lines = []
        for block in self.card()["blocks"]:
            parts = [block["text"]] if "text" in block else block.get("elements", [])
            lines.append(" ".join(p["text"] if isinstance(p["text"], str) else p["text"]["text"] for p in parts))
        return terminal_text("\n".join(lines))

    def press(self, action_id: str, user: str = "UANN"):
        action = {"action_id": action_id, "type": "button", "value": AlertRef(self.alert().id).encode()}
        response = self.triage.app.dispatch(action_request(action, user=user, channel=self.escalations,
                                                           message_ts=self.card()["ts"]))
        assert response.status == 200, response.body
        self.triage.deliver()


@pytest.fixture
def spiking(engine, slack):
    return Spiking(engine, slack)


def test_the_alert_is_posted_once_with_chart_and_ping_then_redrawn_as_it_grows(spiking):
    spiking.until(SPIKE_AT + timedelta(minutes=15))
    card = spiking.card()
    assert card["text"].startswith(f"<!subteam^{ONCALL}>")
    text = spiking.card_text()
    assert "Negative spike: Acme" in text and "expected" in text and "Open: nobody has acknowledged it yet" in text
    assert "Top posts" in text and "<https://forum.example/t/" in text
    assert "Words driving it: " in text and "outage (36)" in text
    assert [e["text"]["text"] for e in card["blocks"][-1]["elements"]] == ["Acknowledge", "Resolve", "Mute"]
    thread = spiking.triage.slack.thread(spiking.escalations, card["ts"])
    [chart] = [m for m in thread if m.get("files")]
    assert spiking.triage.slack.files[chart["files"][0]]["content"].startswith(b"\x89PNG")
    first_observed = spiking.alert().observed

    spiking.until(SPIKE_AT + timedelta(minutes=45))
    assert spiking.alert().observed > first_observed
    card = spiking.card()  # still one card, edited in place, and the on-call group is not pinged again
    assert card["edits"] >= 1 and "subteam" not in card["text"]
    assert f"{spiking.alert().observed:g} negative mentions" in spiking.card_text()


def test_acknowledge_mute_and_resolve_from_the_card(spiking):
    spiking.until(SPIKE_AT + timedelta(minutes=15))
    spiking.press(ActionId.ALERT_ACK)
    assert "Acknowledged by <@UANN>" in spiking.card_text()
    assert spiking.triage.told("UANN")[-1] == "You acknowledged the Acme spike."
    spiking.press(ActionId.ALERT_MUTE, user="UBOB")
    assert spiking.alert().muted_until == spiking.triage.clock.now + timedelta(hours=1)
    assert "Muted until" in spiking.card_text() and "<@UBOB>" in spiking.card_text()
    spiking.press(ActionId.ALERT_RESOLVE)
    assert spiking.alert().status == "resolved"
    assert "Resolved by <@UANN>" in spiking.card_text()
    assert "actions" not in [b["type"] for b in spiking.card()["blocks"]]
    spiking.press(ActionId.ALERT_RESOLVE)  # an old card's button
    assert spiking.triage.told("UANN")[-1] == "This alert is resolved already."


def test_complaint_cards_go_into_the_alert_thread_with_one_pointer_in_the_support_channel(spiking):
    triage = spiking.triage
    spiking.until(SPIKE_AT + timedelta(minutes=15))
    first = triage.complaints("the app is down, refund me", "still down, where is my refund")
    triage.deliver()
    triage.clock.advance(minutes=1)
    second = triage.complaints("down again, refund now")
    triage.deliver()
    thread = triage.slack.thread(spiking.escalations, spiking.card()["ts"])
    for case_id in first + second:
        assert any(f"#{case_id} · Acme" in m["text"] for m in thread), case_id
        assert triage.case(case_id).slack_channel == spiking.escalations
    support = triage.slack.messages(triage.channel_id)
    [pointer] = support
    assert "Acme spike: new complaint cards are in the alert thread" in pointer["text"]
    # still cases in the queue, claimable
    assert triage.command(f"claim {first[0]}", user="UANN") == f"You have case #{first[0]}."
    assert triage.case(first[0]).status == "claimed"
    # other brands are not folded
    [globex] = triage.complaints("globex lost my parcel", brand="Globex")
    triage.deliver()
    assert triage.case(globex).slack_channel == triage.channel_id
    # once the alert is resolved, Acme's cards go to the support channel again
    spiking.press(ActionId.ALERT_RESOLVE)
    [later] = triage.complaints("refund still missing")
    triage.deliver()
    assert triage.case(later).slack_channel == triage.channel_id


def test_the_card_says_back_to_normal_when_the_windows_calm_down(spiking):
    spiking.until(SPIKE_AT + timedelta(minutes=15))
    spiking.until(SPIKE_AT + timedelta(hours=4, minutes=30))
    alert = spiking.alert()
    assert alert.status == "ended"
    assert f"Back to normal at {alert.ended_at:%H:%M} UTC" in spiking.card_text()
    assert "actions" not in [b["type"] for b in spiking.card()["blocks"]]
    assert len(spiking.top_level()) == 1
