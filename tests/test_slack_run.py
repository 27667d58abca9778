"""`earful run` on Slack, end to end: the real process polls the example feeds, posts cards to the emulator, and
takes a claim and a resolve over Socket Mode; the card and its thread tell the story."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.slack_socket import SocketModeServer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# Ctrl-C stops within 2 s (about 0.6 s here; 2.6 s when Socket Mode's close was waited for)
STOP_BOUND = 2.0


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def _review_config(tmp_path: Path, *, messages_per_second: float | None = None) -> Path:
    """Brand Acme and the example review feed, whose complaints open cases in #earful-support."""
    pace = f"messages_per_second = {messages_per_second}\n" if messages_per_second is not None else ""
    config = tmp_path / "earful.toml"
    config.write_text(f"""
[[brands]]
name = "Acme"
query = 'acme OR "acme cloud" OR #acmecloud'

[[sources]]
name = "review-site"
kind = "feed"
url = "{(EXAMPLES / "feeds" / "reviews.xml").as_uri()}"

[slack]
support_channel = "#earful-support"
{pace}
[complaints]
max_age = "3650d"
""")
    return config


@pytest.mark.slow
def test_earful_run_posts_cards_and_takes_commands_over_socket_mode(slack, tmp_path):
    config = _review_config(tmp_path, messages_per_second=50)
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


def _run_once(env: dict, config: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    return subprocess.run([sys.executable, "-m", "bot", "run", "--config", str(config)],
                          env={**inherited, "DATABASE_URL": f"sqlite:///{tmp_path / 'earful.db'}", **env},
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[1])


def test_slack_unreachable_at_start_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    done = _run_once({"SLACK_BOT_TOKEN": "xoxb-1-abc", "SLACK_APP_TOKEN": "xapp-1-abc",
                      "SLACK_API_URL": f"http://127.0.0.1:{port}/api/"}, EXAMPLES / "earful.toml", tmp_path)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1 and "cannot reach Slack" in lines[0]


def test_a_taken_port_is_one_line_and_nothing_reaches_slack(slack, tmp_path):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        env = {"SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": "s3cret", "SLACK_API_URL": slack.url,
               "PORT": str(taken.getsockname()[1])}
        done = _run_once(env, EXAMPLES / "earful.toml", tmp_path)  # HTTP mode: no SLACK_APP_TOKEN
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1 and "cannot listen for Slack" in lines[0]
    assert slack.calls_to("chat.postMessage") == []  # checked before the scheduler sent anything


@pytest.mark.slow
def test_ctrl_c_while_slack_is_down_says_what_stays_queued_and_hands_it_back(slack, tmp_path):
    import signal

    import sqlalchemy as sa

    config = _review_config(tmp_path)
    socket = SocketModeServer().start()
    slack.socket_url = socket.url
    slack.fail("server_error", methods=("chat.postMessage",))  # every card's post fails: they stay queued
    database = tmp_path / "earful.db"
    env = dict(os.environ, SLACK_BOT_TOKEN=slack.token, SLACK_APP_TOKEN=slack.app_token, SLACK_API_URL=slack.url,
               DATABASE_URL=f"sqlite:///{database}")
    env.pop("SLACK_SIGNING_SECRET", None)
    process = subprocess.Popen([sys.executable, "-c", "from bot.cli import main; main()", "run", "--config",
                                str(config)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=Path(__file__).resolve().parents[1], start_new_session=True)

    def pending() -> int:
        if not database.exists():
            return 0
        engine = sa.create_engine(f"sqlite:///{database}")
        try:
            with engine.connect() as connection:
                return connection.execute(sa.text("SELECT count(*) FROM outbox WHERE status = 'pending' "
                                                  "AND attempts > 0")).scalar_one()
        except sa.exc.OperationalError:  # not migrated yet
            return 0
        finally:
            engine.dispose()

    try:
        wait_for(lambda: pending() > 0, timeout=60)  # a card was tried and failed: it waits for a retry
        sent = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        socket.stop()
    assert process.returncode == 130, stderr
    assert took < STOP_BOUND, (took, stderr)  # Socket Mode's own close takes 2.5 s: it is not waited for
    assert "Traceback" not in stderr, stderr
    assert "messages stay queued; they go out when Earful next starts" in stderr, stderr


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["server_error", "ratelimited"])
def test_a_worker_started_while_slack_struggles_waits_for_it(slack, tmp_path, kind):
    # A worker restarted during a Slack outage (or a 429 storm) said "Slack refused SLACK_BOT_TOKEN" and exited:
    # Slack answering 5xx or 429 is no verdict on the token, so the worker waits for Slack instead.
    slack.fail(kind, seconds=4, methods=("auth.test",))
    process = _start_in_http_mode(slack, tmp_path)
    try:
        wait_for(lambda: [m for m in slack.messages("#earful-support") if m["text"].startswith("#1 ")]
                 or process.poll() is not None, timeout=40)
        assert process.poll() is None, process.communicate()[1]
        refused = [c for c in slack.calls_to("auth.test") if not c.ok]
        assert refused, "the fault never applied"
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    assert "refused SLACK_BOT_TOKEN" not in err and "Traceback" not in err, err
    assert err.count("waiting for Slack") == 1, err  # said once, not once per try


def test_a_token_slack_refuses_still_fails_at_once(slack, tmp_path):
    done = _run_once({"SLACK_BOT_TOKEN": "xoxb-wrong", "SLACK_SIGNING_SECRET": "s3cret", "SLACK_API_URL": slack.url,
                      "PORT": str(_free_port())}, EXAMPLES / "earful.toml", tmp_path)
    assert done.returncode == 2 and "refused SLACK_BOT_TOKEN" in done.stderr and "invalid_auth" in done.stderr, \
        done.stderr


def _start_in_http_mode(slack, tmp_path: Path) -> subprocess.Popen:
    """`earful run` on the review feed, in HTTP mode against the emulator."""
    config = _review_config(tmp_path, messages_per_second=50)
    env = {"SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": "s3cret", "SLACK_API_URL": slack.url,
           "PORT": str(_free_port())}
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)],
                            env={**inherited, "DATABASE_URL": f"sqlite:///{tmp_path / 'earful.db'}", **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_the_token_is_checked_once_at_start(slack, tmp_path):
    # The wait for Slack asked auth.test, then Bolt asked again: in the fault suite a 500 on that second ask
    # (after the first had passed) ended a worker with "Slack refused SLACK_BOT_TOKEN". One check, one verdict.
    process = _start_in_http_mode(slack, tmp_path)
    try:
        wait_for(lambda: slack.calls_to("chat.postMessage") or process.poll() is not None, timeout=40)
        assert process.poll() is None, process.communicate()[1]
        first_post = slack.calls_to("chat.postMessage")[0].at
        assert len([c for c in slack.calls_to("auth.test") if c.at < first_post]) == 1
    finally:
        process.terminate()
        process.communicate(timeout=20)
