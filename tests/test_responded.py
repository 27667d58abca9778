"""`responded ID URL` (console and /earful): parsing, bad input, and the clock it stops."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.actions import execute
from bot.console import terminal_text
from bot.commands import CommandError, parse_command
from monitors.cases.triage import Actor
from storage.db import session_scope
from storage.models import Case
from tests.test_response_clock import PUBLISHED, events, world


def test_parse_responded():
    command = parse_command("responded #12 https://reddit.com/r/acme/comments/abc/x/c2/")
    assert (command.verb, command.case_id) == ("responded", 12)
    assert command.url == "https://reddit.com/r/acme/comments/abc/x/c2/"
    # Slack wraps links it recognises
    assert parse_command("responded 3 <https://x.example/a|x.example/a>").url == "https://x.example/a"


@pytest.mark.parametrize(("line", "says"), [
    ("responded", "needs a case number"),
    ("responded 12", "needs the link to your reply"),
    ("responded 12 soon", "is not a link"),
    ("responded 12 ftp://x.example/a", "is not a link"),
    ("responded twelve https://x.example", "is not a case number"),
])
def test_bad_responded_input_says_what_to_type(line, says):
    with pytest.raises(CommandError, match=says):
        parse_command(line)


def test_responded_stops_the_clock_once(engine):
    (case_id,) = world(engine)
    agent = Actor(user="U1", is_manager=False)
    now = PUBLISHED + timedelta(hours=1)
    answer = execute(engine, parse_command(f"responded {case_id} https://x.example/r/1"), actor=agent, now=now)
    assert terminal_text(answer) == f"Case #{case_id} is answered; its response clock stopped at 2026-11-07 01:00 UTC."
    again = execute(engine, parse_command(f"responded {case_id} https://x.example/r/2"), actor=agent,
                    now=now + timedelta(minutes=5))
    assert terminal_text(again) == f"Case #{case_id} was already answered at 2026-11-07 01:00 UTC."
    assert "<!date^" in again  # each Slack reader sees it in their own time zone
    assert execute(engine, parse_command("responded 99 https://x.example"), actor=agent, now=now) == \
        "There is no case #99."
    with session_scope(engine) as session:
        case = session.get(Case, case_id)
        assert (case.first_response_at, case.status) == (now, "open")  # answered, still open for follow-up
    assert [(e.actor, e.note) for e in events(engine, "answered")] == [("U1", "https://x.example/r/1")]
