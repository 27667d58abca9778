"""The response clock's messages through the real outbox dispatcher: a DM to the claimer, one escalation that
pings the on-call group, nothing for a case answered after the row was queued; and their rendering."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from bot.messages.escalations import group_ref, render_escalation
from bot.console import ConsoleDeliverer
from bot.outbox.dispatcher import Dispatcher
from storage import cases
from storage.db import session_scope
from storage.response_clock import record_response
from tests.test_response_clock import PUBLISHED, SLACK, outbox, run_sweep, world


def dispatch(engine, now) -> str:
    out = io.StringIO()
    dispatcher = Dispatcher(engine, ConsoleDeliverer(out=out), SLACK, sleep=lambda s: None)
    while dispatcher.run_once(now):
        pass
    return out.getvalue()


def test_reminder_and_escalation_go_out_once(sqlite_engine):
    (case_id,) = world(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        cases.claim(session=session, case_id=case_id, user="U1", now=PUBLISHED)
    dispatch(sqlite_engine, PUBLISHED)
    run_sweep(sqlite_engine, PUBLISHED + timedelta(hours=3))
    printed = dispatch(sqlite_engine, PUBLISHED + timedelta(hours=3))
    assert "Still unanswered, due in 1h" in printed and f"/earful responded {case_id} URL" in printed
    run_sweep(sqlite_engine, PUBLISHED + timedelta(hours=4))
    printed = dispatch(sqlite_engine, PUBLISHED + timedelta(hours=4))
    assert printed.count("<!subteam^S0ONCALL> :rotating_light: Unanswered complaint") == 1
    assert "claimed by <@U1>" in printed
    assert [r.status for r in outbox(sqlite_engine, "escalate")] == ["sent"]
    assert dispatch(sqlite_engine, PUBLISHED + timedelta(hours=5)) == ""


def test_an_answer_before_sending_cancels_the_escalation(sqlite_engine):
    (case_id,) = world(sqlite_engine)
    dispatch(sqlite_engine, PUBLISHED)
    run_sweep(sqlite_engine, PUBLISHED + timedelta(hours=4))
    with session_scope(sqlite_engine) as session:
        record_response(session=session, case_id=case_id, actor="U1", url=None, now=PUBLISHED + timedelta(hours=4))
    assert "rotating_light" not in dispatch(sqlite_engine, PUBLISHED + timedelta(hours=4))


def test_group_reference_pings_only_a_group_id():
    assert group_ref("S0123ABC") == "<!subteam^S0123ABC>"
    assert group_ref("<!channel>") == "&lt;!channel&gt;"
    assert group_ref("") == ""


def test_escalation_text_escapes_the_post(sqlite_engine):
    (case_id,) = world(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        view = cases.case_view(session=session, case_id=case_id)
        view.mention.text = "acme <!channel> help"
        message = render_escalation(view, round_no=2, oncall_group="",
                                    now=datetime(2026, 11, 7, 9, tzinfo=timezone.utc))
    assert "<!channel>" not in message.text and "follow-up 2" in message.text and "overdue 5h" in message.text
