"""Sources are visible (issue 16, item 7): `earful sources` lists each with its state, last success, last error
and next poll; `poll --once` shows the ones it left out and why; a 304 is healthy in the digest; a missing
`file:` source names the path it tried. Each through the real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def earful(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "EARFUL_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'earful.db'}", COLUMNS="250")
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)


def test_sources_poll_and_digest_tell_each_source_s_state(tmp_path, feed_server):
    feed_server.route("/reviews.xml", (EXAMPLES / "feeds" / "reviews.xml").read_bytes(),
                      content_type="application/rss+xml", etag='"v1"')
    feed_server.route("/gone.xml", b"", status=404)
    (tmp_path / "conf").mkdir()
    config = tmp_path / "conf" / "earful.toml"
    config.write_text(f"""
[[brands]]
name = "Acme"
query = "acme"

[[sources]]
name = "reviews"
kind = "feed"
url = "{feed_server.url('/reviews.xml')}"

[[sources]]
name = "gone"
kind = "feed"
url = "{feed_server.url('/gone.xml')}"

[[sources]]
name = "local"
kind = "feed"
url = "file:feeds/missing.xml"

[[sources]]
name = "paused"
kind = "feed"
url = "{feed_server.url('/reviews.xml')}"
enabled = false

[complaints]
max_age = "3650d"
""")
    for _ in range(4):  # `reviews` answers 304 Not Modified from the second poll; `gone` is disabled after 3
        polled = earful(tmp_path, "poll", "--once", "--config", str(config))
        assert polled.returncode == 0, polled.stderr
    assert feed_server.hits("/reviews.xml") == 4 and feed_server.hits("/gone.xml") == 3
    rows = {line.split("│")[1].strip(): line for line in polled.stdout.splitlines() if line.startswith("│")}
    assert "not modified" in rows["reviews"]
    # the path it tried: relative to the config file's folder, not to where the command ran
    assert "not polled: disabled: its file was missing or unreadable 3 times in a row" in rows["local"]
    assert "not polled: disabled: enabled = false in the configuration" in rows["paused"]
    assert "not polled: disabled: answered 404 3 times in a row" in rows["gone"]

    listed = earful(tmp_path, "sources", "--json", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    lines = {line["name"]: line for line in map(json.loads, listed.stdout.splitlines())}
    assert sorted(lines) == ["gone", "local", "paused", "reviews"]
    assert (lines["reviews"]["state"], lines["reviews"]["last_error"]) == ("not modified", "")
    assert lines["reviews"]["last_success"].endswith("(just now)")
    assert lines["reviews"]["next_poll"].endswith(("(in 14 min)", "(in 15 min)"))
    assert lines["gone"]["state"] == "disabled" and "answered 404 3 times" in lines["gone"]["why"]
    assert "404 Not Found" in lines["gone"]["last_error"] and lines["gone"]["next_poll"].startswith("never")
    assert lines["local"]["state"] == "disabled"
    # the path it tried: relative to the config file's folder, not to where the command ran
    assert f"{tmp_path / 'conf' / 'feeds' / 'missing.xml'}: no such file" in lines["local"]["last_error"]
    assert (lines["paused"]["state"], lines["paused"]["last_success"]) == ("disabled", "never")

    table = earful(tmp_path, "sources", "--config", str(config))
    assert table.returncode == 0 and "disabled: enabled = false in the configuration" in table.stdout

    digest = earful(tmp_path, "digest", "--print", "--config", str(config))
    assert digest.returncode == 0, digest.stderr
    health = digest.stdout[digest.stdout.index("Source health"):]
    assert "reviews" not in health  # answering 304 is healthy, not "returned nothing"
    assert "gone" in health and "local" in health
