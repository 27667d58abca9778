"""The polish users notice (issue 16, item 11), each through the real command: one parametrised test."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest

COMMANDS = ["run", "poll", "score", "queue", "tune", "stats", "digest", "backtest", "check-config", "doctor",
            "sources"]


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> Path:
    """A config with one feed holding one complaint about Acme from yesterday, polled once."""
    root = tmp_path_factory.mktemp("polish")
    yesterday = datetime.now(timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    (root / "feed.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>1</guid>'
        f"<link>https://x.example/1</link><pubDate>{format_datetime(yesterday, usegmt=True)}</pubDate>"
        "<description>Acme charged me twice and support never answered. I want a refund!</description>"
        "</item></channel></rss>")
    (root / "earful.toml").write_text('[[brands]]\nname = "Acme"\nquery = "acme"\n'
                                      '[[sources]]\nname = "f"\nkind = "feed"\nurl = "file:feed.xml"\n'
                                      '[schedule]\nsla_sweep_interval = "1s"\noutbox_interval = "1s"\n')
    assert earful(root, "poll", "--once").returncode == 0
    return root


def earful(root: Path, *args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "EARFUL_"))}
    env.update(DATABASE_URL=f"sqlite:///{root / 'earful.db'}", EARFUL_CONFIG=str(root / "earful.toml"),
               COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=root, input=stdin)


def helps(root):
    return "".join(earful(root, name, "--help").stdout for name in COMMANDS) + earful(root, "--help").stdout


def console(root):
    """A few seconds of `earful run` in the console (sweeps every second), then `claim 1 2`."""
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=root, env={
                                   **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "EARFUL_"))},
                                   "DATABASE_URL": f"sqlite:///{root / 'earful.db'}",
                                   "EARFUL_CONFIG": str(root / "earful.toml")})
    import time

    time.sleep(6)
    out, err = process.communicate("claim 1 2\nquit\n", timeout=30)
    return out + err


CASES = [
    # (what, how to get the text, must say, must not say)
    ("--version", lambda root: earful(root, "--version").stdout, ["earful 0."], []),
    ("help has no <bool> nor dangling text", helps, ["(default: $EARFUL_CONFIG or ./earful.toml)"],
     ["<bool>", "file .", "covers .", "detector's .", "[default: $EARFUL"]),
    ("--verbose is described", lambda root: earful(root, "run", "--help").stdout, ["Log debug detail"], []),
    ("no '7 day(s)'", lambda root: earful(root, "stats").stdout, ["last 7 days (1 case opened)"], ["day(s)"]),
    ("no '1 mentions'", lambda root: earful(root, "digest", "--print").stdout, ["Acme: 1 mention ("],
     ["1 mentions"]),
    ("informational lines are not warnings, and claim 3 4 is refused", console,
     ["`claim` takes one case number; for several, one at a time: `claim 1`, then `claim 2`"],
     ["WARNING apscheduler", "You have case"]),
    ("--chart x.svg refuses", lambda root: earful(root, "digest", "--print", "--chart", "x.svg").stderr,
     ["the chart is a PNG"], ["Traceback"]),
    ("queue --brand Nope", lambda root: earful(root, "queue", "--brand", "Nope").stderr,
     ["--brand 'Nope': there is no such brand; the brands are: Acme"], []),
    ("stats --brand Nope", lambda root: earful(root, "stats", "--brand", "Nope").stderr,
     ["--brand 'Nope': there is no such brand"], []),
]


@pytest.mark.parametrize(("what", "produce", "says", "never"), CASES, ids=[c[0] for c in CASES])
def test_polish(place, what, produce, says, never):
    text = produce(place)
    for wanted in says:
        assert wanted in text, text
    for unwanted in never:
        assert unwanted not in text, text
