"""Feed dates as aware UTC datetimes. Unparseable means None, never an exception.

Read, in this order: RFC 3339 / ISO 8601 and W3CDTF (complete, reduced and ordinal forms, ISO 8601:1988's
two-digit-year forms, MSSQL's space-separated variant, month names in place of numbers); the two Korean
blog-engine formats; and the RFC 822 / 2822 family (RSS), which also takes its usual relatives: asctime,
month before day, a comma after the month, a weekday before a slash date, day and month names in English,
Portuguese, Spanish, French, German, Italian, Dutch, Greek and Hungarian, zones by name (RFC 822's, the tz
database's) or number. A date with anything it cannot account for (a malformed zone, trailing words, an
impossible day) is no date, rather than a guessed one."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_LENGTH = 100

# --- names ---------------------------------------------------------------------------------------------

# Full month names per language, January first; every unambiguous prefix of 3+ letters is accepted too
# (Jan, Sept, févr, Dez, juil, márc ...). Names are compared without accents and case.
_MONTH_NAMES = (
    "january february march april may june july august september october november december",  # en
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",  # pt
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",  # es
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",  # fr
    "januar februar märz april mai juni juli august september oktober november dezember",  # de
    "jänner feber märz april mai juni juli august september oktober november dezember",  # de-AT
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",  # it
    "januari februari maart april mei juni juli augustus september oktober november december",  # nl
    "ιανουάριος φεβρουάριος μάρτιος απρίλιος μάιος ιούνιος ιούλιος αύγουστος σεπτέμβριος οκτώβριος "
    "νοέμβριος δεκέμβριος",  # el, nominative
    "ιανουαρίου φεβρουαρίου μαρτίου απριλίου μαΐου ιουνίου ιουλίου αυγούστου σεπτεμβρίου οκτωβρίου "
    "νοεμβρίου δεκεμβρίου",  # el, genitive (as in "11 Ιουλίου 2004")
    "január február március április május június július augusztus szeptember október november december",  # hu
)
# abbreviations that are not prefixes of the names above
_MONTH_ABBREVIATIONS = {
    "mrz": 3, "mrt": 3, "sep": 9, "sept": 9, "μαη": 5, "μαι": 5, "ιουν": 6, "ιουλ": 7,
}
_WEEKDAY_NAMES = (
    "monday tuesday wednesday thursday friday saturday sunday",  # en
    "segunda-feira terça-feira quarta-feira quinta-feira sexta-feira sábado domingo",  # pt
    "lunes martes miércoles jueves viernes sábado domingo",  # es
    "lundi mardi mercredi jeudi vendredi samedi dimanche",  # fr
    "montag dienstag mittwoch donnerstag freitag samstag sonntag sonnabend",  # de
    "lunedì martedì mercoledì giovedì venerdì sabato domenica",  # it
    "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",  # nl
    "δευτέρα τρίτη τετάρτη πέμπτη παρασκευή σάββατο κυριακή",  # el
    "hétfő kedd szerda csütörtök péntek szombat vasárnap",  # hu
)
# short forms that are not 2+-letter prefixes of the names above
_WEEKDAY_ABBREVIATIONS = ("tues", "thur", "thurs", "seg", "ter", "qua", "qui", "sex", "sab", "dom", "cs", "v")


def _fold(word: str) -> str:
    """Lower case without accents or a trailing full stop: 'Févr.' -> 'fevr', 'Ιούλ' -> 'ιουλ'."""
    decomposed = unicodedata.normalize("NFKD", word.casefold().rstrip("."))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _month_table() -> dict[str, int]:
    candidates: dict[str, set[int]] = {}
    for line in _MONTH_NAMES:
        for number, name in enumerate(line.split(), start=1):
            name = _fold(name)
            for end in range(3, len(name) + 1):
                candidates.setdefault(name[:end], set()).add(number)
    table = {prefix: months.pop() for prefix, months in candidates.items() if len(months) == 1}
    table.update(_MONTH_ABBREVIATIONS)
    return table


def _weekday_table() -> frozenset[str]:
    words = set(_WEEKDAY_ABBREVIATIONS)
    for line in _WEEKDAY_NAMES:
        for name in line.split():
            name = _fold(name)
            words.update(name[:end] for end in range(2, len(name) + 1))
            words.update(name.split("-")[0][:end] for end in range(2, len(name.split("-")[0]) + 1))
    return frozenset(words)


_MONTHS = _month_table()
_WEEKDAYS = _weekday_table()

# RFC 822 zones, the US ones (RFC 822 5.1) with the generic AT/ET/CT/MT/PT read as standard time, and names
# common in feeds; hours east of UTC.
_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "ETC/GMT": 0, "ETC/UTC": 0, "WET": 0,
    "AST": -4, "ADT": -3, "AT": -4, "EST": -5, "EDT": -4, "ET": -5, "CST": -6, "CDT": -5, "CT": -6,
    "MST": -7, "MDT": -6, "MT": -7, "PST": -8, "PDT": -7, "PT": -8, "AKST": -9, "AKDT": -8, "HST": -10,
    "HDT": -9, "NST": -3.5, "NDT": -2.5,
    "CET": 1, "CEST": 2, "MET": 1, "MEST": 2, "WEST": 1, "EET": 2, "EEST": 3, "BST": 1, "MSK": 3,
    "IST": 5.5, "SGT": 8, "HKT": 8, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "ACST": 9.5, "ACDT": 10.5,
    "AWST": 8, "NZST": 12, "NZDT": 13,
}
_NUMERIC_ZONE = re.compile(r"(?:GMT|UTC|UT)?([+-])(\d{1,2})(?::?(\d{2}))?")
_KST = 9 * 60

# --- shapes ----------------------------------------------------------------------------------------------

# the shape nearly every RSS feed uses: "Sat, 01 Jun 2024 12:00:00 GMT" / "... +0200"; a fast path only
_RFC822_COMMON = re.compile(
    r"^(?:[A-Za-z]{3},\s*)?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) "
    r"(?:(GMT|UTC|UT|Z)|([+-])(\d{2})(\d{2}))$"
)
_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
_WORD = r"[^\W\d_]+\.?"
# ISO 8601 / W3CDTF. Dates: YYYY, YYYY-MM, YYYY-MM-DD, YYYYMMDD, YYYY-DDD, YYYYDDD, YYYY-Www[-D], and
# ISO 8601:1988's YYMMDD, YY-MM-DD, YYDDD, -YYMM, -YY-MM, -YY-MM-DD; a month may be written out (seen in
# Hungarian feeds) or carry a stray leading zero (Google's "2003-012-31").
_ISO = re.compile(
    r"^(?:(?P<year>\d{4})(?:-(?P<month>0?\d{2}|[^\W\d_]+)(?:-(?P<day>\d{1,2}))?|-?(?P<ordinal>\d{3})"
    r"|-?W(?P<week>\d{2})(?:-?(?P<weekday>[1-7]))?|(?P<cmonth>\d{2})(?P<cday>\d{2}))?"
    r"|-(?P<syear>\d{2})-?(?P<smonth>\d{2})(?:-(?P<sday>\d{2}))?"
    r"|(?P<yy>\d{2})(?:-?(?P<mm>\d{2})-?(?P<dd>\d{2})|(?P<yordinal>\d{3})))"
    r"(?:(?:T|\s+)(?P<hour>\d{1,2})(?::?(?P<minute>\d{2})(?::?(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?)?"
    r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?$",
    re.IGNORECASE,
)
# "2004-05-25 오후 11:23:17" (Nate) and "2004년 05월 28일 01:31:15" (OnBlog): Korean time unless a zone says
_KOREAN = re.compile(
    r"^(?P<year>\d{4})(?:-|\s*년\s*)(?P<month>\d{1,2})(?:-|\s*월\s*)(?P<day>\d{1,2})(?:\s*일)?"
    r"(?:\s*\(\w\))?(?:\s*(?P<half>오전|오후))?(?:\s*" + _TIME + r")?$"
)
# RFC 822 and relatives, after comments and commas have been taken out: an optional weekday, then the date as
# day-month-year ("1 Jun 2024", "01-Jun-24", "1. Juni 2024", "1 de junho de 2024"), month-day-year
# ("Jun 1 2024", "June 1st 2024"), month-day with the year after the time (asctime), year-month-day with
# names ("2004. július 13.") or with slashes (Perforce), or day.month.year; then an optional time, zone.
_RFC822 = re.compile(
    r"^(?:(?P<weekday>" + _WORD + r")\s+)?"
    r"(?:(?P<day1>\d{1,2})(?:st|nd|rd|th|er|o|º)?\.?(?:\s+de\s+|\s+|-)(?P<month1>" + _WORD + r")"
    r"(?:\s+de\s+|\s+|-)(?P<year1>\d{2,4})"
    r"|(?P<month2>" + _WORD + r")\s+(?P<day2>\d{1,2})(?:st|nd|rd|th)?(?:\s+(?P<year2>\d{4}))?"
    r"|(?P<year3>\d{4})\.?\s+(?P<month3>" + _WORD + r")\s+(?P<day3>\d{1,2})\.?"
    r"|(?P<year4>\d{4})/(?P<month4>\d{1,2})/(?P<day4>\d{1,2})"
    r"|(?P<day5>\d{1,2})\.(?P<month5>\d{1,2})\.(?P<year5>\d{4}))"
    r"(?:\s+(?:at\s+|um\s+|à\s+|a\s+las\s+|às\s+)?" + _TIME +
    r"(?:\s*(?P<half>[ap])\.?m\.?)?)?"
    r"(?:\s+(?P<zone>[^\s\d]\S*))?"
    r"(?:\s+(?P<year6>\d{4}))?$",
    re.IGNORECASE,
)
_GOOD_ZONE_TAIL = re.compile(r"[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?$")
_COMMENT = re.compile(r"\s*\([^()]*\)")


def parse_date(value: str | None) -> datetime | None:
    """A date string from a feed -> aware UTC datetime, or None. A missing zone is taken as UTC.

    Never raises: a date it cannot make sense of (a zone offset of a day or more, a year out of range) is no
    date, and the entry keeps everything else."""
    try:
        return _parse(value)
    except Exception:  # noqa: BLE001 - a date the rules missed costs that date, never the entry or the feed
        return None


def _parse(value: str | None) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    text = " ".join(value.split())
    if not text or len(text) > MAX_LENGTH:
        return None
    parsed = _common(text)
    if parsed is not None:
        return parsed
    if text[0].isdigit() or text[0] == "-":
        parsed = _iso(text) or _korean(text)
    return parsed or _rfc822(text)


def _common(text: str) -> datetime | None:
    """Fast paths for the two shapes most feeds use; None sends the text to the full parsers."""
    # RFC 3339 as Python reads it; only a date with a time, as Python also takes "2013-01-27-01" for a zone
    if text[0].isdigit() and text[4:5] == "-" and (len(text) == 10 or len(text) >= 16 and text[10] in "T "):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            parsed = None
        # Python folds "+01:60" into +02:00; such a zone goes to the strict parser, which refuses it
        if parsed is not None and (parsed.tzinfo is None or text[-1] in "Zz" or _GOOD_ZONE_TAIL.search(text)):
            return _as_utc(parsed)
    match = _RFC822_COMMON.match(text)
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if month is None:
        return None
    day, year, hour, minute, second, _, sign, zone_hours, zone_minutes = match.group(1, 3, 4, 5, 6, 7, 8, 9, 10)
    if int(zone_minutes or 0) >= 60 or int(zone_hours or 0) >= 24:
        return None
    offset = (int(zone_hours) * 60 + int(zone_minutes)) * (1 if sign == "+" else -1) if sign else 0
    return _build(int(year), month, int(day), int(hour), int(minute), int(second), None, offset)


# --- building ------------------------------------------------------------------------------------------

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


def _build(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
           fraction: str | None = None, offset: int = 0) -> datetime | None:
    """Checked fields -> UTC. 24:00:00 is the end of the day (ISO 8601) and second 60 a leap second."""
    if not (0 <= minute <= 59 and 0 <= second <= 60 and 0 <= hour <= 24):
        return None
    end_of_day = hour == 24
    if end_of_day and (minute or second or (fraction and int(fraction))):
        return None
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    when = datetime(year, month, day, 0 if end_of_day else hour, minute, min(second, 59), micro,
                    tzinfo=_zone(offset))
    if end_of_day:
        when += timedelta(days=1)
    return when if offset == 0 else _as_utc(when)


def _year(digits: str) -> int:
    """RFC 2822 4.3: a two-digit year 00-49 is 20xx, 50-99 is 19xx; three digits are counted from 1900."""
    year = int(digits)
    if len(digits) == 2:
        return year + (2000 if year < 50 else 1900)
    if len(digits) == 3:
        return year + 1900
    return year


def _offset(zone: str | None) -> int | None:
    """Minutes east of UTC; None for a zone that is not one. A name no one knows is UTC (RFC 2822 4.3)."""
    if not zone:
        return 0
    upper = zone.upper()
    if upper in _ZONES:
        return int(_ZONES[upper] * 60)
    match = _NUMERIC_ZONE.fullmatch(upper)
    if match:
        sign, hours, minutes = match.groups()
        if int(hours) >= 24 or int(minutes or 0) >= 60:
            return None
        return (int(hours) * 60 + int(minutes or 0)) * (-1 if sign == "-" else 1)
    # RFC 2822 4.3: military zones and unknown alphabetic names carry no information: read as UTC
    if zone.isascii() and zone.isalpha() and zone.isupper() and len(zone) <= 5:
        return 0
    return None


def _tz_offset(name: str, year: int, month: int | None, day: int, hour: int) -> int | None:
    """An IANA zone name ("Europe/Berlin"): its offset at that local time, if this machine knows the zone."""
    try:
        local = datetime(year, month or 1, day, min(hour, 23), tzinfo=ZoneInfo(name))
        return int(local.utcoffset().total_seconds() // 60)
    except (ValueError, KeyError, OSError, TypeError, ZoneInfoNotFoundError):
        return None


def _month(word: str) -> int | None:
    if word.isdigit():
        number = int(word)
        return number if 1 <= number <= 12 else None
    return _MONTHS.get(_fold(word))


# --- the parsers ---------------------------------------------------------------------------------------

def _iso(text: str) -> datetime | None:
    match = _ISO.match(text)
    if match is None:
        return None
    g = match.groupdict()
    zone = (g["zone"] or "").upper()
    offset = 0 if zone in ("", "Z", "UTC", "GMT") else _offset(zone)
    if offset is None:
        return None
    hour, minute, second = (int(g[k]) if g[k] else 0 for k in ("hour", "minute", "second"))
    time = (hour, minute, second, g["fraction"], offset)
    if g["year"]:
        year = int(g["year"])
        if g["ordinal"]:
            return _from_ordinal(year, int(g["ordinal"]), time)
        if g["week"]:
            return _from_week(year, int(g["week"]), int(g["weekday"] or 1), time)
        month_text, day_text = (g["month"], g["day"]) if g["month"] else (g["cmonth"], g["cday"])
        month = _month(month_text) if month_text else 1
        if month is None:
            return None
        return _build(year, month, int(day_text or 1), *time)
    if g["syear"]:
        return _build(_year(g["syear"]), int(g["smonth"]), int(g["sday"] or 1), *time)
    year = _year(g["yy"])
    if g["yordinal"]:
        return _from_ordinal(year, int(g["yordinal"]), time)
    return _build(year, int(g["mm"]), int(g["dd"]), *time)


def _from_ordinal(year: int, ordinal: int, time: tuple) -> datetime | None:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= ordinal <= (366 if leap else 365):
        return None
    day = datetime(year, 1, 1) + timedelta(days=ordinal - 1)
    return _build(day.year, day.month, day.day, *time)


def _from_week(year: int, week: int, weekday: int, time: tuple) -> datetime | None:
    try:
        day = datetime.fromisocalendar(year, week, weekday)
    except ValueError:
        return None
    return _build(day.year, day.month, day.day, *time)


def _twelve_hour(hour: int, half: str | None, pm: bool) -> int | None:
    """'11' with PM -> 23; '12' with AM -> 0; a 24-hour time needs no half."""
    if half is None:
        return hour
    if not 1 <= hour <= 12:
        return None
    return hour % 12 + (12 if pm else 0)


def _korean(text: str) -> datetime | None:
    match = _KOREAN.match(text)
    if match is None:
        return None
    g = match.groupdict()
    hour = _twelve_hour(int(g["hour"] or 0), g["half"], g["half"] == "오후")
    if hour is None:
        return None
    return _build(int(g["year"]), int(g["month"]), int(g["day"]), hour, int(g["minute"] or 0),
                  int(g["second"] or 0), g["fraction"], _KST)


def _rfc822(text: str) -> datetime | None:
    text = _COMMENT.sub("", text).replace(",", " ")
    text = " ".join(text.split())
    match = _RFC822.match(text)
    if match is None:
        return None
    g = match.groupdict()
    if g["weekday"] and _fold(g["weekday"]) not in _WEEKDAYS:
        return None
    for n in "12345":
        if g["day" + n]:
            day, month_text, year_text = g["day" + n], g["month" + n], g["year" + n]
            break
    if bool(year_text) == bool(g["year6"]):  # exactly one year: before the time, or after it (asctime)
        return None
    year_text = year_text or g["year6"]
    if not (len(year_text) == 4 or (len(year_text) in (2, 3) and g["day1"])):
        return None
    month = _month(month_text)
    hour = int(g["hour"] or 0)
    if g["half"]:
        hour = _twelve_hour(hour, g["half"], g["half"].lower() == "p")
    zone = g["zone"]
    offset = _offset(zone) if zone is None or "/" not in zone or zone.upper() in _ZONES else _tz_offset(
        zone, _year(year_text), month, int(day), hour or 0)
    if month is None or offset is None or hour is None:
        return None
    return _build(_year(year_text), month, int(day), hour, int(g["minute"] or 0), int(g["second"] or 0),
                  g["fraction"], offset)
