"""Messages given up on are visible (issue 16, item 10): after Slack refused the cards for good, `earful doctor`,
/metrics and the digest's source-health section say so, through the real commands."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from prometheus_client import generate_latest
from slack_sdk import WebClient

from bot.http.metrics import MetricsApp
from bot.outbox.dispatcher import Dispatcher
from bot.slack.deliver import SlackDeliverer
from monitors.configure import load_config
from storage.db import make_engine

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def earful(tmp_path: Path, slack, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "EARFUL_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'earful.db'}", SLACK_BOT_TOKEN=slack.token,
               SLACK_APP_TOKEN=slack.app_token, SLACK_API_URL=slack.url)
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)


def test_given_up_messages_show_in_doctor_metrics_and_digest(tmp_path, slack):
    slack.socket_url = "ws://127.0.0.1:9/link"
    config = EXAMPLES / "earful.toml"
    polled = earful(tmp_path, slack, "poll", "--once", "--config", str(config))
    assert polled.returncode == 0, polled.stderr
    before = earful(tmp_path, slack, "doctor", "--config", str(config))
    assert "no Slack message was given up on" in before.stderr and before.returncode == 0, before.stderr

    slack.fail("invalid_blocks", methods=("chat.postMessage",))  # every card refused for good
    engine = make_engine(f"sqlite:///{tmp_path / 'earful.db'}")
    loaded = load_config(config)
    dispatcher = Dispatcher(engine, SlackDeliverer(WebClient(token=slack.token, base_url=slack.url)),
                            loaded.slack)
    now = datetime.now(timezone.utc)
    while dispatcher.run_once(now):
        pass

    metrics = generate_latest(MetricsApp(engine, lambda: now).database).decode()
    assert "earful_outbox_given_up 5.0" in metrics
    engine.dispose()

    doctor = earful(tmp_path, slack, "doctor", "--config", str(config))
    assert doctor.returncode == 1
    assert "5 Slack messages were given up on and never delivered" in doctor.stderr
    assert "post_card to its channel: Slack refused the message: invalid_blocks" in doctor.stderr
    assert "1 problem(s) to fix." in doctor.stderr

    digest = earful(tmp_path, slack, "digest", "--print", "--date", f"{now:%Y-%m-%d}", "--config", str(config))
    assert digest.returncode == 0, digest.stderr
    health = digest.stdout[digest.stdout.index("Source health"):]
    assert "Slack: 5 messages given up on, never delivered; the latest: Slack refused the message: invalid_blocks" \
        in health
