"""Who a page says its text came from: credits to agencies and outlets, each
with its evidence.

The rule: a **credit** is a statement, in the article's own lines or in the
page's markup, that the text (all or part) was produced by a source other
than the page's publisher: a news agency (``agency:ap``), another outlet
(``site:nytimes.com``) or unnamed agencies (``agencies``). Where a credit
can sit:

* the agency's formal marks anywhere in the text (datelines, credit lines,
  "contributed" lines, copyright, sign-offs: :mod:`wiretrace.wire`);
* the **byline zone**: the first and last few lines of the text, the
  page's author metadata and byline elements. A line there that is shaped
  like a byline (names, roles, dates and separators around a source's
  name, and no running prose) credits the source: ``By JONATHAN LEMIRE and
  VLADIMIR ISACHENKOV Associated Press``, ``VLADIMIR ISACHENKOV | AP``,
  ``Jan M. OlsenAssociated Press`` (scraped byline glued to the name),
  ``The Associated Press | Sunday, July 15, 2018``, ``Von X, dpa``;
* contributor sentences anywhere: ``Jill Colvin is an Associated Press
  writer``;
* syndication phrases (in the languages of ``cues``): ``This article
  originally appeared on X``, ``Republished with permission of X``,
  ``Source: X``, ``Quelle: X``, ``Provided by X``, ``Authored by Y via X``;
* markup: a canonical link (or ``og:url``) on another publisher's domain,
  ``syndication-source`` / ``original-source`` metadata, JSON-LD
  ``isBasedOn``, ``sourceOrganization``, ``provider``, organisation authors,
  meta authors that name an agency.

Not credits: photo credits (``REUTERS/Jane Doe``), mentions and attribution
inside the story (``told Reuters``), the publisher's own name, a canonical
link to the same publisher's other domain (one publication, see
:func:`same_publisher`). When in doubt a statement is left out: a wrong
credit is worse than a missing one.

Sources resolve through two registries kept as data: ``agencies.toml``
(:mod:`wiretrace.wire`) and ``outlets.toml`` (newspapers, broadcasters,
syndication services); a name in a syndication phrase that neither knows
is kept as ``name:<the name>``, and a domain as ``site:<domain>``.

Example:
    >>> [c.source for c in find_credits("By JANE DOE and JOHN ROE Associated Press\\n\\nRain fell.")]
    ['agency:ap']
    >>> [c.source for c in find_credits("Officials told Reuters of talks.")]
    []
"""

from __future__ import annotations

import bisect
import functools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from wiretrace.sites import site_of
from wiretrace.wire import _MONTH, _registry, _trie_pattern, agency_for_site, find_markers, load_agencies

__all__ = [
    "Credit",
    "Outlet",
    "find_credits",
    "credited_sources",
    "load_outlets",
    "name_spells",
    "outlet_for_site",
    "resolve_name",
    "publisher_keys",
    "same_publisher",
    "site_name_matches",
]

#: Lines at each end of a text read as its byline zone.
ZONE_LINES = 4
#: A byline is short: longer lines are prose.
ZONE_LINE_CHARS = 200
#: Metadata values longer than this are not bylines.
META_BYLINE_CHARS = 160


@dataclass(frozen=True)
class Credit:
    """One credit of a page.

    Attributes:
        source: ``agency:<id>``, ``site:<domain>``, ``name:<name>`` (a source
            neither registry knows) or ``agencies`` (unnamed agencies).
        kind: Evidence kind: a wire marker kind (``dateline``, ``credit``,
            ``byline``, ``reporting``, ``contributed``, ``copyright``,
            ``signoff``), ``contributor``, ``syndication``, ``canonical``,
            ``syndication_meta``, ``jsonld`` or ``author_meta``.
        strength: ``strong`` (the page says the text is the source's) or
            ``weak`` (circumstantial; not counted as a credit by default).
        where: ``text`` (offsets into the text), ``author`` (the document's
            author field) or ``metadata:<key>``.
        text: The evidence as found (cut to 200 characters).
        start, end: Offsets into the text when ``where == "text"``, else -1.
    """

    source: str
    kind: str
    strength: str
    where: str
    text: str
    start: int = -1
    end: int = -1

    def to_dict(self) -> dict[str, Any]:
        out = {"source": self.source, "kind": self.kind, "strength": self.strength, "where": self.where,
               "text": self.text}
        if self.start >= 0:
            out.update(start=self.start, end=self.end)
        return out


# --------------------------------------------------------------------------
# The outlet registry


@dataclass(frozen=True)
class Outlet:
    """An outlet or syndication service of ``outlets.toml``."""

    id: str
    name: str
    aliases: tuple[str, ...]
    domains: tuple[str, ...] = ()
    group: str = ""


@functools.lru_cache(maxsize=1)
def _outlet_registry() -> dict[str, Outlet]:
    raw = tomllib.loads(resources.files("wiretrace").joinpath("outlets.toml").read_text(encoding="utf-8"))
    out: dict[str, Outlet] = {}
    from wiretrace.registry import merged  # users' own outlets (--registry)

    for i, entry in enumerate(merged("outlet", raw.get("outlet", []))):
        unknown = set(entry) - {"id", "name", "aliases", "domains", "group"}
        if unknown:
            raise ValueError(f"outlets.toml: outlet #{i + 1} has unknown fields {sorted(unknown)}")
        outlet_id = entry.get("id")
        if not isinstance(outlet_id, str) or site_of(outlet_id) is None or outlet_id in out:
            raise ValueError(f"outlets.toml: outlet #{i + 1} needs a unique id that is a domain, not {outlet_id!r}")
        aliases = tuple(entry.get("aliases", []))
        if not aliases or any(
            not isinstance(a, str) or len(a.strip()) < (2 if _UNSPACED_SCRIPT.search(a) else 3) for a in aliases
        ):
            raise ValueError(f"outlets.toml: outlet {outlet_id!r} needs aliases of three or more characters "
                             "(two in Chinese, Japanese, Korean or Arabic script)")
        out[outlet_id] = Outlet(outlet_id, str(entry.get("name", outlet_id)), aliases,
                                tuple(d.lower() for d in entry.get("domains", [])), str(entry.get("group", "")))
    return out


def load_outlets() -> dict[str, Outlet]:
    """The outlets of the registry, by id (their main domain).

    Example:
        >>> load_outlets()["nytimes.com"].name
        'The New York Times'
    """
    return dict(_outlet_registry())


@functools.lru_cache(maxsize=1)
def _outlet_domains() -> dict[str, str]:
    out: dict[str, str] = {}
    for outlet in _outlet_registry().values():
        for domain in (outlet.id, *outlet.domains):
            out[domain] = outlet.id
    return out


def outlet_for_site(site: str | None) -> str | None:
    """The registry outlet whose domain ``site`` is (its id), or None.

    Example:
        >>> outlet_for_site("guardian.co.uk"), outlet_for_site("example.org")
        ('theguardian.com', None)
    """
    if not site:
        return None
    return _outlet_domains().get(site.lower())


def _publisher_key(site: str) -> str:
    """What identifies a publisher across its domains: the registry outlet or
    agency, else the domain itself."""
    outlet = outlet_for_site(site)
    if outlet:
        return f"outlet:{outlet}"
    agency = agency_for_site(site)
    if agency:
        return f"agency:{agency}"
    return f"site:{site}"


_GENERIC_SUFFIXES = frozenset({"com", "net", "org", "info", "biz"})


def _country_twin(a: str, b: str) -> bool:
    """bbc.co.uk and bbc.com, theregister.co.uk and theregister.com: one name
    under a country suffix and under a generic one is one publisher's move
    or twin. Two generic (example.com, example.org) or two country suffixes
    (independent.co.uk, independent.ie) are not taken for one publisher."""
    label_a, _, suffix_a = a.partition(".")
    label_b, _, suffix_b = b.partition(".")
    if label_a != label_b or len(label_a) < 3 or suffix_a == suffix_b:
        return False
    return (suffix_a in _GENERIC_SUFFIXES) != (suffix_b in _GENERIC_SUFFIXES)


def same_publisher(site_a: str | None, site_b: str | None) -> bool:
    """True when two sites are one publisher: the same domain, two domains of
    one registry outlet or agency, or the same name
    under a country and a generic suffix (``bbc.co.uk``/``bbc.com``,
    ``theregister.co.uk``/``theregister.com``).

    Example:
        >>> same_publisher("guardian.co.uk", "theguardian.com"), same_publisher("bbc.co.uk", "bbc.com")
        (True, True)
        >>> same_publisher("eastbaytimes.com", "mercurynews.com")
        False
    """
    if not site_a or not site_b:
        return False
    a, b = site_a.lower(), site_b.lower()
    return a == b or _publisher_key(a) == _publisher_key(b) or _country_twin(a, b)


@functools.lru_cache(maxsize=65536)
def publisher_keys(site: str) -> tuple[str, str]:
    """Keys of a site such that any two sites :func:`same_publisher` takes for
    one publisher share at least one: its registry key (outlet, agency or the
    domain) and its name (the domain's first label, which country twins
    share). For indexing; ``same_publisher`` decides.

    Example:
        >>> set(publisher_keys("bbc.de")) & set(publisher_keys("bbc.co.uk"))
        {'label:bbc'}
    """
    site = site.lower()
    return _publisher_key(site), "label:" + site.partition(".")[0]


# --------------------------------------------------------------------------
# Names


def _name_key(name: str) -> str:
    name = " ".join(name.split())
    if name.lower().startswith("the "):
        name = name[4:]
    return name.rstrip(".").casefold()


