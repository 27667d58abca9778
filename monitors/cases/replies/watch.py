"""The reply watch: re-reads the public threads of unanswered cases and stops a case's clock when one of the
brand's own accounts has replied there, so nobody has to tell Slack about an answer given on the platform.

Each case's thread is read at most once per `interval` per process; a failure for one thread is logged and the
rest go on. Reading is per platform (monitors.cases.replies); deciding is base.brand_reply; recording is storage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from monitors.ingest.fetch import Fetcher, FetchError
from monitors.cases.replies import FETCHERS, MIN_INTERVALS
from monitors.cases.replies.base import Thread, ThreadRef, brand_reply
from monitors.ingest.sources._api import ShapeError
from storage.cases import CaseError
from storage.db import session_scope
from storage.response_clock import WatchedThread, record_response, unanswered_threads

log = logging.getLogger(__name__)

ThreadFetch = Callable[[Fetcher, ThreadRef], Thread | None]


@dataclass
class WatchResult:
    checked: int = 0
    answered: list[int] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)


class ReplyWatch:
    def __init__(self, engine: sa.Engine, fetcher: Fetcher, *, interval: timedelta,
                 fetchers: dict[str, ThreadFetch] | None = None):
        self.engine = engine
        self.fetcher = fetcher
        self.interval = interval
        self.fetchers = dict(FETCHERS if fetchers is None else fetchers)
        self._checked: dict[int, datetime] = {}

    def run_once(self, now: datetime) -> WatchResult:
        result = WatchResult()
        with session_scope(self.engine) as session:
            watched = unanswered_threads(session=session, kinds=list(self.fetchers))
        for item in watched:
            handles = item.handles.get(item.kind) or []
            last = self._checked.get(item.case_id)
            least = MIN_INTERVALS.get(item.kind)
            interval = max(self.interval, least(item.params or {})) if least else self.interval
            if not handles or (last is not None and now - last < interval):
                continue
            self._checked[item.case_id] = now
            result.checked += 1
            try:
                thread = self.fetchers[item.kind](self.fetcher, _ref(item))
            except (FetchError, ShapeError) as exc:
                result.errors[item.case_id] = str(exc)
                log.warning("reply watch: case #%s (%s): %s", item.case_id, item.kind, exc)
                continue
            if thread is None:
                continue
            if thread.gone:
                result.gone.append(item.case_id)
            reply = brand_reply(thread, platform=item.kind, handles=handles, after=item.published_at)
            if reply is None:
                continue
            try:
                with session_scope(self.engine) as session:
                    record_response(session=session, case_id=item.case_id, actor=f"{item.kind}:{reply.author}",
                                    url=reply.url, now=now, answered_at=reply.published_at)
                result.answered.append(item.case_id)
            except CaseError:
                pass  # answered by an agent (or another worker) in the meantime
        live = {item.case_id for item in watched}
        self._checked = {case_id: at for case_id, at in self._checked.items() if case_id in live}
        return result


def _ref(item: WatchedThread) -> ThreadRef:
    return ThreadRef(external_id=item.external_id, thread_id=item.thread_id, base_url=item.base_url or "",
                     params=item.params or {}, url=item.url)
