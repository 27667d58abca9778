"""The offline product: cards print through the outbox, commands typed at the console change cases."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from bot.console import ConsoleDeliverer, ConsoleShell, terminal_text
from bot.outbox.delivery import DeliveryError
from bot.outbox.dispatcher import Dispatcher
from monitors.configure import parse_config
from monitors.ingest.fetch import Fetcher, FetchSettings
from monitors.ingest.pipeline import Pipeline
from monitors.ingest.poller import Poller
from monitors.sync import apply_config
from storage.db import session_scope
from storage.models import Case, Outbox

NOW = datetime(2026, 11, 6, 12, 0, tzinfo=timezone.utc)
FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    "<item><guid>1</guid><link>https://x.example/1</link><pubDate>Fri, 06 Nov 2026 11:00:00 GMT</pubDate>"
    "<description>Acme charged me twice and support never answered. &amp;lt;!channel&amp;gt; refund please!"
    "</description></item></channel></rss>"
)


@pytest.fixture
def world(engine, feed_server):
    feed_server.route("/f.xml", FEED, content_type="application/rss+xml")
    config = parse_config({"brands": [{"name": "Acme", "query": "acme"}],
                           "sources": [{"name": "f", "kind": "feed", "url": feed_server.url("/f.xml")}]})
    brand_ids = apply_config(engine, config, now=NOW)
    with Fetcher(FetchSettings(timeout=2)) as fetcher:
        Poller(engine, Pipeline(config, brand_ids), fetcher, rng=random.Random(0)).poll_due(NOW)
    out = io.StringIO()
    dispatcher = Dispatcher(engine, ConsoleDeliverer(out), config.slack)
    shell = ConsoleShell(engine, clock=lambda: NOW + timedelta(minutes=5), out=out, user="sam")
    return dispatcher, shell, out


def sent(engine) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        return [(r.kind, r.status) for r in session.exec(select(Outbox).order_by(Outbox.id)).all()]


def test_card_prints_once_and_commands_update_it(engine, world):
    dispatcher, shell, out = world
    assert dispatcher.run_once(NOW) == 1
    assert dispatcher.run_once(NOW) == 0  # nothing is posted twice
    card = out.getvalue()
    assert "#1 · Acme" in card and "Open: nobody has it yet" in card
    # the card's text is escaped for Slack (tests/test_slack_cards.py); the terminal shows it as written
    assert "<!channel> refund please!" in card and "&lt;" not in card

    assert shell.handle("claim 1") == "You have case #1."
    assert shell.handle("claim 1") == "You have case #1 already."  # the same person twice changes nothing
    assert shell.handle("resolve 1 refunded the double charge") == "Case #1 resolved."
    dispatcher.run_once(NOW + timedelta(minutes=6))
    text = out.getvalue()
    assert "Resolved" in text.split("─" * 72)[-1]  # the card was updated in place to its newest state
    assert "sam claimed case #1" in text and "sam resolved case #1: refunded the double charge" in text
    assert all(status == "sent" for _, status in sent(engine))
    with session_scope(engine) as session:
        case = session.exec(select(Case)).one()
    assert (case.status, case.claimed_by, case.note) == ("resolved", "sam", "refunded the double charge")


@pytest.mark.parametrize("line, answer", [
    ("claim", "`claim` needs a case number, e.g. `claim 12`"),
    ("claim x", "'x' is not a case number (cards show it as #12)"),
    ("claim 99", "There is no case #99."),
    ("snooze 1", "`snooze` needs a duration, e.g. `snooze 12 4h`"),
    ("snooze 1 soon", "'soon' is not a duration; use e.g. 30m, 4h or 1d"),
    ("frobnicate 1", "unknown command 'frobnicate'; try `help`"),
])
def test_bad_commands_get_a_clear_answer(world, line, answer):
    _, shell, _ = world
    assert shell.handle(line) == answer


def test_queue_and_stats(world):
    _, shell, _ = world
    queue = shell.handle("queue")
    assert queue.startswith("#1 [Acme] open, due in") and "charged me twice" in queue
    assert shell.handle("mine") == "You have no claimed cases."
    shell.handle("snooze 1 4h")
    counts, *times = shell.handle("stats").splitlines()
    assert counts == "Cases: 0 open, 0 claimed, 1 snoozed, 0 resolved, 0 dismissed; 0 past their SLA."
    assert "Response times, last 7 days (1 case opened)" in times[1]
    assert "Commands:" in shell.handle("help")


def test_thread_notes_wait_for_their_card(engine, world):
    dispatcher, shell, out = world
    real_post = dispatcher.deliverer.post
    calls = []

    def post_failing_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise DeliveryError("connection reset")
        return real_post(**kwargs)

    dispatcher.deliverer.post = post_failing_once
    shell.handle("claim 1")
    later = NOW + timedelta(minutes=5)
    dispatcher.run_once(later)  # the card fails; the update and the thread note have no card yet
    states = dict(sent(engine))
    assert states["post_card"] == "pending" and states["thread_note"] == "pending"
    dispatcher.run_once(later + timedelta(minutes=1))
    assert all(status == "sent" for _, status in sent(engine))
    assert out.getvalue().count("─" * 72) == 2  # one card (top and bottom rule), never a second
    assert "Claimed by sam" in out.getvalue() and "sam claimed case #1" in out.getvalue()


@pytest.mark.parametrize("mrkdwn, plain, bold", [
    ("Open · *overdue 2d*", "Open · overdue 2d", "Open · \x1b[1moverdue 2d\x1b[0m"),
    ("*a*, *b c*!", "a, b c!", "\x1b[1ma\x1b[0m, \x1b[1mb c\x1b[0m!"),
    ("5 * 3 * 2 and a*b*c and ** and * x*", "5 * 3 * 2 and a*b*c and ** and * x*", None),  # no bold in Slack either
    ("<!date^1793620800^{time}|12:00 UTC> &lt;!here&gt;", "12:00 UTC <!here>", None),
])
def test_terminal_text_reads_slack_markup_as_a_terminal_shows_it(mrkdwn, plain, bold):
    assert terminal_text(mrkdwn) == plain
    assert terminal_text(mrkdwn, bold=True) == (bold or plain)


def test_cards_printed_to_a_file_or_pipe_carry_no_terminal_codes(engine, world):
    dispatcher, _, out = world
    dispatcher.run_once(NOW + timedelta(days=2))  # overdue by then: the card says so in bold
    card = out.getvalue()
    assert "overdue" in card and "*overdue" not in card and "\x1b[" not in card
