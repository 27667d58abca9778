"""Spike detector speed: CPU time to replay two months of 5-minute counts, the size of one NAB tweet series.

    .venv/bin/python bench/bench_spikes.py            # writes bench/results/spikes.json
    .venv/bin/python bench/bench_spikes.py --quick    # one round, prints only

The series is generated (fixed seed: daily cycle, weekend dip, noise, a few bursts and one level shift), so the
figure does not depend on any data set. The figure is the best of several rounds of process CPU time.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitors.spikes.detector import SpikeDetector  # noqa: E402

ROWS = 15_900  # about 55 days at 5 minutes


def make_series(rows: int = ROWS, seed: int = 7) -> list[tuple[datetime, float]]:
    rng = random.Random(seed)
    at, points = datetime(2024, 1, 1), []
    for i in range(rows):
        hour = at.hour + at.minute / 60
        mean = 40 * (1 + 0.6 * math.sin(2 * math.pi * (hour - 9) / 24)) * (0.7 if at.weekday() >= 5 else 1)
        mean *= 2.5 if 9000 <= i < 9300 else 1  # a level shift of about a day
        value = max(0, round(rng.gauss(mean, math.sqrt(mean) * 1.5)))
        if rng.random() < 0.001:
            value *= 15
        points.append((at, float(value)))
        at += timedelta(minutes=5)
    return points


def best_cpu_seconds(points: list[tuple[datetime, float]], rounds: int) -> tuple[float, int]:
    best, alerts = math.inf, 0
    for _ in range(rounds):
        detector = SpikeDetector()
        started = time.process_time()
        alerts = sum(detector.update(at, value).alert for at, value in points)
        best = min(best, time.process_time() - started)
    return best, alerts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round, print only")
    args = parser.parse_args()
    points = make_series()
    seconds, alerts = best_cpu_seconds(points, 1 if args.quick else 5)
    result = {
        "rows": len(points),
        "cpu_seconds": round(seconds, 3),
        "microseconds_per_row": round(seconds / len(points) * 1e6, 1),
        "alerts": alerts,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(json.dumps(result, indent=2))
    if not args.quick:
        out = ROOT / "bench" / "results" / "spikes.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
