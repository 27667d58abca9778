"""Fetching URLs for sources: one shared, thread-safe HTTP client with the safety limits every source needs.

Parsing lives elsewhere (monitors.ingest.feedparse); this package only turns a URL into bytes or a FetchError.
"""

from monitors.ingest.fetch.backoff import MAX_BACKOFF, MAX_RETRY_AFTER, backoff_delay, retry_after_seconds
from monitors.ingest.fetch.errors import (
    BodyTooLarge,
    ContentError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    NetworkError,
    TooManyRedirects,
)
from monitors.ingest.fetch.fetcher import DEFAULT_USER_AGENT, Fetcher, FetchResponse, FetchSettings

__all__ = [
    "DEFAULT_USER_AGENT",
    "MAX_BACKOFF",
    "MAX_RETRY_AFTER",
    "BodyTooLarge",
    "ContentError",
    "FetchError",
    "FetchResponse",
    "FetchSettings",
    "FetchTimeout",
    "Fetcher",
    "HTTPStatusError",
    "NetworkError",
    "TooManyRedirects",
    "backoff_delay",
    "retry_after_seconds",
]
