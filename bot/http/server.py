"""The one HTTP listener, on waitress: a pure-Python production WSGI server that keeps every connection in one
I/O loop and hands only complete requests to its worker threads, so slow or idle clients hold a socket, never
a thread. It has read timeouts (`channel_timeout`), a connection cap and a body cap enforced while reading.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import MultiSocketServer, create_server
from waitress.task import ErrorTask
from waitress.utilities import Error

from bot.http.app import HttpApp, Refusal, json_line, status_line

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000  # the largest body any route accepts (a push batch); Slack's payloads are far smaller


@dataclass(frozen=True)
class ServerSettings:
    threads: int = 4
    connection_limit: int = 1000
    timeout: int = 30  # seconds a connection may stay silent, or take to send one request, before it is closed
    max_body: int = MAX_BODY


LINGER_LIMIT = 10  # seconds a refused request's body is read and dropped, so its sender sees the answer


class _Refused(Error):
    """A refusal decided from the request's headers, carried the way waitress carries its own errors."""

    def __init__(self, refusal: Refusal, drop: int):
        super().__init__(refusal.message)
        self.code, self.refusal, self.drop = refusal.status, refusal, drop


def _environ(parser: HTTPRequestParser) -> dict[str, str]:
    """The request line and headers as WSGI names them, for the gates (which also run inside the app)."""
    environ = {"REQUEST_METHOD": parser.command, "PATH_INFO": parser.path, "QUERY_STRING": parser.query or ""}
    for key, value in parser.headers.items():
        environ[key if key in ("CONTENT_LENGTH", "CONTENT_TYPE") else f"HTTP_{key}"] = value
    if parser.chunked:  # a Content-Length beside chunked framing means nothing (and smells of smuggling)
        environ.pop("CONTENT_LENGTH", None)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    return environ


def _classes(gate, settings: ServerSettings):
    """The parser, channel and error task of one server, bound to its application's gate."""

    class Parser(HTTPRequestParser):
        refusal: Refusal | None = None

        def parse_header(self, header_plus):
            super().parse_header(header_plus)  # raises on malformed headers: waitress answers 400
            try:
                self.refusal = gate(_environ(self))
            except Exception:  # noqa: BLE001 - runs in the I/O loop, which must never stop
                log.exception("checking the headers of %s %s failed", self.command, self.path)
                self.refusal = Refusal(400, "unreadable request headers")

        def received(self, data):
            had_headers = self.headers_finished
            consumed = super().received(data)
            if had_headers or not self.headers_finished or self.refusal is None:
                return consumed
            if self.error is not None and self.error.code != 413:
                return consumed  # waitress found the request malformed; its own 4xx stands
            # refused from the headers: nothing more is parsed, and the body is dropped as it arrives
            extra = len(data) - consumed
            self.error = _Refused(self.refusal, drop=max(0, self.content_length - extra))
            self.completed, self.expect_continue, self.body_rcv = True, False, None
            return len(data)

    class Task(ErrorTask):
        """Every error the server itself answers is one line of JSON, never a page or a traceback."""

        def execute(self):
            error = self.request.error
            if isinstance(error, _Refused):
                code, message, headers = error.code, error.refusal.message, error.refusal.headers
            else:
                code, message, headers = error.code, f"{error.reason}: {error.body}", {}
            body = json_line({"error": message})
            self.status = status_line(code)
            self.response_headers.extend([("Content-Type", "application/json"), *headers.items()])
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class Channel(HTTPChannel):
        parser_class = Parser
        error_task_class = Task
        _began = 0.0  # when the request now arriving began
        _dropping = 0  # bytes of a refused request's body still to read and throw away
        _lingering = False
        _linger_until = 0.0

        def received(self, data):
            if self._dropping > 0:
                self._dropping -= len(data)
                if self._dropping <= 0 and self._lingering:
                    self._close_now()
                return True
            before = self.request
            done = super().received(data)
            for request in self.requests:
                if isinstance(request.error, _Refused) and request.error.drop:
                    self._dropping = request.error.drop
            if self.request is not None:
                if self.request is not before:
                    self._began = self.last_activity
                else:
                    # a request still arriving: its first byte, not its latest, counts against the timeout,
                    # so a client dripping a byte a second is closed like a silent one
                    self.last_activity = self._began
            return done

        def readable(self):
            if self._lingering:
                if time.time() > self._linger_until:
                    self._close_now()
                    return False
                return True
            return super().readable()

        def writable(self):
            return False if self._lingering else super().writable()

        def handle_close(self):
            if (self._dropping > 0 and not self._lingering and self.connected and not self.requests
                    and not self.total_outbufs_len):
                # the refusal is sent; read the rest of the announced body so the sender gets the answer
                # rather than a reset, for a little while
                self._lingering, self.will_close, self.close_when_flushed = True, False, False
                self._linger_until = time.time() + min(LINGER_LIMIT, settings.timeout)
                try:
                    self.socket.shutdown(socket.SHUT_WR)
                except OSError:
                    self._close_now()
                return
            self._close_now()

        def _close_now(self):
            self._dropping, self._lingering = 0, False
            super().handle_close()

    return Channel


class HttpServer:
    """Listens as soon as it is made (so a taken port fails at once), serves from a background thread."""

    def __init__(self, app: HttpApp, *, host: str, port: int, settings: ServerSettings = ServerSettings()):
        self.app = app
        self.host = host
        self._map: dict = {}
        self._server = create_server(
            app, map=self._map, host=host, port=port, ident="Earful",
            threads=settings.threads, connection_limit=settings.connection_limit,
            channel_timeout=settings.timeout, cleanup_interval=max(1, min(settings.timeout // 3, 10)),
            max_request_body_size=settings.max_body + 1,  # waitress refuses a body of this size or more
            asyncore_use_poll=True,  # select() cannot watch more than 1024 sockets
            expose_tracebacks=False, clear_untrusted_proxy_headers=True)
        channel = _classes(app.gate, settings)
        for server in self._servers():
            server.channel_class = channel
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="http", daemon=True)
        self._thread.start()

    def _servers(self) -> list:
        if isinstance(self._server, MultiSocketServer):  # one per address the host name resolved to
            return [s for s in self._map.values() if hasattr(s, "channel_class")]
        return [self._server]

    @property
    def port(self) -> int:
        if isinstance(self._server, MultiSocketServer):
            return self._server.effective_listen[0][1]
        return self._server.effective_port

    @property
    def url(self) -> str:
        host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(self.host, self.host)
        return f"http://{host}:{self.port}"

    def _serve(self) -> None:
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=0.2, map=self._map, use_poll=True, count=1)
        finally:
            self._server.task_dispatcher.shutdown(timeout=5)
            wasyncore.close_all(self._map)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
