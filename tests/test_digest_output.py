"""What the digest produces outside Slack: the chart as a PNG rendered without a display, and
`earful digest --print` run as a user runs it."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from monitors.digest.chart import render_chart
from monitors.digest.compose import ChartData, ChartSeries
from storage.db import make_engine, migrate
from tests.test_cli import earful
from tests.test_digest_world import build_world

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a valid PNG has right after its signature."""
    assert data[:8] == PNG
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def chart_data(brands: int) -> ChartData:
    days = [date(2026, 3, d) for d in range(16, 30)]
    series = [ChartSeries(f"Brand {b}", b % 4 == 3, [b + d for d in range(14)], [2 * b] * 14,
                          [(d * b) % 7 for d in range(14)]) for b in range(brands)]
    voice = [(s.name, s.total) for s in series]
    return ChartData(days=days, series=series, voice=voice, title="Mentions by sentiment")


@pytest.mark.parametrize("brands", [0, 1, 3, 6, 40])
def test_the_chart_is_a_sensible_png(brands):
    data = render_chart(chart_data(brands))
    width, height = png_size(data)
    assert 600 <= width <= 1200 and 300 <= height <= 1400
    assert len(data) < 300_000
    assert data.endswith(b"IEND\xaeB`\x82")


def test_the_chart_renders_without_a_display():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["MPLBACKEND"] = "TkAgg"  # even when told to use a GUI backend, the chart draws on Agg
    code = ("from tests.test_digest_output import chart_data; from monitors.digest.chart import render_chart; "
            "import sys; sys.stdout.buffer.write(render_chart(chart_data(4)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert png_size(done.stdout)[0] > 0


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path / 'earful.db'}"
    engine = make_engine(url)
    migrate(engine)
    build_world(engine)
    engine.dispose()
    config = tmp_path / "earful.toml"
    config.write_text('[schedule]\ntimezone = "Europe/London"\n')
    return {"DATABASE_URL": url}, config


def test_digest_print_shows_the_day(database, tmp_path):
    env, config = database
    chart = tmp_path / "chart.png"
    done = earful("digest", "--print", "--date", "2026-03-29", "--config", str(config), "--chart", str(chart),
                  env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Daily digest · Sun 29 Mar 2026\nEurope/London · compared with the day before")
    assert "Acme: 7 mentions (+250% vs 2 the day before; 7-day avg 1) · net sentiment -57" in out
    assert "Umbrella (competitor): 30% of mentions" in out
    assert "Opened 4 (day before 1) · answered 2 · resolved 2 (1 without a recorded reply) · dismissed 1 · " \
           "unanswered at the end 1 · SLA breaches 2" in out
    assert "first response: median 3 h 45 min, p90 6 h · to resolution: median 9 h 32 min, p90 16 h" in out
    assert "By person: UBOB claimed 1, answered 1, resolved 1, dismissed 0 · UANN" in out
    assert "<!channel> every single morning" in out  # plain text: shown as written
    assert "• reviews: failing (3 times in a row: HTTP 500 from the server)" in out
    assert png_size(chart.read_bytes())[0] > 0 and f"Chart: {chart}" in out


def test_digest_print_weekly_and_for_one_brand(database):
    env, config = database
    done = earful("digest", "--print", "--weekly", "--date", "2026-03-29", "--brand", "umbrella", "--config",
                  str(config), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Weekly digest for Umbrella · Mon 23 Mar – Sun 29 Mar 2026")
    assert "compared with the week before and the 4-week avg" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["--date", "2026-03-29"], "say --print"),
    (["--print", "--date", "29/03/2026"], "is not a date"),
    (["--print", "--brand", "Nobody"], "there is no brand 'Nobody'"),
])
def test_digest_print_mistakes_are_one_line(database, args, message):
    env, config = database
    done = earful("digest", *args, "--config", str(config), env=env)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
