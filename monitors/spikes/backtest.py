"""Replay a series of counts through the spike detector exactly as it would run live.

The series may come from a CSV (`earful backtest --series`) or from stored mention history
(`--brand NAME --since 30d`): both reduce to a list of (datetime, count) for `replay`.

A CSV is read forgivingly where the intent is clear, and says what it did: rows with the same timestamp are
added up (counts of one interval split over several rows), and a row whose value is not a count (negative, not
a number) is skipped, the detector treating its interval as missing. Fractional values are judged as they are.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from monitors.spikes.detector import SpikeDetector, SpikeSettings, Verdict

OUTPUT_HEADER = ("timestamp", "value", "anomaly_score", "alert")


class SeriesError(ValueError):
    """The series cannot be replayed; the message says where and why, in one line."""


@dataclass
class SeriesRow:
    text: str  # the timestamp exactly as given (the first spelling, for a repeated one), echoed in the output
    at: datetime
    value: float | None  # None: the row's value was not a count, and the detector does not see it
    value_text: str


@dataclass
class ParsedSeries:
    rows: list[SeriesRow]
    notes: list[str] = field(default_factory=list)  # what was done to the input, one line each


def parse_series(lines: Iterable[str]) -> ParsedSeries:
    """`timestamp,value` CSV with a header row -> rows in strictly increasing time order, and notes."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise SeriesError("the series is empty: expected a header row 'timestamp,value'")
    if [h.strip().lower() for h in header[:2]] != ["timestamp", "value"]:
        raise SeriesError(f"bad header {','.join(header)!r}: expected 'timestamp,value'")
    rows: list[SeriesRow] = []
    merged: list[int] = []  # line numbers of rows added to the row before
    skipped: list[tuple[int, str]] = []
    fraction: tuple[int, str] | None = None
    for line_no, record in enumerate(reader, start=2):
        if not record or all(not cell.strip() for cell in record):
            continue
        if len(record) < 2:
            raise SeriesError(f"line {line_no}: expected 'timestamp,value', got {','.join(record)!r}")
        text, raw_value = record[0].strip(), record[1].strip()
        try:
            at = datetime.fromisoformat(text)
        except ValueError:
            raise SeriesError(f"line {line_no}: {text!r} is not an ISO timestamp") from None
        value = _count(raw_value)
        if value is None:
            skipped.append((line_no, raw_value))
        elif fraction is None and value != int(value):
            fraction = (line_no, raw_value)
        if rows:
            previous = rows[-1]
            try:
                later = at > previous.at
            except TypeError:
                raise SeriesError(f"line {line_no}: mixes timestamps with and without a time zone") from None
            if at == previous.at:
                merged.append(line_no)
                if value is not None:
                    previous.value = value if previous.value is None else previous.value + value
                    previous.value_text = _number_text(previous.value)
                continue
            if not later:
                raise SeriesError(f"line {line_no}: timestamp {text} is not after {previous.text} (unsorted)")
        rows.append(SeriesRow(text, at, value, raw_value))
    if rows and all(row.value is None for row in rows):
        raise SeriesError(f"no row has a count: line {skipped[0][0]}'s value {skipped[0][1]!r} is not a number "
                          "of mentions (finite, not negative), nor is any other")
    return ParsedSeries(rows, _notes(merged, skipped, fraction))


def _count(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _notes(merged: list[int], skipped: list[tuple[int, str]], fraction: tuple[int, str] | None) -> list[str]:
    notes = []
    if merged:
        notes.append(f"{_rows(len(merged))} repeated the timestamp of the row before (first on line {merged[0]}): "
                     "their values were added up, one output row per timestamp")
    if skipped:
        line_no, raw = skipped[0]
        notes.append(f"{_rows(len(skipped))} had a value that is not a count (first on line {line_no}: {raw!r}): "
                     "skipped as missing intervals, written with score 0")
    if fraction is not None:
        line_no, raw = fraction
        notes.append(f"values are not whole counts (first on line {line_no}: {raw!r}): they are judged as "
                     "amounts on their own scale, and the minimum of mentions per window does not apply")
    return notes


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _rows(n: int) -> str:
    return f"{n} row{'s' if n != 1 else ''}"


def replay(points: Iterable[tuple[datetime, float]], settings: SpikeSettings | None = None) -> Iterator[Verdict]:
    """One verdict per point, each made before the detector sees any later point."""
    detector = SpikeDetector(settings)
    for at, value in points:
        yield detector.update(at, value)


def result_rows(rows: list[SeriesRow], settings: SpikeSettings | None = None) -> Iterator[tuple[str, ...]]:
    """The output table, without its header: timestamp text, value, anomaly score, alert flag."""
    detector = SpikeDetector(settings)
    for row in rows:
        if row.value is None:
            yield row.text, row.value_text, "0.0000", "0"
            continue
        verdict = detector.update(row.at, row.value)
        yield row.text, row.value_text, f"{verdict.score:.4f}", "1" if verdict.alert else "0"
