"""Feed dates as aware UTC datetimes: RFC 822 (RSS), RFC 3339 / ISO 8601 (Atom, JSON Feed) and the usual
broken variants. Unparseable means None, never an exception."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from email.utils import parsedate_tz

# zone names seen in the wild that email.utils does not know (it knows UT, GMT, Z and the US zones)
_EXTRA_ZONES = {
    "CET": 1, "CEST": 2, "MET": 1, "MEST": 2, "WET": 0, "WEST": 1, "EET": 2, "EEST": 3, "BST": 1,
    "MSK": 3, "IST": 5.5, "SGT": 8, "HKT": 8, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11,
    "ACST": 9.5, "AWST": 8, "NZST": 12, "NZDT": 13, "HST": -10, "AKST": -9, "AKDT": -8,
}
_TRAILING_ZONE = re.compile(r"\s([A-Za-z]{3,4})\s*$")
_ISO_LIKE = re.compile(r"^\d{4}-?\d{2}")
_FRACTION = re.compile(r"(\.\d{1,6})\d+")  # Python takes at most microseconds
_ZONE_WITHOUT_COLON = re.compile(r"([+-]\d{2})(\d{2})$")
# the shape nearly every RSS feed uses: "Sat, 01 Jun 2024 12:00:00 GMT" / "... +0200"
_RFC822_COMMON = re.compile(
    r"^(?:[A-Za-z]{3},\s*)?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) "
    r"(?:(GMT|UTC|UT|Z)|([+-])(\d{2})(\d{2}))$"
)
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_FALLBACK_FORMATS = (
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%d %b %Y", "%d %B %Y", "%B %d, %Y", "%b %d, %Y",
    "%B %d, %Y %H:%M", "%b %d, %Y %I:%M %p", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y-%m", "%a, %d %b %Y", "%a, %d %B %Y",
)


def parse_date(value: str | None) -> datetime | None:
    """A date string from a feed -> aware UTC datetime, or None. A missing zone is taken as UTC.

    Never raises: a date it cannot make sense of (a zone offset of a day or more, a year out of range) is no
    date, and the entry keeps everything else."""
    try:
        return _parse(value)
    except (ValueError, OverflowError, TypeError):
        return None


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    text = " ".join(value.split())
    if not text or len(text) > 64:
        return None
    parsed = _common(text)
    if parsed is not None:
        return parsed
    if _ISO_LIKE.match(text):
        parsed = _iso(text) or _rfc822(text)
    else:
        parsed = _rfc822(text) or _iso(text)
    parsed = parsed or _fallback(text)
    return None if parsed is None else _as_utc(parsed)


def _common(text: str) -> datetime | None:
    """Fast paths for the two shapes most feeds use; None sends the text to the lenient parsers."""
    if text[0].isdigit():  # ISO 8601 starts with its year; RFC 822 with a weekday or the day of the month
        try:
            return _as_utc(datetime.fromisoformat(text))
        except ValueError:
            pass
    match = _RFC822_COMMON.match(text)
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if month is None:
        return None
    day, year, hour, minute, second, _, sign, zone_hours, zone_minutes = match.group(1, 3, 4, 5, 6, 7, 8, 9, 10)
    offset = (int(zone_hours) * 60 + int(zone_minutes)) * (1 if sign == "+" else -1) if sign else 0
    try:
        parsed = datetime(int(year), month, int(day), int(hour), int(minute), min(int(second), 59),
                          tzinfo=_zone(offset))
    except ValueError:
        return None
    return parsed if offset == 0 else _as_utc(parsed)


@lru_cache(maxsize=256)
def _zone(minutes: int) -> timezone:
    return timezone.utc if minutes == 0 else timezone(timedelta(minutes=minutes))


def _as_utc(parsed: datetime) -> datetime | None:
    """A time without a zone is read as UTC (what feeds mean by it); one that cannot be converted is dropped."""
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


def _iso(text: str) -> datetime | None:
    candidate = text.upper().replace(" T", "T").replace("T ", "T")
    if candidate.endswith(" UTC") or candidate.endswith(" GMT"):
        candidate = candidate[:-4] + "Z"
    candidate = _FRACTION.sub(r"\1", candidate)
    candidate = candidate.replace(" +", "+").replace(" -", "-").replace(" Z", "Z")
    candidate = _ZONE_WITHOUT_COLON.sub(r"\1:\2", candidate) if "T" in candidate or " " in candidate else candidate
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _rfc822(text: str) -> datetime | None:
    extra = None
    match = _TRAILING_ZONE.search(text)
    if match and match.group(1).upper() in _EXTRA_ZONES:
        extra = _EXTRA_ZONES[match.group(1).upper()]
        text = text[: match.start()]
    parts = parsedate_tz(text.replace(",", ", "))
    if parts is None:
        return None
    year, month, day, hour, minute, second = parts[:6]
    offset = parts[9]
    if extra is not None:
        offset = int(extra * 3600)
    try:
        when = datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return None
    return when.replace(tzinfo=timezone(timedelta(seconds=offset or 0)))


def _fallback(text: str) -> datetime | None:
    for layout in _FALLBACK_FORMATS:
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    return None
