"""Publication dates from the many forms they take in exports and pages.

ISO 8601, RFC 2822 and a few export formats are read exactly; anything
else goes to python-dateutil, with the time-zone abbreviations pages use
(EST, CEST, ...) and month names in the languages the wires write in
translated first. A date dateutil would have to complete from thin air (no
year, no day: "March 2019", "Tuesday") is refused, not guessed.
"""

from __future__ import annotations

import email.utils
import re
import warnings
from datetime import datetime, timedelta, timezone

from dateutil.parser import UnknownTimezoneWarning

from wiretrace.months import ENGLISH, FULL_NAMES

__all__ = ["parse_published"]

# dateutil warns on every zone name it does not know ("EST" from htmldate, which
# calls it without our table; any made-up word): the time is then read as naive,
# which wiretrace takes as UTC, as documented. The warning went to the terminal
# in the middle of the summary; it says nothing the report does not.
def quiet_dateutil() -> None:
    """Ignore dateutil's UnknownTimezoneWarning (idempotent; ``scan`` calls it
    too, as something may have reset the warning filters since import)."""
    warnings.filterwarnings("ignore", category=UnknownTimezoneWarning, module=r"dateutil\.parser")


quiet_dateutil()

# Formats seen in news exports besides ISO 8601 and RFC 2822. Reuters-21578
# writes "26-FEB-1987 15:01:01.79".
_FORMATS = (
    "%d-%b-%Y %H:%M:%S.%f",
    "%d-%b-%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%d %B %Y",
    "%B %d, %Y",
    "%b %d, %Y",
)


# Abbreviations dateutil does not know, as pages use them.
_TZINFOS = {
    name: timezone(timedelta(hours=hours), name)
    for name, hours in {
        "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "CET": 1, "MEZ": 1, "WEST": 1, "CEST": 2, "MESZ": 2,
        "EET": 2, "EEST": 3, "MSK": 3, "IST": 5.5, "CST": -6, "CDT": -5, "EST": -5, "EDT": -4, "MST": -7,
        "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "JST": 9, "KST": 9, "HKT": 8,
        "SGT": 8, "AEST": 10, "AEDT": 11, "ART": -3, "BRT": -3,
    }.items()
}
# Month names (and abbreviations) of the wires' languages -> English.
# full month names of other languages, translated for dateutil ("19. November 2019")
_MONTHS = {name: ENGLISH[number - 1] for number, names in FULL_NAMES.items() for name in names[1:]}
_MONTH_WORD = re.compile(r"(?<![\w])(" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")(?![\w])",
                         re.I)
_YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d\d(?!\d)")
# Words pages put around a date that say nothing about it
_NOISE = re.compile(r"(?i)\b(?:published|updated|posted|modified|le|am|el|de|del|um|à|a las|uhr|h)\b\.?|[|•·]")


def _dateutil(text: str) -> datetime | None:
    """A complete date (year, month and day) read by python-dateutil, or None."""
    from dateutil import parser

    if not _YEAR.search(text) or len(text) > 64:
        return None
    english = _MONTH_WORD.sub(lambda m: _MONTHS[m.group(1).lower()], text)
    english = re.sub(r"(\d)\.(?=\s*[A-Za-z])", r"\1", english)  # "19. November 2019"
    english = _NOISE.sub(" ", english)
    english = " ".join(re.sub(r"(?<!\d):|:(?!\d)", " ", english).split())  # "Published: ..." but not 10:07
    dayfirst = bool(re.search(r"\d\.\d", english))  # 19.11.2019 is day first; 11/19/2019 is not
    results = []
    for default in (datetime(2000, 1, 1), datetime(2001, 2, 2, 3, 4, 5)):
        try:
            results.append(parser.parse(english, default=default, dayfirst=dayfirst, tzinfos=_TZINFOS))
        except (ValueError, OverflowError, TypeError):  # dateutil's ParserError is a ValueError
            return None
    first, second = results
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None  # a part of the date was missing and would have been made up
    if (first.hour, first.minute) != (second.hour, second.minute):
        first = first.replace(hour=0, minute=0, second=0, microsecond=0)  # a day without a time: midnight
    return first


def parse_published(value: object) -> tuple[str | None, str | None]:
    """Parse a publication date into ISO 8601.

    Naive times are taken as UTC. Numbers are Unix epoch seconds.

    Args:
        value: The raw field value (string or number), or None.

    Returns:
        ``(iso, warning)``: the ISO 8601 string (None when absent or not
        understood) and a warning when a value was present but not parsed.

    Example:
        >>> parse_published("2026-03-04T09:12:00Z")
        ('2026-03-04T09:12:00+00:00', None)
        >>> parse_published("26-FEB-1987 15:01:01.79")
        ('1987-02-26T15:01:01.790000+00:00', None)
        >>> parse_published("2019-11-19 10:00:00 UTC")[0], parse_published("19.11.2019")[0]
        ('2019-11-19T10:00:00+00:00', '2019-11-19T00:00:00+00:00')
        >>> parse_published("19. November 2019, 08:15 Uhr MEZ")[0]
        '2019-11-19T08:15:00+01:00'
        >>> parse_published("next Tuesday")[1]
        "unrecognised date 'next Tuesday' ignored"
    """
    if value is None or value == "":
        return None, None
    parsed: datetime | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            parsed = datetime.fromtimestamp(float(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            parsed = None
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            parsed = None
        lenient = None  # email.utils reads a zone it does not know as none at all
        if parsed is None:
            try:
                parsed = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                lenient, parsed = parsed, None
        for fmt in _FORMATS if parsed is None else ():
            try:
                parsed = datetime.strptime(text.title() if "%b" in fmt or "%B" in fmt else text, fmt)
                break
            except ValueError:
                continue
        if parsed is None:
            parsed = _dateutil(text) or lenient
    if parsed is None:
        shown = str(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return None, f"unrecognised date {shown!r} ignored"
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.isoformat(), None
