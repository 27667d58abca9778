"""Feed dates, case by case. Each case is written from the format's own documentation: RFC 822 section 5,
RFC 1123 5.2.14, RFC 2822 section 3.3 and 4.3 (obsolete forms), RFC 2616 3.3.1 (RFC 850 and asctime), RFC 3339
section 5.6 and 5.8, ISO 8601 (complete, reduced, ordinal and week dates; the 1988 edition's two-digit-year
forms), the W3C's Date and Time Formats note (W3CDTF), and the formats feedparser's documentation lists
(Korean, Greek, Hungarian, MSSQL, Perforce). Expected values are UTC."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from monitors.ingest.feedparse.dates import parse_date

# --- RFC 822 / RFC 1123 / RFC 2822 --------------------------------------------------------------------------
RFC822 = [
    ("Tue, 15 Nov 1994 08:12:31 GMT", "1994-11-15T08:12:31"),  # RFC 1123: 4-digit year
    ("Tue, 15 Nov 94 08:12:31 GMT", "1994-11-15T08:12:31"),  # RFC 822: 2-digit year
    ("15 Nov 1994 08:12 GMT", "1994-11-15T08:12:00"),  # weekday and seconds are optional
    ("Fri, 21 Nov 1997 09:55:06 -0600", "1997-11-21T15:55:06"),  # local differential, west
    ("Tue, 1 Jul 2003 10:52:37 +0200", "2003-07-01T08:52:37"),  # one-digit day, east
    ("Thu, 13 Feb 1969 23:32:54 -0330", "1969-02-14T03:02:54"),  # half-hour zone crosses midnight
    ("Thu,\n 13\n   Feb\n  1969\n 23:32\n   -0330 (Newfoundland Time)", "1969-02-14T03:02:00"),  # FWS, comment
    ("Fri, 21 Nov 1997 09:55:06 -0600 (MDT)", "1997-11-21T15:55:06"),  # CFWS after the zone
    ("21 Nov 97 09:55:06 GMT", "1997-11-21T09:55:06"),  # obs-year
    ("Sat, 01 Jan 49 00:00:00 GMT", "2049-01-01T00:00:00"),  # obs-year 00-49 is 20xx
    ("Sun, 01 Jan 50 00:00:00 GMT", "1950-01-01T00:00:00"),  # obs-year 50-99 is 19xx
    ("Sat, 09 Mar 124 10:00:00 GMT", "2024-03-09T10:00:00"),  # obs-year, three digits: + 1900
    ("Sat, 31 Dec 2016 23:59:60 GMT", "2016-12-31T23:59:59"),  # leap second
    ("Fri,  5 Jan 2024 12:00:00 GMT", "2024-01-05T12:00:00"),
    ("Wed, 10 Jan 2024 12:00:00 UT", "2024-01-10T12:00:00"),
    ("Wed, 10 Jan 2024 12:00:00 Z", "2024-01-10T12:00:00"),
    ("Wed, 10 Jan 2024 12:00:00 -0000", "2024-01-10T12:00:00"),  # 2822: "-0000" is UTC without a place
    ("Wed, 10 Jan 2024 12:00:00 A", "2024-01-10T12:00:00"),  # 1123/2822: military zones carry no information
    ("Wed, 10 Jan 2024 12:00:00 XST", "2024-01-10T12:00:00"),  # 2822 4.3: an unknown name is -0000
    # the US zones of RFC 822, standard and daylight
    ("Wed, 10 Jan 2024 07:00:00 EST", "2024-01-10T12:00:00"),
    ("Wed, 10 Jul 2024 08:00:00 EDT", "2024-07-10T12:00:00"),
    ("Wed, 10 Jan 2024 06:00:00 CST", "2024-01-10T12:00:00"),
    ("Wed, 10 Jul 2024 07:00:00 CDT", "2024-07-10T12:00:00"),
    ("Wed, 10 Jan 2024 05:00:00 MST", "2024-01-10T12:00:00"),
    ("Wed, 10 Jul 2024 06:00:00 MDT", "2024-07-10T12:00:00"),
    ("Wed, 10 Jan 2024 04:00:00 PST", "2024-01-10T12:00:00"),
    ("Wed, 10 Jul 2024 05:00:00 PDT", "2024-07-10T12:00:00"),
    ("Wed, 10 Jan 2024 08:00:00 AST", "2024-01-10T12:00:00"),
    ("Wed, 10 Jul 2024 09:00:00 ADT", "2024-07-10T12:00:00"),
    # the generic US names, read as standard time (what feedparser does)
    ("Wed, 10 Jan 2024 08:00:00 AT", "2024-01-10T12:00:00"),
    ("Wed, 10 Jan 2024 07:00:00 ET", "2024-01-10T12:00:00"),
    ("Wed, 10 Jan 2024 06:00:00 CT", "2024-01-10T12:00:00"),
    ("Wed, 10 Jan 2024 05:00:00 MT", "2024-01-10T12:00:00"),
    ("Wed, 10 Jan 2024 04:00:00 PT", "2024-01-10T12:00:00"),
    # offsets with a colon, with a GMT/UTC prefix
    ("Wed, 10 Jan 2024 17:30:00 +05:30", "2024-01-10T12:00:00"),
    ("Wed, 10 Jan 2024 09:00:00 -03:00", "2024-01-10T12:00:00"),
    ("Wed, 10 Jan 2024 14:00:00 GMT+02:00", "2024-01-10T12:00:00"),
    ("Wed, 10 Jan 2024 07:00:00 UTC-0500", "2024-01-10T12:00:00"),
    ("Wed, 10 Jan 2024 12:00:00 Etc/GMT", "2024-01-10T12:00:00"),
    # relatives: full names, RFC 850, asctime, month first, comma after the month, slash dates
    ("Friday, 05 January 2024 12:00:00 GMT", "2024-01-05T12:00:00"),
    ("Sunday, 06-Nov-94 08:49:37 GMT", "1994-11-06T08:49:37"),  # RFC 850 (RFC 2616 3.3.1)
    ("Sun Nov  6 08:49:37 1994", "1994-11-06T08:49:37"),  # asctime (RFC 2616 3.3.1)
    ("Sun Nov 6 08:49:37 PST 1994", "1994-11-06T16:49:37"),  # asctime with a zone
    ("Sun Nov 06 08:49:37 +0000 1994", "1994-11-06T08:49:37"),  # asctime with an offset
    ("Sun Nov 06 1994 08:49:37 GMT+0100 (Central European Standard Time)", "1994-11-06T07:49:37"),
    ("Sat, 09 Mar, 2024 10:00:00 GMT", "2024-03-09T10:00:00"),  # comma after the month
    ("March 9, 2024 10:00 AM", "2024-03-09T10:00:00"),
    ("March 9, 2024 10:00 PM", "2024-03-09T22:00:00"),
    ("Mar 9, 2024 12:15 a.m.", "2024-03-09T00:15:00"),
    ("March 9th, 2024", "2024-03-09T00:00:00"),
    ("Sat, 2024/03/09 10:00:00 EST", "2024-03-09T15:00:00"),  # weekday, then a slash date (Perforce)
    ("2024/03/09 10:00", "2024-03-09T10:00:00"),
    ("09.03.2024 10:00", "2024-03-09T10:00:00"),
    ("Sat, 09 Mar 2024", "2024-03-09T00:00:00"),
]

# --- day and month names in other languages ---------------------------------------------------------------
LOCALISED = [
    ("Sáb, 09 Mar 2024 10:00:00 -0300", "2024-03-09T13:00:00"),  # pt
    ("sábado, 9 de março de 2024 10:00", "2024-03-09T10:00:00"),  # pt, long form
    ("Ter, 05 Fev 2019 08:00:00 GMT", "2019-02-05T08:00:00"),  # pt
    ("Qua, 23 Out 2024 08:00:00 GMT", "2024-10-23T08:00:00"),  # pt
    ("Qui, 19 Dez 2024 08:00:00 GMT", "2024-12-19T08:00:00"),  # pt
    ("Mié, 09 Ene 2019 10:00:00 +0100", "2019-01-09T09:00:00"),  # es
    ("martes, 5 de febrero de 2019 10:00", "2019-02-05T10:00:00"),  # es
    ("Vie, 20 Dic 2019 10:00:00 GMT", "2019-12-20T10:00:00"),  # es
    ("mer., 9 janv. 2019 10:00:00 +0100", "2019-01-09T09:00:00"),  # fr
    ("jeudi 1er août 2019 10:00", "2019-08-01T10:00:00"),  # fr
    ("sam., 9 févr. 2019 10:00:00 GMT", "2019-02-09T10:00:00"),  # fr
    ("lun., 9 déc. 2019 10:00:00 GMT", "2019-12-09T10:00:00"),  # fr
    ("Mi, 09 Jan 2019 10:00:00 +0100", "2019-01-09T09:00:00"),  # de
    ("Dienstag, 5. März 2019 10:00", "2019-03-05T10:00:00"),  # de
    ("Mo, 01 Okt 2018 10:00:00 GMT", "2018-10-01T10:00:00"),  # de
    ("Fr, 20 Dez 2019 10:00:00 MEZ", "2019-12-20T10:00:00"),  # de; MEZ is unknown, so UTC (2822 4.3)
    ("mer, 09 gen 2019 10:00:00 +0100", "2019-01-09T09:00:00"),  # it
    ("martedì 5 marzo 2019 10:00", "2019-03-05T10:00:00"),  # it
    ("ven, 12 lug 2019 10:00:00 GMT", "2019-07-12T10:00:00"),  # it
    ("wo, 09 jan 2019 10:00:00 +0100", "2019-01-09T09:00:00"),  # nl
    ("dinsdag 5 maart 2019 10:00", "2019-03-05T10:00:00"),  # nl
    ("vr, 17 mei 2019 10:00:00 GMT", "2019-05-17T10:00:00"),  # nl
    ("di, 12 mrt 2019 10:00:00 GMT", "2019-03-12T10:00:00"),  # nl
    ("Τετ, 09 Ιαν 2019 10:00:00 +0200", "2019-01-09T08:00:00"),  # el
    ("Κυρ, 18 Αύγ 2019 12:00:00 EDT", "2019-08-18T16:00:00"),  # el, US zone
    ("Τρίτη, 5 Μαρτίου 2019 10:00", "2019-03-05T10:00:00"),  # el, genitive month
    ("Παρ, 14 Ιούν 2019 10:00:00 GMT", "2019-06-14T10:00:00"),  # el
    ("Sze, 09 jan 2019 10:00:00 +0100", "2019-01-09T09:00:00"),  # hu
    ("2019-március-05T10:00+01:00", "2019-03-05T09:00:00"),  # hu, month name in an ISO date
    ("2019. március 5. 10:00", "2019-03-05T10:00:00"),  # hu, year first
    ("2019-03-05 오전 10:00:00", "2019-03-05T01:00:00"),  # ko (Nate): morning, Korean time
    ("2019-03-05 오후 10:00:00", "2019-03-05T13:00:00"),  # ko: afternoon
    ("2019-03-05 오후 12:30:00", "2019-03-05T03:30:00"),  # ko: 12 PM is noon
    ("2019-03-05 오전 12:30:00", "2019-03-04T15:30:00"),  # ko: 12 AM is midnight
    ("2019년 03월 05일 10:00:00", "2019-03-05T01:00:00"),  # ko (OnBlog)
]

# --- ISO 8601 / RFC 3339 / W3CDTF ---------------------------------------------------------------------------
ISO8601 = [
    ("1997", "1997-01-01T00:00:00"),  # W3CDTF: year
    ("1997-07", "1997-07-01T00:00:00"),  # W3CDTF: year and month
    ("1997-07-16", "1997-07-16T00:00:00"),  # W3CDTF: complete date
    ("1997-07-16T19:20+01:00", "1997-07-16T18:20:00"),  # W3CDTF: hours and minutes
    ("1997-07-16T19:20:30+01:00", "1997-07-16T18:20:30"),  # W3CDTF: seconds
    ("1997-07-16T19:20:30.45+01:00", "1997-07-16T18:20:30.450000"),  # W3CDTF: fraction
    ("1985-04-12T23:20:50.52Z", "1985-04-12T23:20:50.520000"),  # RFC 3339 5.8
    ("1996-12-19T16:39:57-08:00", "1996-12-20T00:39:57"),  # RFC 3339 5.8
    ("1990-12-31T23:59:60Z", "1990-12-31T23:59:59"),  # RFC 3339 5.8: leap second
    ("1990-12-31T15:59:60-08:00", "1990-12-31T23:59:59"),  # RFC 3339 5.8
    ("1937-01-01T12:00:27.87+00:20", "1937-01-01T11:40:27.870000"),  # RFC 3339 5.8
    ("1985-04-12t23:20:50.52z", "1985-04-12T23:20:50.520000"),  # RFC 3339 5.6: lower case t and z
    ("1985-04-12 23:20:50Z", "1985-04-12T23:20:50"),  # RFC 3339 5.6: a space for T
    ("19850412T232050Z", "1985-04-12T23:20:50"),  # ISO 8601 basic format
    ("19850412T232050+0100", "1985-04-12T22:20:50"),
    ("19850412", "1985-04-12T00:00:00"),
    ("1985-102", "1985-04-12T00:00:00"),  # ordinal date
    ("1985102", "1985-04-12T00:00:00"),  # ordinal, basic
    ("2024-366", "2024-12-31T00:00:00"),  # ordinal in a leap year
    ("1985-W15-5", "1985-04-12T00:00:00"),  # week date
    ("1985W155", "1985-04-12T00:00:00"),  # week date, basic
    ("1985-W15", "1985-04-08T00:00:00"),  # reduced week date: its Monday
    ("850412", "1985-04-12T00:00:00"),  # ISO 8601:1988 YYMMDD
    ("85-04-12", "1985-04-12T00:00:00"),  # YY-MM-DD
    ("-8504", "1985-04-01T00:00:00"),  # -YYMM
    ("-85-04", "1985-04-01T00:00:00"),  # -YY-MM
    ("85102", "1985-04-12T00:00:00"),  # YYDDD
    ("2024-003-09T10:00:00Z", "2024-03-09T10:00:00"),  # a stray zero in the month (Google)
    ("2024-03-09 10:00:00.000", "2024-03-09T10:00:00"),  # MSSQL
    ("2024-03-09 10:00:00 +01:00", "2024-03-09T09:00:00"),  # MSSQL with a zone
    ("2024-03-09T10:00:00.123456789Z", "2024-03-09T10:00:00.123456"),  # more digits than microseconds
    ("2024-03-09T10:00:00,5Z", "2024-03-09T10:00:00.500000"),  # ISO 8601: comma as decimal sign
    ("2024-03-09T10:00:00+01", "2024-03-09T09:00:00"),  # ISO 8601: zone in hours only
    ("2024-03-09T24:00:00Z", "2024-03-10T00:00:00"),  # ISO 8601: 24:00 ends the day
    ("2024-03-09T10Z", "2024-03-09T10:00:00"),  # reduced time: hour only
    ("2024-03-09 10:00:00 UTC", "2024-03-09T10:00:00"),
    ("2024-02-29T18:14:55-08:00", "2024-03-01T02:14:55"),  # leap day rolls into March in UTC
]

# --- not dates --------------------------------------------------------------------------------------------
REJECTED = [
    "", "   ", "yesterday", "sometime last week", "013", "12345678901234",
    "2024-03-09T10:00:00+24:00",  # a zone of a day or more
    "2024-03-09T10:00:00+01:60",  # zone minutes out of range
    "2024-03-09T10:00:00+1:00",  # zone hours need two digits
    "2024-03-09T10:00:00+01:xx",
    "2024-03-09T10:00:00Zjunk",  # trailing junk
    "2024-03-09T10:00:00-06:00Textra",
    "2024-03-09-10",  # too many parts
    "2024-02-30", "2024-13-01", "2024-00-10", "2023-366", "2024-000", "2024-W54-1", "2024-xx-09",
    "2024-03-09T25:00:00Z", "2024-03-09T10:60:00Z", "2024-03-09T10:00:61Z", "2024-03-09T24:30:00Z",
    "Sat, 09 Mar 2024 10:00:00 +2500", "Sat, 09 Mar 2024 10:00:00 +2400", "Sat, 09 Mar 2024 10:00:00 +01:75",
    "Sat, 09 Mar 2024 10:00:00 +0x00", "Sat, 09 Mar 2024 10:00:00 +zz:00",
    "Sat, 09 Mar 2024 10:00:00 GMT and more",  # trailing junk
    "Sat, 09 Mar 2024 10:00:00 +0000 extra",
    "Sat, 09 Mar 2024 10:00:00 junk",  # not a zone name
    "Sat, 30 Feb 2024 10:00:00 GMT", "Sat, 99 Mar 2024 10:00:00 GMT",  # impossible days
    "Sat, 09 Foo 2024 10:00:00 GMT",  # no such month
    "Blursday, 09 Mar 2024 10:00:00 GMT",  # no such weekday
    "Sat, 09 Mar 2024 1:2:3 GMT", "Sat, 09 Mar 2024 1:2:3:4 GMT",  # not a time
    "Sat, Mar x 2024 10:00:00 GMT", "Sat, 09 Mar zz 10:00:00 GMT",
    "Sun Nov 6 08:49:37 1994 1995",  # two years
    "March 9, 2024 13:00 PM",  # a 12-hour clock stops at 12
    # years out of range: before year 1, after 9999, or carried past either by the zone
    "Sat, 01 Jan 0000 00:00:00 GMT", "0000-01-01T00:00:00Z", "10000-01-01", "Fri, 31 Dec 9999 23:59:59 -0100",
    "9999-12-31T23:59:59-01:00", "Sun, 31 Dec 9999 23:59:59 -9999", "0001-01-01T00:00:00+01:00",
]


def _utc(expected: str) -> datetime:
    return datetime.fromisoformat(expected).replace(tzinfo=timezone.utc)


def test_the_table_is_big_enough():
    assert len(RFC822) + len(LOCALISED) + len(ISO8601) + len(REJECTED) >= 80


@pytest.mark.parametrize(("text", "expected"), RFC822 + LOCALISED + ISO8601, ids=repr)
def test_a_date(text, expected):
    parsed = parse_date(text)
    assert parsed == _utc(expected)
    assert parsed.tzinfo is timezone.utc


@pytest.mark.parametrize("text", REJECTED, ids=repr)
def test_not_a_date(text):
    assert parse_date(text) is None


def test_a_zone_name_from_the_tz_database_uses_that_zone_on_that_day():
    pytest.importorskip("zoneinfo").ZoneInfo("Europe/Berlin")  # skips where the tz database is missing
    assert parse_date("Sat, 09 Mar 2024 10:00:00 Europe/Berlin") == _utc("2024-03-09T09:00:00")
    assert parse_date("Sat, 09 Jul 2024 10:00:00 Europe/Berlin") == _utc("2024-07-09T08:00:00")
    assert parse_date("Sat, 09 Jul 2024 10:00:00 Nowhere/Atlantis") is None


def test_nothing_a_feed_can_send_makes_it_raise():
    rng = random.Random(17)
    alphabet = "0123456789 :+-.,/TZtzWGMTUESPDajnuJlyOct()년월일오후ΙαλúáΣ\x00\ufffd"
    seeds = [text for text, _ in RFC822 + LOCALISED + ISO8601] + REJECTED
    for _ in range(3000):
        seed = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):  # mutate a real date a little: the near misses are the risky ones
            if seed and rng.random() < 0.5:
                seed[rng.randrange(len(seed))] = rng.choice(alphabet)
            else:
                seed.insert(rng.randrange(len(seed) + 1), rng.choice(alphabet))
        parsed = parse_date("".join(seed))
        assert parsed is None or parsed.tzinfo is timezone.utc
    for odd in (None, 12, b"2024-03-09", "9" * 500, "2024-03-09T10:00:00" + "0" * 80):
        assert parse_date(odd) is None
