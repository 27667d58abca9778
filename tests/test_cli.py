"""The command-line contracts, run as a user runs them: a real process, real files, real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "earful.toml"


def earful(*args: str, stdin: str = "", env: dict | None = None, cwd: Path | None = None, timeout: float = 60):
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd or ROOT, timeout=timeout)


def test_score_follows_its_contract():
    lines = [{"id": 1, "text": "Acme charged me twice and nobody answers my emails. Refund now!"},
             {"id": "b", "text": "Lovely weather in Lisbon today"}]
    done = earful("score", stdin="".join(json.dumps(x) + "\n" for x in lines) + "not json\n\n")
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, "b"]
    assert set(out[0]) == {"id", "sentiment", "label", "complaint", "complaint_score"}
    assert out[0]["complaint"] is True and out[1]["complaint"] is False
    assert out[0]["label"] == "negative" and -1 <= out[0]["sentiment"] <= 1
    assert 0 <= out[1]["complaint_score"] < out[0]["complaint_score"] <= 1
    assert "line 3: skipped" in done.stderr


def test_poll_once_on_the_example_then_queue(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"}
    done = earful("poll", "--once", "--config", str(EXAMPLE), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "review-site" in done.stdout and "3 source(s) polled" in done.stdout
    queue = earful("queue", "--json", env=env, cwd=tmp_path)
    cases = [json.loads(line) for line in queue.stdout.splitlines()]
    assert len(cases) >= 3 and {c["brand"] for c in cases} == {"Acme"}
    assert all(c["status"] == "open" for c in cases)
    priorities = [c["priority"] for c in cases]
    assert priorities == sorted(priorities, reverse=True)
    again = earful("poll", "--once", "--config", str(EXAMPLE), env=env, cwd=tmp_path)
    assert again.returncode == 0
    assert len(earful("queue", "--json", env=env, cwd=tmp_path).stdout.splitlines()) == len(cases)


def test_poll_exits_zero_when_a_source_fails(tmp_path, feed_server):
    feed_server.route("/down", b"", status=503)
    config = tmp_path / "c.toml"
    config.write_text(f'[[brands]]\nname="A"\nquery="acme"\n[[sources]]\nname="down"\nkind="feed"\n'
                      f'url="{feed_server.url("/down")}"\n')
    done = earful("poll", "--once", "--config", str(config), env={"DATABASE_URL": f"sqlite:///{tmp_path}/d.db"})
    assert done.returncode == 0, done.stderr
    assert "503" in done.stdout and "1 failed" in done.stdout


def test_check_config_lists_problems_without_a_traceback(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[[sources]]\nname="x"\nkind="feed"\nurl="gopher://old"\n[slack]\nchanel="#x"\n')
    done = earful("check-config", "--config", str(config))
    assert done.returncode == 2
    assert "sources[0].url: 'gopher://old' is not an http(s) URL" in done.stderr
    assert "slack.chanel: unknown setting" in done.stderr
    assert "Traceback" not in done.stderr
    ok = earful("check-config", "--config", str(EXAMPLE))
    assert ok.returncode == 0 and "OK" in ok.stdout


def test_missing_config_and_bad_database_are_one_clear_line(tmp_path):
    missing = earful("poll", "--once", "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "file not found" in missing.stderr and "Traceback" not in missing.stderr
    bad_db = earful("poll", "--once", "--config", str(EXAMPLE), env={"DATABASE_URL": "postgresql://x@127.0.0.1:1/x"})
    assert bad_db.returncode == 2 and "cannot open the database" in bad_db.stderr
    assert "Traceback" not in bad_db.stderr


@pytest.mark.slow
def test_run_shows_cards_and_takes_commands(tmp_path):
    """The first README command, minus the install: console mode on the example config."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}"}
    env.pop("SLACK_BOT_TOKEN", None)
    process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(EXAMPLE)], cwd=tmp_path,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
    try:
        seen = ""
        while "#1 · Acme" not in seen:
            line = process.stdout.readline()
            assert line, f"earful run ended early: {process.stderr.read()}"
            seen += line
        process.stdin.write("claim 1\n")
        process.stdin.flush()
        while "You have case #1." not in seen:
            seen += process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "Traceback" not in process.stderr.read()


