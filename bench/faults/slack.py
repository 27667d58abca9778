"""The Slack Web API emulator with the faults a real Slack has, and hooks to kill a worker mid-post.

Each worker gets a bot token of its own (`xoxb-w1` ...), so the stand-in knows who calls. Faults:
- a rate limit per channel on every write (a token bucket; beyond it 429 with Retry-After);
- random 500s and random lost answers (the post is made, the answer never comes) and late answers;
- a 429 storm (every call refused for a while), and an outage switch (every call 503) for minutes;
- `arm_kill("post")` kills the next worker that posts before the post is made; `arm_kill("record")` kills it
  after the post is made and before the answer leaves, so the post happened and nothing was recorded.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from tests.fixtures.slack_emulator import BOT_TOKEN, SlackEmulator

WRITES = {"chat.postMessage", "chat.update", "files.completeUploadExternal"}


@dataclass
class Bucket:
    rate: float
    burst: float
    tokens: float = 0.0
    at: float = 0.0

    def take(self, now: float) -> bool:
        if not self.at:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class Weather:
    """How bad Slack is right now; the suite changes it as the run goes."""

    rate: float = 3.0            # writes per second per channel, beyond the burst
    burst: float = 6.0
    error_rate: float = 0.0      # share of calls answered 500 before anything is done
    lost_rate: float = 0.0       # share of posts made whose answer is lost
    late_rate: float = 0.0       # share of calls answered late (2 to 8 s)
    storm_until: float = 0.0     # every call 429 until then
    outage_until: float = 0.0    # every call 503 until then

    def calm(self) -> None:
        self.error_rate = self.lost_rate = self.late_rate = 0.0
        self.storm_until = self.outage_until = 0.0


class FaultySlack(SlackEmulator):
    def __init__(self, workers: list[str], *, seed: int = 11):
        super().__init__(hang_seconds=2.0)
        self.worker_tokens = {f"xoxb-{name}": name for name in workers}
        self.weather = Weather()
        self.counts: Counter[str] = Counter()
        self.kill: Callable[[str], None] = lambda worker: None
        self._armed: list[str] = []
        self._buckets: dict[str, Bucket] = {}
        self._random = random.Random(seed)
        self._fault_lock = threading.Lock()

    def token_for(self, worker: str) -> str:
        return f"xoxb-{worker}"

    def arm_kill(self, phase: str) -> None:
        with self._fault_lock:
            self._armed.append(phase)

    def armed(self) -> bool:
        with self._fault_lock:
            return bool(self._armed)

    def serve(self, method: str, params: dict[str, Any], headers: dict[str, str]):
        worker = self.worker_tokens.get(headers.get("authorization", "")[len("Bearer "):], "?")
        if worker != "?":
            headers = {**headers, "authorization": f"Bearer {BOT_TOKEN}"}
        refusal = self._refusal(method, params)
        if refusal is not None:
            return refusal
        phase = self._take_kill(method)
        if phase == "post":
            self.counts["killed before a post"] += 1
            self.kill(worker)
            return 0, {}, None
        late = self._roll("late_rate")
        status, extra, body = super().serve(method, params, headers)
        if phase == "record" and body and body.get("ok"):
            self.counts["killed after a post, before it was recorded"] += 1
            self.kill(worker)
            return 0, {}, None
        if method == "chat.postMessage" and body and body.get("ok") and self._roll("lost_rate"):
            self.counts["lost answers (post made)"] += 1
            return 0, {}, None
        if late:
            self.counts["late answers"] += 1
            time.sleep(self._random.uniform(2, 8))
        return status, extra, body

    def _refusal(self, method: str, params: dict[str, Any]):
        now = time.monotonic()
        weather = self.weather
        if now < weather.outage_until:
            self.counts["outage answers (503)"] += 1
            return 503, {}, None
        if now < weather.storm_until:
            self.counts["429 storm answers"] += 1
            return 429, {"Retry-After": "3"}, {"ok": False, "error": "ratelimited"}
        if self._roll("error_rate"):
            self.counts["500s"] += 1
            return 500, {}, None
        if method in WRITES:
            key = str(params.get("channel") or params.get("channel_id") or "")
            with self._fault_lock:
                bucket = self._buckets.setdefault(key, Bucket(weather.rate, weather.burst))
                allowed = bucket.take(now)
            if not allowed:
                self.counts["429 rate limit answers"] += 1
                return 429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
        return None

    def _take_kill(self, method: str) -> str | None:
        if method != "chat.postMessage":
            return None
        with self._fault_lock:
            return self._armed.pop(0) if self._armed else None

    def _roll(self, rate_name: str) -> bool:
        rate = getattr(self.weather, rate_name)
        with self._fault_lock:
            return rate > 0 and self._random.random() < rate

    # -- what came out --------------------------------------------------------------------------------------

    def keyed_messages(self) -> list[tuple[str, dict[str, Any]]]:
        """(channel name, message) for every message that carries Earful's dedupe key."""
        found = []
        with self._lock:
            for channel in self.channels.values():
                for message in channel.messages:
                    payload = (message.get("metadata") or {}).get("event_payload") or {}
                    if payload.get("key"):
                        found.append((channel.name, message))
        return found
