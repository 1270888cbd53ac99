"""Month names in the languages wiretrace reads dates and datelines in: one
table, used by the dateline patterns (:mod:`wiretrace.wire`) and the date
parser (:mod:`wiretrace.dates`).

The rule: every written form of a month -- full names and the abbreviations
datelines use -- maps to the month's number. Full names are what a date
parser may translate safely; abbreviations ("set", "ene", "mai") are words
of other languages too and only count inside a dateline's pattern, next to
a day number.

Example:
    >>> MONTHS["février"], MONTHS["okt"], MONTHS["декабря"]
    (2, 10, 12)
"""

from __future__ import annotations

import re

__all__ = ["FULL_NAMES", "ABBREVIATIONS", "MONTHS", "ENGLISH", "month_pattern"]

ENGLISH = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")

# month number -> full names (lowercase), English first
FULL_NAMES: dict[int, tuple[str, ...]] = {
    1: ("january", "janvier", "januar", "jänner", "enero", "gennaio", "janeiro", "januari", "января"),
    2: ("february", "février", "fevrier", "februar", "febrero", "febbraio", "fevereiro", "februari", "февраля"),
    3: ("march", "mars", "märz", "maerz", "marzo", "março", "maart", "марта"),
    4: ("april", "avril", "abril", "aprile", "апреля"),
    5: ("may", "mai", "mayo", "maggio", "maio", "mei", "мая"),
    6: ("june", "juin", "juni", "junio", "giugno", "junho", "июня"),
    7: ("july", "juillet", "juli", "julio", "luglio", "julho", "июля"),
    8: ("august", "août", "aout", "agosto", "augustus", "августа"),
    9: ("september", "septembre", "septiembre", "setiembre", "settembre", "setembro", "сентября"),
    10: ("october", "octobre", "oktober", "octubre", "ottobre", "outubro", "октября"),
    11: ("november", "novembre", "noviembre", "novembro", "ноября"),
    12: ("december", "décembre", "decembre", "dezember", "diciembre", "dicembre", "dezembro", "декабря"),
}
# month number -> abbreviations written in datelines ("Oct. 4", "4 févr.", "4. Okt.")
ABBREVIATIONS: dict[int, tuple[str, ...]] = {
    1: ("jan", "janv", "ene", "gen"),
    2: ("feb", "fév", "fev", "févr", "fevr"),
    3: ("mar", "marz"),
    4: ("apr", "avr", "abr"),
    5: ("mag",),
    6: ("jun", "giu"),
    7: ("jul", "juil", "lug"),
    8: ("aug", "ago"),
    9: ("sep", "sept", "set"),
    10: ("oct", "okt", "ott"),
    11: ("nov",),
    12: ("dec", "déc", "dez", "dic"),
}
MONTHS: dict[str, int] = {
    form: number for table in (ABBREVIATIONS, FULL_NAMES) for number, forms in table.items() for form in forms
}


def month_pattern() -> str:
    """A regex group matching any month form (any case) as a whole word."""
    forms = sorted(MONTHS, key=len, reverse=True)
    return "(?i:" + "|".join(re.escape(f) for f in forms) + r")(?!\w)"
