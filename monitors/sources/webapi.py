"""What the JSON-API source kinds share: reading params, a JSON answer, auth failures and rate-limit headers.

Kept apart from base.py so the registry's contract stays small; each kind imports only what it uses.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from typing import Any, Mapping

import httpx

from monitors.fetch import ContentError, Fetcher, FetchError, FetchResponse, HTTPStatusError
from monitors.sources.base import require_http_url

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --- params (validate raises ValueError("params.x: ...") so the config loader can say where) -------------

def base_url(url: str, default: str) -> str:
    """The configured API base without a trailing slash, or the platform's own when the config leaves it empty."""
    return (url or default).rstrip("/")


def check_base_url(url: str) -> None:
    if url:
        require_http_url(url, allow_file=False)


def known_params(params: Mapping[str, Any], known: set[str]) -> None:
    """A misspelt key would otherwise be ignored silently."""
    for key in sorted(set(params) - known):
        raise ValueError(f"params.{key}: unknown setting for this kind (known: {', '.join(sorted(known))})")


def required_text(params: Mapping[str, Any], key: str, meaning: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"params.{key}: missing ({meaning})")
    return value.strip()


def optional_text(params: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    value = params.get(key, default)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"params.{key}: must be text")
    return value.strip() if isinstance(value, str) else None


def optional_env_name(params: Mapping[str, Any], key: str) -> str | None:
    """A `*_env` param names an environment variable; the secret itself never sits in the config."""
    value = optional_text(params, key)
    if value and not _ENV_NAME.match(value):
        raise ValueError(f"params.{key}: {value!r} is not an environment variable name (put the secret in the "
                         "environment and its name here, e.g. GITHUB_TOKEN)")
    return value or None


def env_secret(params: Mapping[str, Any], key: str) -> tuple[str | None, str | None]:
    """(secret, warning): the value of the variable params[key] names; a warning when it is named but unset."""
    name = params.get(key)
    if not name:
        return None, None
    value = os.environ.get(str(name), "").strip()
    if not value:
        return None, f"params.{key} names {name}, but that environment variable is empty or unset"
    return value, None


# --- answers ----------------------------------------------------------------------------------------------

def get_json(fetcher: Fetcher, url: str, *, service: str, params: dict | None = None,
             headers: dict | None = None) -> tuple[Any, FetchResponse]:
    response = fetcher.get(url, params=params, headers={"Accept": "application/json", **(headers or {})})
    return decode_json(response.body, service=service, status=response.status), response


def post_json(fetcher: Fetcher, url: str, *, service: str, body: Any,
              headers: dict | None = None) -> tuple[Any, httpx.Headers]:
    """POST a JSON body and read a JSON answer (GraphQL)."""
    response = fetcher.post(url, json=body, headers={"Accept": "application/json", **(headers or {})})
    return decode_json(response.body, service=service, status=response.status), response.headers


def decode_json(body: bytes, *, service: str, status: int | None = None) -> Any:
    if not body.strip():
        raise ContentError(f"{service} sent an empty answer instead of JSON", status=status)
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        start = body[:60].decode("utf-8", "replace").strip()
        raise ContentError(f"{service} answered with something that is not JSON (it starts {start!r}); check the "
                           "source's url, or a proxy may be in the way", status=status) from None


def changed_format(service: str, what: str) -> ContentError:
    """The answer parsed, but not in the shape the API documents: the API changed or the URL is not that API."""
    return ContentError(f"{service} answered in an unexpected format ({what}); the API may have changed, or the "
                        "source's url does not point at it", permanent=True)


def as_list(value: Any, service: str, what: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise changed_format(service, f"{what} is {type(value).__name__}, not a list")
    return value


def as_int(value: Any) -> int:
    """Counts from APIs: a number or a numeric string; anything else counts as 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return 0


def from_epoch(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def iso_z(moment: datetime) -> str:
    """'2026-11-06T10:00:00Z': the form search qualifiers and cursors use."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- failures ---------------------------------------------------------------------------------------------

def refused(exc: HTTPStatusError, service: str, fix: str) -> FetchError:
    """A 401/403 rewritten to say what to change; permanent: retrying will not help until someone acts."""
    return HTTPStatusError(f"{service} refused the request ({exc.status}): {fix}", status=exc.status,
                           retry_after=exc.retry_after, permanent=True)


def with_service(exc: FetchError, service: str) -> FetchError:
    """The same failure, its message prefixed with the platform's name (health lists many sources)."""
    if not exc.message.startswith(service):
        exc.message = f"{service}: {exc.message}"
        exc.args = (exc.message,)
    return exc


def rate_limit_left(headers: Mapping[str, str]) -> int | None:
    value = headers.get("x-ratelimit-remaining")
    return int(value) if value is not None and value.strip().isdigit() else None


def rate_limit_reset(headers: Mapping[str, str], *, now: datetime) -> float | None:
    """Seconds until the window resets, from `x-ratelimit-reset` (epoch seconds), when the header is there."""
    value = headers.get("x-ratelimit-reset")
    if value is None or not value.strip().isdigit():
        return None
    return max(0.0, int(value) - now.timestamp())