@functools.lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Casefolded name form -> source, for exact lookups of whole values."""
    out: dict[str, str] = {}
    for agency in load_agencies().values():
        for alias in (agency.name, *agency.aliases):
            out.setdefault(_name_key(alias), f"agency:{agency.id}")
    for outlet in _outlet_registry().values():
        for alias in (outlet.name, *outlet.aliases):
            out.setdefault(_name_key(alias), f"site:{outlet.id}")
    return out


_DOMAIN_RE = re.compile(r"(?i)^(?:https?://)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?:/\S*)?$")


def resolve_name(name: str | None) -> str | None:
    """The source a name or URL stands for: ``agency:<id>``, ``site:<domain>``,
    or None when it is neither a registry name nor a domain/URL.

    Example:
        >>> resolve_name("The Associated Press"), resolve_name("CNN Newsource"), resolve_name("oilprice.com")
        ('agency:ap', 'site:cnn.com', 'site:oilprice.com')
    """
    if not name or not isinstance(name, str):
        return None
    value = " ".join(name.split()).strip(" .,;:|/-\u2013\u2014")
    found = _names().get(_name_key(value))
    if found:
        return found
    m = _DOMAIN_RE.match(value)
    if m and "." in m.group(1):
        site = site_of(m.group(1))
        if site and "." in site and not site.startswith("."):
            return _site_source(site)
    return None


def _site_source(site: str) -> str:
    """The source a site is: its agency, else its registry outlet, else itself."""
    agency = agency_for_site(site)
    return f"agency:{agency}" if agency else f"site:{outlet_for_site(site) or site}"


# --------------------------------------------------------------------------
# Name patterns, built once from both registries


_H = r"[^\S\n]"


@functools.lru_cache(maxsize=1)
def _name_regex() -> tuple[tuple[re.Pattern[str], re.Pattern[str]], dict[str, str]]:
    """One regex of every agency and outlet name form (case-sensitive), and
    the source of each form. Used inside the byline zone and after cue
    phrases only, where formal-only names ("AP") are safe."""
    forms: dict[str, str] = {}
    for agency in load_agencies().values():
        for alias in agency.aliases:
            if alias in agency.dateline_only:
                continue
            # a restricted name that is also a surname or a word ("Wolff",
            # "Petra"): in a byline it is a person more often than the agency
            if alias in agency.formal_only and alias[:1].isupper() and alias[1:].islower():
                continue
            if _UNSPACED_SCRIPT.search(alias):
                continue  # read by _script_credits: these scripts do not space their words
            for form in {alias, alias.upper()} if len(alias) > 3 else {alias}:
                forms.setdefault(form, f"agency:{agency.id}")
    for outlet in _outlet_registry().values():
        for alias in outlet.aliases:
            if not _UNSPACED_SCRIPT.search(alias):
                forms.setdefault(alias, f"site:{outlet.id}")
    # Prefix tries (one regex alternation factored by prefix), starting with
    # the names' first letters so that the regex engine skips ahead to them;
    # the word boundary before a name is checked in Python (_name_matches).
    # A scraped byline can glue the name to the person's ("OlsenAssociated
    # Press"): only long capitalised names are looked for right after a
    # lowercase letter ("WhatsApp" must not hold "ats").
    glued = [f for f in forms if len(f) >= GLUED_MIN_CHARS and f[:1].isupper() and not f.isupper()]
    # Names that start with a lowercase letter ("dpa", "epd") are found with
    # str.find: in the regex their first letters would stop it everywhere.
    upper = [f for f in forms if not f[:1].islower()]
    return (
        re.compile(rf"(?P<name>{_trie_pattern(upper, end=_NAME_END)})(?![^\W\d_]|[@-]|\.\w)"),
        re.compile(rf"(?P<name>{_trie_pattern(glued, end=_NAME_END)})(?![^\W\d_]|[@-]|\.\w)"),
    ), forms


@functools.lru_cache(maxsize=1)
def _lower_names() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(literal, regex) of every name form that starts with a lowercase letter;
    the literal (found with str.find) is the whole form as usually written,
    so that "el Nuevo Herald" is not looked for at every "el"."""
    _, forms = _name_regex()
    return tuple(
        (" ".join(f.split()), re.compile(rf"(?P<name>{_trie_pattern([f], end=_NAME_END)})(?![^\W\d_]|[@-]|\.\w)"))
        for f in sorted(forms) if f[:1].islower()
    )


# A name may be followed by digits in a scraped byline ("The Guardian02/10/2020"),
# never by letters.
_NAME_END = r"(?![^\W\d_])"
_THE_BEFORE = re.compile(r"(?<![\w-])[Tt]he\s+\Z")


def _name_matches(line: str, at_start: bool = False) -> list[tuple[int, int, int, int, str]]:
    """Registry names in ``line``: (start, end, name start, name end, form),
    by position; ``start`` takes in a "The " before the name. With
    ``at_start``, only a name at the very start of the line."""
    (names, glued), _ = _name_regex()
    out = []
    if at_start:
        m = names.match(line) or next((p.match(line) for w, p in _lower_names() if line.startswith(w)), None)
        return [(0, m.end(), 0, m.end(), m.group("name"))] if m else []
    found = list(names.finditer(line))
    for literal, pattern in _lower_names():
        position = line.find(literal)
        while position >= 0:
            if (m := pattern.match(line, position)) is not None:
                found.append(m)
            position = line.find(literal, position + 1)
    for m in found:
        s = m.start()
        if s and (line[s - 1].isalnum() or line[s - 1] in "_@.-"):
            continue
        if line[m.end() : m.end() + 1].isdigit() and len(m.group("name")) <= 4:
            continue  # "AP2014", "AFP1": a code, not a name with a date glued on
        the = _THE_BEFORE.search(line, max(0, s - 8), s)
        out.append((the.start() if the else s, m.end(), s, m.end(), m.group("name")))
    for m in glued.finditer(line):
        s = m.start()
        if s and "a" <= line[s - 1] <= "z":
            out.append((s, m.end(), s, m.end(), m.group("name")))
    out.sort()
    return out


#: Shortest name looked for glued to the word before it.
GLUED_MIN_CHARS = 7


# Chinese, Japanese, Korean and Arabic names: words are not spaced (CJK) or
# the credit sits in its own brackets, so they are read by their own rules.
_UNSPACED_SCRIPT = re.compile(r"[\u0600-\u06FF\u3040-\u30FF\u3400-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF]")


def _source_of_form(form: str) -> str | None:
    _, forms = _name_regex()
    return forms.get(form) or forms.get(" ".join(form.split()))


# --------------------------------------------------------------------------
# The byline zone

# Words a byline may hold besides names: leads, connectors, roles, dates.
_BYLINE_WORDS = frozenset(
    """
    by von por par di da de door av af från fra z przez от от: texto text autor autora autores author authors
    redaktion red redacción redaccion rédaction redazione redação staff reporting written
    and und y et e i og en och a with mit con avec com og und/oder , in at aus from
    writer writers reporter reporters correspondent correspondents editor editors journalist journalists
    contributor contributors columnist producer photographer photographers analyst wire wires service
    services news agency agencies bureau desk team senior chief national international political economics
    business security affairs white house diplomatic medical science health sports technology legal
    updated published posted last modified am pm a.m. p.m. et est edt cet cest gmt utc pst pdt cst cdt
    mon tue wed thu fri sat sun monday tuesday wednesday thursday friday saturday sunday
    jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august
    september october november december januar februar märz mai juni juli oktober dezember
    janvier février mars avril juin juillet août septembre octobre novembre décembre
    enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
    min mins minute minutes read hour hours ago uhr h hs a.m p.m
    """.split()
)
_WORD_RE = re.compile(r"[^\W\d_][\w'\u2019.\-]*")
_PROSE_PUNCT = re.compile(r"[.!?][\"\u201d\u2019)]?\s+[a-z]|[\"\u201c\u201d]")


# "All rights reserved" after a copyright line, in the wires' languages
_RIGHTS = re.compile(
    r"(?i)all\s+rights\s+reserved|alle\s+rechte\s+vorbehalten|todos\s+los\s+derechos\s+reservados"
    r"|tous\s+droits\s+r[ée]serv[ée]s|tutti\s+i\s+diritti\s+riservati|todos\s+os\s+direitos\s+reservados"
)
_INITIALS = re.compile(r"(?<![\w-])[a-z]{1,4}(?=/)|(?<=/)[a-z]{1,4}(?![\w-])")
_CHROME_WORDS = frozenset(
    "join follow subscribe read watch share listen sign more latest related download get see view click "
    "support donate advertise advertisement sponsored newsletter podcast photo photos image images video "
    "videos foto fotos bild bilder imagen imagem getty shutterstock".split()
)
_IMAGE_WORD = re.compile(r"(?i)photo|foto|bild|image|picture|video|grafik|illustration")
# ... and as a whole word on a caption's line ("File photo of ...", but not "bilden")
#: How far before a bracketed credit a caption's photo word is looked for
#: (a text scraped without line breaks is one line: not all of it).
CAPTION_CHARS = 120
_CAPTION_WORD = re.compile(
    r"\b(?:[Pp]hotos?|PHOTO|[Ff]otos?|FOTO|Bild(?:er)?|[Ii]mages?|[Pp]ictures?|[Vv]ideos?|Grafik|[Ii]llustration)\b"
)
_BYLINE_LEAD = re.compile(
    r"(?i)(?:^|\s)(?:by|von|por|par|di|door|av|af|from|texto|text|autor|author|redaktion|redacci[oó]n|"
    r"r[ée]daction|redazione|reda[cç][aã]o)\s*:?\s"
)


_URL_WORD = re.compile(r"\(?(?:https?://|www\.)[^\s)]+\)?")  # an address is no prose


def _byline_shaped(line: str, start: int, end: int) -> bool:
    """True when ``line`` with the name at ``[start, end)`` taken out holds no
    prose: every lowercase word is a byline word (or staff initials next to a
    slash, "sak/Reuters"), it has few words, and none is site chrome
    ("Join", "Photo")."""
    rest = _RIGHTS.sub(" ", _INITIALS.sub(" ", _URL_WORD.sub(" ", line[:start] + " " + line[end:])))
    if _PROSE_PUNCT.search(rest):
        return False
    words = _WORD_RE.findall(rest)
    if any(w.strip(".'\u2019-").casefold() in _CHROME_WORDS or _IMAGE_WORD.search(w) for w in words):
        return False
    if len(words) > 14:
        return False
    for word in words:
        w = word.strip(".'\u2019-")
        if not w:
            continue
        if w[0].islower() and w.casefold() not in _BYLINE_WORDS:
            return False
    return True


_SENTENCE_END = re.compile(r"[.!?\u3002][\"\u201d\u2019)]?\s+(?=\S)")


# A period after these ends no sentence: "St. Louis Post-Dispatch", "Dr. X", "J. Doe"
_ABBREVIATION = re.compile(r"(?:\b(?:St|Ste|Mt|Ft|Mr|Mrs|Ms|Dr|Jr|Sr|Gov|Sen|Rep|Gen|Col|Lt|Sgt|Prof|Rev|No|Co|Inc|Corp|Ltd|vs)|(?<![\w.])[A-Z])\Z")


def _sentence_ends(line: str, start: int, end: int):
    """Sentence ends of ``line[start:end]``, abbreviations ("St.", "J.") skipped."""
    for m in _SENTENCE_END.finditer(line, start, end):
        if line[m.start()] == "." and _ABBREVIATION.search(line, max(0, m.start() - 5), m.start()):
            continue
        yield m


