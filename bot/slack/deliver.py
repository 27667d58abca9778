"""The Slack Deliverer: the outbox's posts and updates as Web API calls, and Slack's failures as DeliveryErrors
the dispatcher knows how to wait out."""

from __future__ import annotations

import http.client
import logging
import re
import socket
import urllib.error
from datetime import datetime
from typing import Any, Iterator

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.messages.cards import Message
from bot.outbox.delivery import DeliveryError

log = logging.getLogger(__name__)

METADATA_EVENT = "earful_outbox"
HISTORY_PAGE = 200  # messages per page when looking for an earlier try (Slack's advice for history calls)

# retrying cannot help: the message itself is wrong, or its target is gone
PERMANENT = {
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments",
    "message_not_found", "cant_update_message", "edit_window_closed", "is_archived", "invalid_metadata_format",
    "invalid_metadata_schema", "metadata_too_large", "invalid_arguments", "thread_not_found",
}
# a person must act (invite the bot, fix the token or the scopes); the first group stops one channel
CHANNEL_BLOCKED = {"channel_not_found", "not_in_channel", "restricted_action", "restricted_action_thread_only"}
APP_BLOCKED = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive",
               "missing_scope", "no_permission", "team_access_not_granted", "ekm_access_denied"}
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{4,}$")

NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, socket.timeout, TimeoutError, ConnectionError,
                  OSError)


