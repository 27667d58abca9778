"""The triage commands, parsed (pure): shared by `/earful` in Slack and the console backend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from monitors.config import parse_duration

HELP = """Commands:
  queue [brand]        open cases, most urgent first
  mine                 the cases you have claimed
  claim ID             take a case
  unclaim ID           put a case back in the queue
  resolve ID [note]    close a case (claimer or manager)
  dismiss ID [note]    not a complaint (managers); kept as feedback for the detector
  snooze ID 4h         hide a case for a while (1h, 4h, 1d, ...); it reopens itself
  responded ID URL     record your public reply (its link); stops the case's response clock
  complaint LINK       a post Earful missed is a complaint (its link, or m123 for mention 123): opens its case
  stats                case counts, and response times of the last 7 days per brand and agent
  digest [brand]       yesterday's digest, just for you
  help                 this text"""

NEEDS_ID = {"claim", "unclaim", "resolve", "dismiss", "snooze", "responded"}
NO_ARGS = {"mine", "stats", "help"}
MAX_SNOOZE = timedelta(days=30)


class CommandError(ValueError):
    """Bad input; the message says what to type instead."""


@dataclass(frozen=True)
class Command:
    verb: str
    case_id: int | None = None
    note: str | None = None
    snooze: timedelta | None = None
    brand: str | None = None
    url: str | None = None  # `responded`: where the public reply is; `complaint`: the post's link
    mention_id: int | None = None  # `complaint m123`


def parse_command(line: str) -> Command:
    words = line.strip().split()
    if not words:
        return Command("help")
    verb, rest = words[0].lower(), words[1:]
    if verb in NO_ARGS:
        return Command(verb)
    if verb in ("queue", "digest"):
        return Command(verb, brand=" ".join(rest) or None)
    if verb == "complaint":
        return _complaint(rest)
    if verb not in NEEDS_ID:
        raise CommandError(f"unknown command {words[0]!r}; try `help`")
    if not rest:
        raise CommandError(f"`{verb}` needs a case number, e.g. `{verb} 12`")
    case_id = _case_id(rest[0])
    if verb in ("claim", "unclaim") and len(rest) > 1:  # `claim 3 4` must not quietly take only #3
        raise CommandError(f"`{verb}` takes one case number; for several, one at a time: `{verb} {case_id}`, "
                           f"then `{verb} {rest[1].lstrip('#')}`")
    if verb == "responded":
        return Command("responded", case_id=case_id, url=reply_url(rest[1] if len(rest) > 1 else None))
    if verb == "snooze":
        if len(rest) < 2:
            raise CommandError("`snooze` needs a duration, e.g. `snooze 12 4h`")
        try:
            length = timedelta(seconds=parse_duration(rest[1]))
        except ValueError:
            raise CommandError(f"{rest[1]!r} is not a duration; use e.g. 30m, 4h or 1d") from None
        if length > MAX_SNOOZE:
            raise CommandError("snooze for 30 days at most")
        return Command("snooze", case_id=case_id, snooze=length)
    note = " ".join(rest[1:]).strip() or None
    return Command(verb, case_id=case_id, note=note)


def _complaint(rest: list[str]) -> Command:
    if not rest:
        raise CommandError("`complaint` needs the post's link (or m123 for mention 123), e.g. `complaint https://...`")
    word = rest[0].strip("<>").split("|", 1)[0]
    if word.lower().startswith("m") and word[1:].isdigit() and int(word[1:]) > 0:
        return Command("complaint", mention_id=int(word[1:]))
    parts = urlsplit(word)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CommandError(f"{rest[0]!r} is neither a post's link nor a mention number like m123")
    return Command("complaint", url=word)


def reply_url(word: str | None) -> str:
    """The link to a public reply: http(s) with a host, as Slack may wrap it in <...>."""
    if not word:
        raise CommandError("`responded` needs the link to your reply, e.g. `responded 12 https://...`")
    url = word.strip().strip("<>").split("|", 1)[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise CommandError(f"{word!r} is not a link to a reply; paste the reply's http(s) URL")
    return url


def _case_id(word: str) -> int:
    digits = word.lstrip("#")
    if not digits.isdigit() or int(digits) <= 0:
        raise CommandError(f"{word!r} is not a case number (cards show it as #12)")
    return int(digits)
