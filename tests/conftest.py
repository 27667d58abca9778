"""Shared fixtures. Each fixture family lives in its own module, loaded here as a plugin."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.feed_server",
    "tests.fixtures.slack_emulator",
]
