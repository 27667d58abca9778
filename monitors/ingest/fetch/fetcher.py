"""One HTTP client for every poller thread: conditional GET, deadlines, size caps, per-host limits.

POST (token endpoints, GraphQL) shares all of it, except that a POST's redirect is not followed: the body may
carry credentials, which must not travel on to wherever a Location header points (307/308 would resend it),
and a 301-303 would turn it into a GET that cannot do the job. A redirected POST is a permanent error naming
the target, so someone can put the right URL in the config.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from http.cookiejar import DefaultCookiePolicy
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import httpx

from monitors.ingest.fetch.backoff import retry_after_seconds
from monitors.ingest.fetch.decode import ACCEPT_ENCODING, BoundedDecoder
from monitors.ingest.fetch.errors import (
    BodyTooLarge,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    NetworkError,
    TooManyRedirects,
)
from monitors.ingest.fetch.transports import DeadlineTransport, FileTransport, deadline_at, environment_proxies

if TYPE_CHECKING:
    from monitors.config import FetchConfig

DEFAULT_USER_AGENT = "Earful/0.1 (+https://github.com/earful/earful)"
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
EXCERPT_BYTES = 2048  # of an error answer's body, kept on HTTPStatusError
_EXCERPT_DECODE_LIMIT = 65_536  # a compressed error page inflates no further than this while its start is read


@dataclass(frozen=True)
class FetchSettings:
    timeout: float = 20  # each connect / read / write waits at most this long
    max_bytes: int = 10_000_000  # decoded body size cap
    per_host: int = 2  # concurrent requests to one host, across all worker threads
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    total_timeout: float | None = None  # one whole fetch, redirects included; default 3 × timeout

    @property
    def deadline(self) -> float:
        return self.total_timeout if self.total_timeout is not None else 3 * self.timeout

    @classmethod
    def from_config(cls, config: "FetchConfig") -> "FetchSettings":
        agent = DEFAULT_USER_AGENT
        if config.contact:
            agent = f"{agent[:-1]}; contact: {config.contact})"
        return cls(
            timeout=float(config.timeout),
            max_bytes=config.max_bytes,
            per_host=config.per_host,
            max_redirects=config.max_redirects,
            user_agent=agent,
        )


@dataclass
class FetchResponse:
    url: str  # after redirects: the base for relative links
    status: int
    headers: httpx.Headers
    body: bytes
    not_modified: bool
    etag: str | None
    last_modified: str | None
    content_type: str | None


class _Redirect(NamedTuple):
    status: int
    target: str


class Fetcher:
    """Thread-safe; create one per process and share it. Raises FetchError subclasses, never httpx errors."""

    def __init__(self, settings: FetchSettings | None = None, *, transport: httpx.BaseTransport | None = None):
        self.settings = settings = settings or FetchSettings()
        # proxies from the environment, as curl and pip take them (None: that pattern connects directly)
        proxied: dict[str, httpx.BaseTransport | None] = {} if transport is not None else {
            pattern: None if proxy is None else DeadlineTransport(proxy=proxy)
            for pattern, proxy in environment_proxies().items()}
        transport = transport or DeadlineTransport()
        self._abortable = [t for t in (transport, *proxied.values()) if isinstance(t, DeadlineTransport)]
        self._client = httpx.Client(
            transport=transport,
            mounts={**proxied, "file://": FileTransport()},
            timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0)),
            follow_redirects=False,  # followed by hand: each hop is checked and counted
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            trust_env=False,
        )
        # one client serves every source: a cookie set by one site must not ride along to the next poll
        self._client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._hosts_lock = threading.Lock()

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        params: dict | None = None,
        headers: dict | None = None,
    ) -> FetchResponse:
        request_headers = dict(headers or {})
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        visited = [url]
        clock = _Clock(self.settings.deadline)
        while True:
            _check_scheme(url, first=len(visited) == 1)
            response = self._send_once("GET", url, params, request_headers, clock)
            if isinstance(response, FetchResponse):
                return response
            _check_redirect_target(visited[0], response.target)
            url = response.target
            params = None  # already part of the redirect's URL
            if url in visited or len(visited) > self.settings.max_redirects:
                loop = " (a loop)" if url in visited else ""
                raise TooManyRedirects(
                    f"gave up after {len(visited)} redirects{loop}: " + " → ".join(visited + [url])
                )
            visited.append(url)

    def post(
        self,
        url: str,
        *,
        json: Any = None,
        data: dict | None = None,
        headers: dict | None = None,
    ) -> FetchResponse:
        """POST a JSON body (`json`) or a form (`data`) with GET's limits; a redirect is refused, not followed."""
        if json is not None and data is not None:
            raise ValueError("post() sends a JSON body or a form, not both")
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise FetchError(f"only http and https URLs take a POST, not {url!r}", permanent=True)
        clock = _Clock(self.settings.deadline)
        response = self._send_once("POST", url, None, dict(headers or {}), clock, json=json, data=data)
        if isinstance(response, FetchResponse):
            return response
        raise HTTPStatusError(
            f"server answered {response.status} to a POST, pointing at {response.target}; a POST is not "
            "redirected (its body may carry credentials): use that URL in the config if it is the right one",
            status=response.status, permanent=True,
        )

    def _send_once(
        self, method: str, url: str, params: dict | None, headers: dict, clock: "_Clock", **body: Any
    ) -> FetchResponse | _Redirect:
        with self._host_slot(url):
            clock.start()  # waiting for a slot is not the server's fault; the deadline starts here
            try:
                target = _with_file_host(url)
                with deadline_at(clock.at), self._client.stream(
                    method, target, params=params, headers=headers, **body
                ) as response:
                    result = self._read(response, clock)
                if isinstance(result, FetchResponse) and target != url:
                    result.url = url
                return result
            except httpx.TimeoutException as exc:
                raise _timeout(exc, self.settings, clock) from None
            except httpx.InvalidURL as exc:
                raise FetchError(f"not a usable URL: {url!r} ({exc})", permanent=True) from None
            except httpx.HTTPError as exc:
                host = urlsplit(url).hostname or url
                raise NetworkError(f"connection to {host} failed: {_reason(exc)}") from None

    def _read(self, response: httpx.Response, clock: "_Clock") -> FetchResponse | _Redirect:
        status = response.status_code
        if status in REDIRECT_STATUSES and "location" in response.headers:
            return _Redirect(status, str(response.url.join(response.headers["location"])))
        if status == 304:
            return self._result(response, b"", not_modified=True)
        if not 200 <= status < 300:
            wait = retry_after_seconds(response.headers.get("retry-after"), now=datetime.now(timezone.utc))
            raise HTTPStatusError.from_status(status, retry_after=wait, body_excerpt=_excerpt(response, clock))
        limit = self.settings.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge(limit)  # refused before reading a byte
        decoder = BoundedDecoder(response.headers.get("content-encoding"), limit)
        parts: list[bytes] = []
        raw_size = 0
        for chunk in response.iter_raw():
            raw_size += len(chunk)
            if raw_size > limit:
                raise BodyTooLarge(limit)
            parts.append(decoder.feed(chunk))
            if clock.passed():
                raise _too_slow(self.settings)
        parts.append(decoder.finish())
        return self._result(response, b"".join(parts), not_modified=False)

    @staticmethod
    def _result(response: httpx.Response, body: bytes, *, not_modified: bool) -> FetchResponse:
        return FetchResponse(
            url=str(response.url),
            status=response.status_code,
            headers=response.headers,
            body=body,
            not_modified=not_modified,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            content_type=response.headers.get("content-type"),
        )

    def _host_slot(self, url: str) -> "_Slot":
        host = (urlsplit(url).hostname or "").lower()
        with self._hosts_lock:
            semaphore = self._hosts.get(host)
            if semaphore is None:
                semaphore = self._hosts[host] = threading.BoundedSemaphore(self.settings.per_host)
        return _Slot(semaphore, host, self.settings.deadline)

    def abort(self) -> None:
        """End every request in flight now and refuse new ones (each fails with a NetworkError): Earful is
        stopping, and a slow server must not hold it up."""
        for transport in self._abortable:
            transport.backend.abort()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Clock:
    """The total deadline of one get() or post(), redirects included, started when the first request goes out."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at: float = 0.0

    def start(self) -> None:
        if not self.at:
            self.at = time.monotonic() + self.seconds

    def passed(self, margin: float = 0.0) -> bool:
        return time.monotonic() >= self.at - margin


class _Slot:
    """Holds one of a host's concurrency slots for the duration of a request."""

    def __init__(self, semaphore: threading.BoundedSemaphore, host: str, wait: float):
        self._semaphore, self._host, self._wait = semaphore, host, wait

    def __enter__(self) -> None:
        if not self._semaphore.acquire(timeout=self._wait):
            raise FetchTimeout(f"waited {self._wait:g} s for a free connection to {self._host}; other polls hold them")

    def __exit__(self, *exc: object) -> None:
        self._semaphore.release()


