"""The Slack Web API emulator itself, driven by the real slack_sdk WebClient: if it lies, every Slack test lies."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


def client(slack, **kw) -> WebClient:
    return WebClient(token=slack.token, base_url=slack.url, timeout=kw.pop("timeout", 2), retry_handlers=[], **kw)


def section(text: str, **extra) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def test_posts_threads_and_updates_are_kept_per_channel(slack):
    web = client(slack)
    first = web.chat_postMessage(channel="#earful-support", text="card", blocks=[section("card")])
    second = web.chat_postMessage(channel="#earful-support", text="another")
    assert float(second["ts"]) > float(first["ts"])
    channel = first["channel"]
    assert channel == slack.channel("earful-support").id
    web.chat_postMessage(channel=channel, text="line", thread_ts=first["ts"])
    web.chat_update(channel=channel, ts=first["ts"], text="card v2", blocks=[section("card v2")])
    assert [m["text"] for m in slack.messages("#earful-support")] == ["card v2", "another"]
    assert [m["text"] for m in slack.thread(channel, first["ts"])] == ["line"]
    assert slack.message(channel, first["ts"])["edits"] == 1
    with pytest.raises(SlackApiError) as err:
        web.chat_update(channel="#earful-support", ts=first["ts"], text="x")
    assert err.value.response["error"] == "channel_not_found"  # updates need the id, as in Slack


@pytest.mark.parametrize("blocks, error", [
    ([section("x" * 3001)], "invalid_blocks"),
    ([section("x")] * 51, "invalid_blocks"),
    ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "invalid_blocks"),
    ([{"type": "actions", "elements": [{"type": "button", "action_id": "a",
                                        "text": {"type": "plain_text", "text": "b" * 76}}]}], "invalid_blocks"),
    ([{"type": "actions", "block_id": "x" * 256, "elements": [
        {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "ok"}}]}], "invalid_blocks"),
    ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "invalid_blocks"),
    ([section("a", block_id="same"), section("b", block_id="same")], "invalid_blocks"),
])
def test_field_limits_are_enforced_like_slack(slack, blocks, error):
    with pytest.raises(SlackApiError) as err:
        client(slack).chat_postMessage(channel="#earful-support", text="t", blocks=blocks)
    assert err.value.response["error"] == error
    assert err.value.response["errors"][0].endswith("]")  # names the place, as Slack's json-pointer does
    assert slack.messages("#earful-support") == []


def test_text_length_and_missing_text(slack):
    web = client(slack)
    with pytest.raises(SlackApiError, match="msg_too_long"):
        web.chat_postMessage(channel="#earful-support", text="x" * 40_001)
    with pytest.raises(SlackApiError, match="no_text"), pytest.warns(UserWarning):  # slack_sdk warns too
        web.chat_postMessage(channel="#earful-support", text="")
    web.chat_postMessage(channel="#earful-support", text="x" * 40_000)


def test_token_and_channel_checks(slack):
    with pytest.raises(SlackApiError, match="invalid_auth"):
        WebClient(token="xoxb-wrong", base_url=slack.url).auth_test()
    with pytest.raises(SlackApiError, match="not_authed"):
        WebClient(base_url=slack.url).auth_test()
    slack.add_channel("private", private=True, bot_member=False)
    web = client(slack)
    with pytest.raises(SlackApiError, match="channel_not_found"):
        web.chat_postMessage(channel="#nowhere", text="x")
    with pytest.raises(SlackApiError, match="not_in_channel"):
        web.chat_postMessage(channel="#private", text="x")
    assert "chat:write" in web.auth_test().headers["x-oauth-scopes"].split(",")


def test_rate_limit_fault_answers_429_with_retry_after_for_n_calls(slack):
    slack.fail("ratelimited", times=2, retry_after=7, methods=("chat.postMessage",))
    web = client(slack)
    web.auth_test()  # other methods are untouched
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            web.chat_postMessage(channel="#earful-support", text="x")
        assert err.value.response.status_code == 429
        assert err.value.response.headers["Retry-After"] == "7"
    web.chat_postMessage(channel="#earful-support", text="x")
    assert len(slack.messages("#earful-support")) == 1


def test_server_error_fault_for_a_time_window(slack):
    slack.fail("server_error", seconds=0.3)
    web = client(slack)
    with pytest.raises(SlackApiError) as err:
        web.chat_postMessage(channel="#earful-support", text="x")
    assert err.value.response.status_code == 500
    time.sleep(0.35)
    web.chat_postMessage(channel="#earful-support", text="x")


def test_slack_error_fault_until_cleared(slack):
    fault = slack.fail("not_in_channel")
    web = client(slack)
    for _ in range(3):
        with pytest.raises(SlackApiError, match="not_in_channel"):
            web.chat_postMessage(channel="#earful-support", text="x")
    fault.clear()
    web.chat_postMessage(channel="#earful-support", text="x")
    assert fault.hits == 3


def test_hang_times_the_client_out_and_does_nothing(slack):
    slack.fail("hang", times=1)
    with pytest.raises(TimeoutError):
        client(slack, timeout=0.3).chat_postMessage(channel="#earful-support", text="x")
    assert slack.messages("#earful-support") == []


def test_lost_response_does_the_work_but_never_answers(slack):
    slack.fail("lost_response", times=1)
    with pytest.raises(TimeoutError):
        client(slack, timeout=0.3).chat_postMessage(channel="#earful-support", text="x")
    assert len(slack.messages("#earful-support")) == 1  # the classic source of duplicates


def test_history_shows_metadata_only_when_asked(slack):
    web = client(slack)
    posted = web.chat_postMessage(channel="#earful-support", text="x",
                                  metadata={"event_type": "earful_outbox", "event_payload": {"key": "card:1"}})
    plain = web.conversations_history(channel=posted["channel"])["messages"][0]
    assert "metadata" not in plain
    rich = web.conversations_history(channel=posted["channel"], include_all_metadata=True)["messages"][0]
    assert rich["metadata"]["event_payload"] == {"key": "card:1"}


def test_ephemeral_views_users_and_groups(slack):
    web = client(slack)
    slack.add_user("UANN", name="ann")
    slack.add_usergroup("SLEADS", ["UANN"], handle="leads")
    web.chat_postEphemeral(channel="#earful-support", user="UANN", text="only you")
    assert slack.ephemeral[-1]["text"] == "only you"
    assert web.users_info(user="UANN")["user"]["name"] == "ann"
    assert web.usergroups_users_list(usergroup="SLEADS")["users"] == ["UANN"]
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        web.views_open(trigger_id="t", view={"type": "modal", "title": {"type": "plain_text", "text": "x" * 25},
                                            "blocks": []})
    web.views_publish(user_id="UANN", view={"type": "home", "blocks": [section("hi")]})
    assert slack.home["UANN"]["blocks"][0]["text"]["text"] == "hi"


def test_files_upload_v2_flow(slack):
    web = client(slack)
    result = web.files_upload_v2(channel=slack.channel("earful-digest").id, content=b"png-bytes",
                                 filename="chart.png", title="Mentions", initial_comment="Daily digest")
    file_id = result["files"][0]["id"]
    assert slack.files[file_id]["content"] == b"png-bytes"
    message = slack.messages("#earful-digest")[-1]
    assert message["text"] == "Daily digest" and message["files"] == [file_id]
