"""Wire-copy recognition: which news agency's copy a text carries, and why.

A story written by a news agency keeps the agency's marks when it is
republished: the dateline ``LONDON (Reuters) -``, a credit line
``Reuters:``, the ``(Reporting by ...; Editing by ...)`` block, a copyright
line ``© 2024 AFP``, ``The Associated Press contributed to this report``, the
old ``Reuter`` sign-off. :func:`find_markers` finds these marks and says which
agency each one names; :func:`wire_copy` groups them into the agencies whose
copy the text carries.

The agencies are data: ``agencies.toml`` (in this package) lists each
agency's names, the names' restrictions, its sign-off tokens, house-style
phrases and web domains. This module has one pattern per *kind* of marker,
written once and filled in with the names. Adding an agency needs no code.

Markers
-------

Every :class:`Marker` has a ``kind`` and a ``strength``:

================ ============================================== ========
kind             example                                        strength
================ ============================================== ========
``dateline``     ``LONDON, March 4 (Reuters) -``,                strong
                 ``MOSCOW, March 4. /TASS/.``, ``(Bloomberg) --``
``credit``       ``Reuters:`` opening a line, ``-- AFP`` or      strong
                 ``==Kyodo`` closing one, ``Source: Xinhua``,
                 ``(AFP, dpa)`` after the last sentence,
                 ``This report by The Canadian Press was first
                 published``
``byline``       ``By Reuters``, ``By The Associated Press``     strong
``reporting``    ``(Additional reporting by ...)``,              strong
                 ``--With assistance from ...`` (house style)
``contributed``  ``The Associated Press contributed to this      strong
                 report``, ``Associated Press writer X ...
                 contributed``, ``With files from The Canadian
                 Press``, ``Additional reporting by Reuters``
``copyright``    ``© 2024 Reuters``, ``(c) dpa``,                strong
                 ``©2026 Bloomberg L.P.``
``signoff``      a line ``Reuter`` (Reuters-21578), ``... PTI``  strong
                 after the last sentence
``attribution``  ``Reuters reported``, ``told Reuters``,         weak
                 ``according to AFP``, ``a Reuters witness``
``mention``      any other occurrence of a name                  ``none``
================ ============================================== ========

*Strong* markers are the agency's own formal marks: the text is (or
contains) that agency's copy. ``contributed`` counts as strong because the
publisher says the agency's copy is part of the text, even if only a part.
*Weak* markers are attribution inside a story: the text relays the agency's
reporting. In a repost "... told Reuters" usually means the text is
Reuters' own story, but an independent story also writes "told Reuters" when
it quotes a Reuters interview, so it is weak; :func:`wire_copy` counts weak
markers only when asked. A credit line that opens a truncated teaser
(``AP: Iran's new offer for talks touches on...``, a link to another
story in the page's chrome) is a ``credit`` of strength weak, and so is a
house-style block overruled by another agency's named markers (see the
rules below). *Mentions* are not evidence at all and are left out unless
``mentions=True``.

Rules against false friends
---------------------------

* Names are matched case-sensitively as whole words: ``Tassie`` is not
  TASS, ``dpa`` is lowercase as dpa writes it. The capitalised form of a
  name (``REUTERS``, ``DPA``) is accepted only in datelines and credit
  positions.
* Ambiguous short names are restricted in the registry. ``formal_only``
  names (``AP``, ``UPI``, ``PTI``, ``AAP``, ``RIA``, ``Dow Jones``, ...) count
  only in datelines, credit lines, bylines, copyright lines and
  "contributed" lines, never as attribution or mention: "AP Biology",
  "AP style", "an AP course" and "APs" are nothing. ``dateline_only``
  names count only inside a dateline: ``PA`` (Pennsylvania; PA Media
  needs ``PA Media``, ``Press Association`` or ``LONDON (PA) -``), ``CP``,
  ``AA``, ``CNA``.
* In a dateline a ``formal_only``/``dateline_only`` name needs a place in
  capitals (``HARRISBURG, Pa. (AP) —``), a date, or nothing before the
  bracket; a mixed-case phrase before it ("Popular Alliance (AP) -") is not
  a place.
* ``CNA`` is both Taiwan's Central News Agency and Singapore's Channel
  NewsAsia. The bare token counts only in the Central News Agency's own
  dateline form, which always has a date (``Taipei, March 4 (CNA)``);
  "Source: CNA" and other bare credits are left unattributed.
* A dateline must open a line (after optional spaces). A line that starts
  with a quotation mark (``"LONDON (Reuters) - ..." the article said``)
  holds no dateline: it quotes one.
* A name right after a title or given name is a person (``Mr.``, ``Mayor``,
  ``Michael`` Bloomberg); a name right before certain words is another
  organisation (``Bloomberg Philanthropies``, ``Reuters Institute``,
  ``Thomson Reuters`` in running text is the company). These lists are per
  agency in the registry (``not_preceded_by``, ``not_followed_by``).
* Attribution needs an attribution phrase: ``told X``, ``according to X``,
  ``X reported``, ``X news agency said``, ``a X reporter``. ``Bloomberg said
  he would run`` and ``Reuters sued the company`` are mentions. A name
  followed by a number (``AFP 42``, an Air Force Plant) is neither
  attribution nor mention.
* The ``(Reporting by ...)`` block is Reuters' house style only when
  parenthesised ("Additional reporting by X" at the end of a BBC or Al
  Jazeera story is their own staff); if the block names an agency
  ("(Additional reporting by AFP)") the named agency gets a
  ``contributed`` marker and the block is not counted as Reuters. A
  house-style block names no agency, so it is circumstantial: in a text
  where other agencies have strong markers that name them (a Bloomberg
  dateline) and its own agency has none, it is weak.
* A credit line ``Reuters: ...`` must open a line that does not continue a
  sentence wrapped from the line before ("... told\\nReuters: ..." in
  fixed-width wire text is attribution).
* A sign-off counts on a line of its own or after the last sentence of the
  text (``Reuter``, ``REUTER...``, ``PTI``, ``IANS``, ``AAP``).

Known limits: datelines run into the previous text on the same line
(flattened pages) are not found, nor line-start forms more than 400
characters after the previous line break; photo credits (``REUTERS/Jane
Doe``) are not counted, but ``© Reuters`` under a photo is a copyright
marker; ``formal_only`` names are missed in attribution ("told PTI").

Example:
    >>> [(m.agency, m.kind) for m in find_markers("PARIS (AFP) - Rain fell.\\n-- AFP")]
    [('afp', 'dateline'), ('afp', 'credit')]
    >>> [e.agency for e in wire_copy("Sources told Reuters the plan was dead.")]
    []
    >>> [e.agency for e in wire_copy("Sources told Reuters the plan was dead.", weak=True)]
    ['reuters']
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from wiretrace.months import month_pattern

__all__ = [
    "Agency",
    "AgencyEvidence",
    "KINDS",
    "Marker",
    "agency_for_site",
    "find_markers",
    "load_agencies",
    "wire_agencies",
    "wire_copy",
]

#: Kinds of marker and their strength ("mention" markers have strength "none").
KINDS: dict[str, str] = {
    "dateline": "strong",
    "credit": "strong",
    "byline": "strong",
    "reporting": "strong",
    "contributed": "strong",
    "copyright": "strong",
    "signoff": "strong",
    "attribution": "weak",
    "mention": "none",
}
_STRENGTHS = ("strong", "weak", "none")


# --------------------------------------------------------------------------
# The registry


@dataclass(frozen=True)
class Agency:
    """A news agency or syndicator of the registry (``agencies.toml``).

    Attributes:
        id: Short lowercase identifier ("reuters", "ap").
        name: Display name.
        aliases: Every name form, as written ("Associated Press", "AP").
        domains: Registered domains of the agency's own sites.
        country: ISO 3166-1 alpha-2 code of its home country.
        formal_only: Aliases counted only in datelines and credit positions.
        dateline_only: Aliases counted only inside a dateline.
        dateline_needs_date: Its dateline counts only with a date in it.
        signoff: Tokens that sign its copy off.
        house_parens: Phrases opening its parenthesised credit block.
        house_lines: Phrases opening its credit lines ("--" = any dash).
        attribution: Extra names accepted in attribution phrases.
        not_preceded_by: Words that, just before a name, rule it out.
        not_followed_by: Words that, just after a name, rule it out.
        note: Free text.
    """

    id: str
    name: str
    aliases: tuple[str, ...]
    domains: tuple[str, ...] = ()
    country: str = ""
    formal_only: tuple[str, ...] = ()
    dateline_only: tuple[str, ...] = ()
    dateline_needs_date: bool = False
    signoff: tuple[str, ...] = ()
    house_parens: tuple[str, ...] = ()
    house_lines: tuple[str, ...] = ()
    attribution: tuple[str, ...] = ()
    not_preceded_by: tuple[str, ...] = ()
    not_followed_by: tuple[str, ...] = ()
    note: str = ""


_LIST_FIELDS = (
    "aliases", "domains", "formal_only", "dateline_only", "signoff", "house_parens", "house_lines",
    "attribution", "not_preceded_by", "not_followed_by",
)
_ID_RE = re.compile(r"[a-z][a-z0-9-]*\Z")


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"agencies.toml: {where} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _parse_registry(data: dict[str, Any]) -> tuple[dict[str, Agency], tuple[str, ...]]:
    defaults = data.get("defaults", {})
    default_not_preceded = _str_list(defaults.get("not_preceded_by", []), "defaults.not_preceded_by")
    agencies: dict[str, Agency] = {}
    for i, raw in enumerate(data.get("agency", [])):
        where = f"agency #{i + 1}"
        unknown = set(raw) - {"id", "name", "country", "note", "dateline_needs_date", *_LIST_FIELDS}
        if unknown:
            raise ValueError(f"agencies.toml: {where} has unknown fields {sorted(unknown)}")
        agency_id = raw.get("id")
        if not isinstance(agency_id, str) or not _ID_RE.match(agency_id):
            raise ValueError(f"agencies.toml: {where} needs an id of lowercase letters, digits and '-'")
        if agency_id in agencies:
            raise ValueError(f"agencies.toml: duplicate agency id {agency_id!r}")
        where = f"agency {agency_id!r}"
        if not isinstance(raw.get("name"), str) or not raw["name"].strip():
            raise ValueError(f"agencies.toml: {where} needs a name")
        lists = {f: _str_list(raw.get(f, []), f"{where}.{f}") for f in _LIST_FIELDS}
        if not lists["aliases"]:
            raise ValueError(f"agencies.toml: {where} needs at least one alias")
        for f in ("formal_only", "dateline_only"):
            stray = set(lists[f]) - set(lists["aliases"])
            if stray:
                raise ValueError(f"agencies.toml: {where}.{f} names {sorted(stray)}, which are not aliases")
        needs_date = raw.get("dateline_needs_date", False)
        if not isinstance(needs_date, bool):
            raise ValueError(f"agencies.toml: {where}.dateline_needs_date must be true or false")
        agencies[agency_id] = Agency(
            id=agency_id,
            name=raw["name"].strip(),
            country=str(raw.get("country", "")),
            note=str(raw.get("note", "")),
            dateline_needs_date=needs_date,
            domains=tuple(d.lower() for d in lists.pop("domains")),
            **lists,
        )
    if not agencies:
        raise ValueError("agencies.toml: no [[agency]] tables")
    return agencies, default_not_preceded


@functools.lru_cache(maxsize=1)
def _registry() -> tuple[dict[str, Agency], tuple[str, ...]]:
    from wiretrace.registry import merged

    raw = resources.files("wiretrace").joinpath("agencies.toml").read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    data["agency"] = merged("agency", data.get("agency", []))  # users' own agencies (--registry)
    return _parse_registry(data)


def load_agencies() -> dict[str, Agency]:
    """The agencies of the registry, by id, in registry order (cached).

    Example:
        >>> agencies = load_agencies()
        >>> agencies["ap"].name
        'The Associated Press'
        >>> "Associated Press" in agencies["ap"].aliases
        True
    """
    return dict(_registry()[0])


@functools.lru_cache(maxsize=1)
def _domain_map() -> dict[str, str]:
    out: dict[str, str] = {}
    for agency in _registry()[0].values():
        for domain in agency.domains:
            if out.setdefault(domain, agency.id) != agency.id:
                raise ValueError(f"agencies.toml: domain {domain!r} belongs to two agencies")
    return out


def agency_for_site(site: str | None) -> str | None:
    """The agency whose own site ``site`` is, or None.

    ``site`` is a registered domain as :func:`wiretrace.sites.site_of` gives
    it; a host name or a URL also works (its subdomains are looked up under
    their parent domains).

    Args:
        site: "reuters.com", "www.apnews.com", "https://english.news.cn/x", or None.

    Returns:
        The agency id, or None when the site is no agency's (or is None/empty).

    Raises:
        TypeError: ``site`` is neither a string nor None.

    Example:
        >>> agency_for_site("reuters.com"), agency_for_site("apnews.com")
        ('reuters', 'ap')
        >>> agency_for_site("https://english.news.cn/20240304/abc.html")
        'xinhua'
        >>> agency_for_site("bbc.co.uk") is None
        True
    """
    if site is None:
        return None
    if not isinstance(site, str):
        raise TypeError(f"site must be a string or None, not {type(site).__name__}")
    host = site.strip().lower()
    if "/" in host or ":" in host:
        from urllib.parse import urlsplit

        try:
            host = (urlsplit(host if "//" in host else "//" + host).hostname or "").lower()
        except ValueError:
            return None
    host = host.rstrip(".")
    domains = _domain_map()
    while host:
        if host in domains:
            return domains[host]
        _, dot, host = host.partition(".")
        if not dot:
            break
    return None


# --------------------------------------------------------------------------
# Markers


@dataclass(frozen=True)
class Marker:
    """One mark of an agency in a text.

    Attributes:
        agency: The agency's id.
        kind: One of :data:`KINDS` ("dateline", "credit", "byline", "reporting",
            "contributed", "copyright", "signoff", "attribution", "mention").
        text: The matched text, ``text[start:end]`` of the text searched.
        start: Offset of its first character in the text searched.
        end: Offset just past its last character.
        strength: "strong" (the text is the agency's copy), "weak"
            (attribution to the agency) or "none" (a mention, no evidence).
    """

    agency: str
    kind: str
    text: str
    start: int
    end: int
    strength: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown marker kind {self.kind!r}")
        if self.strength not in _STRENGTHS:
            raise ValueError(f"unknown marker strength {self.strength!r}")
        if not 0 <= self.start <= self.end or self.end - self.start != len(self.text):
            raise ValueError("marker offsets do not fit its text")


@dataclass(frozen=True)
class AgencyEvidence:
    """The markers of one agency in a text.

    Attributes:
        agency: The agency's id.
        name: Its display name.
        markers: Its markers (strong and weak; never mentions), by offset.
    """

    agency: str
    name: str
    markers: tuple[Marker, ...]

    @property
    def strong(self) -> bool:
        """True when at least one marker is strong: the text carries the agency's copy."""
        return any(m.strength == "strong" for m in self.markers)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of its markers, each once, in order of first appearance."""
        return tuple(dict.fromkeys(m.kind for m in self.markers))


# --------------------------------------------------------------------------
# Patterns. Every pattern below is written once; the agencies' names come in
# through the "hit" regex (all name forms) and the ANY list (credit names).

_H = r"[^\S\n]"  # horizontal white space
_DASH = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # hyphen, dashes, minus
_MONTH = month_pattern()  # every month form of wiretrace.months, as a whole word
_DATE = (
    rf"(?:{_MONTH}\.?{_H}*\d{{1,2}}(?:st|nd|rd|th)?(?:,?{_H}+\d{{4}})?"
    rf"|\d{{1,2}}\.?{_H}+{_MONTH}\.?(?:,?{_H}+\d{{4}})?"
    rf"|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}"
    rf"|\d{{1,2}}(?:er)?(?=[.,]?{_H}*[(/]|[.,]?{_H}*[{_DASH}]{{1,2}}{_H}*[(/]))[.,]?"  # a bare day: "PARIS, 14. (Havas.)"
)
_PWORD = r"[A-Z\u00C0-\u00D6\u00D8-\u00DE\u0401\u0410-\u042F][\w'\u2019.\-]*"  # a capitalised word: LONDON, ST., N'DJAMENA, Berlin
_PARTICLE = r"(?:de|da|del|della|di|do|dos|das|des|du|la|le|les|el|al|am|an|im|der|den|upon|on|sur|en|y)"
_PLACE_MAIN = rf"{_PWORD}(?:(?:{_H}+|/)(?:{_PWORD}|{_PARTICLE}(?={_H}+[A-Z]))){{0,5}}"
# ", Calif." / " [India]" (ANI) / " (Severomorsk)" / " /Germany/" (TASS)
_REGION = (
    rf"(?:,{_H}*{_PWORD}(?:{_H}+{_PWORD}){{0,2}}"
    rf"|{_H}*\[[^\]\n]{{1,30}}\]|{_H}*\([^()\n]{{1,30}}\)|{_H}*/[^/\n]{{1,30}}/)"
)
_DATELINE_PREFIX = re.compile(
    rf"{_H}*(?:(?P<place>{_PLACE_MAIN}{_REGION}{{0,3}})(?:(?P<date1>[,.]{_H}*{_DATE}))?|(?P<date2>{_DATE}))?"
    rf"{_H}*(?:--|[{_DASH}]{{1,2}})?{_H}*(?P<open>[(/]){_H}*\Z"  # "--" for "SAN FRANCISCO--(BUSINESS WIRE)--"
)
_DATELINE_SUFFIX = re.compile(
    # the date may stand inside the bracket: "--(Marketwired - April 06, 2016) -"
    rf"(?:{_H}*[{_DASH}]{_H}*{_DATE})?{_H}*\.?{_H}*(?P<close>[)/])"
    rf"(?:(?P<sep>{_H}*(?:[{_DASH}]{{1,3}}|:|\.{_H}*[{_DASH}]{{1,2}}|\.(?=\s|[A-Z\"\u201c\u2018'])|\|))"
    rf"|(?={_H}+[A-Z\"\u201c\u2018']))"
)
_DATE_AFTER = re.compile(rf"{_H}*{_DATE}")
# "^M" is a carriage return written out, as in some Reuters-21578 stories.
_SIGNOFF_LINE = re.compile(rf"(?:\.{{1,3}}|\u2026)?(?:{_H}+[A-Z]{{1,4}}){{0,4}}(?:\^M)?{_H}*$", re.M)
_SIGNOFF_END_PREFIX = re.compile(rf"[.!?\"\u201d\u2019)\d]{_H}+\Z")
_SIGNOFF_END = re.compile(rf"(?:\.{{1,3}}|\u2026)?(?:{_H}+[A-Z]{{2,4}}){{0,4}}(?:\^M)?[\s\x03\x04]*\Z")
_THE = rf"(?:[Tt]he{_H}+|THE{_H}+)"
_COPYRIGHT_PREFIX = re.compile(
    rf"(?:(?:\u00a9|\([cC]\))(?:{_H}*(?:Copyright|COPYRIGHT))?"
    rf"|(?:Copyright|COPYRIGHT|Copr\.)(?:{_H}*(?:\u00a9|\([cC]\)))?)"
    rf"{_H}*(?:(?:19|20)\d\d(?:{_H}*[{_DASH}]{_H}*(?:19|20)\d\d)?{_H}*,?{_H}*)?{_THE}?\Z"
)
_COPYRIGHT_SUFFIX = re.compile(
    rf"(?:{_H}*,?{_H}*(?:L\.P\.|LP|Ltd\.?|Limited|Inc\.?|GmbH|AG|S\.A\.|SA|Group|Media|News|Newswires|plc)(?!\w))*"
    rf"(?:{_H}*,?{_H}*(?:19|20)\d\d(?!\d))?"
)
_TRAILING_PREFIX = re.compile(rf"(?:^|(?<=\s))(?:[{_DASH}]{{1,2}}|==){_H}*\Z", re.M)
_TRAILING_SUFFIX = re.compile(rf"{_H}*\.?{_H}*$", re.M)
_PREFIX_CREDIT_SUFFIX = re.compile(rf"{_H}*:(?={_H}+[A-Z0-9\"\u201c\u2018'])")
_LINE_START = re.compile(rf"{_H}*{_THE}?\Z")
_BYLINE_PREFIX = re.compile(rf"(?:By|BY){_H}+{_THE}?\Z")
_BYLINE_SUFFIX = re.compile(
    rf"(?:{_H}+(?:Staff|staff|News|Wire|Wires|Newswires))?"
    rf"(?={_H}*(?:$|[,|\u2022\u00b7;\u2013\u2014/&]|-{_H}|\d|Published|Updated|Posted|and{_H}))",
    re.M,
)
_CP_CREDIT_PREFIX = re.compile(r"(?:This|this)\s+(?:report|story|article)\s+by\s+(?:the\s+|The\s+)?\Z")
_CP_CREDIT_SUFFIX = re.compile(r"\s+was\s+(?:first\s+)?(?:published|distributed)\b")
_CONTRIB_SUFFIX = re.compile(
    r"\s+(?:also\s+)?contributed\s+"
    r"(?:to\s+(?:this|the)\s+(?:report|story|article|coverage)|reporting|information|material)\b"
)
_CONTRIB_STAFF_SUFFIX = re.compile(
    r"\s+(?:staff\s+)?(?:writer|reporter|correspondent|journalist|researcher|photographer|videojournalist"
    r"|video\s+journalist|news\s+assistant|producer|editor)s?\s+[A-Z](?:(?!\n\s*\n)[\s\S]){0,600}?\bcontributed\b"
)  # (600: AP's multi-state stories list a dozen writers and their cities)
_CONTRIB_BY_PREFIX = re.compile(
    r"(?:(?:Additional|additional|With|with)\s+reporting|Reporting|reporting)\s+(?:by|from)\s+(?:the\s+|The\s+)?\Z"
    r"|(?:With|with|Includes|includes|Include|include|Contains|contains)\s+(?:files|material|information|reporting)"
    r"\s+from\s+(?:the\s+|The\s+)?\Z"
    r"|(?:This|this)\s+(?:story|report|article)\s+(?:includes|contains|uses|used|incorporates)\s+"
    r"(?:reporting|material|information|content)\s+(?:from|by)\s+(?:the\s+|The\s+)?\Z"
)
_CONTRIB_MATERIAL_PREFIX = re.compile(r"(?:Material|material|Information|information)\s+from\s+(?:the\s+|The\s+)?\Z")
_CONTRIB_MATERIAL_SUFFIX = re.compile(r"\s+(?:was|were|has\s+been|have\s+been)\s+(?:used|included)\b|\s+contributed\b")
_HOUSE_PAREN_PREFIX = re.compile(rf"\({_H}*\Z")
_HOUSE_PAREN_SUFFIX = re.compile(rf"{_H}+[^()\n]{{1,400}}?\)")
_HOUSE_LINE_DASH_PREFIX = re.compile(rf"{_H}*(?:--|[{_DASH}]{{1,2}}){_H}*\Z")
_HOUSE_LINE_PREFIX = re.compile(rf"{_H}*\Z")
_HOUSE_LINE_SUFFIX = re.compile(r"[^\n]{0,300}")
_DESCR = (
    r"(?:(?:state|state-run|state-owned|official|semi-official|semiofficial|national|private"
    r"|[A-Z][a-z]+(?:'s|\u2019s))\s+)?"
    r"(?:(?:news|wire)\s+(?:agency|service)\s+)?"
)
# Attribution phrases before a name ("according to", "reported by", "told"),
# one small regex per first word: the words just before a name say which of
# them can match, and each starts with a literal the engine finds quickly.
_ATTRIBUTION_PHRASES = (
    "according to", "reported by", "quoted by", "cited by", "seen by", "reviewed by", "obtained by",
    "contacted by", "interviewed by", "verified by", "reached by", "confirmed to", "speaking to", "spoke to",
    "spoke with", "talking to", "in a comment to", "made available to", "provided to", "in an interview with",
    "in a statement to", "citing", "reported", "reports", "wrote", "writes",
)


def _phrase_patterns(phrases: Iterable[str], tail: str) -> dict[str, re.Pattern[str]]:
    """{first word: regex of the phrases that start with it, followed by
    ``tail``}; the first letter may be lowercase or capital."""
    groups: dict[str, list[str]] = {}
    for phrase in phrases:
        words = phrase.split()
        for first in dict.fromkeys([words[0], words[0][0].upper() + words[0][1:]]):
            groups.setdefault(words[0], []).append(r"\s+".join(re.escape(w) for w in [first, *words[1:]]))
    return {
        first: re.compile("(?:" + "|".join(sorted(alts, key=len, reverse=True)) + ")" + tail)
        for first, alts in groups.items()
    }


_ATTRIBUTION_BY_WORD = _phrase_patterns(_ATTRIBUTION_PHRASES, rf"\s*,?\s+(?:the\s+)?{_DESCR}\Z")
_ATTRIBUTION_BY_WORD["told"] = re.compile(rf"told\s+(?:(?:the|a|an)\s+)?{_DESCR}\Z")
_ATTRIBUTION_WORDS = frozenset(_ATTRIBUTION_BY_WORD)
_REPORTED_SUFFIX = re.compile(
    r"(?:\s+(?:news\s+agency|News\s+Agency|newswire|news\s+service|wire\s+service))?\s*,?\s+"
    r"(?:reported|reports|has\s+reported|had\s+reported|first\s+reported|earlier\s+reported|also\s+reported"
    r"|was\s+reporting|quoted|cited|has\s+learned|learned|could\s+not\s+(?:immediately\s+|independently\s+)*"
    r"(?:verify|confirm|reach)|was\s+(?:not\s+)?(?:unable|able)\s+to\s+(?:immediately\s+|independently\s+)*"
    r"(?:verify|confirm|reach))\b"
    r"|\s+(?:news\s+agency|News\s+Agency)\s+said\b"
    r"|\s+said\s*,\s+citing\b"
)
# Cheap substrings of every "Source:" word, tested before the source regex.
_SOURCE_CUES = ("ource", "OURCE", "uelle", "UELLE", "uente", "UENTE", "onte", "ONTE", "Bron", "BRON", "\u0179r\u00f3d",
                "Zdroj", "Kilde", "K\u00e4lla", "L\u00e4hde", "\u0418\u0441\u0442\u043e\u0447")
_ARTICLE_PREFIX = re.compile(r"(?<!\w)(?:a|an|the|A|An|The)\s+\Z")
_ROLE_SUFFIX = re.compile(
    r"\s+(?:reporter|journalist|correspondent|photographer|cameraman|witness|tally|count|calculation"
    r"|investigation|analysis|review|interview|poll|survey)s?\b"
)
_OPTIONAL_THE = re.compile(r"(?<!\w)(?:[Tt]he|THE)\s+\Z")
_AGENCY_WORD_SUFFIX = re.compile(r"\s+(?:news\s+agency|News\s+Agency|newswire|news\s+service|wire\s+service)\b")


_UNSPACED = re.compile(r"[\u3040-\u30FF\u3400-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF]")


def _trie_pattern(forms: Iterable[str], end: str = r"(?!\w)") -> str:
    """One regex alternation for many literal forms, factored by prefix so the
    engine tests each character once; a space in a form matches any white
    space, and every form must end at a word boundary (``end``, by default
    no word character after it)."""
    trie: dict[str, Any] = {}
    for form in forms:
        node = trie
        for ch in form:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = []
        for ch in sorted(k for k in node if k):
            head = r"\s+" if ch == " " else re.escape(ch)
            alts.append(head + emit(node[ch]))
        if "" in node:
            alts.append(end)
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(trie)


def _norm(form: str) -> str:
    return " ".join(form.split())


@dataclass(frozen=True)
class _Form:
    agency: str
    roles: frozenset[str]  # dateline, credit, alias, attr, signoff, house_paren, house_line, house_line_dash
    ambiguous: bool  # a formal_only / dateline_only / capitalised form


class _Matcher:
    """Everything compiled from the registry, built once."""

    def __init__(self, agencies: dict[str, Agency], default_not_preceded: tuple[str, ...]) -> None:
        self.agencies = agencies
        forms: dict[str, dict[str, Any]] = {}

        def add(form: str, agency: Agency, roles: set[str], ambiguous: bool) -> None:
            key = _norm(form)
            entry = forms.setdefault(key, {"agency": agency.id, "roles": set(), "ambiguous": ambiguous})
            if entry["agency"] != agency.id:
                raise ValueError(f"agencies.toml: name form {key!r} belongs to {entry['agency']!r} and {agency.id!r}")
            entry["roles"] |= roles
            entry["ambiguous"] = entry["ambiguous"] and ambiguous

        for agency in agencies.values():
            restricted = set(agency.formal_only) | set(agency.dateline_only)
            for alias in agency.aliases:
                name = alias[4:] if alias.startswith("The ") else alias  # "The " is optional everywhere
                if alias in agency.dateline_only:
                    roles = {"dateline"}
                elif alias in agency.formal_only:
                    roles = {"dateline", "credit"}
                else:
                    roles = {"dateline", "credit", "alias"}
                add(name, agency, roles, alias in restricted)
            for alias in agency.aliases:
                name = alias[4:] if alias.startswith("The ") else alias
                upper = name.upper()
                if upper != name:
                    roles = {"dateline"} if alias in agency.dateline_only else {"dateline", "credit"}
                    if _norm(upper) not in forms:
                        add(upper, agency, roles, True)
            for name in agency.attribution:
                add(name, agency, {"attr"}, False)
            for token in agency.signoff:
                add(token, agency, {"signoff"}, True)
            for phrase in agency.house_parens:
                add(phrase, agency, {"house_paren"}, True)
            for phrase in agency.house_lines:
                if phrase.startswith("--"):
                    add(phrase[2:].strip(), agency, {"house_line_dash"}, True)
                else:
                    add(phrase, agency, {"house_line"}, True)
        self.forms = {k: _Form(v["agency"], frozenset(v["roles"]), v["ambiguous"]) for k, v in forms.items()}
        # One trie regex finds every form that does not start with a lowercase
        # letter; the few that do ("dpa", "reuter") are found with str.find.
        # Names in scripts that do not space their words (新华社, 共同通信) never
        # stand between word boundaries: wiretrace.credits reads them.
        self.hit_re = re.compile(_trie_pattern(f for f in self.forms if not f[0].islower() and not _UNSPACED.search(f)))
        # One str.find per literal: forms that extend another ("dpa-AFX"
        # after "dpa") are matched at the shorter one's positions.
        lower = sorted(f for f in self.forms if f[0].islower())
        literals: dict[str, list[str]] = {}
        for form in lower:
            word = form.split(" ")[0]
            shorter = next((w for w in literals if word.startswith(w)), None)
            literals.setdefault(shorter or word, []).append(form)
        self.lower_forms = [(word, re.compile(_trie_pattern(forms))) for word, forms in sorted(literals.items())]
        credit_forms = [f for f, v in self.forms.items() if "credit" in v.roles]
        any_credit = _trie_pattern(sorted(credit_forms, key=lambda f: (-len(f), f)))
        self.paren_prefix = re.compile(
            rf"(?:(?P<ini>(?<!\S)[a-z]{{1,5}}/[a-z]{{0,5}}{_H}*-?{_H}*)|(?:^|(?<=[.!?\"\u201d\u2019)\]])){_H}*)"
            rf"\({_H}*(?:{any_credit}{_H}*[,/&;]{_H}*)*\Z",
            re.M,
        )
        self.paren_suffix = re.compile(
            rf"(?:{_H}*[,/&;]{_H}*{any_credit})*{_H}*\)(?P<eol>{_H}*[{_DASH}.]?{_H}*$)?", re.M
        )
        self.source_prefix = re.compile(
            r"(?<![\w-])(?<!Photo )(?<!photo )(?<!Image )(?<!image )(?<!Picture )(?<!Graphic )(?<!Chart )"
            rf"(?:Sources?|SOURCES?|Quelle|QUELLE|Quellen|Fuente|FUENTE|Fuentes|Fonte|FONTE|Fontes|Bron|BRON"
            rf"|\u0179r\u00f3d\u0142o|Zdroj|Kilde|K\u00e4lla|L\u00e4hde|\u0418\u0441\u0442\u043e\u0447\u043d\u0438\u043a)"
            rf"{_H}*:{_H}*(?:-{_H}*)?(?:{_THE}?{any_credit}{_H}*(?:,|/|&|and|und|y|et|e|i){_H}*)*{_THE}?\Z"
        )
        self.not_preceded: dict[str, re.Pattern[str] | None] = {}
        self.not_followed: dict[str, re.Pattern[str] | None] = {}
        for a in agencies.values():
            before = sorted(set(default_not_preceded) | set(a.not_preceded_by), key=len, reverse=True)
            after = sorted(a.not_followed_by, key=len, reverse=True)
            self.not_preceded[a.id] = (
                re.compile(r"(?:" + "|".join(re.escape(w) for w in before) + r")\s+\Z") if before else None
            )
            self.not_followed[a.id] = (
                re.compile(r"\s+(?:" + "|".join(re.escape(w) for w in after) + r")(?!\w)") if after else None
            )

    # -- guards -------------------------------------------------------------

    def blocked(self, text: str, s: int, e: int, agency: str) -> bool:
        """True when the words around the name show it is not the agency."""
        before, after = self.not_preceded[agency], self.not_followed[agency]
        return bool(
            (before is not None and _prefix(before, text, s, 32, word=True))
            or (after is not None and after.match(text, e))
        )


@functools.lru_cache(maxsize=1)
def _matcher() -> _Matcher:
    agencies, default_not_preceded = _registry()
    return _Matcher(agencies, default_not_preceded)


def _prefix(pattern: re.Pattern[str], text: str, s: int, back: int, word: bool = False) -> re.Match[str] | None:
    """A match of ``pattern`` (ending in \\Z) that ends exactly at ``s``, at
    most ``back`` characters before it. With ``word``, the match must start a
    word: the patterns that begin with a word leave that check out, so that
    the regex engine can search quickly for their first letters."""
    pos = max(0, s - back)
    while (m := pattern.search(text, pos, s)) is not None:
        b = m.start()
        if not word or not b or not (text[b - 1].isalnum() or text[b - 1] == "_"):
            return m
        pos = b + 1
    return None


def _rstrip(text: str, start: int, end: int) -> int:
    """``end`` moved back over trailing white space and control characters, not before ``start``."""
    while end > start and (text[end - 1].isspace() or text[end - 1] in "\x03\x04"):
        end -= 1
    return end


def _wrapped(text: str, ls: int) -> bool:
    """True when the line starting at ``ls`` continues a sentence wrapped
    from the line before ("... told\\nReuters: ..."): that line ends in a
    lowercase letter or a comma, with no blank line between."""
    j = ls - 1  # the newline
    if j <= 0:
        return False
    k = j - 1
    while k >= 0 and text[k] in " \t\r":
        k -= 1
    return k >= 0 and (text[k].islower() or text[k] == ",")


def _line_end(text: str, e: int) -> int:
    le = text.find("\n", e)
    return len(text) if le < 0 else le


_DASHES = frozenset(_DASH + "=")
_LINE_WINDOW = 400  # how far back the start of a name's line is looked for
_FAR = -(10**9)  # "the line starts further back than that": fails every "s - ls <= n" test
_COPYRIGHT_CUES = ("\u00a9", "(c)", "(C)", "opyr", "OPYR", "Copr")


def _evaluate(text: str, s: int, e: int, form: _Form, ls: int, mt: _Matcher) -> tuple[str, int, int, str] | None:
    """The marker a name hit at [s, e) makes: (kind, start, end, strength) or None.

    Each kind's pattern is split at the name: a prefix pattern that must end
    exactly where the name starts, and a suffix pattern matched where it ends.
    Cheap string tests on the few characters before the name skip prefix
    patterns that cannot match.
    """
    roles = form.roles
    agency = mt.agencies[form.agency]

    # -- house style: (Reporting by ...), --With assistance from ...
    if "house_paren" in roles:
        if s and text[s - 1] in "( \t" and (p := _prefix(_HOUSE_PAREN_PREFIX, text, s, 4)):
            if q := _HOUSE_PAREN_SUFFIX.match(text, e):
                return "reporting", p.start(), q.end(), "strong"
    if "house_line" in roles or "house_line_dash" in roles:
        pattern = _HOUSE_LINE_DASH_PREFIX if "house_line_dash" in roles else _HOUSE_LINE_PREFIX
        if s - ls <= 8 and (p := pattern.match(text, ls, s)):
            q = _HOUSE_LINE_SUFFIX.match(text, e)
            start = ls + (len(p.group()) - len(p.group().lstrip()))
            return "reporting", start, _rstrip(text, e, q.end()) if q else e, "strong"
    if roles <= {"house_paren", "house_line", "house_line_dash"}:
        return None

    if mt.blocked(text, s, e, form.agency):
        return None

    before = text[max(0, s - 160) : s]
    prev = before.rstrip()[-1:]  # last non-space character before the name

    # -- dateline: LONDON, March 4 (Reuters) -
    if "dateline" in roles and prev in ("(", "/") and s - ls <= 160:
        p = _DATELINE_PREFIX.match(text, ls, s)
        if p:
            q = _DATELINE_SUFFIX.match(text, e)
            if q and (p.group("open") == "(") == (q.group("close") == ")"):
                date = p.group("date1") or p.group("date2")
                place = p.group("place")
                ok = True
                if q.group("sep") is None and not date and not (
                    q.group("close") == "/" and _DATE_AFTER.match(text, q.end())
                ):  # "WHITEFISH, MT / ACCESSWIRE / July 13, 2015 /": the date follows the name
                    ok = False
                if agency.dateline_needs_date and not date:
                    ok = False
                if form.ambiguous and place and not date:
                    main = re.split(r"[,\[(/]", place)[0]
                    ok = ok and main.isupper()
                if ok:
                    start = ls + (len(p.group()) - len(p.group().lstrip()))
                    return "dateline", start, q.end(), "strong"

    # -- sign-off: "Reuter" on its own line, "... said. PTI" at the very end
    if "signoff" in roles:
        if ls != _FAR and not text[ls:s].strip() and (q := _SIGNOFF_LINE.match(text, e)):
            return "signoff", s, _rstrip(text, e, q.end()), "strong"
        p = _prefix(_SIGNOFF_END_PREFIX, text, s, 24)
        if p and (q := _SIGNOFF_END.match(text, e)):
            return "signoff", s, _rstrip(text, e, q.end()), "strong"

    # the last words before the name, lowercased: the cue words of the prefix patterns
    tail = [w.strip(",.:;\"'()").lower() for w in before[-96:].replace("-", " ").split()[-10:]]
    words, last = set(tail), tail[-2:]

    if "credit" in roles:
        near = before[-48:]
        # © 2024 Reuters / Copyright 2024 The Associated Press / (c) dpa
        if any(cue in near for cue in _COPYRIGHT_CUES) and (p := _prefix(_COPYRIGHT_PREFIX, text, s, 48)):
            q = _COPYRIGHT_SUFFIX.match(text, e)
            return "copyright", p.start(), q.end() if q else e, "strong"
        # (AFP, dpa) closing a story; DW's "dj/rc (AFP, dpa)"
        if prev in ("(", ",", "/", "&", ";") and (p := _prefix(mt.paren_prefix, text, s, 120)):
            q = mt.paren_suffix.match(text, e)
            if q and (p.group("ini") is not None or q.group("eol") is not None):
                return "credit", text.index("(", p.start(), s), _rstrip(text, e, q.end()), "strong"
        # -- AFP / — Reuters / ==Kyodo closing a line
        if prev in _DASHES and (p := _prefix(_TRAILING_PREFIX, text, s, 8)):
            if q := _TRAILING_SUFFIX.match(text, e):
                return "credit", p.start(), _rstrip(text, e, q.end()), "strong"
        # Source: Xinhua
        if any(cue in before for cue in _SOURCE_CUES) and (p := _prefix(mt.source_prefix, text, s, 160)):
            q = _AGENCY_WORD_SUFFIX.match(text, e)
            return "credit", p.start(), q.end() if q else e, "strong"
        # "Reuters: The United States will ..." opening a line
        if (
            s - ls <= 12
            and (p := _LINE_START.match(text, ls, s))
            and (q := _PREFIX_CREDIT_SUFFIX.match(text, e))
            and not _wrapped(text, ls)
        ):
            start = ls + (len(p.group()) - len(p.group().lstrip()))
            line = text[q.end() : _line_end(text, q.end())].rstrip()
            teaser = line.endswith("...") or line.endswith("\u2026")
            # 'Reuters: "Kim Jong Un is fine"' quotes what the agency said
            quoted = line.lstrip()[:1] in ('"', "\u201c", "\u201e", "\u00ab", "'")
            return "credit", start, q.end(), "weak" if teaser or quoted else "strong"
        # This report by The Canadian Press was first published ...
        if "this" in tail[-6:] and (p := _prefix(_CP_CREDIT_PREFIX, text, s, 40, word=True)):
            if q := _CP_CREDIT_SUFFIX.match(text, e):
                return "credit", p.start(), q.end(), "strong"
        # By Reuters
        if "by" in last and (p := _prefix(_BYLINE_PREFIX, text, s, 12, word=True)):
            if q := _BYLINE_SUFFIX.match(text, e):
                return "byline", p.start(), q.end(), "strong"
        # The Associated Press contributed to this report
        q = _CONTRIB_SUFFIX.match(text, e) or _CONTRIB_STAFF_SUFFIX.match(text, e)
        if q:
            the = _prefix(_OPTIONAL_THE, text, s, 5)
            return "contributed", the.start() if the else s, q.end(), "strong"
        if ("by" in last or "from" in last) and (p := _prefix(_CONTRIB_BY_PREFIX, text, s, 90, word=True)):
            return "contributed", p.start(), e, "strong"
        if "from" in last and (p := _prefix(_CONTRIB_MATERIAL_PREFIX, text, s, 30, word=True)):
            if q := _CONTRIB_MATERIAL_SUFFIX.match(text, e):
                return "contributed", p.start(), q.end(), "strong"

    if "alias" in roles or "attr" in roles:
        if text[e : e + 3].lstrip()[:1].isdigit():  # "AFP 42": a plant, a model, a count - not the agency
            return None
        p = None
        for word in words & _ATTRIBUTION_WORDS:
            if p := _prefix(_ATTRIBUTION_BY_WORD[word], text, s, 90, word=True):
                break
        if p:
            q = _AGENCY_WORD_SUFFIX.match(text, e)
            return "attribution", p.start(), q.end() if q else e, "weak"
        q = _REPORTED_SUFFIX.match(text, e)
        if q:
            the = _prefix(_OPTIONAL_THE, text, s, 5)
            return "attribution", the.start() if the else s, q.end(), "weak"
        if last[-1:] and last[-1] in ("a", "an", "the") and (p := _prefix(_ARTICLE_PREFIX, text, s, 5)) and (
            q := _ROLE_SUFFIX.match(text, e)
        ):
            return "attribution", p.start(), q.end(), "weak"
        if "alias" in roles:
            return "mention", s, e, "none"
    return None


def _hits(text: str, mt: _Matcher) -> list[tuple[int, int, str]]:
    """Every registered name form in ``text``: (start, end, form), by start.

    Forms that start with a lowercase letter ("dpa") are found with
    str.find, which is much faster than adding a frequent first letter to
    the regex scan of the others."""
    out = []
    for hit in mt.hit_re.finditer(text):
        s = hit.start()
        if s and (text[s - 1].isalnum() or text[s - 1] == "_"):
            continue
        out.append((s, hit.end(), hit.group()))
    for literal, pattern in mt.lower_forms:
        pos = text.find(literal)
        while pos >= 0:
            if not pos or not (text[pos - 1].isalnum() or text[pos - 1] == "_"):
                m = pattern.match(text, pos)
                if m:
                    out.append((pos, m.end(), m.group()))
            pos = text.find(literal, pos + 1)
    if mt.lower_forms:
        out.sort()
    return out


def find_markers(text: str, *, mentions: bool = False) -> list[Marker]:
    """Every agency marker in ``text``, by offset.

    Args:
        text: Any text (an article body, a whole scraped page).
        mentions: Also return "mention" markers (names outside any dateline,
            credit or attribution phrase; strength "none", not evidence).

    Returns:
        Markers sorted by (start, end, agency, kind); ``text[m.start:m.end] ==
        m.text`` for each. The same text always gives the same markers.

    Raises:
        TypeError: ``text`` is not a string.

    Example:
        >>> page = "BEIJING, Nov. 24 (Xinhua) -- Trains ran late.\\n(c) dpa"
        >>> for m in find_markers(page):
        ...     print(m.agency, m.kind, m.strength, repr(m.text))
        xinhua dateline strong 'BEIJING, Nov. 24 (Xinhua) --'
        dpa copyright strong '(c) dpa'
        >>> [m.kind for m in find_markers("AP Biology is hard, Mr. Bloomberg said.", mentions=True)]
        []
        >>> [m.kind for m in find_markers("Reuters sued the company.", mentions=True)]
        ['mention']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, not {type(text).__name__}")
    mt = _matcher()
    found: list[tuple[int, int, str, str, str]] = []
    forms = mt.forms
    for s, e, matched in _hits(text, mt):
        form = forms.get(matched) or forms.get(_norm(matched))
        if form is None:  # pragma: no cover - every hit is a registered form
            continue
        # Start of the name's line, looked for only nearby: every use needs the
        # line to start within a few hundred characters (and a long one-line
        # text must not be scanned back to its start for every name).
        newline = text.rfind("\n", max(0, s - _LINE_WINDOW), s)
        ls = newline + 1 if newline >= 0 or s <= _LINE_WINDOW else _FAR
        result = _evaluate(text, s, e, form, ls, mt)
        if result is not None:
            kind, start, end, strength = result
            found.append((start, end, form.agency, kind, strength))
    if not found:
        return []
    return [
        _marker(agency, kind, text[start:end], start, end, strength)
        for start, end, agency, kind, strength in _resolve(found)
        if mentions or kind != "mention"
    ]


def _marker(agency: str, kind: str, text: str, start: int, end: int, strength: str) -> Marker:
    """A Marker built without the checks of its constructor (the values are
    right by construction); several times faster, which counts on corpora."""
    marker = object.__new__(Marker)
    marker.__dict__.update(agency=agency, kind=kind, text=text, start=start, end=end, strength=strength)
    return marker


def _resolve(found: list[tuple[int, int, str, str, str]]) -> list[tuple[int, int, str, str, str]]:
    """Drop duplicates and mentions inside other markers; settle house-style
    blocks, which do not name their agency: one that holds another agency's
    marker or a "contributed" one is dropped, and one in a text where only
    other agencies have strong named markers is weak."""
    found = sorted(set(found))
    if all(f[3] != "mention" and f[3] != "reporting" for f in found):
        return found
    evidence = [f for f in found if f[3] != "mention"]
    starts = [f[0] for f in evidence]
    reach = list(itertools.accumulate((f[1] for f in evidence), max))  # furthest end among evidence[:i+1]
    named_strong = {f[2] for f in evidence if f[4] == "strong" and f[3] != "reporting"}
    out = []
    for f in found:
        start, end, agency, kind, strength = f
        if kind == "mention":
            i = bisect.bisect_left(starts, end)  # evidence[:i] starts before the mention ends
            if i and reach[i - 1] > start:
                continue
        elif kind == "reporting":
            inside = evidence[bisect.bisect_left(starts, start) : bisect.bisect_right(starts, end)]
            if any(o != f and o[1] <= end and (o[2] != agency or o[3] == "contributed") for o in inside):
                continue
            if named_strong and agency not in named_strong:
                f = (start, end, agency, kind, "weak")
        out.append(f)
    return out


# --------------------------------------------------------------------------
# Evidence per agency


def _validate_markers(markers: Iterable[Marker]) -> list[Marker]:
    if isinstance(markers, (str, bytes)):
        raise TypeError("markers must be an iterable of Marker, not a string (use wire_copy for a text)")
    out = list(markers)
    for m in out:
        if not isinstance(m, Marker):
            raise TypeError(f"markers must be Marker objects, not {type(m).__name__}")
    return out


def _group(markers: Sequence[Marker], weak: bool) -> list[tuple[str, list[Marker]]]:
    by_agency: dict[str, list[Marker]] = {}
    for m in sorted(markers, key=lambda m: (m.start, m.end, m.agency, m.kind)):
        if m.strength != "none":
            by_agency.setdefault(m.agency, []).append(m)
    wanted = {"strong", "weak"} if weak else {"strong"}

    def first(ms: list[Marker]) -> int:
        return min(m.start for m in ms if m.strength in wanted)

    kept = [(a, ms) for a, ms in by_agency.items() if any(m.strength in wanted for m in ms)]
    # agencies with strong evidence first, then by where their evidence starts
    kept.sort(key=lambda item: (not any(m.strength == "strong" for m in item[1]), first(item[1]), item[0]))
    return kept


def wire_agencies(markers: Iterable[Marker], *, weak: bool = False) -> list[str]:
    """Ids of the agencies whose copy the markers show the text carries.

    Args:
        markers: Markers of one text, from :func:`find_markers`.
        weak: Also count agencies with only weak markers (attribution).

    Returns:
        Agency ids: those with strong markers first, each group ordered by the
        offset of the agency's first counted marker.

    Raises:
        TypeError: ``markers`` is not an iterable of :class:`Marker`.

    Example:
        >>> text = "Officials told Reuters of talks.\\nPARIS (AFP) - Talks began."
        >>> wire_agencies(find_markers(text)), wire_agencies(find_markers(text), weak=True)
        (['afp'], ['afp', 'reuters'])
    """
    return [agency for agency, _ in _group(_validate_markers(markers), weak)]


def wire_copy(text: str, *, weak: bool = False) -> list[AgencyEvidence]:
    """The agencies whose copy ``text`` carries, each with its markers.

    Args:
        text: Any text.
        weak: Also return agencies with only weak (attribution) markers;
            check :attr:`AgencyEvidence.strong` to tell them apart.

    Returns:
        One :class:`AgencyEvidence` per agency, ordered as by
        :func:`wire_agencies`; each holds all the agency's strong and weak
        markers.

    Raises:
        TypeError: ``text`` is not a string.

    Example:
        >>> seen = wire_copy("WASHINGTON (AP) — Rain.\\n\\nThe Associated Press contributed to this report.")
        >>> [(e.agency, e.kinds, e.strong) for e in seen]
        [('ap', ('dateline', 'contributed'), True)]
    """
    agencies = load_agencies()
    return [
        AgencyEvidence(agency, agencies[agency].name if agency in agencies else agency, tuple(ms))
        for agency, ms in _group(find_markers(text), weak)
    ]
