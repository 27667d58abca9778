"""Card and view rendering (pure): escaping of outside text, Slack's limits, the buttons each state offers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.messages.cards import escape, fit, render_card, render_event, render_flood_summary, safe_url, user_ref
from bot.slack.ids import ActionId, CaseRef
from bot.slack.views import case_line, home_view, modal_note, queue_reply, resolve_modal
from storage.cases import CaseView
from storage.models import Case, Event, Mention
from tests.fixtures.slack_limits import check_blocks, check_view

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)
HOSTILE = "<!channel> hey <@U123> look <https://evil.example|innocent> & <!here> <#C999>"


def view(case_id: int = 7, *, text: str = "the app ate my data", status: str = "open", brand: str = "Acme",
         author: str | None = "dana", url: str | None = "https://forum.example/t/7", title: str | None = None,
         claimed_by: str | None = None, note: str | None = None, sla_hours: float = 3) -> CaseView:
    mention = Mention(id=case_id, source_id=1, external_id=str(case_id), url=url, author=author, author_reach=4200,
                      title=title, text=text, published_at=NOW - timedelta(hours=2), fetched_at=NOW,
                      sentiment=-0.64, complaint_score=0.88, complaint_cues=["refund"], content_hash="h",
                      story_key="k")
    case = Case(id=case_id, mention_id=case_id, brand_id=1, status=status, claimed_by=claimed_by, opened_at=NOW,
                sla_due_at=NOW + timedelta(hours=sla_hours), note=note,
                snoozed_until=NOW + timedelta(hours=4) if status == "snoozed" else None)
    return CaseView(case=case, mention=mention, brand=brand)


def all_text(blocks) -> str:
    out = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return "\n".join(out)


def action_ids(message) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def test_outside_text_cannot_ping_or_link():
    card = render_card(view(text=HOSTILE, author="<!everyone>", brand="A<b>", title="<@U1> & co"), now=NOW,
                       source_name="<!subteam^S1>")
    rendered = all_text(card.blocks) + "\n" + card.text
    for control in ("<!channel>", "<@U123>", "<https://evil", "<!here>", "<#C999>", "<!everyone>", "<@U1>",
                    "<!subteam"):
        assert control not in rendered
    assert "&lt;!channel&gt;" in rendered and "&lt;https://evil.example|innocent&gt;" in rendered
    assert "&amp;" in rendered


def test_the_post_link_cannot_be_turned_into_a_disguised_link():
    card = render_card(view(url="https://ok.example/a|<!channel>>"), now=NOW)
    facts = all_text(card.blocks)
    assert "<!channel>" not in facts
    assert "<https://ok.example/a%7C%3C!channel%3E%3E|open the post>" in facts
    assert safe_url("javascript:alert(1)") is None and safe_url("ftp://x") is None


def test_a_huge_post_is_trimmed_to_what_slack_accepts():
    card = render_card(view(text=("<&>" * 5000) + "\n" * 400, title="T" * 2000, author="a" * 500, brand="b" * 300),
                       now=NOW)
    assert check_blocks(card.blocks) == []
    assert len(card.text) <= 3000
    body = card.blocks[1]["text"]["text"]
    assert body.endswith("…") and "&am…" not in body  # cut between escapes, never inside one


def test_fit_keeps_rendered_text_under_the_limit_and_whole_escapes():
    for limit in (1, 2, 5, 10, 50):
        out = fit("&" * 100, limit)
        assert len(out) <= limit
        assert out.replace("&amp;", "").replace("…", "") == ""
    assert fit("short & sweet", 100) == "short &amp; sweet"


@pytest.mark.parametrize("status, claimed_by, expected", [
    ("open", None, [ActionId.CLAIM, ActionId.RESOLVE, ActionId.DISMISS, ActionId.SNOOZE, ActionId.OPEN_POST]),
    ("claimed", "UANN", [ActionId.UNCLAIM, ActionId.RESOLVE, ActionId.DISMISS, ActionId.SNOOZE, ActionId.OPEN_POST]),
    ("snoozed", None, [ActionId.CLAIM, ActionId.RESOLVE, ActionId.DISMISS, ActionId.SNOOZE, ActionId.OPEN_POST]),
    ("resolved", "UANN", []),
    ("dismissed", None, []),
])
def test_each_state_offers_the_buttons_that_make_sense(status, claimed_by, expected):
    card = render_card(view(status=status, claimed_by=claimed_by, note="refunded"), now=NOW)
    assert action_ids(card) == expected
    assert check_blocks(card.blocks) == []


def test_status_line_tells_who_has_it_and_the_deadline():
    head = render_card(view(status="claimed", claimed_by="UANN"), now=NOW).blocks[0]["text"]["text"]
    assert "Claimed by <@UANN>" in head and "reply due in 3h" in head
    late = render_card(view(sla_hours=-2), now=NOW).blocks[0]["text"]["text"]
    assert "overdue 2h" in late
    done = render_card(view(status="resolved", note="refund <sent>"), now=NOW).blocks[0]["text"]["text"]
    assert "Resolved" in done and "refund &lt;sent&gt;" in done


def test_buttons_carry_the_case_and_snooze_choices_their_length():
    card = render_card(view(case_id=42), now=NOW)
    actions = next(b for b in card.blocks if b["type"] == "actions")["elements"]
    claim = next(e for e in actions if e["action_id"] == ActionId.CLAIM)
    assert CaseRef.decode(claim["value"]) == CaseRef(42)
    snooze = next(e for e in actions if e["action_id"] == ActionId.SNOOZE)
    assert [CaseRef.decode(o["value"]).seconds for o in snooze["options"]] == [3600, 14400, 86400]


@pytest.mark.parametrize("raw", [None, "", "12", "{}", '{"case": "12"}', '{"case": -1}', '{"case": 3, "for": 0}',
                                 "[1]"])
def test_case_refs_from_elsewhere_are_refused(raw):
    with pytest.raises(ValueError):
        CaseRef.decode(raw)


def test_thread_line_says_who_did_what_and_escapes_the_note():
    event = Event(case_id=3, actor="UANN", action="resolved", note="told them <!channel>", at=NOW)
    at = int(NOW.timestamp())  # Slack shows each reader the time in their own zone; UTC where it cannot
    assert render_event(event, case_id=3).text == (
        f"<!date^{at}^{{time}}|12:00 UTC> <@UANN> resolved case #3: told them &lt;!channel&gt;")
    console = Event(case_id=3, actor="<!here>", action="claimed", at=NOW)
    assert "<!here>" not in render_event(console, case_id=3).text
    assert user_ref("earful") == "Earful"


def test_flood_summary_lists_cases_within_limits():
    views = [view(i, text=f"{HOSTILE} {i}" * 5) for i in range(1, 61)]
    summary = render_flood_summary("Acme", views, now=NOW)
    assert check_blocks(summary.blocks) == []
    text = all_text(summary.blocks)
    assert "60 new complaints about Acme" in text and "#1 " in text and "and 35 more" in text
    assert "<!channel>" not in text and "<!channel>" not in summary.text
    assert "#60" in summary.text  # the fallback names every case


def test_home_tab_stays_under_slack_limits_with_a_big_queue():
    queue = [view(i, brand=f"Brand{i % 120}", text=HOSTILE) for i in range(1, 400)]
    home = home_view(user="UANN", mine=queue[:30], overdue=queue[:30], queue=queue, now=NOW)
    assert check_view(home) == []
    text = all_text(home["blocks"])
    assert "Your cases (30)" in text and "Past their SLA (30)" in text and "<!channel>" not in text
    assert f"Updated <!date^{int(NOW.timestamp())}^" in text  # in the viewer's own time zone


def test_queue_reply_and_lines():
    assert queue_reply([], now=NOW, empty="The queue is empty.") == "The queue is empty."
    line = case_line(view(status="claimed", claimed_by="UBOB", text=HOSTILE), now=NOW, source="forum <x>")
    assert line.startswith("*#7* · Acme · claimed by <@UBOB> · due in 3h · forum &lt;x&gt; · "
                           "<https://forum.example/t/7|the post> — ") and "<!channel>" not in line


def test_resolve_modal_is_valid_and_its_note_is_read_back():
    modal = resolve_modal(5, channel="C1", summary=escape(HOSTILE))
    assert check_view(modal) == []
    values = {"resolve.note": {ActionId.NOTE: {"type": "plain_text_input", "value": "  refunded  "}}}
    assert modal_note(values) == "refunded"
    assert modal_note({"resolve.note": {ActionId.NOTE: {"value": None}}}) is None
    assert modal_note({}) is None
