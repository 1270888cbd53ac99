"""The publishing site of a URL: its registered domain, found offline."""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

__all__ = ["site_of"]


@functools.lru_cache(maxsize=1)
def _extractor():
    import tldextract

    # suffix_list_urls=() and no cache dir: use the Public Suffix List snapshot
    # bundled with tldextract, never the network or the user's home directory.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


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
    parts = _extractor()(host)
    if hasattr(parts, "top_domain_under_public_suffix"):  # tldextract >= 5.3
        domain = parts.top_domain_under_public_suffix
    else:  # pragma: no cover - older tldextract
        domain = parts.registered_domain
    return (domain or host).lower()