def _excerpt(response: httpx.Response, clock: "_Clock") -> str:
    """The start of an error answer's body, best effort: a broken or slow error body must not hide the status."""
    parts: list[bytes] = []
    size = 0
    try:
        decoder = BoundedDecoder(response.headers.get("content-encoding"), _EXCERPT_DECODE_LIMIT)
        for chunk in response.iter_raw():
            # small slices: the first few bytes of a compressed page must not inflate past the decoder's cap
            for start in range(0, len(chunk), 512):
                parts.append(decoder.feed(chunk[start:start + 512]))
                size += len(parts[-1])
                if size >= EXCERPT_BYTES:
                    break
            if size >= EXCERPT_BYTES or clock.passed():
                break
        else:
            parts.append(decoder.finish())
    except (FetchError, httpx.HTTPError, httpx.StreamError):  # StreamError: an answer made whole, not streamed
        pass
    return b"".join(parts)[:EXCERPT_BYTES].decode("utf-8", "replace")


def _check_scheme(url: str, *, first: bool) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https") or (first and scheme == "file"):
        return
    if scheme == "file":
        raise FetchError(f"refused a redirect to a local file ({url}); a web server may not read this machine's disk",
                         permanent=True)
    raise FetchError(f"only http, https and file URLs can be fetched, not {url!r}", permanent=True)


