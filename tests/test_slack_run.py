"""`earful run` on Slack, end to end: the real process polls the example feeds, posts cards to the emulator, and
takes a claim and a resolve over Socket Mode; the card and its thread tell the story."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.slack_socket import SocketModeServer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


@pytest.mark.slow
def test_earful_run_posts_cards_and_takes_commands_over_socket_mode(slack, tmp_path):
    feed = (EXAMPLES / "feeds" / "reviews.xml").as_uri()
    config = tmp_path / "earful.toml"
    config.write_text(f"""
[[brands]]
name = "Acme"
query = 'acme OR "acme cloud" OR #acmecloud'

[[sources]]
name = "review-site"
kind = "feed"
url = "{feed}"

[slack]
support_channel = "#earful-support"
messages_per_second = 50

[complaints]
max_age = "3650d"
""")
    socket = SocketModeServer().start()
    slack.socket_url = socket.url
    slack.add_user("UANN")
    env = dict(os.environ, SLACK_BOT_TOKEN=slack.token, SLACK_APP_TOKEN=slack.app_token, SLACK_API_URL=slack.url,
               DATABASE_URL=f"sqlite:///{tmp_path / 'earful.db'}")
    env.pop("SLACK_SIGNING_SECRET", None)
    earful = [sys.executable, "-c", "from bot.cli import main; main()"]
    process = subprocess.Popen(earful + ["run", "--config", str(config)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        first = wait_for(lambda: [m for m in slack.messages("#earful-support") if m["text"].startswith("#1 ")])[0]
        assert socket.wait_connected(10)
        channel = slack.channel("earful-support").id

        def command(text):
            return socket.request("slash_commands", {
                "command": "/earful", "text": text, "user_id": "UANN", "channel_id": channel,
                "team_id": "TEMULATOR", "api_app_id": "AEARFUL"}, timeout=10)["payload"]["text"]

        assert command("claim 1") == "You have case #1."
        wait_for(lambda: "Claimed by <@UANN>" in slack.message(channel, first["ts"])["text"])
        assert command("resolve 1 replied publicly") == "Case #1 resolved."
        wait_for(lambda: len(slack.thread(channel, first["ts"])) == 2)
        card = slack.message(channel, first["ts"])
        assert "Resolved · replied publicly" in card["blocks"][0]["text"]["text"]
        lines = [m["text"] for m in slack.thread(channel, first["ts"])]
        assert lines[0].endswith("<@UANN> claimed case #1")
        assert lines[1].endswith("<@UANN> resolved case #1: replied publicly")
        assert [m for m in slack.messages("#earful-support") if m["text"].startswith("#1 ")] == [
            slack.message(channel, first["ts"])]  # one card for the case, edited in place
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        socket.stop()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
