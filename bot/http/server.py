"""The one HTTP listener, on waitress: a pure-Python production WSGI server that keeps every connection in one
I/O loop and hands only complete requests to its worker threads, so slow or idle clients hold a socket, never
a thread. It has read timeouts (`channel_timeout`), a connection cap and a body cap enforced while reading.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from waitress import wasyncore
from waitress.server import MultiSocketServer, create_server

from bot.http.app import HttpApp

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000  # the largest body any route accepts (a push batch); Slack's payloads are far smaller


@dataclass(frozen=True)
class ServerSettings:
    threads: int = 4
    connection_limit: int = 1000
    timeout: int = 30  # seconds a connection may stay silent, or take to send one request, before it is closed
    max_body: int = MAX_BODY


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
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="http", daemon=True)
        self._thread.start()

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
