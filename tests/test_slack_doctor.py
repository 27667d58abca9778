"""`earful doctor` against the emulator, and the app manifest against what the code needs."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from bot.slack.doctor import OPTIONAL_SCOPES, REQUIRED_SCOPES, run_checks, scope_findings
from monitors.config import Config, Secrets, SlackConfig

MANIFEST = Path(__file__).resolve().parents[1] / "bot" / "manifest.yml"


def secrets_for(slack, **overrides) -> Secrets:
    values = dict(slack_bot_token=slack.token, slack_app_token=slack.app_token, slack_signing_secret=None,
                  slack_api_url=slack.url, database_url="sqlite://")
    values.update(overrides)
    return Secrets(**values)


def problems(findings) -> list[str]:
    return [f.what for f in findings if not f.ok]


def test_a_good_setup_has_no_problems(slack):
    slack.socket_url = "ws://127.0.0.1:9/link"
    config = Config(slack=SlackConfig(managers=["UANN"]))
    findings = run_checks(config, secrets_for(slack))
    assert problems(findings) == []
    assert any("the bot is in #earful-support" in f.what for f in findings)


def test_each_problem_is_named_with_its_fix(slack):
    slack.scopes.remove("channels:history")
    slack.channel("earful-digest").bot_member = False
    config = Config(slack=SlackConfig(escalation_channel="#nowhere", manager_group="@leads"))
    findings = run_checks(config, secrets_for(slack))  # no Socket Mode server: the app token is refused
    found = {f.what: f.fix for f in findings if not f.ok}
    assert any("lacks scopes: channels:history" in what for what in found)
    assert found["the bot is not in #earful-digest (slack.digest_channel)"] == \
        "in Slack, open #earful-digest and type: /invite @Earful"
    assert any(what.startswith("#nowhere (slack.escalation_channel) does not exist") for what in found)
    assert any(what.startswith("SLACK_APP_TOKEN was refused") for what in found)
    assert any("cannot read the user group @leads" in what for what in found)
    assert all(fix for fix in found.values())


def test_a_bad_or_missing_token_is_the_only_thing_reported(slack):
    findings = run_checks(Config(), secrets_for(slack, slack_bot_token="xoxb-revoked"))
    assert problems(findings) == ["Slack refused SLACK_BOT_TOKEN (invalid_auth)"]
    missing = run_checks(Config(), secrets_for(slack, slack_bot_token=None))
    assert problems(missing)[0].startswith("SLACK_BOT_TOKEN is not set")
    unreachable = run_checks(Config(), secrets_for(slack, slack_api_url="http://127.0.0.1:9/api/"))
    assert problems(unreachable)[0].startswith("cannot reach Slack at http://127.0.0.1:9/api/")


def test_scope_judgement_is_pure():
    everything = set(REQUIRED_SCOPES) | set(OPTIONAL_SCOPES)
    assert all(f.ok for f in scope_findings(everything, Config()))
    grouped = Config(slack=SlackConfig(manager_group="S123ABC"))
    assert problems(scope_findings(everything - {"usergroups:read"}, grouped)) == [
        "slack.manager_group is set but the token lacks usergroups:read"]


def test_the_command_exits_nonzero_and_says_what_to_fix(slack, tmp_path, monkeypatch):
    from bot.cli import _register_commands, app

    _register_commands()
    config = tmp_path / "earful.toml"
    config.write_text('[slack]\nsupport_channel = "#missing"\n')
    for name, value in (("SLACK_BOT_TOKEN", slack.token), ("SLACK_API_URL", slack.url)):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    result = CliRunner().invoke(app, ["doctor", "--config", str(config)])
    assert result.exit_code == 1
    assert "#missing (slack.support_channel) does not exist" in result.output
    assert "problem(s) to fix" in result.output


def test_the_manifest_asks_for_every_scope_and_feature_the_code_uses():
    text = MANIFEST.read_text()
    bot_scopes = text.split("bot:\n", 1)[1].split("settings:", 1)[0]
    scopes = set(re.findall(r"^\s+- ([a-z_.:]+)", bot_scopes, re.M))
    assert set(REQUIRED_SCOPES) | set(OPTIONAL_SCOPES) <= scopes
    for needed in ("command: /earful", "home_tab_enabled: true", "- app_home_opened", "socket_mode_enabled: true",
                   "interactivity:\n    is_enabled: true"):
        assert needed in text, needed
