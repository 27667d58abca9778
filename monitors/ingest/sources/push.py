"""Items pushed to Earful's `POST /ingest` (bot/http/push.py) by a scraper, Zapier or n8n: nothing to poll.

The source exists so pushed items have a name, brands and health like any other source, and so its
credentials are configured: params.token_env (a bearer token) and/or params.secret_env (an HMAC secret) name
environment variables; the secrets never sit in the config.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from monitors.ingest.fetch import Fetcher
from monitors.ingest.sources._api import check_keys, env_name
from monitors.ingest.sources.base import PollResult, SourceKind, SourceState

if TYPE_CHECKING:
    from monitors.config import SourceConfig

DEFAULT_PORT = 8787


class PushSource(SourceKind):
    kind = "push"
    description = "items sent to Earful's POST /ingest endpoint (bearer token or HMAC signature)"

    def validate(self, config: "SourceConfig") -> None:
        check_keys(config.params, {"token_env", "secret_env", "port"})
        token_env = env_name(config.params, "token_env")
        secret_env = env_name(config.params, "secret_env")
        if not token_env and not secret_env:
            raise ValueError("params.token_env: missing (name an environment variable holding the bearer token "
                             "senders must present, or set params.secret_env for HMAC-signed requests)")
        port = config.params.get("port", DEFAULT_PORT)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"params.port: {port!r} is not a TCP port (1-65535)")

    def poll(self, fetcher: Fetcher, state: SourceState, *, now: datetime) -> PollResult:
        return PollResult()  # pushed items arrive through the ingest server, not through polls
