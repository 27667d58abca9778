"""Why a fetch failed, in words a support lead can act on, plus what a scheduler needs to retry sensibly."""

from __future__ import annotations

from http import HTTPStatus


class FetchError(Exception):
    """A fetch that produced nothing usable.

    `permanent` means retrying will not help until someone changes the source (a 404, a 410, a page that is
    not a feed); `retry_after` is the server's own wish in seconds, when it stated one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        permanent: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.permanent = permanent

    def __str__(self) -> str:
        return self.message


class HTTPStatusError(FetchError):
    """The server answered with an error status.

    `body_excerpt` is the start of the error answer's body (at most 2 KB, decoded as UTF-8), so a source can
    quote an API's own reason (Stack Exchange's error_name, a token endpoint's "invalid_grant"); "" when the
    answer had none or the error was built by hand.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        permanent: bool = False,
        body_excerpt: str = "",
    ):
        super().__init__(message, status=status, retry_after=retry_after, permanent=permanent)
        self.body_excerpt = body_excerpt

    @classmethod
    def from_status(
        cls, status: int, *, retry_after: float | None = None, body_excerpt: str = ""
    ) -> "HTTPStatusError":
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "(unknown status)"
        said = f"server answered {status} {phrase}"
        permanent = 400 <= status < 500 and status not in (408, 425, 429)
        if retry_after is not None:
            message = f"{said}; retrying after {retry_after:.0f} s as it asked"
        elif status == 404:
            message = f"{said}; check the URL"
        elif status == 410:
            message = f"{said}: the server says this URL was removed for good; change or disable the source"
        elif status in (401, 403):
            message = f"{said}: the server refuses us; it may need a login or block bots"
        elif permanent:
            message = f"{said}; check the URL and the source's settings"
        elif status >= 500:
            message = f"{said}: a problem on the server's side; will retry later"
        else:
            message = f"{said}; will retry later"
        return cls(message, status=status, retry_after=retry_after, permanent=permanent, body_excerpt=body_excerpt)


class BodyTooLarge(FetchError):
    """The body (after decompression) is larger than fetch.max_bytes."""

    def __init__(self, limit: int):
        super().__init__(
            f"body larger than {_size(limit)}; refused (raise fetch.max_bytes if this source is really that big)"
        )
        self.limit = limit


class FetchTimeout(FetchError):
    """No answer in time: connecting, waiting for bytes, or the whole download took too long."""


class TooManyRedirects(FetchError):
    """More redirects than fetch.max_redirects, usually a loop."""


class NetworkError(FetchError):
    """DNS, connection, TLS or protocol trouble before a usable answer."""


class ContentError(FetchError):
    """The server answered, but what it sent cannot be used (an HTML page instead of a feed, an empty body)."""


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1_000:
        return f"{n / 1_000:g} kB"
    return f"{n} bytes"
