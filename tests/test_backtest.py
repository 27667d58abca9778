"""`earful backtest --series`: the CSV contract, online replay, and one-line errors with exit code 2."""

from __future__ import annotations

import csv
import io
import math
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import _register_commands, app
from monitors.spikes.backtest import SeriesError, parse_series, replay, result_rows
from tests.fixtures.shared import needs_shared, shared_path

ROOT = Path(__file__).resolve().parents[1]
NAB_DATA = shared_path("data", "spikes")
NAB_SCORER = shared_path("tools", "nab_score.py")


def earful(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real console entry point in a child process, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)


def in_process(*args: str):
    """The same command through Typer's runner: the error contract without a process start-up per case."""
    _register_commands()
    return CliRunner().invoke(app, list(args))


def write_series(path: Path, days: int = 6, spike_at: int | None = None) -> list[tuple[str, str]]:
    """A smooth daily cycle at 10-minute steps, optionally one big spike; timestamps without seconds."""
    rows, at = [], datetime(2024, 3, 4)
    for i in range(days * 144):
        value = round(30 + 20 * math.sin(2 * math.pi * i / 144) + (i * 7919 % 11))
        if i == spike_at:
            value = 2000
        rows.append((at.strftime("%Y-%m-%dT%H:%M"), str(value)))
        at += timedelta(minutes=10)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["timestamp", "value"])
        writer.writerows(rows)
    return rows


def test_the_output_echoes_every_row_with_a_score_and_an_alert_flag(tmp_path):
    source = tmp_path / "series.csv"
    rows = write_series(source, spike_at=700)
    done = earful("backtest", "--series", str(source))
    assert done.returncode == 0, done.stderr
    out = list(csv.reader(io.StringIO(done.stdout)))
    assert out[0] == ["timestamp", "value", "anomaly_score", "alert"]
    assert [(r[0], r[1]) for r in out[1:]] == rows  # same timestamp text, same values, same order
    scores = [float(r[2]) for r in out[1:]]
    assert all(0 <= s <= 1 for s in scores) and all(len(r[2].split(".")[1]) == 4 for r in out[1:])
    assert {r[3] for r in out[1:]} <= {"0", "1"}
    assert [i for i, r in enumerate(out[1:]) if r[3] == "1"] == [700]


def test_the_command_runs_the_same_online_detector_as_live(tmp_path):
    source = tmp_path / "series.csv"
    write_series(source, spike_at=650)
    done = earful("backtest", "--series", str(source))
    parsed = parse_series(source.read_text().splitlines()).rows
    live = list(replay((row.at, row.value) for row in parsed))
    out = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [float(r["anomaly_score"]) for r in out] == [v.score for v in live]
    assert [r["alert"] == "1" for r in out] == [v.alert for v in live]
    # online: the rows before the spike score the same whether or not the spike and what follows exist
    assert [r[2] for r in result_rows(parsed[:650])] == [r["anomaly_score"] for r in out[:650]]


@pytest.mark.parametrize("content, message", [
    ("time,value\n2024-01-01 00:00,1\n", "bad header"),
    ("timestamp,value\n2024-01-01 00:00,lots\n", "no row has a count: line 2's value 'lots'"),
    ("timestamp,value\nyesterday,1\n", "line 2: 'yesterday' is not an ISO timestamp"),
    ("timestamp,value\n2024-01-01 00:10,1\n2024-01-01 00:05,1\n", "line 3: timestamp 2024-01-01 00:05 is not after"),
    ("timestamp,value\n2024-01-01 00:10\n", "line 2: expected 'timestamp,value'"),
    ("", "empty"),
])
def test_bad_input_is_one_clear_line_and_exit_code_2(tmp_path, content, message):
    source = tmp_path / "bad.csv"
    source.write_text(content)
    done = in_process("backtest", "--series", str(source))
    assert done.exit_code == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""


def test_bad_input_in_a_real_process_exits_2_without_a_traceback(tmp_path):
    source = tmp_path / "unsorted.csv"
    source.write_text("timestamp,value\n2024-01-01 00:10,1\n2024-01-01 00:05,1\n")
    done = earful("backtest", "--series", str(source))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"error: {source}: line 3: timestamp 2024-01-01 00:05 is not after 2024-01-01 00:10 (unsorted)"]


def test_a_spreadsheet_export_with_a_byte_order_mark_is_read(tmp_path):
    source = tmp_path / "excel.csv"
    source.write_text("\ufefftimestamp,value\n2024-01-01 00:00,1\n2024-01-01 00:05,2\n", encoding="utf-8")
    done = in_process("backtest", "--series", str(source))
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines()[1:] == ["2024-01-01 00:00,1,0.0000,0", "2024-01-01 00:05,2,0.0000,0"]


