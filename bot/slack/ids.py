"""Every id Earful puts in Block Kit, in one place, and the small JSON value a card's buttons carry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum


class ActionId(StrEnum):
    CLAIM = "earful.claim"
    UNCLAIM = "earful.unclaim"
    RESOLVE = "earful.resolve"
    DISMISS = "earful.dismiss"
    SNOOZE = "earful.snooze"
    OPEN_POST = "earful.open_post"  # a link button still sends an action, which must be acknowledged
    NOTE = "earful.note"
    REPLY_URL = "earful.reply_url"
    ALERT_ACK = "earful.alert_ack"
    ALERT_RESOLVE = "earful.alert_resolve"
    ALERT_MUTE = "earful.alert_mute"


class BlockId(StrEnum):
    CARD_HEAD = "card.head"
    CARD_BODY = "card.body"
    CARD_FACTS = "card.facts"
    CARD_ACTIONS = "card.actions"
    RESOLVE_NOTE = "resolve.note"
    RESOLVE_REPLY = "resolve.reply"
    ALERT_HEAD = "alert.head"
    ALERT_WHY = "alert.why"
    ALERT_POSTS = "alert.posts"
    ALERT_TERMS = "alert.terms"
    ALERT_ACTIONS = "alert.actions"


class CallbackId(StrEnum):
    RESOLVE = "earful.resolve_modal"


# the Snooze menu: label and seconds
SNOOZE_CHOICES = (("1 hour", 3600), ("4 hours", 4 * 3600), ("1 day", 86400))


@dataclass(frozen=True)
class CaseRef:
    """What a button or a modal carries: the case, and for a snooze choice how long."""

    case_id: int
    seconds: int | None = None

    def encode(self) -> str:
        data: dict[str, int] = {"case": self.case_id}
        if self.seconds is not None:
            data["for"] = self.seconds
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str | None) -> "CaseRef":
        """Raises ValueError for anything that is not a value Earful wrote."""
        try:
            data = json.loads(raw or "")
            case_id = data["case"]
            seconds = data.get("for")
        except (json.JSONDecodeError, TypeError, KeyError, AttributeError):
            raise ValueError(f"not a case reference: {raw!r}") from None
        good_seconds = seconds is None or (isinstance(seconds, int) and seconds > 0)
        if not isinstance(case_id, int) or case_id <= 0 or not good_seconds:
            raise ValueError(f"not a case reference: {raw!r}")
        return cls(case_id, seconds)


@dataclass(frozen=True)
class AlertRef:
    """What a spike alert's buttons carry: the alert."""

    alert_id: int

    def encode(self) -> str:
        return json.dumps({"alert": self.alert_id}, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str | None) -> "AlertRef":
        """Raises ValueError for anything that is not a value Earful wrote."""
        try:
            alert_id = json.loads(raw or "")["alert"]
        except (json.JSONDecodeError, TypeError, KeyError):
            raise ValueError(f"not an alert reference: {raw!r}") from None
        if not isinstance(alert_id, int) or isinstance(alert_id, bool) or alert_id <= 0:
            raise ValueError(f"not an alert reference: {raw!r}")
        return cls(alert_id)
