"""The two ways Earful reads a URL: HTTP with a whole-request deadline, and local files for offline configs.

httpx's timeouts bound each socket operation; a server that drips one byte per second satisfies every one of
them forever. The deadline backend shortens every connect, read and write to what is left of the request's
own deadline (kept per thread, since one client serves a pool of worker threads).
"""

from __future__ import annotations

import functools
import logging
import mimetypes
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpcore
import httpx

from monitors.ingest.fetch.errors import HTTPStatusError

log = logging.getLogger(__name__)
_deadline = threading.local()


class deadline_at:
    """`with deadline_at(monotonic_time):` bounds all network I/O of this thread inside the block."""

    def __init__(self, at: float):
        self.at = at

    def __enter__(self) -> "deadline_at":
        self._previous = getattr(_deadline, "at", None)
        _deadline.at = self.at
        return self

    def __exit__(self, *exc: object) -> None:
        _deadline.at = self._previous


def _bounded(timeout: float | None, exc: type[Exception]) -> float | None:
    at = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise exc("the request's total deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, backend: "_DeadlineBackend"):
        self._inner = inner
        self._backend = backend
        backend.opened(self)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._backend.check(httpcore.ReadError)
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._backend.check(httpcore.WriteError)
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._backend.closed(self)
        self._inner.close()

    def interrupt(self) -> None:
        """Wake a read or write blocked in another thread (closing the socket would not)."""
        sock = self._inner.get_extra_info("socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed or never connected
                pass

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None):
        inner = self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout))
        self._backend.closed(self)
        return _DeadlineStream(inner, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Knows its open streams, so `abort()` can end every request in flight at once (a stopping poll)."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()
        self._open: set[_DeadlineStream] = set()
        self._lock = threading.Lock()
        self.aborted = False

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.check(httpcore.ConnectError)
        stream = self._inner.connect_tcp(
            host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream, self)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        self.check(httpcore.ConnectError)
        stream = self._inner.connect_unix_socket(path, _bounded(timeout, httpcore.ConnectTimeout), socket_options)
        return _DeadlineStream(stream, self)

    def check(self, error: type[Exception]) -> None:
        if self.aborted:
            raise error("Earful is stopping")

    def opened(self, stream: "_DeadlineStream") -> None:
        with self._lock:
            self._open.add(stream)
        if self.aborted:  # aborted while this one was connecting
            stream.interrupt()

    def closed(self, stream: "_DeadlineStream") -> None:
        with self._lock:
            self._open.discard(stream)

    def abort(self) -> None:
        """Refuse new connections and wake every read and write in flight; for good (the fetcher is done)."""
        self.aborted = True
        with self._lock:
            streams = list(self._open)
        for stream in streams:
            stream.interrupt()

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()  # loading the CA bundle is slow; one context serves every pool


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, on a connection pool whose sockets honour the per-thread deadline; through an
    HTTP(S) proxy if `proxy` is given."""

    def __init__(self, *, max_connections: int = 100, max_keepalive: int = 20, proxy: str | None = None) -> None:
        # httpx.HTTPTransport.__init__ only builds `_pool`; we build it ourselves with our network backend
        # (the one piece httpx does not let us inject; tests/test_fetch.py's drip tests guard this coupling)
        self.backend = _DeadlineBackend()
        pool = dict(ssl_context=_ssl_context(), max_connections=max_connections,
                    max_keepalive_connections=max_keepalive, keepalive_expiry=5.0, network_backend=self.backend)
        if proxy is None:
            self._pool = httpcore.ConnectionPool(**pool)
            return
        via = httpx.Proxy(proxy)
        if via.url.scheme not in ("http", "https"):
            raise ValueError(f"proxy {proxy!r}: only http:// and https:// proxies are supported")
        self._pool = httpcore.HTTPProxy(
            proxy_url=httpcore.URL(scheme=via.url.raw_scheme, host=via.url.raw_host, port=via.url.port,
                                   target=via.url.raw_path),
            proxy_auth=via.raw_auth, proxy_headers=via.headers.raw, **pool)


def environment_proxies() -> dict[str, str | None]:
    """URL pattern -> proxy URL (None: connect directly) from HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY,
    read as curl reads them (httpx's reading, which its clients apply only to their default transport). Proxies
    of other kinds (SOCKS) are left out with a warning: the fetch transport cannot use them."""
    from httpx._utils import get_environment_proxies  # not exported; tests/test_fetch.py covers what we use

    found = {}
    for pattern, proxy in get_environment_proxies().items():
        if proxy is not None and httpx.URL(proxy).scheme not in ("http", "https"):
            log.warning("ignoring the proxy %s for %s: only http:// and https:// proxies are supported",
                        proxy, pattern)
            continue
        found[pattern] = proxy
    return found


class FileTransport(httpx.BaseTransport):
    """Serves file:// URLs like a tiny web server (Last-Modified, 304, 404), so local feeds take the HTTP path."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in ("GET", "HEAD"):
            return httpx.Response(405)
        if request.url.host not in ("", "localhost"):
            return httpx.Response(404)  # file://otherhost/ would mean a network share; not ours to read
        path = Path(unquote(request.url.path))
        try:
            stat = path.stat()
        except FileNotFoundError:
            # the path tried, since a relative file: URL is resolved against the config file's folder
            raise _unreadable(path, 404, "no such file") from None
        except OSError as exc:
            raise _unreadable(path, 403, f"cannot read it ({exc.strerror or exc})") from None
        if not path.is_file():
            raise _unreadable(path, 403, "not a file")
        modified = datetime.fromtimestamp(int(stat.st_mtime), tz=timezone.utc)
        headers = {"Last-Modified": format_datetime(modified, usegmt=True)}
        since = _http_date(request.headers.get("If-Modified-Since"))
        if since is not None and modified <= since:
            return httpx.Response(304, headers=headers)
        kind, _ = mimetypes.guess_type(path.name)
        headers["Content-Type"] = kind or "application/octet-stream"
        headers["Content-Length"] = str(stat.st_size)
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise _unreadable(path, 403, f"cannot read it ({exc.strerror or exc})") from None
        return httpx.Response(200, headers=headers, stream=_FileStream(handle))


def _unreadable(path: Path, status: int, why: str) -> HTTPStatusError:
    return HTTPStatusError(f"{path}: {why} (a relative file: URL is read from beside the config file)",
                           status=status, permanent=True)


class _FileStream(httpx.SyncByteStream):
    def __init__(self, handle: Any):
        self._handle = handle

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._handle.read(64 * 1024):
            yield chunk

    def close(self) -> None:
        self._handle.close()


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