def test_a_missing_file_or_a_directory_is_a_clear_error(tmp_path):
    for path in (tmp_path / "nope.csv", tmp_path):
        done = in_process("backtest", "--series", str(path))
        assert done.exit_code == 2 and done.stderr.startswith(f"error: cannot read {path}:")


def test_parse_series_tolerates_spaces_capitals_and_blank_lines_but_not_mixed_time_zones():
    rows = parse_series(["Timestamp , Value\n", "2024-01-01 00:00:00, 4\n", "\n", "2024-01-01 00:05:00,5.0\n"]).rows
    assert [(r.text, r.value) for r in rows] == [("2024-01-01 00:00:00", 4.0), ("2024-01-01 00:05:00", 5.0)]
    with pytest.raises(SeriesError, match="time zone"):
        parse_series(["timestamp,value\n", "2024-01-01 00:00:00,1\n", "2024-01-01 00:05:00+00:00,1\n"])


def test_repeated_timestamps_are_added_up_into_one_row_and_said_so(tmp_path):
    source = tmp_path / "split.csv"
    source.write_text("timestamp,value\n2024-01-01 00:00,3\n2024-01-01 00:05,2\n2024-01-01T00:05:00,4\n"
                      "2024-01-01 00:05,1\n2024-01-01 00:10,7\n")
    done = in_process("backtest", "--series", str(source))
    assert done.exit_code == 0, done.stderr
    rows = [line.split(",")[:2] for line in done.stdout.splitlines()[1:]]
    assert rows == [["2024-01-01 00:00", "3"], ["2024-01-01 00:05", "7"], ["2024-01-01 00:10", "7"]]
    assert done.stderr.strip().splitlines() == [
        f"note: {source}: 2 rows repeated the timestamp of the row before (first on line 4): their values were "
        "added up, one output row per timestamp"]
    parsed = parse_series(source.read_text().splitlines())
    assert [row.value for row in parsed.rows] == [3.0, 7.0, 7.0]


def test_values_that_are_not_counts_are_skipped_or_judged_as_amounts_and_said_so(tmp_path):
    rows = write_series(tmp_path / "series.csv", days=3)
    lines = (tmp_path / "series.csv").read_text().splitlines()
    lines[5] = lines[5].split(",")[0] + ",n/a"
    lines[9] = lines[9].split(",")[0] + ",-2"
    lines[12] = lines[12].split(",")[0] + ",12.5"
    source = tmp_path / "mixed.csv"
    source.write_text("\n".join(lines) + "\n")
    done = in_process("backtest", "--series", str(source))
    assert done.exit_code == 0, done.stderr
    out = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["timestamp"] for r in out] == [t for t, _ in rows]  # every row is still there, in order
    assert (out[4]["value"], out[4]["anomaly_score"], out[4]["alert"]) == ("n/a", "0.0000", "0")
    assert out[8]["value"] == "-2" and out[11]["value"] == "12.5"
    notes = done.stderr.strip().splitlines()
    assert notes == [
        f"note: {source}: 2 rows had a value that is not a count (first on line 6: 'n/a'): skipped as missing "
        "intervals, written with score 0",
        f"note: {source}: values are not whole counts (first on line 13: '12.5'): they are judged as amounts on "
        "their own scale, and the minimum of mentions per window does not apply"]
    # a skipped row is a missing interval: the detector's verdicts are those of the series without it
    kept = [row for row in parse_series(lines).rows if row.value is not None]
    expected = [v.score for v in replay((row.at, row.value) for row in kept)]
    assert [float(r["anomaly_score"]) for i, r in enumerate(out) if i not in (4, 8)] == expected


@pytest.mark.slow
@needs_shared(NAB_DATA / "windows.json", NAB_SCORER)
def test_nab_score_on_the_shared_sample(tmp_path):
    for series in sorted((NAB_DATA / "series").glob("*.csv")):
        done = in_process("backtest", "--series", str(series))
        assert done.exit_code == 0, done.stderr
        (tmp_path / series.name).write_text(done.stdout)
    scored = subprocess.run([sys.executable, str(NAB_SCORER), "--windows", str(NAB_DATA / "windows.json"),
                             "--results", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert scored.returncode == 0, scored.stderr
    score = float(scored.stdout.strip().splitlines()[-1].rsplit(":", 1)[1])
    assert score >= 75, scored.stdout
