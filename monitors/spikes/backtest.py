"""Replay a series of counts through the spike detector exactly as it would run live.

The series may come from a CSV (`earful backtest --series`) or, later, from stored mention history
(`--brand NAME --since 30d`): both reduce to a list of (datetime, count) for `replay`.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from monitors.spikes.detector import SpikeDetector, SpikeSettings, Verdict

OUTPUT_HEADER = ("timestamp", "value", "anomaly_score", "alert")


class SeriesError(ValueError):
    """The series cannot be replayed; the message says where and why, in one line."""


@dataclass(frozen=True)
class SeriesRow:
    text: str  # the timestamp exactly as given, echoed in the output
    at: datetime
    value: float
    value_text: str


def parse_series(lines: Iterable[str]) -> list[SeriesRow]:
    """`timestamp,value` CSV with a header row -> rows in strictly increasing time order."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise SeriesError("the series is empty: expected a header row 'timestamp,value'")
    if [h.strip().lower() for h in header[:2]] != ["timestamp", "value"]:
        raise SeriesError(f"bad header {','.join(header)!r}: expected 'timestamp,value'")
    rows: list[SeriesRow] = []
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
        try:
            value = float(raw_value)
        except ValueError:
            raise SeriesError(f"line {line_no}: value {raw_value!r} is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise SeriesError(f"line {line_no}: value {raw_value!r} is not a count (finite, not negative)")
        if rows:
            try:
                in_order = at > rows[-1].at
            except TypeError:
                raise SeriesError(f"line {line_no}: mixes timestamps with and without a time zone") from None
            if not in_order:
                raise SeriesError(f"line {line_no}: timestamp {text} is not after {rows[-1].text} (unsorted)")
        rows.append(SeriesRow(text, at, value, raw_value))
    return rows


def replay(points: Iterable[tuple[datetime, float]], settings: SpikeSettings | None = None) -> Iterator[Verdict]:
    """One verdict per point, each made before the detector sees any later point."""
    detector = SpikeDetector(settings)
    for at, value in points:
        yield detector.update(at, value)


def result_rows(rows: list[SeriesRow], settings: SpikeSettings | None = None) -> Iterator[tuple[str, ...]]:
    """The output table, without its header: timestamp text, value, anomaly score, alert flag."""
    verdicts = replay(((row.at, row.value) for row in rows), settings)
    for row, verdict in zip(rows, verdicts):
        yield row.text, row.value_text, f"{verdict.score:.4f}", "1" if verdict.alert else "0"