def make_client(token: str, *, base_url: str | None = None, timeout: int = 10) -> WebClient:
    """A WebClient that never retries by itself: a silent retry of a post whose answer was lost is a duplicate,
    so retries belong to the outbox, which checks first."""
    kwargs: dict[str, Any] = {"token": token, "timeout": timeout, "retry_handlers": []}
    if base_url:
        kwargs["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    return WebClient(**kwargs)


def as_delivery_error(exc: Exception) -> DeliveryError:
    if isinstance(exc, SlackApiError):
        response = exc.response
        error = str(response.get("error", "")) if isinstance(response.data, dict) else ""
        if response.status_code == 429:
            retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after") or "1"
            try:
                seconds = max(1.0, float(retry_after))
            except ValueError:
                seconds = 30.0
            return DeliveryError(f"Slack rate limit: retry after {seconds:g}s", retry_after=seconds)
        if response.status_code >= 500:
            return DeliveryError(f"Slack answered HTTP {response.status_code}", outage=True)
        if error in PERMANENT:
            detail = "; ".join(response.get("errors", []) or []) if isinstance(response.data, dict) else ""
            return DeliveryError(f"Slack refused the message: {error} {detail}".strip(), permanent=True)
        if error in CHANNEL_BLOCKED:
            return DeliveryError(f"Slack: {error} (invite the bot to the channel, or fix the channel name)",
                                 blocked=True)
        if error in APP_BLOCKED:
            return DeliveryError(f"Slack: {error} (check SLACK_BOT_TOKEN and the app's scopes)", blocked=True,
                                 everything=True)
        return DeliveryError(f"Slack: {error or 'HTTP ' + str(response.status_code)}")
    return DeliveryError(f"cannot reach Slack: {type(exc).__name__}: {exc}", outage=True)


class SlackDeliverer:
    def __init__(self, client: WebClient):
        self.client = client
        self._channel_ids: dict[str, str] = {}
        self._workspace_url: str | None = None

    def post(self, *, channel: str, message: Message, thread_ts: str | None = None) -> tuple[str, str]:
        args: dict[str, Any] = {"channel": channel, "text": message.text, "unfurl_links": False,
                                "unfurl_media": False}
        if message.blocks:
            args["blocks"] = message.blocks
        if thread_ts:
            args["thread_ts"] = thread_ts
        if message.key:
            args["metadata"] = {"event_type": METADATA_EVENT, "event_payload": {"key": message.key}}
        response = self._call("chat_postMessage", **args)
        channel_id = response["channel"]
        self._channel_ids[channel.lstrip("#")] = channel_id
        return channel_id, response["ts"]

    def update(self, *, channel: str, ts: str, message: Message) -> None:
        args: dict[str, Any] = {"channel": self.channel_id(channel), "ts": ts, "text": message.text}
        if message.blocks:
            args["blocks"] = message.blocks
        self._call("chat_update", **args)

    def upload_file(self, *, channel: str, thread_ts: str | None, filename: str, content: bytes,
                    title: str) -> str:
        """Upload with Slack's files upload v2 flow (get an upload URL, send the bytes, complete the upload into
        the channel or thread); returns the file id."""
        try:
            response = self._call("files_upload_v2", channel=self.channel_id(channel), thread_ts=thread_ts,
                                  filename=filename, content=content, title=title, alt_txt=title[:1000])
        except SlackRequestError as exc:  # the bytes did not reach the upload URL
            raise DeliveryError(f"file upload failed: {exc}") from exc
        uploaded = response.get("file") or (response.get("files") or [{}])[0]
        return str(uploaded.get("id", ""))

    def find_file(self, *, channel: str, thread_ts: str, filename: str,
                  since: datetime | None = None) -> str | None:
        """A file an earlier try (made after `since`) already put in the thread, or None."""
        try:
            for message in self._since(self.channel_id(channel), thread_ts, since):
                for item in message.get("files") or []:
                    name = item.get("name") if isinstance(item, dict) else None
                    if name in (None, filename):
                        return str(item.get("id") if isinstance(item, dict) else item)
        except DeliveryError as exc:
            if not (exc.blocked or exc.permanent):
                raise
        return None

    @property
    def workspace_url(self) -> str | None:
        """The workspace's address (from auth.test), for links to messages; None when it cannot be learned."""
        if self._workspace_url is None:
            try:
                self._workspace_url = str(self._call("auth_test").get("url") or "")
            except DeliveryError:
                return None
        return self._workspace_url or None

    def find_posted(self, *, channel: str, key: str, thread_ts: str | None = None,
                    since: datetime | None = None) -> tuple[str, str] | None:
        """The message an earlier try (made after `since`) posted under `key`, if it reached Slack.

        Every message since then is read, page by page, however many came after the try; a thread is read to its
        newest reply.

        When Slack is down or rate limiting, the search fails like the post would (try again later). When the
        search itself is not allowed (no history scope, bot not in the channel), it answers None and the caller
        posts: better a rare duplicate than a lost card."""
        try:
            channel_id = self.channel_id(channel)
            for message in self._since(channel_id, thread_ts, since):
                metadata = message.get("metadata") or {}
                if metadata.get("event_type") == METADATA_EVENT and \
                        (metadata.get("event_payload") or {}).get("key") == key:
                    return channel_id, message["ts"]
        except DeliveryError as exc:
            if not (exc.blocked or exc.permanent):
                raise
            log.warning("cannot look for an earlier post of %s (%s); posting", key, exc)
        return None

    def _since(self, channel_id: str, thread_ts: str | None, since: datetime | None) -> Iterator[dict[str, Any]]:
        """Every message of a channel (newest first) or a thread (oldest first) from `since` on (everything
        without it), following Slack's cursor to the end: a bound by time, never by count."""
        args: dict[str, Any] = {"channel": channel_id, "include_all_metadata": True, "limit": HISTORY_PAGE}
        if since is not None:
            args.update(oldest=f"{since.timestamp():.6f}", inclusive=True)
        method = "conversations_history"
        if thread_ts:
            method, args["ts"] = "conversations_replies", thread_ts
        while True:
            response = self._call(method, **args)
            yield from response.get("messages", [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return
            args["cursor"] = cursor

    def channel_id(self, channel: str) -> str:
        """Slack wants ids for updates and history; config may name channels ('#earful-support')."""
        if _CHANNEL_ID.match(channel):
            return channel
        name = channel.lstrip("#")
        if name not in self._channel_ids:
            for found in self._channels():
                self._channel_ids[found["name"]] = found["id"]
        if name not in self._channel_ids:
            raise DeliveryError(f"Slack: channel_not_found ({channel})", blocked=True)
        return self._channel_ids[name]

    def _channels(self) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            response = self._call("conversations_list", types="public_channel,private_channel",
                                  exclude_archived=True, limit=1000, cursor=cursor)
            yield from response.get("channels", [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def _call(self, method: str, **args: Any):
        try:
            return getattr(self.client, method)(**args)
        except SlackApiError as exc:
            raise as_delivery_error(exc) from exc
        except NETWORK_ERRORS as exc:
            raise as_delivery_error(exc) from exc
