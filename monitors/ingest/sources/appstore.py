"""Apple App Store customer reviews of one app in one country, from Apple's public review feed (JSON).

The feed has no "since" parameter: it lists the newest reviews first, 50 a page, at most 10 pages. A poll
reads pages until it reaches reviews it has seen. Apple shows some reviews hours after they were written,
so "seen" means older than the newest review of the last poll minus a day's grace; the store ignores repeats.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitors.ingest.feedparse.dates import parse_date
from monitors.ingest.fetch import Fetcher, FetchError, HTTPStatusError
from monitors.ingest.sources._api import (
    as_int, auth_error, base_url, changed_format, check_base_url, check_keys, get_json, iso_z, optional_text,
    require_text, with_service,
)
from monitors.ingest.raw import RawMention
from monitors.ingest.sources.base import PollResult, SourceKind, SourceState

if TYPE_CHECKING:
    from monitors.config import SourceConfig

SERVICE = "App Store"
DEFAULT_URL = "https://itunes.apple.com"
MAX_PAGES = 10  # Apple serves no more than 10 pages of 50
PAGE_SIZE = 50
FIRST_LOOKBACK = timedelta(days=7)  # reviews are few; a week shows what people say now
LATE_GRACE = timedelta(days=1)  # reviews can appear in the feed long after their date


class AppStoreSource(SourceKind):
    kind = "appstore"
    description = "customer reviews of one app in one country's Apple App Store"

    def validate(self, config: "SourceConfig") -> None:
        check_base_url(config.url)
        check_keys(config.params, {"app_id", "country"})
        app_id = require_text(config.params, "app_id", "the app's numeric id, from its App Store link: …/id123456")
        if not app_id.removeprefix("id").isdigit():
            raise ValueError(f"params.app_id: {app_id!r} is not a numeric App Store id (e.g. 284882215)")
        country = optional_text(config.params, "country", "us") or ""
        if len(country) != 2 or not country.isalpha():
            raise ValueError(f"params.country: {country!r} is not a two-letter country code (e.g. us, gb, de)")

    def poll(self, fetcher: Fetcher, state: SourceState, *, now: datetime) -> PollResult:
        app_id = str(state.params["app_id"]).strip().removeprefix("id")
        country = str(state.params.get("country") or "us").strip().lower()
        base = base_url(state.url, DEFAULT_URL)
        newest_seen = parse_date(state.cursor) if state.cursor else None
        floor = newest_seen - LATE_GRACE if newest_seen else now - FIRST_LOOKBACK
        mentions: list[RawMention] = []
        for page in range(1, MAX_PAGES + 1):
            url = f"{base}/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"
            try:
                data, _ = get_json(fetcher, url, service=SERVICE)
            except HTTPStatusError as exc:
                if exc.status in (401, 403):
                    raise auth_error(SERVICE, exc.status, "Apple's review feed needs no login, so this is a block of "
                                     "this machine or a proxy; try again later or from another network",
                                     retry_after=exc.retry_after) from None
                if exc.status in (400, 404) and page > 1:
                    break  # past the last page Apple keeps
                raise with_service(exc, SERVICE) from None
            except FetchError as exc:
                raise with_service(exc, SERVICE) from None
            reviews = [r for r in (review(e, app_id, country) for e in entries(data)) if r is not None]
            mentions += [r for r in reviews if r.published_at is None or r.published_at >= floor]
            if len(reviews) < PAGE_SIZE or any(r.published_at is not None and r.published_at < floor for r in reviews):
                break
        dates = [m.published_at for m in mentions if m.published_at is not None]
        newest = max(dates + ([newest_seen] if newest_seen else []), default=None)
        return PollResult(mentions=mentions, cursor=iso_z(newest) if newest else state.cursor)


def entries(data: Any) -> list[dict]:
    """The feed's entries. Apple leaves `entry` out when there are none and sends an object for a single one."""
    if not isinstance(data, dict) or not isinstance(data.get("feed"), dict):
        raise changed_format(SERVICE, "no 'feed' object")
    entry = data["feed"].get("entry")
    if entry is None:
        return []
    if isinstance(entry, dict):
        return [entry]
    if not isinstance(entry, list):
        raise changed_format(SERVICE, f"feed.entry is {type(entry).__name__}")
    return [e for e in entry if isinstance(e, dict)]


def review(entry: dict, app_id: str, country: str) -> RawMention | None:
    """One review, or None for the app's own description (older feeds list the app first, without a rating)."""
    rating = as_int(_label(entry, "im:rating"))
    review_id = _label(entry, "id")
    if not rating or not review_id:
        return None
    return RawMention(
        external_id=f"appstore:{review_id}",
        text=_label(entry, "content"),
        url=f"https://apps.apple.com/{country}/app/id{app_id}?see-all=reviews",  # reviews have no page of their own
        title=_label(entry, "title") or None,
        author=_label(entry.get("author"), "name") or None,
        author_reach=0,  # a reviewer has no audience of their own; the rating is the signal
        published_at=parse_date(_label(entry, "updated")),
        thread_id=f"appstore:{review_id}",
        rating=rating if 1 <= rating <= 5 else None,
        extra={"app_id": app_id, "country": country, "version": _label(entry, "im:version") or None,
               "votes": as_int(_label(entry, "im:voteCount")), "vote_sum": as_int(_label(entry, "im:voteSum"))},
    )


def _label(holder: Any, key: str) -> str:
    """Apple's JSON wraps every value as {"label": value}."""
    value = holder.get(key) if isinstance(holder, dict) else None
    label = value.get("label") if isinstance(value, dict) else None
    return label.strip() if isinstance(label, str) else ""
