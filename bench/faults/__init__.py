"""The parts of the fault-injection suite (bench/bench_faults.py): a world of feeds, a Slack that misbehaves,
the workers it kills, and the checks that count what came out."""
