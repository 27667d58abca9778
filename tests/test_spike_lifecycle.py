"""Pure parts of spike alerting: an alert's life from verdicts, where complaint cards go, the card's text."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from bot.messages.alerts import render_alert, render_pointer
from bot.console import ConsoleDeliverer, terminal_text
from bot.outbox.cards import CardPlace, complaint_card_place
from monitors.spikes.alerts import AlertState, next_change
from monitors.spikes.report import AlertReport
from monitors.spikes.detector import Explanation, Verdict
from storage.models import SpikeAlert
from storage.spikes import SpikePost

AT = datetime(2026, 11, 5, 14, 0, tzinfo=timezone.utc)
STEP = timedelta(minutes=5)


def verdict(at: datetime, observed: float, score: float, alert: bool = False) -> Verdict:
    why = Explanation("burst", "spike" if alert else "normal", observed, 12.0, timedelta(minutes=30), at,
                      "Thursday 14:00", 8.0, "5 robust σ", 10)
    return Verdict(at, observed / 6, score, alert, why)


def test_an_alert_opens_grows_waits_through_a_calm_bucket_and_ends_after_enough_of_them():
    assert next_change(None, verdict(AT, 20, 0.4), step=STEP, calm_buckets=2, now=AT).kind == "none"
    opened = next_change(None, verdict(AT, 36, 0.8, alert=True), step=STEP, calm_buckets=2, now=AT)
    assert opened.kind == "open" and opened.notify
    state = opened.state
    assert state.window_start == AT + STEP - timedelta(minutes=30) and state.window_end == AT + STEP
    grown = next_change(state, verdict(AT + STEP, 50, 0.9), step=STEP, calm_buckets=2, now=AT)
    assert grown.kind == "grow" and grown.notify and grown.state.observed == 50
    smaller = next_change(grown.state, verdict(AT + 2 * STEP, 40, 0.7), step=STEP, calm_buckets=2, now=AT)
    assert smaller.kind == "none" and smaller.state.observed == 50 and smaller.state.window_end == AT + 3 * STEP
    calm = next_change(smaller.state, verdict(AT + 3 * STEP, 14, 0.2), step=STEP, calm_buckets=2, now=AT)
    assert calm.kind == "calm" and not calm.notify and calm.state.calm_buckets == 1
    back_up = next_change(calm.state, verdict(AT + 4 * STEP, 45, 0.6), step=STEP, calm_buckets=2, now=AT)
    assert back_up.state.calm_buckets == 0  # a calm bucket between two raised ones does not count
    calm = next_change(back_up.state, verdict(AT + 5 * STEP, 14, 0.2), step=STEP, calm_buckets=2, now=AT)
    ended = next_change(calm.state, verdict(AT + 6 * STEP, 13, 0.1), step=STEP, calm_buckets=2, now=AT)
    assert ended.kind == "end" and ended.notify and ended.state.ended_at == AT + 7 * STEP


def test_a_muted_alert_grows_quietly_until_the_mute_runs_out():
    muted = AlertState("muted", AT - timedelta(minutes=25), AT + STEP, 36, 12, 0.8, "x",
                       muted_until=AT + timedelta(hours=1))
    during = next_change(muted, verdict(AT + STEP, 60, 0.9), step=STEP, calm_buckets=3, now=AT + STEP)
    assert during.kind == "grow" and not during.notify
    after = next_change(muted, verdict(AT + STEP, 60, 0.9), step=STEP, calm_buckets=3, now=AT + timedelta(hours=2))
    assert after.notify


def test_complaint_cards_go_to_the_alert_thread_only_while_an_alert_stands_and_is_posted():
    assert complaint_card_place(support_channel="#s", alert_id=None, alert_channel=None, alert_ts=None) \
        == CardPlace("#s")
    assert complaint_card_place(support_channel="#s", alert_id=7, alert_channel="CESC", alert_ts="1.2") \
        == CardPlace("CESC", thread_ts="1.2", alert_id=7)
    assert complaint_card_place(support_channel="#s", alert_id=7, alert_channel=None, alert_ts=None).wait
    assert complaint_card_place(support_channel="#s", alert_id=7, alert_channel=None, alert_ts=None,
                                alert_post_failed=True) == CardPlace("#s")


def report(status: str = "open", **extra) -> AlertReport:
    alert = SpikeAlert(id=3, brand_id=1, window_start=AT - timedelta(minutes=25), window_end=AT + STEP, observed=36,
                       expected=12, score=0.8, status=status, created_at=AT,
                       explanation="36 negative mentions in the last 30 min vs 12 expected", **extra)
    hostile = SpikePost(1, "<!channel>", 5000, None, "refund <@U123> now <https://evil.example|x>",
                        "javascript:alert(1)", AT)
    return AlertReport(alert, "Acme & Co", [hostile], [("refund", 9)])


def test_the_card_escapes_posts_pings_the_oncall_group_only_when_asked_and_says_when_it_ended():
    first = render_alert(report(), now=AT, oncall_group="S0ONCALL")
    assert first.text.startswith("<!subteam^S0ONCALL>")
    posts = next(b for b in first.blocks if b["block_id"] == "alert.posts")["text"]["text"]
    assert "<!channel>" not in posts and "&lt;!channel&gt;" in posts and "<@U123>" not in posts
    assert "javascript" not in posts  # not an http(s) link: shown unlinked
    assert "Acme &amp; Co" in first.blocks[0]["text"]["text"]
    assert "subteam" not in render_alert(report(), now=AT).text
    assert render_alert(report(), now=AT, oncall_group="not-an-id").text.startswith("Negative spike")
    ended = render_alert(report("ended", ended_at=AT + timedelta(hours=3, minutes=20)), now=AT + timedelta(hours=4))
    assert "Back to normal at 17:20 UTC" in terminal_text(ended.text)
    assert all(b["type"] != "actions" for b in ended.blocks)
    assert "Acme &amp; Co spike: new complaint cards are in the alert thread" in render_pointer("Acme & Co").text


def test_the_console_prints_the_alert():
    out = io.StringIO()
    ConsoleDeliverer(out).post(channel="#esc", message=render_alert(report(), now=AT))
    assert "Negative spike: Acme & Co: 36 negative mentions vs 12 expected" in out.getvalue()
