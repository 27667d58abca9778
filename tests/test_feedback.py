"""Feedback ("Not a complaint" dismissals, `complaint LINK` marks) and `earful tune`'s proposals."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.actions import execute
from bot.commands import CommandError, parse_command
from monitors.ingest.canonical import canonical_url
from monitors.cases.triage import Actor
from monitors.scoring.tune import f1_at, propose
from storage.db import session_scope
from storage.feedback import feedback_samples
from storage.models import Feedback, Mention
from tests.test_cli import earful
from tests.test_response_clock import PUBLISHED, world

MANAGER = Actor(user="UBOSS", is_manager=True)


def test_f1_and_the_proposal():
    complaints = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    others = [0.1, 0.2, 0.3, 0.35, 0.45, 0.55]
    samples = [(s, True) for s in complaints] + [(s, False) for s in others]
    assert f1_at(samples, 0.5) == pytest.approx(10 / 12)  # 5 caught, 1 false alarm, 1 missed
    proposal = propose(samples, current=0.5, min_samples=10)
    assert (proposal.threshold, proposal.samples, proposal.complaints) == (0.4, 12, 6)
    assert proposal.f1 == pytest.approx(12 / 14) and proposal.current_f1 == pytest.approx(10 / 12)
    assert propose(samples, current=0.5, min_samples=100) is None  # too little feedback
    assert propose([(0.9, True)] * 40, current=0.5) is None  # one-sided feedback proves nothing


def test_a_clean_split_keeps_a_threshold_that_already_works():
    samples = [(0.9, True)] * 10 + [(0.1, False)] * 10
    assert propose(samples, current=0.5, min_samples=10).threshold == 0.5


def test_bad_complaint_input():
    for line, says in (("complaint", "needs the post's link"), ("complaint soon", "neither a post's link"),
                       ("complaint m0", "neither")):
        with pytest.raises(CommandError, match=says):
            parse_command(line)
    assert parse_command("complaint M12").mention_id == 12
    assert parse_command("complaint <https://x.example/p|x>").url == "https://x.example/p"


def test_dismissals_and_marks_are_feedback(engine):
    first, second = world(engine, cases_wanted=2)
    assert execute(engine, parse_command(f"dismiss {first} just a joke"), actor=MANAGER, now=PUBLISHED).endswith(
        "dismissed as not a complaint.")
    with session_scope(engine) as session:
        mention = session.exec(select(Mention).order_by(Mention.id)).all()[1]
        mention.url = "https://mastodon.example/@sam/2"
        mention.canonical_url = canonical_url(mention.url)  # as ingest stores every link
        session.add(mention)
    said = execute(engine, parse_command("complaint https://mastodon.example/@sam/2"), actor=MANAGER, now=PUBLISHED)
    assert said == f"Noted: mention m{mention.id} is a complaint (the detector learns from it for new posts); it is case #{second}."
    assert execute(engine, parse_command("complaint https://elsewhere.example/x"), actor=MANAGER,
                   now=PUBLISHED).startswith("Earful has not stored that post")
    assert execute(engine, parse_command("complaint m999"), actor=MANAGER, now=PUBLISHED) == "There is no mention #999."
    with session_scope(engine) as session:
        verdicts = [(f.verdict, f.who) for f in session.exec(select(Feedback).order_by(Feedback.id)).all()]
        samples = feedback_samples(session=session)
    assert verdicts == [(False, "UBOSS"), (True, "UBOSS")]
    assert sorted((s.brand, s.score, s.verdict) for s in samples) == [("Acme", 0.9, False), ("Acme", 0.9, True)]


def test_the_latest_verdict_counts(engine):
    (case_id,) = world(engine)
    with session_scope(engine) as session:
        mention_id = session.exec(select(Mention.id)).one()
    execute(engine, parse_command(f"complaint m{mention_id}"), actor=MANAGER, now=PUBLISHED)
    execute(engine, parse_command(f"dismiss {case_id}"), actor=MANAGER, now=PUBLISHED)
    with session_scope(engine) as session:
        assert [s.verdict for s in feedback_samples(session=session)] == [False]


def test_tune_prints_proposals_and_changes_nothing(tmp_path, sqlite_engine):
    world(sqlite_engine)
    config = tmp_path / "earful.toml"
    config.write_text('[[brands]]\nname = "Acme"\nquery = "acme"\n\n[complaints]\nthreshold = 0.5\n')
    url = str(sqlite_engine.url)
    done = earful("tune", "--config", str(config), env={"DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    assert "No feedback yet" in done.stdout
    execute(sqlite_engine, parse_command("dismiss 1"), actor=MANAGER, now=PUBLISHED)
    done = earful("tune", "--config", str(config), "--min-samples", "2", env={"DATABASE_URL": url})
    assert "Acme: 1 verdicts; not enough yet" in done.stdout
    assert config.read_text().count("threshold = 0.5") == 1


def test_a_brand_threshold_decides_that_brands_cases():
    from datetime import timedelta

    from monitors.configure import parse_config
    from monitors.ingest.pipeline import Pipeline
    from monitors.ingest.raw import RawMention

    def opens_case(threshold):
        brand = {"name": "Acme", "query": "acme", **({"threshold": threshold} if threshold is not None else {})}
        pipeline = Pipeline(parse_config({"brands": [brand]}), {"Acme": 1})
        item = RawMention(external_id="1", text="Acme charged me twice and nobody answers. Refund now!",
                          published_at=PUBLISHED - timedelta(minutes=5))
        (row,) = pipeline.prepare([item], brand_names=["Acme"], now=PUBLISHED)
        return row.case_brand_id is not None, row.complaint_score, row.is_complaint

    default, score, flagged = opens_case(None)
    assert default and flagged and 0 < score < 1
    assert opens_case(min(1.0, score + 0.01))[0] is False
    assert opens_case(score)[0] is True


def test_verdicts_teach_the_stored_correction_and_reset_forgets_it(tmp_path, sqlite_engine):
    """A dismissal updates the workspace's correction in the database (it survives a new engine, as a restart
    would), `earful tune` says what it changed, and `earful tune --reset` forgets it."""
    from sqlmodel import create_engine

    from monitors.learning import current_correction, features_of

    (case_id,) = world(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        assert current_correction(session=session).verdicts == 0
        mention = session.exec(select(Mention)).one()
        words = features_of(mention).words
    execute(sqlite_engine, parse_command(f"dismiss {case_id}"), actor=MANAGER, now=PUBLISHED)
    restarted = create_engine(str(sqlite_engine.url))
    with session_scope(restarted) as session:
        correction = current_correction(session=session)
    assert correction.verdicts == 1
    assert correction.shift(words) < 0  # the dismissed text now scores lower

    config = tmp_path / "earful.toml"
    config.write_text('[[brands]]\nname = "Acme"\nquery = "acme"\n')
    env = {"DATABASE_URL": str(sqlite_engine.url)}
    done = earful("tune", "--config", str(config), env=env)
    assert done.returncode == 0, done.stderr
    assert "The detector learned from 1 verdicts (0 complaints)" in done.stdout
    assert "shipped model alone:" in done.stdout and "with what it learned:" in done.stdout
    done = earful("tune", "--config", str(config), "--reset", env=env)
    assert done.returncode == 0 and "Forgot what the detector learned" in done.stdout
    with session_scope(restarted) as session:
        assert current_correction(session=session).verdicts == 0
        assert len(session.exec(select(Feedback)).all()) == 1  # the verdict itself stays recorded
    assert "nothing to reset" in earful("tune", "--config", str(config), "--reset", env=env).stdout


def test_the_poller_scores_new_posts_with_the_learned_correction(engine):
    from monitors.configure import parse_config
    from monitors.ingest.pipeline import Pipeline
    from monitors.ingest.poller import Poller
    from monitors.learning import record_verdict

    (case_id,) = world(engine)
    with session_scope(engine) as session:
        mention_id = session.exec(select(Mention.id)).one()
        for _ in range(6):
            record_verdict(session=session, mention_id=mention_id, verdict=False, who="UBOSS", now=PUBLISHED)
    pipeline = Pipeline(parse_config({"brands": [{"name": "Acme", "query": "acme"}]}), {"Acme": 1})
    poller = Poller(engine, pipeline, fetcher=None, processes=1)
    try:
        poller.poll_due(PUBLISHED)  # nothing is due; the cycle still reads the correction
    finally:
        poller.scoring.close()
    assert pipeline.correction.verdicts == 6
    assert pipeline.correction.bias < 0