def _zone_lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) of the first and last ZONE_LINES non-empty lines. A
    text scraped without line breaks is one long line: its first and last
    sentences (when short) stand for its first and last lines."""
    head: list[tuple[int, str]] = []  # the first lines, read forwards
    pos, size = 0, len(text)
    while pos <= size and len(head) < ZONE_LINES:
        end = text.find("\n", pos)
        end = size if end < 0 else end
        if end > pos:
            line = text[pos:end]
            if not line.isspace():
                head.append((pos, line))
        pos = end + 1
    tail: list[tuple[int, str]] = []  # the last lines, read backwards, not overlapping the head
    end = size
    while end >= pos and len(tail) < ZONE_LINES:
        start = text.rfind("\n", 0, end) + 1
        if start < pos:
            break
        if end > start:
            line = text[start:end]
            if not line.isspace():
                tail.append((start, line))
        end = start - 1
    lines = head + tail[::-1]
    out = []
    for i, (offset, line) in enumerate(lines):
        if len(line) <= ZONE_LINE_CHARS:
            out.append((offset, line))
            continue
        if i < ZONE_LINES and (m := next(_sentence_ends(line, 0, ZONE_LINE_CHARS), None)):
            out.append((offset, line[: m.start() + 1]))
        if i >= len(lines) - ZONE_LINES:
            tail_start = len(line) - ZONE_LINE_CHARS
            ends = list(_sentence_ends(line, tail_start, len(line)))
            if ends:
                out.append((offset + ends[-1].end(), line[ends[-1].end():]))
    return out


def _byline_credits(line: str, offset: int, where: str) -> list[Credit]:
    """Credits of one byline-zone line (empty when it is not byline-shaped)."""
    if len(line) > ZONE_LINE_CHARS:
        return []
    out = []
    for start, end, s, e, form in _name_matches(line):
        source = _source_of_form(form)
        if source is None:
            continue
        if not _byline_shaped(line, start, end):
            continue
        if (source.startswith("site:") or _restricted(form)) and not _outlet_byline(line, start, end):
            continue  # "Suspended AAP Councillor ...": a headline, not a byline
        if line[:start].count("(") > line[:start].count(")") and not _BYLINE_LEAD.search(line):
            continue  # "Imran Khan (Reuters)", "(Marisa Kendall/ Mercury News)": a caption's credit
        if _photo_credit(line, end):
            continue
        out.append(Credit(source, "byline", "strong", where, line.strip()[:200],
                          offset + s if where == "text" else -1, offset + e if where == "text" else -1))
    return out


@functools.lru_cache(maxsize=1)
def _restricted_forms() -> frozenset[str]:
    out = set()
    for agency in load_agencies().values():
        for alias in (*agency.formal_only, *agency.dateline_only):
            out.update((alias, alias.upper()))
    return frozenset(out)


def _restricted(form: str) -> bool:
    """A name too ambiguous for running text (``formal_only`` in agencies.toml: "AP", "AAP")."""
    return " ".join(form.split()) in _restricted_forms()


# A line that opens with an image's label: its credits are the picture's
_IMAGE_LINE = re.compile(
    r"(?i)[^\S\n]*(?:[\w-]*(?:photo|foto|bild|image|picture|imagen|imagem|grafik|graphic|video|illustration)"
    r"[\w-]*|credits?)[^\S\n]*[:|]"
)


def _on_image_line(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return bool(_IMAGE_LINE.match(text, line_start if line_start else 0)) if text[line_start:start].strip() else False


_PHOTO_AFTER = re.compile(r"[^\S\n]*/[^\S\n]*(?P<word>[A-Z][\w'.-]*)")


def _photo_credit(line: str, end: int, own_site: str | None = None) -> bool:
    """"REUTERS/Jane Doe", "AFP/Getty Images": an agency's name, a slash and
    a capitalised word that is no agency is a photographer's credit -- unless
    the word is the page's own site ("© dpa/Spektrum.de": the agency's text,
    edited by the site)."""
    m = _PHOTO_AFTER.match(line, end)
    return (bool(m) and _agency_token(m.group("word")) is None
            and not (own_site and site_name_matches(m.group("word"), own_site)))


_COPYRIGHT_LEAD = re.compile(
    r"(?:\u00a9|\([cC]\)|Copyright|COPYRIGHT)[^\S\n]*:?[^\S\n]*(?:(?:19|20)\d\d[^\S\n]*)?(?:[Tt]he[^\S\n]+)?\Z"
)


def _outlet_byline(line: str, start: int, end: int) -> bool:
    """An outlet's name in a byline needs a lead ("By ...") or a separator
    right next to it ("Jane Doe | CNN", "CNN Newsource"-style lines stand
    alone): outlet names are ordinary words more often than agency names."""
    if _BYLINE_LEAD.search(line) or _COPYRIGHT_LEAD.search(line[:start]):
        return True
    before, after = line[:start].rstrip(), line[end:].lstrip()
    return (not before and not after) or (before[-1:] in "|/,\u2022\u00b7\u2013\u2014-") or (after[:1] in "|/\u2022\u00b7")


#: Contributor sentences ("X is an Associated Press writer") are looked for
#: in the first and last characters of a text, where articles put them
#: (the tail is long enough to reach past a page's trailing chrome).
CONTRIBUTOR_HEAD_CHARS = 1000
CONTRIBUTOR_TAIL_CHARS = 2500
#: "X is a reporter for Y." is read in the text's last characters only: higher
#: up, it describes someone in the story ("Walters is a correspondent for ABC").
AUTHOR_NOTE_CHARS = 400


def _ends(text: str) -> list[tuple[int, int]]:
    """The head and tail ranges of a text (one range when they meet)."""
    if len(text) <= CONTRIBUTOR_HEAD_CHARS + CONTRIBUTOR_TAIL_CHARS:
        return [(0, len(text))]
    return [(0, CONTRIBUTOR_HEAD_CHARS), (len(text) - CONTRIBUTOR_TAIL_CHARS, len(text))]


# Cheap tests that say whether a slower regex can match at all.
_ROLE_WORDS = ("writer", "reporter", "correspondent", "journalist", "photographer", "editor", "producer", "contribut")
_UNNAMED_STEMS = re.compile(r"(?i)agenc|agentur|ag\u00eanc|wire")


# "Jill Colvin is an Associated Press writer", "are AP reporters"
_CONTRIBUTOR = re.compile(
    r"\b(?:is|are|was|were)\s+(?:an?|the)\s+(?P<name>[A-Z][\w.&'-]*(?:\s+[A-Z][\w.&'-]*){0,3})\s+"
    r"(?:[\w-]+\s+){0,3}?(?:writer|reporter|correspondent|journalist|photographer|editor|producer|"
    r"videojournalist|contributor)s?\b"
)
# "Kisling is a reporter for Bloomberg News.", "Jane Doe is a staff writer at The Atlantic.":
# a sentence of its own, its subject a name
_CONTRIBUTOR_FOR = re.compile(
    r"(?m)(?:^|(?<=[.!?]\s))[^\S\n]*(?!(?:He|She|They|It|We|I|You|This|That)\b)[A-Z][\w.'\u2019-]*"
    r"(?:[^\S\n]+(?:[A-Z][\w.'\u2019-]*|and|&)){0,5}[^\S\n]+"
    r"(?:is|are)[^\S\n]+(?:an?|the)[^\S\n]+(?:[\w-]+[^\S\n]+){0,2}?"
    r"(?:writer|reporter|correspondent|journalist|editor|producer|contributor)s?[^\S\n]+(?:for|at|with)[^\S\n]+"
    r"(?P<name>(?:[Tt]he[^\S\n]+)?[A-Z][\w.&'-]*(?:[^\S\n]+[A-Z][\w.&'-]*){0,3})[^\S\n]*[.\n]"
)
# "CNN's Jane Doe contributed to this report", "The Washington Post's X and Y contributed"
_POSSESSIVE_CONTRIBUTOR = re.compile(
    r"(?<![\w.'\u2019-])(?P<name>(?:[Tt]he[^\S\n]+)?[A-Z][\w&-]*(?:[^\S\n]+[A-Z][\w&-]*){0,3})"
    r"(?:['\u2019]s?|[^\S\n]+(?:staff[^\S\n]+)?(?:writers?|reporters?|correspondents?))[^\S\n]+"
    r"[A-Z][\w.'\u2019-]*(?:[^\S\n]+(?:[A-Z][\w.'\u2019-]*|and|&)|,)*[^\S\n]*,?[^\S\n]+(?:also[^\S\n]+)?contributed\b"
)
# Tribune Content Agency's trailer: "Visit The Dallas Morning News at www.dallasnews.com"
_VISIT = re.compile(r"\bVisit\s+(?:[Tt]he\s+)?[A-Z][^\n]{1,60}?\s+(?:online\s+)?at\s+(?P<name>(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)+)")


# --------------------------------------------------------------------------
# Syndication phrases

_NAME_TAIL = (
    r"(?P<name>(?:https?://)?[\w.-]+\.(?:com|org|net|co\.uk|de|fr|es|it|au|ca|in|io|news)\b[\w./-]*"
    r"|(?:[Tt]he\s+)?[A-Z0-9\u00C0-\u00DE][\w.&'\u2019-]*(?:\s+(?:[A-Z0-9\u00C0-\u00DE&][\w.&'\u2019-]*|of|de|del|di|du|la|le|für|für)){0,5})"
)
# Phrases that say where the text came from, followed by the source's name.
# Each holds the lead-in up to the name; the name follows (see _NAME_TAIL).
_CUES = (
    # English
    r"(?:This|this|The|the)\s+(?:article|story|post|piece|report|column|essay|interview)\s+(?:was\s+|has\s+been\s+)?"
    r"(?:originally\s+|first\s+|previously\s+)?(?:appeared|published|posted|ran|produced)\s+(?:on|in|at|by|with)\s+",
    r"(?:[Oo]riginally|[Ff]irst)\s+(?:appeared|published|posted|ran)\s+(?:on|in|at|by)\s+",
    r"(?:[Rr]epublished|[Rr]eprinted|[Rr]eproduced|[Ss]yndicated|[Rr]eposted)\s+(?:here\s+)?(?:with\s+(?:the\s+)?"
    r"(?:kind\s+)?permission\s+)?(?:from|of|by)\s+",
    r"(?#soft)(?:[Pp]rovided|[Dd]istributed|[Ss]yndicated|[Ll]icensed)\s+by\s+",
    r"(?#soft)(?:[Cc]ourtesy|[Cc]ontent\s+courtesy)\s+of\s+",
    r"(?#soft)[Ff]rom\s+(?:the\s+)?(?=[A-Z][\w.-]*\s+(?:News\s+Service|Wire\s+Service|Content\s+Agency))",
    # German
    r"(?:[Dd]ieser\s+(?:Artikel|Beitrag|Text)\s+)?(?:erschien|erscheint)\s+(?:zuerst|ursprünglich|erstmals)\s+(?:bei|in|auf|im)\s+(?:der\s+|dem\s+)?",
    r"[Mm]it\s+freundlicher\s+Genehmigung\s+(?:von|der|des)\s+",
    # "im Original ist er in der israelischen Tageszeitung Haaretz erschienen"
    r"[Ii]m\s+Original\s+(?:ist\s+(?:er|sie|es)\s+|erschien\s+(?:er|sie|es)\s+)?(?:in|bei|auf|im)\s+"
    r"(?:der\s+|dem\s+|des\s+)?(?:[a-z\u00e4\u00f6\u00fc\u00df-]+\s+)?"
    r"(?:(?:Tages|Wochen)?[Zz]eitung\s+|Magazin\s+|Zeitschrift\s+|Website\s+)?(?=[A-Z][^\n]{0,60}?\s+erschienen\b)",
    r"(?#soft)[Mm]it\s+Material\s+(?:von|vom|der|des)\s+",
    # French
    r"(?:[Cc]et\s+article\s+a\s+été\s+|[Aa]rticle\s+)?(?:initialement|d'abord|originellement|originalement)\s+"
    r"(?:publié|paru)\s+(?:sur|dans|par)\s+(?:le\s+site\s+(?:de\s+)?)?",
    r"(?:[Pp]ublié|[Pp]aru)\s+(?:initialement|à\s+l'origine|d'abord)\s+(?:sur|dans|par)\s+",
    # Spanish / Portuguese / Italian
    r"(?:[Pp]ublicad[oa]|[Pp]ubblicat[oa])\s+(?:originalmente|originariamente|inicialmente|primero)\s+(?:en|em|no|na|su|sul|nel)\s+",
    r"(?#soft)(?:[Cc]on|[Cc]om)\s+informaci(?:ón|ones|ção|ções)\s+(?:de|da|do|das|dos)\s+",
    # a translation names its source: "translated from X", "Übersetzung eines Artikels ... von X"
    r"(?#soft)(?:[Tt]ranslated|[Aa]dapted)\s+from\s+(?:an?\s+(?:article|story|report)\s+(?:by|in|from|on)\s+)?",
    r"(?#soft)(?:[Üü]bersetzung|[Üü]bertragung)\s+(?:eines|des)\s+(?:Artikels|Beitrags|Textes)\s+(?:[\w-]+\s+){0,3}?(?:von|aus|bei)\s+(?:der\s+|dem\s+)?",
)
# Most cues say outright that the text was published first elsewhere; the
# soft ones, marked (?#soft) (provided by, courtesy of, with information
# from), also name people and data sources, so an unknown name after them
# is only weak.
_SOFT_CUES = tuple(c for c in _CUES if c.startswith("(?#soft)"))
_STRONG_CUES = tuple(c for c in _CUES if c not in _SOFT_CUES)
_STRONG_CUE_RE = re.compile("(?:" + "|".join(f"(?:{c})" for c in _STRONG_CUES) + ")" + _NAME_TAIL)
_SOFT_CUE_RE = re.compile("(?:" + "|".join(f"(?:{c})" for c in _SOFT_CUES) + ")" + _NAME_TAIL)
# "Source: X" / "Quelle: X" / "Fuente: X" opening a line (or a short credit line)
# (AP's member exchange signs a story taken from a paper "Information from: The
# Day, http://www.theday.com"; a scrape may leave a stray mark before it.)
_SOURCE_LINE = re.compile(
    rf"(?m)^{_H}*(?:[(\[\"?]{_H}*){{0,2}}(?:SOURCE|Source|Sources|QUELLE|Quelle|Fuente|FUENTE|Fonte|FONTE|Bron|BRON|Źródło|"
    rf"Kilde|Källa|Lähde|Zdroj|Forrás|Источник|来源|出典|출처|المصدر|Information{_H}+from){_H}*[:\uff1a]{_H}*"
    + _NAME_TAIL.replace("(?P<name>", "(?P<name>", 1)
)
# the next name of a source line's list: "Sources: GreatAgain, Washington Examiner"
_NEXT_NAME = re.compile(rf"{_H}*(?:[,;&]|\band\b|\bund\b|\by\b|\bet\b){_H}*" + _NAME_TAIL)
#: A source line names at most this many sources (a longer list is a reading list).
SOURCE_LIST_NAMES = 4
# "Quelle: sid/dpa": a source line that lists agencies by their short names
_SOURCE_LIST = re.compile(
    rf"{_H}*(?:Sources?|SOURCES?|Quellen?|QUELLE|Fuentes?|Fontes?|Bron|\u0179r\u00f3d\u0142o|Zdroj){_H}*:{_H}*"
    rf"(?P<body>[A-Za-z-]{{2,12}}(?:{_H}*[/,]{_H}*[A-Za-z-]{{2,12}}){{1,4}}){_H}*\.?{_H}*$"
)
# "Authored by X via Y", "By X via Y" in the byline zone
# (capitalised at a line's start only with a colon: "Via Veneto" is a street)
_VIA = re.compile(rf"(?:\bvia{_H}+|^{_H}*(?:VIA|Via){_H}*:{_H}*)" + _NAME_TAIL)
# "(APA/dpa/AFP)", "red, ORF.at/Agenturen", "SOURCE: Al Jazeera and news agencies"
_UNNAMED = re.compile(
    r"(?<![\w-])(?:news\s+agencies|wire\s+services|wire\s+reports|agencies|Agenturen|agencias|agences|agenzie|"
    r"agências|Agentur|Nachrichtenagenturen|agencias\s+de\s+noticias)(?![\w-])"
)


# "(With inputs from agencies)", "with agency inputs", "mit Material von Agenturen"
_UNNAMED_PHRASE = re.compile(
    r"(?i)(?:with|mit|con|avec|com)\s+(?:(?:inputs?|files|reporting|information|material|informaci[oó]n|informa[cç][oõ]es)\s+"
    r"(?:from|von|de|das|dos)\s+(?:news\s+|wire\s+)?(?:agencies|agenturen|agencias|ag[eê]ncias|agences)"
    r"|agency\s+inputs)(?![\w-])"
)
# what must stand right before "agencies" in a short line for it to be a
# credit: "and agencies", "ORF.at/Agenturen", "Source: news agencies"
_UNNAMED_BEFORE = re.compile(
    r"(?i)(?:\b(?:and|und|y|et|e|with|mit|con|avec|from|von)\s+|[/(,|+&]\s*|(?:source|quelle|fuente|fonte|bron)s?\s*:[\s-]*)"
    r"(?:news\s+|wire\s+)?\Z"
)


# Words without which no cue phrase can match: the cue regexes run only on
# windows around them. Whether a text holds any is one split of the text into
# a set of words (a regex, or a str.find per word, over every text cost
# 0.3-0.5 ms per page); most texts hold none.
_CUE_WORDS = frozenset(
    """originally originellement originalement originalmente originariamente first republished reprinted reproduced
    syndicated reposted provided distributed licensed courtesy service agency erschien erscheint genehmigung material
    initialement d'abord publi\u00e9 publi\u00e9e paru parue publicado publicada pubblicato pubblicata informaci\u00f3n
    informaciones informa\u00e7\u00e3o informa\u00e7\u00f5es inputs input appeared published posted ran produced
    translated adapted \u00fcbersetzung \u00fcbertragung original""".split()
)
_PUNCTUATION_TO_SPACE = str.maketrans({c: " " for c in ".,;:!?()[]{}\"\u201c\u201d\u201e\u00ab\u00bb/|\u2013\u2014-"})
_CUE_BEFORE = 80  # characters of a cue phrase that can stand before its key word
_CUE_AFTER = 200  # and after it, the source's name included


#: Cue phrases ("This article originally appeared on X") stand in short
#: paragraphs of their own: lines longer than this are not searched for them.
CUE_LINE_CHARS = 320


def _short_line_phrases(text: str) -> list[Credit]:
    """:func:`_phrase_credits` over the text's short lines only, joined into
    one string and mapped back to the text's offsets."""
    starts: list[int] = []  # offset in the joined string of each kept line
    offsets: list[int] = []  # offset of the same line in the text
    parts: list[str] = []
    joined_length = 0
    position = 0
    for line in text.split("\n"):
        if line.strip() and len(line) <= CUE_LINE_CHARS:
            starts.append(joined_length)
            offsets.append(position)
            parts.append(line)
            joined_length += len(line) + 1
        position += len(line) + 1
    if not parts:
        return []
    if len(parts) == text.count("\n") + 1:  # every line is short: the text itself
        return _phrase_credits(text)
    joined = "\n".join(parts)
    out = []
    for c in _phrase_credits(joined):
        k = bisect.bisect_right(starts, c.start) - 1
        shift = offsets[k] - starts[k]
        out.append(Credit(c.source, c.kind, c.strength, c.where, c.text, c.start + shift, c.end + shift))
    return out


