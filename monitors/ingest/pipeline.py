"""From raw items to rows: match brands, score, fingerprint, and decide which complaints open a case.

`prepare` is pure (values and `now` in, values out); storing is storage.mentions.store_batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitors.ingest.canonical import canonical_url, content_fingerprint, edit_hash
from monitors.config import Config
from monitors.ingest.query import Matcher, compile_brand, tokenize
from monitors.scoring.adapt import NONE, Correction
from monitors.scoring.scorer import Scorer
from monitors.cases.sla import SlaPolicy, sla_length
from monitors.ingest.raw import RawMention
from storage.rows import NewMention

# VADER's cost grows with length; the opening of a long post carries its tone and its complaint
SCORED_CHARS = 4000
# Identical short posts ("acme down?") from different people are different customers, each owed an answer;
# identical long texts are syndication or cross-posting of one story.
STORY_MIN_WORDS = 8


@dataclass(frozen=True)
class BrandRef:
    id: int
    name: str
    competitor: bool


def priority(complaint_score: float, reach: int) -> float:
    """Severity times a gentle (log) reach factor: a 100k-follower complaint outranks a 10-follower one,
    but not by a factor of 10,000."""
    return round(complaint_score * (1.0 + math.log10(1 + max(reach, 0))), 4)


def story_key(title: str | None, text: str, *, author: str | None, external_id: str,
              title_tokens: list[str] | None = None, text_tokens: list[str] | None = None) -> str:
    """`title_tokens` and `text_tokens`: tokenize() of each, if the caller has them (see content_fingerprint)."""
    fingerprint = content_fingerprint(title, text, title_tokens=title_tokens, text_tokens=text_tokens)
    if not fingerprint:  # nothing to compare: a story of its own
        return f"solo:{edit_hash(title, text)}:{external_id}"
    if len(text.split(None, STORY_MIN_WORDS)) < STORY_MIN_WORDS:  # splits no further than it must
        return f"{fingerprint}:{(author or '').casefold()}"
    return fingerprint


def scored_body(title: str | None, text: str) -> str:
    """What is matched and scored: the title, then the text (once, when the text already starts with it)."""
    return f"{title}\n{text}" if title and not text.startswith(title) else text


class Pipeline:
    """Everything needed to turn a source's raw items into NewMention rows; built once per config."""

    def __init__(self, config: Config, brand_ids: dict[str, int], scorer: Scorer | None = None):
        self.config = config
        self.brand_ids = dict(brand_ids)
        self.brands = {b.name: BrandRef(brand_ids[b.name], b.name, b.competitor) for b in config.brands}
        self.matcher = Matcher([compile_brand(b.name, b.query, b.exclude) for b in config.brands])
        self.brand_threshold = {b.name: b.threshold for b in config.brands if b.threshold is not None}
        # explanations cost more than scores: they are worked out below for the mentions that open a case
        self.scorer = scorer or Scorer(threshold=config.complaints.threshold, explain_from=2.0)
        # the workspace's correction learned from verdicts; the poller refreshes it every cycle
        self.correction: Correction = NONE
        complaints = config.complaints
        self.sla_policy = SlaPolicy(sla=timedelta(seconds=complaints.sla), high_priority=complaints.high_priority,
                                    sla_high=timedelta(seconds=complaints.sla_high) if complaints.sla_high else None)
        self.brand_sla = {b.name: timedelta(seconds=b.sla) for b in config.brands if b.sla}

    def warm_up(self) -> None:
        """Compile what is compiled on first use (the complaint cues for common words), e.g. in a new worker."""
        self.scorer.score("I'm still waiting, my order hasn't arrived and nobody answers. Not happy with this app!")

    def prepare(self, items: list[RawMention], *, brand_names: list[str], now: datetime) -> list[NewMention]:
        """Keep the items that match one of `brand_names`, scored and ready to store."""
        allowed = set(brand_names)
        max_age = timedelta(seconds=self.config.complaints.max_age)
        # bound once: this loop runs for every fetched item
        brands, match = self.brands, self.matcher.match
        brand_threshold, brand_sla, sla_policy = self.brand_threshold, self.brand_sla, self.sla_policy
        # One step at a time over the whole batch rather than every step per item: each step's code and tables
        # stay in the CPU's caches, which made the same work about a fifth cheaper.
        # Matching and story keys read the same words: each text is tokenised once, for both. (The title's words
        # and then the text's are the words of the two joined by a newline.)
        kept: list[tuple[RawMention, str, list[str]]] = []
        tokens: list[tuple[list[str], list[str]]] = []
        for item in items:
            title, text = item.title, item.text
            text_tokens = tokenize(text)
            body = scored_body(title, text)
            if body is not text:
                title_tokens = tokenize(title)
                body_tokens = title_tokens + text_tokens
            else:
                title_tokens, body_tokens = None, text_tokens
            matched = [name for name in match(body, body_tokens) if name in allowed]
            if matched:
                kept.append((item, body, matched))
                tokens.append((title_tokens, text_tokens))
        scores = self.scorer.score_many([body[:SCORED_CHARS] for _, body, _ in kept],
                                        [item.rating for item, _, _ in kept], correction=self.correction)
        canonical = [canonical_url(item.url) if item.url else None for item, _, _ in kept]
        edits = [edit_hash(item.title, item.text) for item, _, _ in kept]
        stories = [story_key(item.title, item.text, author=item.author, external_id=item.external_id,
                             title_tokens=title_tokens, text_tokens=text_tokens)
                   for (item, _, _), (title_tokens, text_tokens) in zip(kept, tokens)]
        rows = []
        for (item, _, matched), score, canonical_link, content_hash, story in zip(
                kept, scores, canonical, edits, stories):
            published = item.published_at if item.published_at and item.published_at <= now else now
            own = None
            for name in matched:
                if not brands[name].competitor:
                    own = brands[name]
                    break
            # a brand's own threshold (tuned from its feedback) decides its cases; the mention keeps the global verdict
            threshold = brand_threshold.get(own.name) if own is not None else None
            flagged = score.complaint if threshold is None else score.complaint_score >= threshold
            opens_case = flagged and own is not None and now - published <= max_age
            if opens_case:  # its card says why
                score = self.scorer.explain(score, correction=self.correction)
            rank = priority(score.complaint_score, item.author_reach) if opens_case else 0.0
            sla = sla_length(sla_policy, priority=rank, brand_sla=brand_sla.get(own.name)) if opens_case else None
            rows.append(NewMention(
                external_id=item.external_id[:500],
                text=item.text,
                title=item.title,
                url=item.url,
                canonical_url=canonical_link,
                author=item.author,
                author_reach=item.author_reach,
                language=item.language,
                thread_id=item.thread_id,
                parent_id=item.parent_id,
                published_at=published,
                content_hash=content_hash,
                story_key=story,
                sentiment=score.sentiment,
                sentiment_label=score.label,
                complaint_score=score.complaint_score,
                is_complaint=score.complaint,
                complaint_cues=score.cues,
                brand_ids=[brands[name].id for name in matched],
                case_brand_id=own.id if opens_case else None,
                sla_due_at=published + sla if sla is not None else None,
                priority=rank,
            ))
        return rows
