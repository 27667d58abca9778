"""The first run of the real `earful run` process: old complaints are a backlog listed once per brand, and
escalations due together go out as one message, with follow-ups numbered by what was sent (issue 16, items 1
and 2)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EARFUL = [sys.executable, "-m", "bot", "run"]


def wait_for(predicate, timeout: float = 30.0, what: str = "it"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def example_config(tmp_path: Path, extra_schedule: str) -> Path:
    """The bundled example as the README's first command runs it, with a sweep every second to see quickly
    what a minute would show."""
    text = (EXAMPLES / "earful.toml").read_text()
    text = text.replace("file:feeds/", (EXAMPLES / "feeds").as_uri() + "/")
    text = text.replace("[schedule]\n", f"[schedule]\n{extra_schedule}\n")
    config = tmp_path / "earful.toml"
    config.write_text(text)
    return config


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "EARFUL_", "PORT"))}
    return {**inherited, "DATABASE_URL": f"sqlite:///{tmp_path / 'earful.db'}", **extra}


def _console_run(config: Path, tmp_path: Path, *, ready: str, then_wait: float) -> tuple[str, str, int]:
    """Run the console until a line containing `ready` shows, `then_wait` seconds more, then type `queue`
    and `quit`."""
    process = subprocess.Popen(EARFUL + ["--config", str(config)], env=_env(tmp_path), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    lines: list[str] = []

    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any("Type a command" in line for line in lines), what="the console")
        wait_for(lambda: any(ready in line for line in lines), what=ready)
        time.sleep(then_wait)  # several sweeps, one a second
        process.stdin.write("queue\nquit\n")
        process.stdin.close()
        process.wait(timeout=30)
        stderr = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(timeout=5)
    return "".join(lines), stderr, process.returncode


@pytest.mark.slow
def test_first_run_of_the_example_lists_its_old_complaints_once_and_escalates_none(tmp_path):
    config = example_config(tmp_path, 'sla_sweep_interval = "1s"')
    out, stderr, code = _console_run(config, tmp_path, ready="#5 · Acme", then_wait=5)
    assert code == 0 and "Traceback" not in stderr, stderr
    backlog = [line for line in out.splitlines() if "Backlog for" in line]
    assert len(backlog) == 1, out  # one brand of its own (Globex is a competitor): one summary
    assert "5 complaints were already past the SLA" in backlog[0]
    assert sorted(re.findall(r"#(\d+)", backlog[0].split("them")[1])) == ["1", "2", "3", "4", "5"]
    assert ":rotating_light:" not in out and "follow-up" not in out and "Unanswered" not in out
    assert out.count("[Acme] open") == 5  # the five cases are in the queue all the same
    # a restart on the same database lists nothing again: the backlog was listed once
    out, stderr, code = _console_run(config, tmp_path, ready="Type a command", then_wait=4)
    assert code == 0, stderr
    assert "Backlog" not in out and ":rotating_light:" not in out
    assert out.count("[Acme] open") == 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


COMPLAINTS = ["billing", "login", "sync", "invoice", "export", "backup", "upload", "search", "calendar",
              "printing", "mobile app", "password reset"]


def _burst_feed(published: datetime) -> str:
    stamp = format_datetime(published, usegmt=True)
    items = "".join(
        f"<item><guid>c{n}</guid><link>https://forum.example/t/{n}</link><pubDate>{stamp}</pubDate>"
        f"<description>Acme {topic} has been broken for three days. I opened two tickets about the {topic} "
        f"and still no response. Terrible support, I want a refund.</description></item>"
        for n, topic in enumerate(COMPLAINTS, start=1))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>forum</title>{items}</channel></rss>'


@pytest.mark.slow
def test_escalations_due_together_are_one_message_and_follow_ups_count_what_was_sent(slack, feed_server,
                                                                                      tmp_path):
    published = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=5)
    feed_server.route("/burst.xml", _burst_feed(published), content_type="application/rss+xml")
    config = tmp_path / "earful.toml"
    config.write_text(f"""
[[brands]]
name = "Acme"
query = "acme"

[[sources]]
name = "forum"
kind = "feed"
url = "{feed_server.url('/burst.xml')}"

[slack]
oncall_group = "S0ONCALL"
messages_per_second = 50

[complaints]
sla = "25s"
escalation_repeat = "6s"

[schedule]
sla_sweep_interval = "1s"
outbox_interval = "1s"
""")
    slack.add_usergroup("S0ONCALL", ["UONE"])
    env = _env(tmp_path, SLACK_BOT_TOKEN=slack.token, SLACK_SIGNING_SECRET="s3cret", SLACK_API_URL=slack.url,
               PORT=str(_free_port()))
    process = subprocess.Popen(EARFUL + ["--config", str(config)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        escalations = lambda: slack.messages("#earful-escalations")  # noqa: E731
        wait_for(lambda: len(escalations()) >= 2, timeout=60, what="an escalation and its follow-up")
        time.sleep(1.5)  # nothing else is due before the next follow-up
        sent = [m["text"] for m in escalations()]
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert "Traceback" not in stderr, stderr
    first, follow_up = sent[:2]
    assert len(sent) == 2, sent
    for text in (first, follow_up):
        assert text.count("<!subteam^S0ONCALL>") == 1  # the on-call group is pinged once per message
        assert "12 unanswered complaints" in text
        assert "#1, #2, #3, #4, #5, #6, #7, #8, #9, #10 and 2 more" in text
        assert "\nand 2 more\n" in text
    assert "follow-up" not in first
    # the second message is the first follow-up, whatever the time since the deadline says
    assert "follow-up 1" in follow_up and "follow-up 2" not in follow_up
    assert "Backlog" not in " ".join(sent)  # they were seen before their deadline: not backlog
