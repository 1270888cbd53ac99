"""The publishing site of a URL: its registered domain, found offline.

The rule is tldextract's (``top_domain_under_public_suffix`` with the Public
Suffix List's ICANN section, private domains not taken for suffixes), over
the list's snapshot tldextract bundles, read here as a file: importing
tldextract (it imports requests, urllib3, idna and filelock) and building its
trie took 0.1-0.15 s of every process that reads a page (ad hoc, ``-X
importtime``); a ``wiretrace check`` of one page from the command line went
from 0.99 to 0.79 s with this alone (README). :func:`_registered` is pinned
to tldextract by a property test (``tests/test_sites.py``).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
from urllib.parse import scheme_chars, urlsplit

__all__ = ["site_of"]

_SNAPSHOT = ".tld_set_snapshot"  # the file tldextract ships its Public Suffix List in
_PRIVATE_START = "// ===BEGIN PRIVATE DOMAINS==="  # the list's private section follows
_RULE = re.compile(r"^(?P<suffix>[.*!]*\w[\S]*)", re.UNICODE | re.MULTILINE)  # tldextract's reading of a rule
_END = None  # a trie node's mark that a rule ends there (labels are strings)
_SCHEME_CHARS = frozenset(scheme_chars)  # what lenient_netloc takes for a scheme before "//"


@functools.lru_cache(maxsize=1)
def _suffix_trie() -> dict:
    """The ICANN rules of the bundled snapshot as a trie of labels from the
    right (``{"uk": {"co": {None: True}, None: True}}``): tldextract's
    own, read from its package without importing it (never the network,
    never the user's cache). A list that cannot be read, or that lacks
    ``com``, raises an error naming the file: every host would otherwise
    be a site of its own."""
    text, where = _snapshot_text()
    root: dict = {}
    for match in _RULE.finditer(text.partition(_PRIVATE_START)[0]):
        node = root
        for label in reversed(match.group("suffix").split(".")):
            node = node.setdefault(label, {})
        node[_END] = True
    if not root.get("com", {}).get(_END):
        raise RuntimeError(f"{where} holds no Public Suffix List this version of wiretrace can read (no rule for "
                           "'com'): reinstall tldextract (pip install --force-reinstall 'tldextract>=5,<6')")
    return root


def _snapshot_text() -> tuple[str, str]:
    """The text of tldextract's bundled list and where it was read, through
    the package's loader (a zipped install too), else by importing tldextract."""
    spec = importlib.util.find_spec("tldextract")
    get_data = getattr(getattr(spec, "loader", None), "get_data", None)
    for folder in (spec.submodule_search_locations or []) if spec and get_data else []:
        path = os.path.join(folder, _SNAPSHOT)
        try:
            return _decoded_list(get_data(path), path), path
        except OSError:
            continue
    try:
        import pkgutil

        data = pkgutil.get_data("tldextract", _SNAPSHOT)
    except (ImportError, OSError) as exc:
        raise RuntimeError(f"tldextract's Public Suffix List ({_SNAPSHOT}) could not be read ({exc}): install "
                           "wiretrace's dependencies (pip install wiretrace) or tldextract itself") from None
    if data is None:
        raise RuntimeError(f"tldextract's Public Suffix List ({_SNAPSHOT}) was not found: install wiretrace's "
                           "dependencies (pip install wiretrace) or tldextract itself")
    where = f"tldextract's {_SNAPSHOT}"
    return _decoded_list(data, where), where


def _decoded_list(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuntimeError(f"{where} is not UTF-8 text ({exc}): reinstall tldextract") from None


def site_of(url: str | None) -> str | None:
    """Registered domain of ``url`` ("www.bbc.co.uk/news" -> "bbc.co.uk").

    Hosts without a public suffix (IP addresses, ``localhost``) are returned
    as they are; strings that are not URLs give None.

    Example:
        >>> site_of("https://www.bbc.co.uk/news/world-123")
        'bbc.co.uk'
        >>> site_of("not a url") is None
        True
    """
    if not url or not isinstance(url, str):
        return None
    candidate = url.strip()
    if "://" not in candidate:
        if candidate.startswith("//"):
            candidate = "http:" + candidate
        elif " " not in candidate and "." in candidate.split("/")[0]:
            candidate = "http://" + candidate
        else:
            return None
    host = _plain_host(candidate)
    if host is _UNSURE:
        try:
            host = urlsplit(candidate).hostname
        except ValueError:
            return None
    if not host or ("." not in host and host != "localhost" and ":" not in host):
        return None  # "recall::x.html" is no URL: a host name has a dot
    return _site_of_host(host)


_UNSURE = object()
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_NETLOC_END = re.compile(r"[/?#]")


def _plain_host(url: str) -> str | None | object:
    """``urlsplit(url).hostname`` for a plain ``scheme://host/...`` URL,
    found with string methods; :data:`_UNSURE` for anything else (a user or
    port in it, brackets, a percent sign, a space or backslash in the host,
    a character past ASCII or a control: urlsplit decides those). The host
    of 200,000 synthetic URLs: 0.66-0.73 s by urlsplit, 0.31-0.36 s here
    (ad hoc, three rounds in one process); finding the site was a fifth of
    reading a JSON Lines record (cProfile). Pinned to urlsplit by a property
    test (``tests/test_credits.py``)."""
    if not (url.isascii() and url.isprintable()):
        return _UNSURE
    colon = url.find("://")
    if colon <= 0 or not _SCHEME.fullmatch(url, 0, colon):
        return _UNSURE
    start = colon + 3
    end = _NETLOC_END.search(url, start)
    netloc = url[start:end.start() if end else len(url)]
    if any(c in netloc for c in "@:[]% \\"):
        return _UNSURE
    return netloc.lower() or None


@functools.lru_cache(maxsize=65536)
def _site_of_host(host: str) -> str:
    # Cached by host: a crawl has few hosts and many URLs.
    return (_registered(host) or host).lower()


def _registered(host: str) -> str:
    """tldextract's ``top_domain_under_public_suffix`` of ``host`` (the
    registered domain, as written; empty for an IP address or a host
    without a public suffix), by tldextract's own steps."""
    # (tldextract's bracketed IPv6 case needs no test here: a bracketed host's
    # last label ends in "]", which no rule does, so it has no suffix either way)
    netloc = _lenient_host(host).replace("\u3002", ".").replace("\uff0e", ".").replace("\uff61", ".")
    labels = netloc.split(".")
    at = _suffix_start(labels)
    if at is None or at == 0:
        return ""  # an IPv4 address, a host without a suffix, or a suffix alone
    domain, suffix = labels[at - 1], ".".join(labels[at:])
    return f"{domain}.{suffix}" if domain and suffix else ""


def _lenient_host(host: str) -> str:
    """tldextract's ``lenient_netloc`` of a host: what it keeps of the text
    before a path, query, fragment, user or port, the root label's dot cut."""
    double = host.find("//")
    if double == 0:
        host = host[2:]
    elif double >= 2 and host[double - 1] == ":" and not set(host[: double - 1]) - _SCHEME_CHARS:
        host = host[double + 2:]
    authority = host.partition("/")[0].partition("?")[0].partition("#")[0]
    after_user = authority.rpartition("@")[-1]
    if after_user and after_user[0] == "[":
        inside, bracket, _ = after_user.partition("]")
        if bracket:
            return f"{inside}]"
    return after_user.partition(":")[0].strip().rstrip(".\u3002\uff0e\uff61")


def _suffix_start(labels: list[str]) -> int | None:
    """The index of the first label of the public suffix ``labels`` end in
    (tldextract's ``suffix_index``, private rules left out), None without one."""
    node = _suffix_trie()
    found = at = len(labels)
    for label in reversed(labels):
        label = _decoded(label)
        if label in node:
            at -= 1
            node = node[label]
            if node.get(_END):
                found = at
            continue
        if "*" in node:  # a wildcard rule, unless an exception names this label
            return at if "!" + label in node else at - 1
        break
    return None if found == len(labels) else found


def _decoded(label: str) -> str:
    """A label as the list writes it: lower case, punycode decoded (idna is
    loaded only for such a label, as tldextract decodes it)."""
    lowered = label.lower()
    if lowered.startswith("xn--"):
        import idna

        try:
            return idna.decode(lowered)
        except (UnicodeError, IndexError):
            pass
    return lowered
