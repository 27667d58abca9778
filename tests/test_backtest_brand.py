"""`earful backtest --brand NAME --since 30d` on stored history: the alerts the live check would have raised."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from bot.cli import _register_commands, app
from storage.db import session_scope
from storage.sources import BrandSpec, SourceSpec, sync_brands, sync_sources
from tests.fixtures.spike_history import SPIKE_AT, START, history, store_counts

CONFIG = """
[[brands]]
name = "Acme"
query = "acme"

[[brands]]
name = "Quiet"
query = "quiet"
"""


def stored(engine) -> None:
    with session_scope(engine) as session:
        brands = sync_brands(session=session, specs=[BrandSpec("Acme", "acme", [], {}, False),
                                                     BrandSpec("Quiet", "quiet", [], {}, False)])
        source = sync_sources(session=session, now=START, specs=[
            SourceSpec("forum", "feed", "https://forum.example/feed", {}, ["Acme", "Quiet"], 600, True)])["forum"]
    store_counts(engine, source, brands["Acme"], history(SPIKE_AT + timedelta(hours=5), spike=True), "a")
    store_counts(engine, source, brands["Quiet"], history(SPIKE_AT + timedelta(hours=5), spike=False)[::50], "q")


def backtest(engine, tmp_path, *args: str):
    config = tmp_path / "earful.toml"
    config.write_text(CONFIG)
    _register_commands()
    env = {"DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    return CliRunner().invoke(app, ["backtest", *args, "--config", str(config)], env=env)


def test_the_stored_spike_is_the_one_alert_listed_with_its_explanation(sqlite_engine, tmp_path):
    stored(sqlite_engine)
    until = (SPIKE_AT + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")
    result = backtest(sqlite_engine, tmp_path, "--brand", "Acme", "--since", "30d", "--until", until)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Acme: ") and "buckets of 5 min from 2026-11-02 00:00" in lines[0]
    assert "sensitivity 3 robust σ (raised to the brand's most unusual moment so far" in lines[0]
    [alert] = [line for line in lines if " UTC  observed " in line]
    # it fires on a bucket inside the burst, and says how far above normal it was and why
    fired = alert[:16]
    assert SPIKE_AT.strftime("%Y-%m-%d %H:%M") <= fired <= (SPIKE_AT + timedelta(minutes=40)).strftime("%Y-%m-%d %H:%M")
    assert "negative mentions in the last" in alert and "alert line 3 robust σ" in alert
    assert lines[-1] == "1 alert would have fired."

    quiet = backtest(sqlite_engine, tmp_path, "--brand", "Quiet", "--since", "30d", "--until", until)
    assert quiet.exit_code == 0 and quiet.output.splitlines()[-1] == "0 alerts would have fired."


def test_a_shorter_look_back_sees_less_and_bad_arguments_are_clear(sqlite_engine, tmp_path):
    stored(sqlite_engine)
    until = (SPIKE_AT + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")
    # six hours back the detector is still warming up when the spike comes: no alert, and it says so
    short = backtest(sqlite_engine, tmp_path, "--brand", "Acme", "--since", "6h", "--until", until)
    assert short.exit_code == 0 and short.output.splitlines()[-1] == "0 alerts would have fired."
    missing = backtest(sqlite_engine, tmp_path, "--brand", "Nope")
    assert missing.exit_code == 2 and "no brand 'Nope'" in missing.output
    both = backtest(sqlite_engine, tmp_path, "--brand", "Acme", "--series", "x.csv")
    assert both.exit_code == 2 and "either --series" in both.output
    bad = backtest(sqlite_engine, tmp_path, "--brand", "Acme", "--since", "soon")
    assert bad.exit_code == 2 and "--since" in bad.output
