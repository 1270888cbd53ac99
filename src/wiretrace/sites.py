"""The publishing site of a URL: its registered domain, found offline."""

from __future__ import annotations

import functools
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
    try:
        host = urlsplit(candidate).hostname
    except ValueError:
        return None
    if not host or ("." not in host and host != "localhost" and ":" not in host):
        return None  # "recall::x.html" is no URL: a host name has a dot
    return _site_of_host(host)


@functools.lru_cache(maxsize=65536)
def _site_of_host(host: str) -> str:
    # Cached by host: a crawl has few hosts and many URLs.
    parts = _extractor()(host)
    if hasattr(parts, "top_domain_under_public_suffix"):  # tldextract >= 5.3
        domain = parts.top_domain_under_public_suffix
    else:  # pragma: no cover - older tldextract
        domain = parts.registered_domain
    return (domain or host).lower()