def _lowered(text: str) -> str:
    """``text`` in lowercase, offset for offset (the few characters that
    lowercase to two are left as they are)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lowered


# "blogs at Spin Sucks, where a version of this article originally appeared":
# the source's name before the cue
_NAME_BEFORE_CUE = re.compile(
    r"\b(?:at|on|in|from|by)\s+(?P<name>(?:[Tt]he\s+)?[A-Z0-9][\w.&'\u2019-]*(?:\s+[A-Z0-9&][\w.&'\u2019-]*){0,4})"
    r"\s*,\s+where\s+(?:a\s+(?:version|longer\s+version|shorter\s+version)\s+of\s+)?(?:this|the)\s+"
    r"(?:article|post|story|piece|essay|column)\s+(?:was\s+|has\s+been\s+)?(?:originally\s+|first\s+)?"
    r"(?:appeared|published|posted|ran)\b"
)


def _phrase_credits(text: str) -> list[Credit]:
    out: list[Credit] = []
    seen: set[tuple[int, int]] = set()
    lowered = _lowered(text)
    present = _CUE_WORDS.intersection(lowered.translate(_PUNCTUATION_TO_SPACE).split())
    hits = []
    for word in present:
        position = lowered.find(word)
        while position >= 0:
            hits.append((position, position + len(word)))
            position = lowered.find(word, position + 1)
    windows: list[tuple[int, int]] = []
    for hit_start, hit_end in sorted(hits):
        start, end = max(0, hit_start - _CUE_BEFORE), min(len(text), hit_end + _CUE_AFTER)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    for start, end in windows:
        for m in _UNNAMED_PHRASE.finditer(text, start, end):
            if (m.start(), m.end()) not in seen:
                seen.add((m.start(), m.end()))
                out.append(Credit("agencies", "credit", "strong", "text", m.group()[:200], m.start(), m.end()))
        for pattern, unknown in ((_STRONG_CUE_RE, "strong"), (_SOFT_CUE_RE, "weak")):
            for m in pattern.finditer(text, start, end):
                if (m.start(), m.end()) in seen:
                    continue
                seen.add((m.start(), m.end()))
                source = _resolve_phrase_name(m.group("name"))
                if source:
                    strength = unknown if source.startswith("name:") else "strong"
                    out.append(Credit(source, "syndication", strength, "text", m.group()[:200], m.start(), m.end()))
        for m in _NAME_BEFORE_CUE.finditer(text, max(0, start - _CUE_BEFORE), end):
            if (m.start(), m.end()) in seen:
                continue
            seen.add((m.start(), m.end()))
            source = _resolve_phrase_name(m.group("name"))
            if source:
                out.append(Credit(source, "syndication", "strong", "text", m.group()[:200], m.start(), m.end()))
    out.sort(key=lambda c: c.start)
    return out


_SENTENCE_STOP = re.compile(r"(?<=[a-z\u00e0-\u00ff])\.\s+(?=[A-Z])|\.\s{2,}")
_TRAILING_WORDS = re.compile(r"(?:\s+(?:and|und|y|et|on|in|at|for|the|The|of|by|with|to)\b.*)$", re.S)


def _resolve_phrase_name(name: str) -> str | None:
    """Resolve a name taken after a cue: the longest registry name at its
    start, a domain, else ``name:<name>`` for a capitalised name."""
    name = _SENTENCE_STOP.split(name, maxsplit=1)[0]  # "The Aviationist.  Copyright 2015. Follow"
    name = name.strip(" .,;:)(|")
    stripped = name[4:] if name[:4] in ("The ", "the ") else name
    found = _name_matches(stripped, at_start=True)
    if found:
        return _source_of_form(found[0][4])
    source = resolve_name(name)
    if source:
        return source
    name = _TRAILING_WORDS.sub("", name).strip(" .,;:")
    source = resolve_name(name)
    if source:
        return source
    words = name.split()
    if not words or len(words) > 5 or not words[0][:1].isupper():
        return None
    if name.casefold() in _GENERIC_NAMES:
        return None
    return f"name:{name}"


_URL_AFTER = re.compile(r"[^\S\n]*[,(\u2013\u2014-][^\S\n]*(?P<url>https?://[^\s)]+|www\.[^\s)]+)")


def _url_after(line: str, end: int) -> str | None:
    """The site of a URL written right after a name ("St. Louis
    Post-Dispatch, http://www.stltoday.com"): the name's own address."""
    m = _URL_AFTER.match(line, end)
    site = site_of(m.group("url")) if m else None
    return _site_source(site) if site and site not in _HOSTING_SITES else None


def _resolve_named(name: str, line: str, end: int) -> str | None:
    """:func:`_resolve_phrase_name`, where a name no registry knows is the
    site of a URL written right after it (``line[end:]``), when there is one."""
    source = _resolve_phrase_name(name)
    if source and source.startswith("name:"):
        return _url_after(line, end) or source
    return source


_GENERIC_NAMES = frozenset(
    "the this that our we it its here there today yesterday staff wire wires agencies news getty images "
    "shutterstock istock unsplash pixabay twitter facebook instagram youtube google wikipedia".split()
)


# --------------------------------------------------------------------------
# A bare parenthesised agency: "(Havas.)", "(ATS)", "(UPI, Reuter, Impar.)",
# "(dpa/lno)", "( D. N. B. )" -- the oldest and most common credit of all,
# also in scanned newspapers whose OCR damaged the name ("Rcuter", "Haras").

_PAREN = re.compile(r"\((?P<body>[^()\n]{1,48})\)")
_PAREN_SPLIT = re.compile(r"\s*(?:[,;/&+]|\s-\s|-(?=[A-Za-z])|\bet\b|\bund\b|\band\b|\by\b)\s*")
#: OCR damage tolerated in a parenthesised agency name: one edit, for names
#: of five letters or more (shorter names are too close to other words).
FUZZY_MIN_LETTERS = 5
_OCR_FIXES = (("Il", "H"), ("rn", "m"), ("cl", "d"), ("ii", "u"))


@functools.lru_cache(maxsize=1)
def _agency_tokens() -> tuple[dict[str, str], dict[int, dict[str, str]]]:
    """Exact (casefolded, dots and spaces removed) and fuzzy (five letters or
    more, accents removed) name forms of every agency."""
    import unicodedata

    exact, fuzzy = {}, {}
    for agency in load_agencies().values():
        for alias in agency.aliases:
            if alias in agency.dateline_only:
                continue
            key = re.sub(r"[\s.]", "", alias).casefold()
            exact.setdefault(key, agency.id)
            plain = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
            if len(plain) >= FUZZY_MIN_LETTERS and plain.isalpha():
                fuzzy.setdefault(len(plain), {}).setdefault(plain, agency.id)
    return exact, fuzzy


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    if len(a) > len(b):
        a, b = b, a
    return any(b[:i] + b[i + 1 :] == a for i in range(len(b)))


@functools.lru_cache(maxsize=8192)
def _agency_token(token: str) -> str | None:
    """The agency a short token names, exactly or with one OCR error."""
    import unicodedata

    exact, fuzzy = _agency_tokens()
    key = re.sub(r"[\s.]", "", token).casefold()
    if not key:
        return None
    if key in exact:
        return exact[key]
    for wrong, right in _OCR_FIXES:
        key = key.replace(wrong.casefold(), right.casefold())
    plain = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    if plain in exact:
        return exact[plain]
    if len(plain) >= FUZZY_MIN_LETTERS and plain.isalpha():
        for size in (len(plain), len(plain) - 1, len(plain) + 1):  # one edit changes the length by one at most
            for form, agency in fuzzy.get(size, {}).items():
                if _one_edit(plain, form):
                    return agency
    return None


# "BONN (AFP)", "Flushing Meadows, 4. November (AFP.)": a place in capitals
# or a date right before the bracket is a dateline
_DATE_OR_PLACE_BEFORE = re.compile(rf"(?:(?<![\w-])[A-Z\u00C0-\u00DE]{{3,}}|\d|{_MONTH}\.?)[^\S\n]*[,.]?[^\S\n]*\Z")
# a line that opens with a place and goes on after the bracket: "Wiesbaden
# (KNA/iz). Bundespräsident ..." (a caption "Imran Khan (Reuters)" ends there)
_PLACE_LINE_START = re.compile(
    r"(?:^|\n)[^\S\n]*[A-Z\u00C0-\u00DE][\w'\u2019.-]+(?:[^\S\n]+[A-Z\u00C0-\u00DE][\w'\u2019.-]+){0,2}[^\S\n]*\Z"
)
# the editors' initials closing a story before its agencies: "aw,ls/rc (AP, dpa)" (Deutsche Welle)
_STAFF_INITIALS_BEFORE = re.compile(r"(?<![\w.:/])[a-z]{1,4}(?:[^\S\n]*[,/][^\S\n]*[a-z]{1,4})+[^\S\n]*\Z")
_TEXT_GOES_ON = re.compile(r"[^\S\n]*[.:,]?[^\S\n]*[\u2013\u2014-]?[^\S\n]*[A-Z\u00C0-\u00DE\"\u201e\u00ab]")


# a date closing a dateline's bracket: "- 29th April, 2020", ", March 4", "- 04/29/2020"
_PAREN_DATE = re.compile(
    rf"[^\S\n]*[-\u2013\u2014,][^\S\n]*(?:\d{{1,2}}(?:st|nd|rd|th)?[^\S\n]+{_MONTH}\.?|{_MONTH}\.?[^\S\n]+\d{{1,2}}(?:st|nd|rd|th)?"
    rf"|\d{{1,4}}[./-]\d{{1,2}}[./-]\d{{1,4}})(?:[^\S\n]*,?[^\S\n]*(?:19|20)\d\d)?[^\S\n]*\Z"
)
# an outlet's own name next to the agency in such a bracket: up to three capitalised words
_OUTLET_PART = re.compile(r"[A-Z][\w'\u2019.&-]*(?:[^\S\n]+[A-Z][\w'\u2019.&-]*){0,2}")

_SOURCE_WORD = re.compile(r"^\s*(?:Sources?|Quellen?|Fuentes?|Fontes?|Bron|\u0179r\u00f3d\u0142o|Zdroj)\s*:\s*", re.I)


def _initials(before: str) -> str:
    """Initials of the capitalised words just before a bracket, casefolded
    ("American Academy of Pediatrics" -> "aap")."""
    words = re.findall(r"[\w'-]+", before)[-6:]
    return "".join(w[0] for w in words if w[:1].isupper() or w.lower() not in ("of", "the", "and", "for", "de", "du", "des")).casefold()


_CONNECTORS = frozenset("mit avec con com with und et y e and sowie".split())


def _agency_after_connector(part: str) -> str | None:
    """The agency of "FR mit dpa", "avec AFP", "red mit Reuters": staff
    initials and a connector before the agency's name."""
    words = part.split()
    rest = [w for w in words if w.casefold() not in _CONNECTORS and not (len(w) <= 3 and (w.isupper() or w.islower()))]
    if len(rest) == 1 and len(words) <= 4 and any(w.casefold() in _CONNECTORS for w in words):
        return _agency_token(rest[0])
    if not rest and len(words) <= 4:  # "FR mit dpa": the name is short too
        names = [w for w in words if w.casefold() not in _CONNECTORS and _agency_token(w)]
        return _agency_token(names[-1]) if names and any(w.casefold() in _CONNECTORS for w in words) else None
    return None


def _paren_credits(text: str) -> list[Credit]:
    out = []
    agencies_by_id = _registry()[0]
    for m in _PAREN.finditer(text):
        body = _SOURCE_WORD.sub("", m.group("body"), count=1)  # "(Quelle: APA/sda/dpa)"
        dated = _PAREN_DATE.search(body)  # "(UrduPoint News / Sputnik - 29th April, 2020)"
        if dated:
            body = body[: dated.start()]
        parts = [p.strip(" .,:-\u2013\u2014") for p in _PAREN_SPLIT.split(body)]
        parts = [p for p in parts if p]
        if not parts or len(parts) > 5 or any(len(p.split()) > 4 for p in parts):
            continue
        agencies = [_agency_token(p) or _agency_after_connector(p) for p in parts]
        named = [a for a in agencies if a]
        if not named:
            continue
        # "the Associated Press (AP)", "American Academy of Pediatrics (AAP)":
        # an abbreviation being defined, not a credit
        before = text[max(0, m.start() - 64) : m.start()]
        if any(agencies_by_id[a].name.casefold().removeprefix("the ") in before.casefold() for a in named):
            continue
        if len(parts) == 1 and _initials(before).endswith(re.sub(r"[\s.]", "", parts[0]).casefold()):
            continue
        # "File photo of Xi Jinping. (Reuters)": a caption's credit
        line_start = max(text.rfind("\n", 0, m.start()) + 1, m.start() - CAPTION_CHARS)
        if _CAPTION_WORD.search(text, line_start, m.start()):
            continue
        # a credit position: after a sentence, a date or a comma, at a line's
        # start, or followed by a dash ("Thurgovie (ATS). - En"); a name in
        # brackets after a word ("Imran Khan (Reuters)") is a photo caption
        prev = before.rstrip(" \t")[-1:]
        after = text[m.end() : m.end() + 6].lstrip(" .,")
        if not (prev in ("", "\n", ".", "!", "?", '"', "\u201d", "\u00bb", ")", "]", ",", ":") or prev.isdigit()
                or after[:1] in ("-", "\u2013", "\u2014") or _DATE_OR_PLACE_BEFORE.search(before)
                or (_PLACE_LINE_START.search(before) and _TEXT_GOES_ON.match(text, m.end()))
                or (prev in ("-", "~") and _TEXT_GOES_ON.match(text, m.end()))  # OCR: "B ~ le,-(ATS) Jusqu'à"
                or (_STAFF_INITIALS_BEFORE.search(before) and not text[m.end() : m.end() + 80].strip(" .\t\r").split("\n")[0])):
            continue
        # every part an agency, or staff initials / a paper's short name next to one;
        # in a dated dateline bracket, the printing outlet's own name too
        # ("MOSCOW (UrduPoint News / Sputnik - 29th April, 2020)")
        if any(a is None and (len(p) > 8 or not p[:1].isalpha())
               and not (dated and "/" in body and _OUTLET_PART.fullmatch(p) and _PLACE_LINE_START.search(before))
               for a, p in zip(agencies, parts)):
            continue
        for agency in dict.fromkeys(named):
            out.append(Credit(f"agency:{agency}", "credit", "strong", "text", m.group()[:200], m.start(), m.end()))
    # OCR read the opening bracket of a dateline's credit as a letter:
    # "Berlin. 11. Juli. lDNB). Der" -- kept only after a date or a place
    close = text.find(")")
    while close >= 0:  # only a few closing brackets per text: test the words before each
        m = _OCR_PAREN.search(text, max(0, close - 12), close + 1)
        close = text.find(")", close + 1)
        if m is None:
            continue
        agency = _agency_token(m.group("body"))
        if agency and _DATE_OR_PLACE_BEFORE.search(text, max(0, m.start() - 64), m.start()):
            out.append(Credit(f"agency:{agency}", "credit", "strong", "text", m.group(), m.start(), m.end()))
    return out


_OCR_PAREN = re.compile(r"(?<=[\s.,])[l1I\[{](?P<body>[A-Z][A-Za-z.]{1,10})\)\Z")


# 新华社北京4月24日电 / 中新社北京电: a Chinese dateline (agency, place, date, 电)
_CJK_DATELINE = re.compile(r"(?P<name>[\u3400-\u9FFF]{2,4}社)[^\s，。、：:；;！!？?\n]{0,14}?电")
# 【共同】 （時事） (서울=연합뉴스) ［東京 5日 ロイター］ (رويترز) (أ ف ب): a bracketed credit
_SCRIPT_BRACKET = re.compile(
    r"[【（(［\[〔](?:[^【】（）()［］\[\]〔〕\n=＝]{0,16}[=＝])?(?:[^【】（）()［］\[\]〔〕\n]{0,16}[\s\u3000])?"
    r"(?P<name>[^【】（）()［］\[\]〔〕\n=＝\s\u3000]{1,16})[\s\u3000]*[】）)］\]〕]"
)
# AFP=時事, ロイター=共同: one agency's copy through another (Japanese)
_SCRIPT_VIA = re.compile(r"(?P<a>[A-Za-z\u30A0-\u30FF\u4E00-\u9FFF]{2,8})[=＝](?P<b>時事|共同)")
# 来源：新华网 / 出典：共同通信 / 출처: 연합뉴스
_SCRIPT_SOURCE = re.compile(r"(?:来源|來源|出典|出所|출처|المصدر)\s*[:：]\s*(?P<name>[^\s，。|｜/\n]{2,16})")


# 本記事は、TechRepublic Japanで2017年6月8日に掲載した記事からの転載です: a reprint (Japanese)
_SCRIPT_REPRINT = re.compile(
    r"(?:\u672c\u8a18\u4e8b|\u3053\u306e\u8a18\u4e8b)\u306f[\u3001,]?\s*"
    r"(?P<name>[A-Za-z][\w .&-]{1,40}?|[^\s\u3001\u3002,]{2,16}?)\s*(?:\u3067|\u306b|\u304b\u3089|\u3088\u308a)"
    r"[^\u3002\n]{0,60}?\u8ee2\u8f09"
)


def _script_name(name: str) -> str | None:
    """The source an unspaced-script name stands for: the whole name, else
    its longest registered beginning ("网易科学人", NetEase's science column,
    is NetEase's)."""
    for end in range(len(name), 1, -1):
        if source := resolve_name(name[:end]):
            return source
    return None


def _script_credits(text: str) -> list[Credit]:
    """Credits in Chinese, Japanese, Korean and Arabic text."""
    if text.isascii() or not _UNSPACED_SCRIPT.search(text):
        return []
    out = []
    for m in _CJK_DATELINE.finditer(text):
        if source := resolve_name(m.group("name")):
            out.append(Credit(source, "dateline", "strong", "text", m.group()[:200], m.start(), m.end()))
    for m in _SCRIPT_BRACKET.finditer(text):
        if _UNSPACED_SCRIPT.search(m.group("name")) and (source := resolve_name(m.group("name"))):
            out.append(Credit(source, "credit", "strong", "text", m.group()[:200], m.start(), m.end()))
    for m in _SCRIPT_VIA.finditer(text):
        for name in (m.group("a"), m.group("b")):
            if source := resolve_name(name):
                out.append(Credit(source, "credit", "strong", "text", m.group()[:200], m.start(), m.end()))
    for m in _SCRIPT_REPRINT.finditer(text) if "\u8ee2\u8f09" in text else ():
        source = _resolve_phrase_name(m.group("name"))
        if source:
            out.append(Credit(source, "syndication", "weak" if source.startswith("name:") else "strong", "text",
                              m.group()[:200], m.start(), m.end()))
    for m in _SCRIPT_SOURCE.finditer(text):
        if source := _script_name(m.group("name")):
            out.append(Credit(source, "credit", "strong", "text", m.group()[:200], m.start(), m.end()))
    return out


# "/ ats - afp - ap" closing a paragraph (Swiss papers)
# (the slash stands apart, checked in code: "Jose Luis Magana/AP" is a photographer's credit)
_SLASH_TRAILER = re.compile(r"(?m)/\s*(?P<body>[A-Za-z]{2,6}(?:\s*[-,/]\s*[A-Za-z]{2,6}){0,4})\s*\.?\s*$")


# "LONDRES, 16. — Reuter. — Une ...": a dateline written with dashes
_DASH_DATELINE = re.compile(
    r"[^\S\n]*(?P<place>[A-Z\u00C0-\u00DE][\w'\u2019.-]*(?:[^\S\n]+[\w'\u2019.-]+){0,3})[,.][^\S\n]*"
    r"(?P<date>\d{1,2}(?:er)?\.?(?:[^\S\n]*[A-Za-z\u00E0-\u00FC]{3,10}\.?)?)[,.]?[^\S\n]*[\u2013\u2014-]{1,2}[^\S\n]*"
    r"(?P<name>[A-Za-z\u00C0-\u00FC.]{2,16})\.?[^\S\n]*[\u2013\u2014-]"
)
# "KVELLER via JTA — The state of ...": a partner's story through an agency,
# written where a dateline stands
_VIA_DATELINE = re.compile(
    r"[^\S\n]*(?P<first>[A-Z][\w'\u2019.&-]*(?:[^\S\n]+[A-Z][\w'\u2019.&-]*){0,3})[^\S\n]+via[^\S\n]+"
    r"(?P<name>[A-Z][\w.&-]*(?:[^\S\n]+[A-Z][\w.&-]*){0,2})[^\S\n]*[\u2013\u2014]"
)
# "Dépêches de l'Agence Havas", "Agence télégraphique suisse" as a heading
_HEADING = re.compile(
    r"[^\S\n]*(?:(?:D[ée]p[êe]ches|T[ée]l[ée]grammes|Service|Nachrichten|Meldungen|Telegramme|Dispacci)\s+)?"
    r"(?:de[^\S\n]+l['\u2019][^\S\n]*|de[^\S\n]+|der[^\S\n]+|des[^\S\n]+|dell['\u2019])?"
    r"(?P<name>[A-Z][^\n]{3,48}?)[^\S\n]*\.?[^\S\n]*$",
    re.M,
)


@functools.lru_cache(maxsize=1)
def _agency_heads() -> frozenset[str]:
    """First words of the agencies' names of two words or more, casefolded
    ("agence", "deutsches", "exchange"): a heading can only name an agency
    with one."""
    return frozenset(
        alias.split()[0].casefold() for agency in load_agencies().values() for alias in (agency.name, *agency.aliases)
        if len(alias.split()) >= 2 and alias.split()[0] not in ("The", "the")
    )


def _repaired_head(line: str, heads: frozenset[str]) -> str | None:
    """An agency heading whose head word OCR damaged, repaired: "de rAgenoe
    Havas" -> "Agence Havas" (a stray letter glued before the word, one
    letter wrong), or None."""
    words = line.split()
    for n, word in enumerate(words[1:3], start=1):
        word = re.sub(r"^[a-z]['\u2019]?(?=[A-Z])", "", word)
        if len(word) < FUZZY_MIN_LETTERS or not word[0].isupper():
            continue
        folded = word.casefold()
        for head in heads:
            if len(head) >= FUZZY_MIN_LETTERS and _one_edit(folded, head):
                return " ".join([head.capitalize(), *words[n + 1 :]]).rstrip(" .")
    return None


#: Longest line read as a heading or as a dash dateline's start.
HEADING_CHARS = 64
_LEAD_WORDS = frozenset("d\u00e9p\u00eaches depeches t\u00e9l\u00e9grammes telegrammes service nachrichten meldungen "
                        "telegramme dispacci de der des dell".split())


def _heading_credits(text: str) -> list[Credit]:
    """Dash datelines ("LONDRES, 16. — Reuter. —") and headings that name an
    agency ("Dépêches de l'Agence Havas"); lines are tested with cheap word
    checks before any regex runs."""
    out = []
    heads = _agency_heads()
    position = 0
    lines = text.split("\n")
    for number, line in enumerate(lines):
        offset, position = position, position + len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        if ("\u2014" in line[:HEADING_CHARS] or "\u2013" in line[:HEADING_CHARS] or " - " in line[:HEADING_CHARS]) and (
            m := _DASH_DATELINE.match(text, offset)
        ):
            agency = _agency_token(m.group("name"))
            if agency:
                out.append(Credit(f"agency:{agency}", "dateline", "strong", "text", m.group()[:200], m.start(), m.end()))
        if " via " in line[:HEADING_CHARS] and (m := _VIA_DATELINE.match(text, offset)):
            for group in ("first", "name"):
                source = _resolve_phrase_name(m.group(group))
                if source:
                    strength = "weak" if source.startswith("name:") else "strong"
                    out.append(Credit(source, "dateline", strength, "text", m.group()[:200], m.start(), m.end()))
        if len(stripped) > HEADING_CHARS:
            continue
        words = [w.strip("'\u2019").casefold() for w in re.split(r"[\s'\u2019]+", stripped)]
        first = next((w for w in words if w not in _LEAD_WORDS and w != "l"), "")
        repaired = None
        if first not in heads:
            # the heading may be split over two lines by OCR: "Dépêches" / "de l'Agence Havas";
            # OCR may also damage the head word after a lead word: "de rAgenoe Havas"
            repaired = _repaired_head(stripped, heads) if words[0] in _LEAD_WORDS else None
            if repaired is None:
                continue
        m = _HEADING.match(text, offset) if repaired is None else None
        if m is None and repaired is None:
            continue
        name = repaired or m.group("name")
        if len(name.split()) < 2:  # a lone word on a line is too often a person or a place
            continue
        source = resolve_name(name.strip())
        if source and source.startswith("agency:"):
            start = offset + len(line) - len(line.lstrip())
            out.append(Credit(source, "credit", "strong", "text", stripped[:200], start, start + len(stripped)))
    return out


def _trailer_credits(text: str) -> list[Credit]:
    out = []
    for m in _SLASH_TRAILER.finditer(text) if "/" in text else ():
        if m.start() and not (text[m.start() - 1].isspace() or text[m.start() - 1] in ".)"):
            continue
        parts = [p for p in re.split(r"\s*[-,/]\s*", m.group("body")) if p]
        agencies = [_agency_token(p) for p in parts]
        if agencies and all(agencies):
            for agency in dict.fromkeys(agencies):
                out.append(Credit(f"agency:{agency}", "credit", "strong", "text", m.group()[:200], m.start(), m.end()))
    return out


# --------------------------------------------------------------------------
# Markup


#: Byline elements naming this many different sources outright are a list
#: (a sidebar of other stories' sources), not the article's credit.
BYLINE_LIST_SOURCES = 3
_DOMAIN_SITE = re.compile(r"^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,}$")
# Blog and site hosts whose subdomains are many unrelated publishers: a
# canonical link to one names where the CMS runs, not a source.
_HOSTING_SITES = frozenset(
    "wordpress.com blogspot.com tumblr.com wixsite.com github.io medium.com substack.com weebly.com "
    "squarespace.com webflow.io netlify.app vercel.app herokuapp.com ampproject.org".split()
)
_META_URL_KEYS = ("syndication_source", "original_source", "based_on", "dc_source")
_META_NAME_KEYS = ("source_organization", "provider", "author_org", "credit_text", "copyright")


def _metadata_credits(metadata: Mapping[str, Sequence[str]], own_site: str | None) -> list[Credit]:
    out: list[Credit] = []
    # A canonical link on another publisher's domain is a licensed copy
    # pointing at its source -- or a page saved under another URL than its
    # own (a feed redirect, a mirror, a renamed site). It is strong only when
    # the page also names itself as its own site, so that the two publishers
    # are really two; otherwise it is kept as weak evidence.
    names_itself = _names_itself(metadata, own_site) if own_site else False
    seen_canonical: set[str] = set()
    for key in ("canonical", "og_url"):
        for url in metadata.get(key, ())[:2]:
            site = site_of(url)
            if not site or not _DOMAIN_SITE.match(site) or not own_site or site in seen_canonical:
                continue
            if site in _HOSTING_SITES:
                continue  # the CMS's host ("localtvkstu.wordpress.com"), not a publisher
            seen_canonical.add(site)
            if not same_publisher(site, own_site):
                out.append(Credit(_site_source(site), "canonical", "strong" if names_itself else "weak", f"metadata:{key}",
                                  url[:200]))
    # A microdata publisher or provider on another site: a portal's partner
    # (MSN's "provided by" logo), or an agency's linked logo (UOL). Strong only
    # for an agency or outlet the registry knows (a local paper's microdata
    # may name its parent group's site).
    for url in metadata.get("publisher_url", ())[:2]:
        site = _other_publisher(url, own_site)
        if site is None:
            continue
        strength = "strong" if agency_for_site(site) or outlet_for_site(site) else "weak"
        out.append(Credit(_site_source(site), "jsonld", strength, "metadata:publisher_url", url[:200]))
    # A link whose whole text says it is the source ("Source link"): the page
    # names where its text came from, whether the registry knows the site or
    # not -- unless the address is a redirect, a shortener, a portal, a social
    # network, an archive or a government's or university's site, which publish
    # no news copy of their own. "Original article" may point at a study or a
    # press release: a credit only of an agency or outlet the registry knows.
    for key in ("source_url", "original_url"):
        for url in metadata.get(key, ())[:2]:
            site = _other_publisher(url, own_site)
            if site is None or site in _NOT_NEWS_SOURCES or site.endswith((".gov", ".edu", ".mil")):
                continue
            known = bool(agency_for_site(site) or outlet_for_site(site))
            strength = "strong" if key == "source_url" or known else "weak"
            out.append(Credit(_site_source(site), "syndication", strength, f"metadata:{key}", url[:200]))
    for key in _META_URL_KEYS:
        for value in metadata.get(key, ()):
            source = resolve_name(value)
            if source is None and key == "dc_source":
                continue
            if source:
                out.append(Credit(source, "syndication_meta" if key != "based_on" else "jsonld", "strong",
                                  f"metadata:{key}", value[:200]))
    for key in _META_NAME_KEYS:
        for value in metadata.get(key, ()):
            source = resolve_name(value) or _credit_in_value(value)
            if source:
                out.append(Credit(source, "jsonld", "strong", f"metadata:{key}", value[:200]))
    # Byline elements that are bare names of several sources ("nytimes.com",
    # "WSJ.com", "AP" beside a blog post) are a list of where other stories
    # came from -- a sidebar -- not the article's byline.
    bare = {resolve_name(v) for v in metadata.get("byline", ())} - {None}
    listed = len(bare) >= BYLINE_LIST_SOURCES
    for key in ("author", "byline"):
        for value in metadata.get(key, ()):
            if len(value) > META_BYLINE_CHARS:
                continue
            source = resolve_name(value)
            if source and key == "byline" and listed:
                continue
            if source and (source.startswith("agency:") or (key == "byline" and source in _registered_outlets())):
                # a byline element that is an agency's or a registry outlet's name
                # ("Good Morning America" on a portal); an unknown domain is not
                out.append(Credit(source, "author_meta", "strong", f"metadata:{key}", value[:200]))
                continue
            if not source or not source.startswith("site:"):
                for credit in _byline_credits(value, 0, f"metadata:{key}"):
                    out.append(Credit(credit.source, "author_meta", "strong", f"metadata:{key}", value[:200]))
            for m in _SOURCE_LINE.finditer(value):  # "Źródło: ISBnews", "Source: Reuters" under a video
                named = _resolve_phrase_name(m.group("name"))
                if named:
                    out.append(Credit(named, "credit", "weak" if named.startswith("name:") else "strong",
                                      f"metadata:{key}", value[:200]))
            for m in _UNNAMED.finditer(value):  # "Olivia Solon in San Francisco and agencies"
                if _UNNAMED_BEFORE.search(value[: m.start()]) and _byline_shaped(value, m.start(), m.end()):
                    out.append(Credit("agencies", "author_meta", "strong", f"metadata:{key}", value[:200]))
                    break
            else:
                if _UNNAMED_PHRASE.search(value):  # "Edited by Swati Bhasin (with inputs from Agencies)"
                    out.append(Credit("agencies", "author_meta", "strong", f"metadata:{key}", value[:200]))
    for value in metadata.get("source", ()):  # <meta name="source" content="来源：新华网">
        named = resolve_name(re.sub(r"^\s*(?:来源|來源|出典|출처|Source|Quelle|Fuente|Fonte)\s*[:\uff1a]\s*", "", value))
        if named:
            out.append(Credit(named, "syndication_meta", "strong", "metadata:source", value[:200]))
    return out


def _names_itself(metadata: Mapping[str, Sequence[str]], own_site: str) -> bool:
    """Whether a page's markup names the page's own site besides its
    canonical link: its ``og:url`` on the site, or a site name, publisher,
    organisation author or social handle that spells the site's name or its
    initials ("Westdeutsche Allgemeine Zeitung", waz.de)."""
    if any(site_of(url) == own_site for url in metadata.get("og_url", ())[:2]):
        return True
    label = own_site.split(".")[0].replace("-", "")
    if len(label) >= 3 and any(_squeezed(h).startswith(label) for h in metadata.get("author_handle", ())[:4]):
        return True  # "@WAZ_Redaktion", "@Farodevigo"
    for key in ("site_name", "publisher", "author_org"):
        for name in metadata.get(key, ())[:4]:
            if site_name_matches(name, own_site):
                return True
            words = [w for w in re.findall(r"[^\W\d_]+", name) if w[0].isupper()]
            if 2 <= len(words) <= 5 and "".join(w[0] for w in words).casefold() == label:
                return True
    return False


def _note_credits(notes: Sequence[str], text: str, own_site: str | None = None) -> list[Credit]:
    """Credits in the page's credit notes (``metadata["notes"]``: short blocks
    the main text left out), each note read as a text of its own (of the
    page's site). A note that is in the text already was read there."""
    out: list[Credit] = []
    for note in notes:
        if note in text:
            continue
        for c in find_credits(note, own_site=own_site):
            out.append(Credit(c.source, c.kind, c.strength, "metadata:notes", note[:200]))
    return out


def _credit_in_value(value: str) -> str | None:
    """An agency named in a short credit value ("© 2020 The Associated Press")."""
    if len(value) > META_BYLINE_CHARS:
        return None
    for m in find_markers(value):
        if m.strength == "strong":
            return f"agency:{m.agency}"
    return None


# --------------------------------------------------------------------------
# All together


def find_credits(
    text: str,
    metadata: Mapping[str, Sequence[str]] | None = None,
    own_site: str | None = None,
    author: str | None = None,
    *,
    markers: Iterable[Any] | None = None,
    links: Sequence[str] = (),
    title: str | None = None,
) -> list[Credit]:
    """Every credit of a page: what it says its text came from.

    Args:
        text: The article text (as read; offsets refer to it).
        metadata: The page's markup statements (:func:`wiretrace.extract.page_metadata`).
        own_site: The page's site: credits to its own publisher are left out.
        author: The document's author field (a byline), if any.
        markers: The text's wire markers, if already found (else found here).
        links: URLs the article links to: a name no registry knows ("Spin
            Sucks") is the site of a link whose domain spells it
            (spinsucks.com).
        title: The page's title: a home page (``og:type`` website, titled
            with its site's name) is a list of other stories, and its text
            credits nothing.

    Returns:
        Credits ordered by where they were found (text first, by offset; then
        the author field; then markup), one per (source, kind, where, start).
        Sources of the page's own publisher are left out.

    Example:
        >>> [(c.source, c.kind) for c in find_credits("Rain.", {"canonical": ["https://www.nytimes.com/x"]}, "seattletimes.com")]
        [('site:nytimes.com', 'canonical')]
        >>> find_credits("Rain.", {"canonical": ["https://www.bbc.com/x"]}, "bbc.co.uk")
        []
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, not {type(text).__name__}")
    metadata = metadata or {}
    if title and _home_page(title, metadata):
        return []
    own_sources = _own_sources(own_site, metadata)
    found: list[Credit] = []
    zone = _zone_lines(text)
    zone_spans = [(offset, offset + len(line)) for offset, line in zone]
    for m in markers if markers is not None else find_markers(text):
        if m.strength == "strong":
            strength = "strong"
            # "© AFP" with no year, inside the story: a photo's copyright
            # line left in the text, not the article's.
            if m.kind == "copyright" and not _YEAR.search(m.text) and not any(a <= m.start < b for a, b in zone_spans):
                strength = "weak"
            # "© AFP / JEFF PACHOUD", "Rubriklistenbild: © KCNA/dpa": a picture's credit
            if m.kind in ("copyright", "credit") and (_photo_credit(text, m.end, own_site) or _on_image_line(text, m.start)):
                strength = "weak"
            # "Quelle: AFP" under a paragraph in mid-text: a chart's or a picture's source
            if m.kind == "credit" and _SOURCE_WORD.match(m.text) and not any(a <= m.start < b for a, b in zone_spans):
                strength = "weak"
            # "File photo of Xi Jinping. (Reuters)": a bracketed credit on a caption's line
            if m.kind == "credit" and m.text.startswith("(") and _CAPTION_WORD.search(
                text, max(text.rfind("\n", 0, m.start) + 1, m.start - CAPTION_CHARS), m.start
            ):
                strength = "weak"
            found.append(Credit(f"agency:{m.agency}", m.kind, strength, "text", m.text[:200], m.start, m.end))
    lowered = _lowered(text)
    # One search of the whole zone says which of its lines hold a name at all.
    joined = "\n".join(line for _, line in zone)
    joined_lower = joined.lower()
    unnamed_possible = any(stem in joined_lower for stem in ("agenc", "agentur", "ag\u00eanc", "wire"))
    named_lines: set[int] = set()
    if _name_matches(joined):
        named_lines = {n for n, (_, line) in enumerate(zone) if _name_matches(line)}
    for n, (offset, line) in enumerate(zone):
        if n in named_lines:
            found.extend(_byline_credits(line, offset, "text"))
        for m in _VIA.finditer(line) if "via" in line.casefold() else ():
            if len(line) <= ZONE_LINE_CHARS and _byline_shaped(line, m.start(), m.end()):
                source = _resolve_named(m.group("name"), line, m.end())
                if source:
                    found.append(Credit(source, "syndication", "strong", "text", line.strip()[:200],
                                        offset + m.start(), offset + m.end()))
        if unnamed_possible and len(line) <= ZONE_LINE_CHARS and _UNNAMED_STEMS.search(line):
            for m in _UNNAMED.finditer(line):
                if not _UNNAMED_BEFORE.search(line[: m.start()]):
                    continue  # "Federal agencies." is no credit
                if _byline_shaped(line, m.start(), m.end()) or re.search(r"(?i)source|quelle|fuente|fonte", line):
                    found.append(Credit("agencies", "credit", "strong", "text", line.strip()[:200],
                                        offset + m.start(), offset + m.end()))
    for start, end in _ends(text):
        if not any(lowered.find(stem, start, end) >= 0 for stem in _ROLE_WORDS):
            continue
        # "X is a reporter for Y." is an author note only where notes stand: the text's end
        author_note = max(start, len(text) - AUTHOR_NOTE_CHARS)
        for pattern, first in ((_CONTRIBUTOR, start), (_CONTRIBUTOR_FOR, author_note), (_POSSESSIVE_CONTRIBUTOR, start)):
            for m in pattern.finditer(text, first, end):
                source = _resolve_phrase_name(m.group("name"))
                if source and not source.startswith("name:"):
                    found.append(Credit(source, "contributor", "strong", "text", m.group()[:200], m.start(), m.end()))
    for m in _VISIT.finditer(text, max(0, len(text) - CONTRIBUTOR_TAIL_CHARS)) if "Visit" in text else ():
        source = resolve_name(m.group("name"))
        if source:
            found.append(Credit(source, "syndication", "strong", "text", m.group()[:200], m.start(), m.end()))
    found.extend(_short_line_phrases(text))
    found.extend(_paren_credits(text))
    found.extend(_trailer_credits(text))
    found.extend(_heading_credits(text))
    found.extend(_script_credits(text))
    # "Source: X" / "Quelle: X" lines of the byline zone (mid-text, such a
    # line is mostly a chart's or a picture's source)
    for offset, line in zone if ":" in joined or "\uff1a" in joined else ():
        if len(line) > ZONE_LINE_CHARS:
            continue
        for m in _SOURCE_LINE.finditer(line):
            names = [(m.start(), m.end(), m.group("name"))]
            position = m.end()  # "Sources: GreatAgain, Washington Examiner / Photo credit: ..."
            while len(names) < SOURCE_LIST_NAMES and (more := _NEXT_NAME.match(line, position)):
                names.append((more.start("name"), more.end(), more.group("name")))
                position = more.end()
            for start, end, name in names:
                source = _resolve_named(name, line, end)
                if source:
                    # "SOURCE: Aviation Safety Network" under a chart names data, not a text's author
                    strength = "weak" if source.startswith("name:") else "strong"
                    found.append(Credit(source, "credit", strength, "text", line.strip()[:200], offset + start,
                                        offset + end))
        m = _SOURCE_LIST.match(line) if "/" in line else None
        if m:  # "Quelle: sid/dpa", "Source: AP/Reuters"
            parts = re.split(r"\s*[/,]\s*", m.group("body"))
            agencies = [_agency_token(p) for p in parts]
            if all(a or (len(p) <= 3 and p.islower()) for a, p in zip(agencies, parts)):
                for agency in dict.fromkeys(a for a in agencies if a):
                    found.append(Credit(f"agency:{agency}", "credit", "strong", "text", line.strip()[:200],
                                        offset + m.start("body"), offset + m.end("body")))
    if author and len(author) <= META_BYLINE_CHARS:
        source = resolve_name(author)
        if source and source.startswith("agency:"):
            found.append(Credit(source, "byline", "strong", "author", author[:200]))
        else:
            found.extend(_byline_credits(author, 0, "author"))
    found.extend(_metadata_credits(metadata, own_site))
    found.extend(_note_credits(metadata.get("notes", ()), text, own_site))
    if links and any(c.source.startswith(("name:", "site:")) and c.where == "text" for c in found):
        linked = {site.split(".")[0]: site for site in (site_of(u) for u in links[:200]) if site and "." in site}
        found = [_linked(c, linked) if c.where == "text" else c for c in found]
    labels = {c.source[5:].split(".")[0] for c in found if c.source.startswith("site:") and c.strength == "strong"}
    found = [c for c in found if not (c.source.startswith("name:") and _names_site(c.source[5:], labels))]
    out, seen = [], set()
    spans: dict[str, list[tuple[int, int]]] = {}
    where_rank = {"text": 0, "author": 1}
    found.sort(key=lambda c: (where_rank.get(c.where, 2), c.start, -c.end))  # stable: same span, found order
    for c in found:
        if c.source in own_sources:
            continue
        if c.where == "text" and c.start >= 0 and _teaser_line(text, c.start):
            continue
        key = (c.source, c.kind, c.where, c.start)
        if key in seen:
            continue
        if c.start >= 0 and any(a <= c.start and c.end <= b for a, b in spans.get(c.source, ())):
            continue  # inside evidence already found for the same source ("(AP)" in its dateline)
        seen.add(key)
        out.append(c)
        if c.start >= 0:
            spans.setdefault(c.source, []).append((c.start, c.end))
    return out


_YEAR = re.compile(r"(?:19|20)\d\d")


def _home_page(title: str, metadata: Mapping[str, Sequence[str]]) -> bool:
    """Whether a page is a site's home or section front: its markup calls it
    a website, not an article, and its title is the site's name with at
    most a word or two more ("Yahoo UK" on Yahoo)."""
    if not any(t.strip().lower() == "website" for t in metadata.get("og_type", ())):
        return False
    squeezed = _squeezed(title)
    return len(title.split()) <= HOME_TITLE_WORDS and any(
        len(name) >= 2 and squeezed.startswith(name) for name in map(_squeezed, metadata.get("site_name", ()))
    )


#: A home page's title is its site's name and at most this many words in all.
HOME_TITLE_WORDS = 3


def _teaser_line(text: str, position: int) -> bool:
    """Whether the line at ``position`` is a teaser of another story: a
    paragraph cut off with an ellipsis ("Mumbai, Jan 13 (ANI): Equity
    benchmark indices hit fresh highs as investors awaited ...")."""
    end = text.find("\n", position)
    line_end = text[max(position, (end if end >= 0 else len(text)) - 4) : end if end >= 0 else len(text)].rstrip()
    return line_end.endswith(("...", "\u2026")) and not line_end.endswith("....")


def _linked(credit: Credit, linked: dict[str, str]) -> Credit:
    """A credit to an unknown name, resolved to a linked site that spells it;
    a credit to a registry outlet, moved to the linked site of the same name
    on another domain ("Republished from Kotaku" linking kotaku.com.au)."""
    if credit.source.startswith("site:"):
        site = credit.source[5:]
        other = linked.get(site.split(".")[0])
        if other and other != site and not outlet_for_site(other):
            return Credit(f"site:{other}", credit.kind, credit.strength, credit.where, credit.text, credit.start, credit.end)
        return credit
    if not credit.source.startswith("name:"):
        return credit
    squeezed = _squeezed(credit.source[5:]).removeprefix("the")
    for label, site in linked.items():
        # the name is the domain's ("Spin Sucks", spinsucks.com), or holds a
        # long one ("TechRepublic Japan", japan.techrepublic.com)
        if len(label) >= 4 and (label.removeprefix("the") == squeezed or (len(label) >= 6 and label in squeezed)):
            return Credit(_site_source(site), credit.kind, "strong", credit.where, credit.text, credit.start, credit.end)
    return credit


def _names_site(name: str, labels: set[str]) -> bool:
    """Whether an unresolved name is a site the page credits anyway ("The
    Aviationist" next to a canonical link to theaviationist.com)."""
    return any(name_spells(name, label) for label in labels)


def name_spells(name: str, label: str) -> bool:
    """Whether a name spells a domain's name ("Spin Sucks" and "spinsucks"):
    the label, four letters or more, is in the name's letters and digits.

    Example:
        >>> name_spells("The Aviationist", "theaviationist"), name_spells("NU", "nu")
        (True, False)
    """
    return len(label) >= 4 and label in _squeezed(name)


def _squeezed(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


@functools.lru_cache(maxsize=1)
def _registered_outlets() -> frozenset[str]:
    return frozenset(f"site:{o}" for o in _outlet_registry())


@functools.lru_cache(maxsize=65536)
def _hosted_outlets(site: str) -> frozenset[str]:
    """Registry outlets whose id is a host under ``site`` (abcnews.go.com under go.com)."""
    return frozenset(f"site:{o}" for o in _outlet_registry() if o.endswith("." + site))


def _own_sources(own_site: str | None, metadata: Mapping[str, Sequence[str]]) -> set[str]:
    """The sources that are the page's own publisher."""
    own: set[str] = set()
    if own_site:
        own.add(f"site:{own_site}")
        outlet = outlet_for_site(own_site)
        if outlet:
            own.add(f"site:{outlet}")
        # an outlet registered by its host under the page's domain (abcnews.go.com on go.com)
        own.update(_hosted_outlets(own_site))
        agency = agency_for_site(own_site)
        if agency:
            own.add(f"agency:{agency}")
            own.add(f"site:{own_site}")
    for name in metadata.get("site_name", ())[:2]:
        source = resolve_name(name)
        if source and (not own_site or source == f"site:{own_site}" or site_name_matches(name, own_site)):
            own.add(source)
        if own_site is None or site_name_matches(name, own_site):
            own.add(f"name:{' '.join(name.split())}")
    if own_site is None:
        # a page saved without its address whose footer says whose site it is:
        # "©2015 The Associated Press. All rights reserved. Terms under which this
        # site is provided." -- the holder is the page's publisher, not its source
        for note in metadata.get("notes", ())[:_METADATA_NOTES_READ]:
            m = _SITE_COPYRIGHT.search(note)
            if m and (source := resolve_name(m.group("holder"))):
                own.add(source)
    return own


def _other_publisher(url: str, own_site: str | None) -> str | None:
    """The site of ``url`` when it is another publisher than the page's own
    (known) site, and no blog host; else None."""
    site = site_of(url)
    if not site or not own_site or same_publisher(site, own_site) or site in _HOSTING_SITES:
        return None
    return site


_METADATA_NOTES_READ = 8
# Addresses a "Source link" may point at that publish no news copy of their own
_NOT_NEWS_SOURCES = frozenset({
    "google.com", "feedburner.com", "bit.ly", "t.co", "ow.ly", "tinyurl.com", "buff.ly",
    "goo.gl", "dlvr.it", "ift.tt", "msn.com", "yahoo.com", "aol.com", "twitter.com", "x.com", "facebook.com",
    "instagram.com", "youtube.com", "youtu.be", "reddit.com", "tiktok.com", "linkedin.com", "archive.org",
    "archive.ph", "archive.today", "flipboard.com", "newsbreak.com", "smartnews.com", "feedly.com",
})
# A copyright line that speaks of the site it is on
_SITE_COPYRIGHT = re.compile(
    r"(?i)(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\s*(?P<holder>[^.©]{2,60}?)\.?\s+"
    r"all rights reserved\.?.{0,40}?\b(?:this|our)\s+(?:web)?site\b"
)


def site_name_matches(name: str, site: str) -> bool:
    """Whether a site name ("The Seattle Times", "NU") names a domain
    (seattletimes.com, nu.nl): the domain's name is in it, or it is the name.

    Example:
        >>> site_name_matches("The Seattle Times", "seattletimes.com"), site_name_matches("NU", "nu.nl")
        (True, True)
    """
    label = site.split(".")[0].replace("-", "")
    if len(label) >= 4:
        return name_spells(name, label)
    return bool(label) and _squeezed(name) in (label, "the" + label)


def credited_sources(credits: Iterable[Credit], *, weak: bool = False) -> list[str]:
    """The distinct sources the credits name (strong ones unless ``weak``), in order.

    Example:
        >>> credited_sources(find_credits("PARIS (AFP) - Rain.\\n\\nSource: The Guardian"))
        ['agency:afp', 'site:theguardian.com']
    """
    return list(dict.fromkeys(c.source for c in credits if weak or c.strength == "strong"))
