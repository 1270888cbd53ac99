"""Publication dates from the many forms they take in exports."""

from __future__ import annotations

import email.utils
from datetime import datetime, timezone

__all__ = ["parse_published"]

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
        if parsed is None:
            try:
                parsed = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                parsed = None
        for fmt in _FORMATS if parsed is None else ():
            try:
                parsed = datetime.strptime(text.title() if "%b" in fmt or "%B" in fmt else text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        shown = str(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return None, f"unrecognised date {shown!r} ignored"
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.isoformat(), None
