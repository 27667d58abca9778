"""The digest through Slack (the Web API emulator) and the console: the message, the chart in its thread by the
files upload v2 flow, retries that upload nothing twice, and `/earful digest` answered privately."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from bot.console import ConsoleDeliverer
from bot.outbox.dispatcher import Dispatcher
from bot.slack.deliver import SlackDeliverer, make_client
from monitors.config import Config, ScheduleConfig, SlackConfig
from monitors.digest.run import enqueue_due, schedules
from storage.db import session_scope
from storage.models import Outbox
from tests.fixtures.slack_world import Triage, command_request
from tests.test_digest_world import build_world

PNG = b"\x89PNG\r\n\x1a\n"
DUE = datetime(2026, 3, 30, 8, 0, 30, tzinfo=timezone.utc)  # 09:00:30 BST: the digest of the 29th is due


def config() -> Config:
    return Config(schedule=ScheduleConfig(timezone="Europe/London"),
                  slack=SlackConfig(support_channel="#earful-support", digest_channel="#earful-digest",
                                    messages_per_second=1000.0, flood_threshold=50))


def enqueue(engine, now: datetime = DUE) -> list[str]:
    with session_scope(engine) as session:
        return enqueue_due(session=session, schedules=schedules(config()), now=now, owner="test")


def drain(dispatcher: Dispatcher, now: datetime) -> None:
    for _ in range(30):
        if not dispatcher.run_once(now):
            return


def outbox(engine, kind: str) -> list[Outbox]:
    with session_scope(engine) as session:
        return list(session.exec(select(Outbox).where(Outbox.kind == kind)).all())


@pytest.fixture
def world(engine, slack):
    built = build_world(engine)
    deliverer = SlackDeliverer(make_client(slack.token, base_url=slack.url, timeout=1))
    return built, Dispatcher(engine, deliverer, config().slack)


def test_the_digest_and_its_chart_reach_the_channel(engine, slack, world):
    built, dispatcher = world
    assert enqueue(engine)
    drain(dispatcher, DUE)
    posted = slack.messages("#earful-digest")
    assert len(posted) == 1
    digest = posted[0]
    assert digest["blocks"][0]["text"]["text"] == "Daily digest · Sun 29 Mar 2026"
    body = "\n".join(b["text"]["text"] for b in digest["blocks"] if b["type"] == "section")
    assert "*Acme*: 7 mentions" in body and "Opened 4 (day before 1)" in body
    assert "&lt;!channel&gt;" in body and "<!channel>" not in body
    assert "The chart of the last 14 days follows in the thread." in json.dumps(digest["blocks"])
    login = built["cases"]["login"]
    card = next(m for m in slack.messages("#earful-support") if f"#{login} ·" in m["blocks"][0]["text"]["text"])
    channel_id = slack.channel("earful-support").id
    assert f"<https://emulator.slack.test/archives/{channel_id}/p{card['ts'].replace('.', '')}|#{login}>" in body

    # files upload v2: an upload URL, the bytes, then completion into the digest's thread
    assert len(slack.calls_to("files.getUploadURLExternal", ok=True)) == 1
    [complete] = slack.calls_to("files.completeUploadExternal", ok=True)
    digest_channel = slack.channel("earful-digest").id
    assert complete.params["channel_id"] == digest_channel and complete.params["thread_ts"] == digest["ts"]
    [upload] = slack.files.values()
    assert upload["content"].startswith(PNG) and upload["name"] == "earful-digest-2026-03-29.png"
    assert upload["title"].startswith("Mentions by sentiment")
    [reply] = slack.thread(digest_channel, digest["ts"])
    assert reply["files"] == [upload["id"]]
    assert {row.status for row in outbox(engine, "digest") + outbox(engine, "digest_chart")} == {"sent"}
    drain(dispatcher, DUE + timedelta(minutes=5))
    assert enqueue(engine, DUE + timedelta(minutes=5)) == []
    assert len(slack.messages("#earful-digest")) == 1 and len(slack.files) == 1


def test_a_lost_upload_answer_is_not_uploaded_twice(engine, slack, world):
    _, dispatcher = world
    enqueue(engine)
    slack.fail("lost_response", times=1, methods=("files.completeUploadExternal",))
    drain(dispatcher, DUE)  # the chart reached the thread but the answer never came back
    [chart] = outbox(engine, "digest_chart")
    assert chart.status == "pending"
    slack.clear_faults()
    drain(dispatcher, DUE + timedelta(minutes=10))
    digest_ts = slack.messages("#earful-digest")[0]["ts"]
    assert len(slack.thread(slack.channel("earful-digest").id, digest_ts)) == 1
    assert len(slack.calls_to("files.completeUploadExternal")) == 1
    assert outbox(engine, "digest_chart")[0].status == "sent"


def test_a_failed_upload_is_retried(engine, slack, world):
    _, dispatcher = world
    enqueue(engine)
    slack.fail("server_error", times=1, methods=("files.getUploadURLExternal",))
    drain(dispatcher, DUE)
    assert outbox(engine, "digest")[0].status == "sent" and outbox(engine, "digest_chart")[0].status == "pending"
    drain(dispatcher, DUE + timedelta(minutes=10))
    assert outbox(engine, "digest_chart")[0].status == "sent" and len(slack.files) == 1
    assert len(slack.thread(slack.channel("earful-digest").id, slack.messages("#earful-digest")[0]["ts"])) == 1


def test_without_files_write_the_digest_still_goes_out_and_nothing_pauses(engine, slack, world):
    _, dispatcher = world
    enqueue(engine)
    slack.fail("missing_scope", methods=("files.getUploadURLExternal",))
    drain(dispatcher, DUE)
    assert outbox(engine, "digest")[0].status == "sent"
    chart = outbox(engine, "digest_chart")[0]
    assert chart.status == "failed" and "missing_scope" in chart.last_error
    assert dispatcher.paused_until is None


def test_the_console_prints_the_digest_and_saves_the_chart(engine, tmp_path):
    build_world(engine)
    out = io.StringIO()
    dispatcher = Dispatcher(engine, ConsoleDeliverer(out, files_dir=tmp_path), config().slack)
    enqueue(engine, DUE + timedelta(hours=2))  # first seen at 11:00 BST, two hours after the time: not owed
    assert "Daily digest" not in out.getvalue()
    enqueue_at = DUE + timedelta(days=1)
    assert enqueue(engine, enqueue_at)
    drain(dispatcher, enqueue_at)
    printed = out.getvalue()
    assert "Daily digest · Mon 30 Mar 2026" in printed and "Mentions and sentiment\n---" in printed
    saved = tmp_path / "earful-digest-2026-03-30.png"
    assert saved.read_bytes().startswith(PNG) and f"saved to {saved}" in printed


def test_earful_digest_command_answers_privately(engine, slack):
    triage = Triage(engine, slack)
    triage.complaints("acme charged me twice", "refund please")
    triage.clock.advance(days=1)
    response = triage.app.dispatch(command_request("digest acme", user="UANN", channel=triage.channel_id))
    assert response.status == 200
    answer = json.loads(response.body)
    assert answer["response_type"] == "ephemeral"
    assert answer["blocks"][0]["text"]["text"] == "Daily digest for Acme · Mon 2 Nov 2026"
    assert "Opened 2 (day before 0)" in json.dumps(answer["blocks"])
    assert triage.command("digest nobody", user="UANN").startswith("There is no brand 'nobody'")
    assert not slack.calls_to("chat.postMessage")  # nothing was posted for everyone to see


def test_the_runtime_sends_each_digest_once(tmp_path):
    from bot.runtime import Runtime
    from monitors.config import Secrets
    from monitors.configure import parse_config
    from tests.fixtures.slack_world import Clock

    cfg = parse_config({"brands": [{"name": "Acme", "query": "acme"}], "schedule": {"timezone": "Europe/London"}})
    clock = Clock(datetime(2026, 3, 29, 7, 0, tzinfo=timezone.utc))  # 08:00 BST, first start
    runtime = Runtime.build(cfg, Secrets.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"}), clock=clock)
    out = io.StringIO()
    runtime.attach(ConsoleDeliverer(out, files_dir=tmp_path))
    try:
        runtime.digest_job()
        assert "digest" not in out.getvalue()
        clock.advance(hours=1, seconds=20)  # 09:00:20 BST
        runtime.digest_job()
        runtime.digest_job()
        assert out.getvalue().count("Daily digest · Sat 28 Mar 2026") == 1
        assert (tmp_path / "earful-digest-2026-03-28.png").exists()
    finally:
        runtime.close()