def test_run_shows_progress_of_a_long_poll_cycle(monkeypatch):
    from types import SimpleNamespace

    import bot.cli.run as run_module

    lines = []
    monkeypatch.setattr(run_module, "err", SimpleNamespace(print=lambda text, **_: lines.append(text)))
    show = run_module._progress_printer()
    for done in range(1, 41):
        show(SimpleNamespace(error="boom" if done == 7 else None), done, 40)
    run_module._progress_printer()(SimpleNamespace(error=None), 1, 3)  # short cycles stay quiet
    assert lines[0] == "polling: 4/40 sources" and lines[-2] == "polling: 40/40 sources"
    assert len(lines) == 11 and "1 source(s) failed" in lines[-1]


BAD_INPUTS = [
    (("score", "--threshold", "2"), "between 0 and 1"),
    (("score", "--threshold", "abc"), "--threshold"),
    (("digest", "--print", "--chart", "/nonexistent/dir/c.png", "--config", str(EXAMPLE)), "no folder"),
    (("digest", "--print", "--chart", "chart.svg", "--config", str(EXAMPLE)), "PNG"),
    (("digest", "--print", "--date", "2026-13-01", "--config", str(EXAMPLE)), "YYYY-MM-DD"),
    (("digest", "--config", str(EXAMPLE)), "--print"),
    (("backtest", "--series", "/nonexistent.csv"), "/nonexistent.csv"),
    (("stats", "--since", "banana"), "banana"),
    (("queue", "--config", "x.toml"), "No such option"),
    (("poll", "--config", str(EXAMPLE)), "--once"),
    (("run", "--config", "/nonexistent.toml"), "file not found"),
    (("poll", "--once", "--config", "/nonexistent.toml"), "file not found"),
    (("nosuchcommand",), "No such command"),
]


@pytest.mark.parametrize(("args", "says"), BAD_INPUTS, ids=[" ".join(a[:3]) for a, _ in BAD_INPUTS])
def test_every_mistake_is_one_line_and_exit_2(tmp_path, args, says):
    done = earful(*args, env={"DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"}, cwd=tmp_path)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr
    assert says in lines[0]


def test_check_config_catches_what_cannot_work(tmp_path):
    (tmp_path / "empty.toml").write_text("")
    empty = earful("check-config", "--config", str(tmp_path / "empty.toml"))
    assert empty.returncode == 2 and "brands: none configured" in empty.stderr
    config = tmp_path / "earful.toml"
    config.write_text(EXAMPLE.read_text())  # copied away from its feeds folder
    with_token = {"SLACK_BOT_TOKEN": "xoxb-1-abc", "SLACK_APP_TOKEN": "", "SLACK_SIGNING_SECRET": "",
                  "DATABASE_URL": "mysql://db/earful"}
    done = earful("check-config", "--config", str(config), env=with_token)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN" in done.stderr
    assert "DATABASE_URL uses 'mysql'" in done.stderr
    assert f"sources[0].url: there is no file {tmp_path / 'feeds' / 'reviews.xml'}" in done.stderr
    config.write_text('[[brands]]\nname="A"\nquery="a"\n[brands.handles]\nmastodon=["@acme"]\n'
                      '[[sources]]\nname="m"\nkind="mastodon"\nurl="https://m.example"\n'
                      '[sources.params]\nhashtags=["acme"]\ntoken_env="EARFUL_TEST_UNSET_TOKEN"\n')
    done = earful("check-config", "--config", str(config), env={"EARFUL_TEST_UNSET_TOKEN": ""})
    assert done.returncode == 2
    assert "'@acme' has no server" in done.stderr
    config.write_text(config.read_text().replace('"@acme"', '"@acme@m.example"'))
    done = earful("check-config", "--config", str(config), env={"EARFUL_TEST_UNSET_TOKEN": ""})
    assert "sources[0].params.token_env: the environment variable EARFUL_TEST_UNSET_TOKEN is not set" in done.stderr


def test_version():
    done = earful("--version")
    assert done.returncode == 0 and done.stdout.strip().startswith("earful 0.")
