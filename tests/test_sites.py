"""sites._registered, tldextract's rule over its own bundled list read as a
file, against tldextract itself: the same registered domain for hosts made
of the list's rules (wildcards and their exceptions, non-ASCII and punycode
labels), IP addresses, ports, users, empty labels and odd dots."""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiretrace import sites


@functools.lru_cache(maxsize=1)
def _tldextract():
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _reference(host: str) -> str:
    """The site as wiretrace found it with tldextract itself."""
    return (_tldextract()(host).top_domain_under_public_suffix or host).lower()


@functools.lru_cache(maxsize=1)
def _rules() -> list[str]:
    """Every rule of the list, private ones too (the rule leaves them out)."""
    from tldextract.suffix_list import extract_tlds_from_suffix_list

    import importlib.resources

    text = importlib.resources.files("tldextract").joinpath(".tld_set_snapshot").read_text(encoding="utf-8")
    public, private = extract_tlds_from_suffix_list(text)
    return sorted(public + private)


_LABELS = st.one_of(
    st.sampled_from(["www", "news", "bbc", "co", "city", "xn--bcher-kva", "xn--zz", "XN--BCHER-KVA", "Example", "",
                     "localhost", "123", "255", "*", "!www", "公司", "мвд", "a-b"]),
    st.text(alphabet="abcxyz019-_.", min_size=0, max_size=6),
    st.text(min_size=1, max_size=4),
)


@st.composite
def _hosts(draw) -> str:
    kind = draw(st.integers(0, 5))
    if kind == 0:  # an IPv4 address, maybe out of range
        return ".".join(str(draw(st.integers(0, 300))) for _ in range(draw(st.integers(3, 5))))
    if kind == 1:  # an IPv6 address, bracketed or not
        address = draw(st.sampled_from(["::1", "2001:db8::8a2e:370:7334", "fe80::1", "1:2:3", "[::1]x"]))
        return draw(st.sampled_from([address, f"[{address}]", f"[{address}]:80"]))
    rule = draw(st.sampled_from(_rules())).lstrip("!")
    rule = ".".join(draw(_LABELS) if label == "*" else _spelled(label, draw(st.integers(0, 2)))
                    for label in rule.split("."))
    prefix = draw(st.lists(_LABELS, max_size=3))
    host = ".".join([*prefix, rule])
    if draw(st.booleans()):
        host = host.upper() if draw(st.booleans()) else host.title()
    decoration = draw(st.sampled_from(["", ".", "..", "\u3002", ":8080", "user@", "//", "http://", "/path", "?q",
                                       "\uff0e", " ", "[", "h t://", ":80]x", "bracketed"]))
    if decoration in ("user@", "//", "http://", "[", "h t://"):
        return decoration + host
    if decoration == "bracketed":  # a port inside brackets: the bracket, not the colon, ends the host
        return f"[{host}:80]x"
    if kind == 5:  # a separator inside
        cut = draw(st.integers(0, len(host)))
        return host[:cut] + draw(st.sampled_from(["\uff61", "\u3002", ".", ".."])) + host[cut:]
    return host + decoration


def _spelled(label: str, how: int) -> str:
    """A rule's label as written (0), or a non-ASCII one in punycode (1) or in
    upper-case punycode (2), as hosts carry them."""
    if how == 0 or label.isascii():
        return label
    try:
        import idna

        encoded = idna.encode(label).decode("ascii")
    except (UnicodeError, ValueError):
        return label
    return encoded.upper() if how == 2 else encoded


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_hosts())
def test_registered_domain_is_tldextracts(host):
    assert sites._site_of_host.__wrapped__(host) == _reference(host)


def test_every_rule_of_the_list_with_a_label_before_it_is_tldextracts():
    for rule in _rules():
        for host in (rule.lstrip("!").replace("*", "x"), "news." + rule.lstrip("!").replace("*", "any")):
            assert sites._site_of_host.__wrapped__(host) == _reference(host), host


def test_known_sites():
    assert sites.site_of("https://forums.bbc.co.uk/x") == "bbc.co.uk"
    assert sites.site_of("https://www.ck/") == "www.ck"  # the list's exception to *.ck
    assert sites.site_of("https://a.b.ck/") == "a.b.ck"
    assert sites.site_of("https://user.github.io/") == "github.io"  # private rules are not suffixes here
    assert sites.site_of("http://192.168.0.1/x") == "192.168.0.1"
    assert sites.site_of("https://www.a.xn--p1ai/") == "a.xn--p1ai"  # .рф, written in punycode
    assert sites.site_of("https://x.y.XN--55QX5D.cn/") == "y.xn--55qx5d.cn"  # 公司.cn


def test_a_list_that_cannot_be_read_is_an_error_naming_it(monkeypatch):
    """An empty or foreign list would make every host a site of its own: an
    error that names the file instead."""
    monkeypatch.setattr(sites, "_snapshot_text", lambda: ("// nothing here\n", "/somewhere/.tld_set_snapshot"))
    sites._suffix_trie.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="/somewhere/.tld_set_snapshot"):
            sites._registered("www.bbc.co.uk")
    finally:
        sites._suffix_trie.cache_clear()
    with pytest.raises(RuntimeError, match="not UTF-8"):
        sites._decoded_list(b"\xff\xfe com", "/somewhere/.tld_set_snapshot")
