"""The card shows a recorded answer instead of the deadline, and marks authors with a large reach."""

from __future__ import annotations

from datetime import timedelta

from bot.messages.cards import HIGH_REACH, render_card
from tests.test_slack_cards import NOW, view


def head(case_view) -> str:
    return render_card(case_view, now=NOW).blocks[0]["text"]["text"]


def test_an_answered_case_shows_when_instead_of_the_deadline():
    answered = view(status="claimed", claimed_by="UANN", sla_hours=-1)
    answered.case.first_response_at = answered.mention.published_at + timedelta(minutes=50)
    text = head(answered)
    assert "answered in public after 50m" in text and "overdue" not in text


def test_high_reach_authors_are_marked():
    big = view()
    big.mention.author_reach = HIGH_REACH
    small = view()
    small.mention.author_reach = HIGH_REACH - 1
    assert ":loudspeaker: *high reach*" in head(big)
    assert "high reach" not in head(small) and f"reach {HIGH_REACH - 1:,}" in head(small)
