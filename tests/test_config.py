"""Config loading: every problem reported with its place, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitors.config import ConfigError, Secrets, parse_duration
from monitors.configure import load_config, parse_config

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "earful.toml"


def problems_of(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return caught.value.problems


def test_example_config_loads_and_resolves_local_feeds():
    config = load_config(EXAMPLE)
    assert [b.name for b in config.brands] == ["Acme", "Globex"]
    assert all(s.url.startswith("file:///") for s in config.sources)
    assert Path(config.sources[0].url[len("file://"):]).exists()


def test_bad_url_is_reported_with_its_place():
    data = {"brands": [{"name": "A", "query": "a"}],
            "sources": [{"name": f"s{i}", "kind": "feed", "url": "https://x.example/f"} for i in range(3)]
            + [{"name": "s3", "kind": "feed", "url": "ftp://x"}]}
    assert problems_of(data) == ["sources[3].url: 'ftp://x' is not an http(s) URL"]


def test_every_problem_is_listed_at_once():
    data = {
        "brands": [{"name": "A", "query": "(a"}, {"name": "A", "query": "b"}],
        "sources": [{"name": "s", "kind": "nope", "url": "https://x"},
                    {"name": "t", "kind": "feed", "url": "https://x", "interval": "soon", "brands": ["Z"]}],
        "slack": {"flood_threshold": 0},
        "schedule": {"timezone": "Mars/Olympus"},
        "typo": 1,
    }
    found = problems_of(data)
    text = "\n".join(found)
    assert "brands[0].query: bad query" in text
    assert "sources[0]: kind 'nope' is not one of" in text
    assert "sources[1].interval: 'soon' is not a duration" in text
    assert "slack.flood_threshold" in text
    assert "schedule.timezone: 'Mars/Olympus' is not a known time zone" in text
    assert "typo: unknown setting" in text
    # cross references are checked only once the parts are valid; fix those and they show up
    with pytest.raises(ConfigError) as caught:
        parse_config({"brands": [{"name": "A", "query": "a"}, {"name": "A", "query": "b"}],
                      "sources": [{"name": "t", "kind": "feed", "url": "https://x", "brands": ["Z"]}]})
    assert caught.value.problems == ["brands[1].name: 'A' is used twice", "sources[0].brands: no brand named 'Z'"]


@pytest.mark.parametrize("content, expected", [
    (b"[[brands]\nname=", "not valid TOML"),
    (b"\xff\xfe\x00", "not UTF-8 text"),
])
def test_unreadable_files(tmp_path, content, expected):
    path = tmp_path / "earful.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert expected in caught.value.problems[0]


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert caught.value.problems == ["file not found"]


@pytest.mark.parametrize("value, seconds", [("90s", 90), ("15m", 900), ("4h", 14400), ("1d", 86400), (30, 30),
                                            ("1.5h", 5400)])
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "-5m", "0", "4 weeks", True])
def test_bad_durations(value):
    with pytest.raises(ValueError):
        parse_duration(value)


def test_secrets_come_from_the_environment_only():
    secrets = Secrets.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "DATABASE_URL": "postgresql://db/earful"})
    assert secrets.slack_bot_token == "xoxb-1" and secrets.database_url == "postgresql://db/earful"
    assert Secrets.from_env({}).database_url == "sqlite:///earful.db"
    assert Secrets.from_env({"SLACK_BOT_TOKEN": "xoxp-user"}).problems() == [
        "SLACK_BOT_TOKEN: expected a token starting with xoxb-"]
    assert "placeholder" in Secrets.from_env({"SLACK_APP_TOKEN": "xapp-changeme"}).problems()[0]