def _with_file_host(url: str) -> str:
    # httpx treats a host-less URL as relative to its base_url; "localhost" is the same file to FileTransport
    if url[:8].lower() == "file:///":
        return "file://localhost/" + url[8:]
    return url


def _timeout(exc: httpx.TimeoutException, settings: FetchSettings, clock: "_Clock") -> FetchTimeout:
    if clock.passed(margin=0.05):
        return _too_slow(settings)
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchTimeout(f"could not connect within {min(settings.timeout, 10.0):g} s")
    return FetchTimeout(f"server sent nothing for {settings.timeout:g} s; gave up")


def _too_slow(settings: FetchSettings) -> FetchTimeout:
    return FetchTimeout(f"server too slow: the whole download took longer than {settings.deadline:g} s; gave up")


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc).strip()
    for marker in ("] ", "Errno"):
        if marker in text:
            text = text.split(marker, 1)[-1].lstrip("0123456789] ")
    return text or type(exc).__name__


def _check_redirect_target(first: str, target: str) -> None:
    """A public feed may not redirect Earful to this machine or its network (loopback, private, link-local):
    that would let any feed on the internet make Earful read internal services. A source that is itself on
    such an address (a local test feed, an intranet) may redirect within it."""
    target_host = urlsplit(target).hostname or ""
    if not is_private_host(target_host):
        return
    if is_private_host(urlsplit(first).hostname or ""):
        return
    raise FetchError(f"refused a redirect from {first} to {target}, an address on this machine or its network",
                     permanent=True)


def is_private_host(host: str) -> bool:
    """True when `host` is, or resolves to, a loopback, private, link-local or unspecified address."""
    if not host:
        return False
    try:
        addresses = {ipaddress.ip_address(host.strip("[]"))}
    except ValueError:
        try:
            addresses = {ipaddress.ip_address(info[4][0].split("%", 1)[0])
                         for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
        except (OSError, ValueError):
            return False  # cannot resolve: the request itself will fail and say so
    return any(a.is_private or a.is_loopback or a.is_link_local or a.is_unspecified or a.is_reserved
               for a in addresses)
