"""Content-Encoding decoding that never holds more than the size cap, so a gzip bomb is refused cheaply.

httpx decodes whole network chunks at once (64 kB of gzip can inflate to 64 MB); here zlib is asked for at
most the bytes still allowed, and the fetch stops as soon as the cap is passed.
"""

from __future__ import annotations

import zlib

from monitors.ingest.fetch.errors import BodyTooLarge, FetchError

ACCEPT_ENCODING = "gzip, deflate"


class BoundedDecoder:
    """Feed raw body chunks in, get decoded bytes out; raises BodyTooLarge past `limit` decoded bytes."""

    def __init__(self, content_encoding: str | None, limit: int):
        self.limit = limit
        self.size = 0
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        for coding in codings:
            if coding not in ("gzip", "x-gzip", "deflate"):
                raise FetchError(
                    f"server compressed the body with {coding!r}, which Earful does not decode "
                    f"(it asked for {ACCEPT_ENCODING})"
                )
        # the last coding applied is the first to undo
        self._stages = [_Inflater(c) for c in reversed(codings)]

    def feed(self, data: bytes) -> bytes:
        for stage in self._stages:
            data = stage.inflate(data, self.limit - self.size + 1)
        return self._count(data)

    def finish(self) -> bytes:
        data = b""
        for stage in self._stages:
            data = stage.inflate(data, self.limit - self.size + 1) + stage.flush(self.limit - self.size + 1)
        return self._count(data)

    def _count(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.limit:
            raise BodyTooLarge(self.limit)
        return data


class _Inflater:
    def __init__(self, coding: str):
        self.coding = coding
        self._gzip = coding in ("gzip", "x-gzip")
        self._zlib = self._new()
        self._first = True

    def _new(self) -> "zlib._Decompress":
        return zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)

    def inflate(self, data: bytes, budget: int) -> bytes:
        out: list[bytes] = []
        while data and budget > 0:
            try:
                chunk = self._zlib.decompress(data, budget)
            except zlib.error as exc:
                if self._first and not self._gzip:
                    # some servers send raw deflate without the zlib header
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._first = False
                    continue
                raise FetchError(f"the server's {self.coding} body is corrupt ({exc})") from None
            self._first = False
            out.append(chunk)
            budget -= len(chunk)
            data = self._zlib.unconsumed_tail
            if self._zlib.eof:  # a new gzip member may follow
                data = self._zlib.unused_data + data
                if not data.strip(b"\0"):
                    break
                self._zlib = self._new()
        if data and budget <= 0:
            out.append(b"\0")  # past the cap: one more byte is enough for the caller to refuse
        return b"".join(out)

    def flush(self, budget: int) -> bytes:
        try:
            return self._zlib.flush(max(budget, 1))
        except zlib.error:
            return b""  # a truncated stream: keep what was decoded
