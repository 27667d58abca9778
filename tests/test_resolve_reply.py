"""The Resolve dialog's optional reply link, through the real Bolt app and the Slack emulator."""

from __future__ import annotations

import json

from bot.slack.ids import ActionId, BlockId
from storage.db import session_scope
from storage.models import Case
from tests.fixtures.slack_world import Triage, view_submission_request


def submit(triage: Triage, case_id: int, *, note=None, link=None):
    triage.press(ActionId.RESOLVE, case_id, user="UANN")
    modal = triage.slack.modals[-1]
    values = {BlockId.RESOLVE_NOTE: {ActionId.NOTE: {"type": "plain_text_input", "value": note}},
              BlockId.RESOLVE_REPLY: {ActionId.REPLY_URL: {"type": "plain_text_input", "value": link}}}
    return triage.app.dispatch(view_submission_request(modal, values, user="UANN"))


def test_a_reply_link_stops_the_clock_and_resolves(sqlite_engine, slack):
    triage = Triage(sqlite_engine, slack)
    [case_id] = triage.complaints("refund")
    triage.deliver()
    triage.press(ActionId.CLAIM, case_id, user="UANN")
    response = submit(triage, case_id, note="voucher", link=" https://x.example/reply/9 ")
    assert response.status == 200 and response.body == ""
    case = triage.case(case_id)
    assert case.status == "resolved" and case.first_response_at is not None
    assert case.first_response_at <= case.resolved_at
    assert triage.told("UANN")[-1].endswith(f"Case #{case_id} resolved.")


def test_a_bad_reply_link_keeps_the_dialog_open(sqlite_engine, slack):
    triage = Triage(sqlite_engine, slack)
    [case_id] = triage.complaints("refund")
    triage.deliver()
    triage.press(ActionId.CLAIM, case_id, user="UANN")
    response = submit(triage, case_id, link="later")
    assert response.status == 200
    answer = json.loads(response.body)
    assert answer["response_action"] == "errors" and "not a link" in answer["errors"][BlockId.RESOLVE_REPLY]
    with session_scope(sqlite_engine) as session:
        assert session.get(Case, case_id).status == "claimed"  # nothing happened


def test_no_link_resolves_without_answering(sqlite_engine, slack):
    triage = Triage(sqlite_engine, slack)
    [case_id] = triage.complaints("refund")
    triage.deliver()
    triage.press(ActionId.CLAIM, case_id, user="UANN")
    submit(triage, case_id)
    assert triage.case(case_id).status == "resolved" and triage.case(case_id).first_response_at is None
