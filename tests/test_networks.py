"""Site networks: sites whose pages carry the same account ids (wiretrace.networks).

The pages and ids below are written here; the real pages' ids are measured
on real_news_pages (see docs/report-format.md, "Networks")."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace import scan
from wiretrace.extract import extract_page
from wiretrace.html import render_html
from wiretrace.networks import find_account_ids, site_networks

from conftest import story


def test_account_ids_of_every_kind_are_read_and_normalised():
    chunks = [
        "window.dataLayer=[];gtag('config','G-AB12CD34EF');ga('create','UA-1234567-2','auto');ga('create','UA-1234567-9')",
        "https://www.googletagmanager.com/ns.html?id=GTM-K9X2ZQ",
        "ca-pub-1234567890123456",
        "!function(f,b,e,v){}; fbq('init', '123456789012345'); fbq('track', 'PageView');",
        "https://www.facebook.com/tr?id=998877665544332&ev=PageView&noscript=1",
    ]
    assert find_account_ids(chunks) == [
        "ga4:G-AB12CD34EF", "ua:UA-1234567",  # one account, two properties: one id
        "gtm:GTM-K9X2ZQ", "adsense:ca-pub-1234567890123456", "pixel:123456789012345", "pixel:998877665544332",
    ]


def test_vendor_ids_and_lookalikes_are_not_read():
    # Site Kit's platform account sits on every site that installs the plugin
    assert find_account_ids(['<meta content="ca-host-pub-2644536267352236">', "ca-host-pub-2644536267352236"]) == []
    # "G-" tokens outside a tracker's script are model names, not GA4 ids
    assert find_account_ids(["var watches = ['G-SHOCK12345', 'G-AB12CD34EF'];"]) == []
    assert find_account_ids(["XUA-1234567-1", "GTM-ABC", "UA-12-1", ""]) == []


def test_ids_come_from_scripts_and_tracker_addresses_never_from_the_text():
    body = "<p>" + "The council met on Tuesday and voted to keep the plan for the harbour. " * 5 + "</p>"
    html = (
        "<html><head><title>Harbour</title>"
        "<script>gtag('config', 'G-ZZ11YY22XX');</script>"
        "<script async src='https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js?client=ca-pub-1111222233334444'></script>"
        "</head><body><article><h1>Harbour</h1>" + body
        + "<p>Readers asked whether the tracker UA-7654321-1 and GTM-TEXT12 are ours.</p>" + body
        + "<noscript><iframe src='https://www.googletagmanager.com/ns.html?id=GTM-ABCD12'></iframe></noscript>"
        "<ins class='adsbygoogle' data-ad-client='ca-pub-1111222233334444'></ins>"
        "</article></body></html>"
    )
    page = extract_page(html.encode(), url="https://harbour-news.com/a")
    assert page.metadata["account_ids"] == ["ga4:G-ZZ11YY22XX", "adsense:ca-pub-1111222233334444", "gtm:GTM-ABCD12"]


def test_networks_are_connected_groups_with_their_evidence():
    site_ids = {
        "a.com": {"gtm:GTM-AAAA1": 3},
        "b.com": {"gtm:GTM-AAAA1": 1, "adsense:ca-pub-1": 2},
        "c.com": {"adsense:ca-pub-1": 1},  # linked to a.com through b.com
        "d.com": {"ua:UA-999": 1},
        "e.com": {"ua:UA-999": 4},
        "f.com": {"gtm:GTM-ALONE": 5},  # no other site carries it
    }
    networks, common = site_networks(site_ids)
    assert [(n["id"], n["sites"]) for n in networks] == [("n1", ["a.com", "b.com", "c.com"]), ("n2", ["d.com", "e.com"])]
    assert networks[0]["evidence"] == [
        {"kind": "adsense", "id": "ca-pub-1", "sites": {"b.com": 2, "c.com": 1}},
        {"kind": "gtm", "id": "GTM-AAAA1", "sites": {"a.com": 3, "b.com": 1}},
    ]
    assert common == []
    assert all(n["kind"] == "shared accounts" for n in networks)


def test_an_id_on_too_many_sites_links_nobody():
    site_ids = {f"s{i}.com": {"gtm:GTM-THEME1": 1} for i in range(6)}
    site_ids["s0.com"]["ua:UA-42"] = 1
    site_ids["s1.com"]["ua:UA-42"] = 1
    networks, common = site_networks(site_ids, max_sites=5)
    assert [n["sites"] for n in networks] == [["s0.com", "s1.com"]]
    assert common == [{"id": "gtm:GTM-THEME1", "sites": 6}]
    with pytest.raises(ValueError, match="at least 2"):
        site_networks(site_ids, max_sites=1)


def test_a_network_is_copying_only_when_two_members_copy_outside_sources_without_credit():
    site_ids = {"f1.com": {"gtm:GTM-FARM1": 1}, "f2.com": {"gtm:GTM-FARM1": 1}, "f3.com": {"gtm:GTM-FARM1": 1}}
    copies = [("f1.com", "uncredited", "agency:ap"), ("f2.com", "uncredited", "wire.com"),
              ("f3.com", "uncredited", "f1.com"),  # a member's copy of another member: syndication inside
              ("f3.com", "credited", "agency:ap"), ("other.com", "uncredited", "agency:ap")]
    [network], _ = site_networks(site_ids, copies)
    assert (network["kind"], network["copies"], network["uncredited"], network["uncredited_outside"],
            network["copying_members"]) == ("copying", 4, 3, 2, 2)
    # one member copying is a site's habit, not the network's
    [network], _ = site_networks(site_ids, copies[:1])
    assert network["kind"] == "shared accounts"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([f"s{i}.com" for i in range(8)]),
                          st.sampled_from(["gtm:GTM-A1", "gtm:GTM-B2", "ua:UA-7", "adsense:ca-pub-9"]),
                          st.integers(1, 3)), max_size=20), st.randoms())
def test_networks_do_not_depend_on_input_order(entries, rng):
    def build(items):
        site_ids: dict[str, dict[str, int]] = {}
        for site, key, pages in items:
            site_ids.setdefault(site, {})
            site_ids[site][key] = site_ids[site].get(key, 0) + pages
        return site_networks(site_ids)

    shuffled = list(entries)
    rng.shuffle(shuffled)
    assert build(entries) == build(shuffled)
    # plain statement: networks are the groups of sites that a chain of shared ids joins
    networks, _ = build(entries)
    carriers: dict[str, set[str]] = {}
    for site, key, _ in entries:
        carriers.setdefault(key, set()).add(site)
    groups: list[set[str]] = []
    for sites in carriers.values():
        if len(sites) < 2:
            continue
        joined = [g for g in groups if g & sites]
        merged = set(sites).union(*joined)
        groups = [g for g in groups if not g & sites] + [merged]
    assert sorted(sorted(g) for g in groups) == sorted(n["sites"] for n in networks)


def test_a_scan_reports_networks_and_marks_their_sites():
    wire = story(7001)
    tail = story(7002, 120)
    records = [{"id": "ap-1", "url": "https://apnews.com/a", "text": "WASHINGTON (AP) — " + wire,
                "published": "2024-03-01T08:00:00Z"}]
    # three farm sites run from one tag-manager container, each posting the story without credit
    for n in range(3):
        records.append({"id": f"farm-{n}", "url": f"https://farm{n}-daily.com/s", "text": wire + "\n\n" + tail,
                        "published": f"2024-03-01T1{n}:00:00Z",
                        "metadata": {"account_ids": ["gtm:GTM-FARM77", f"ua:UA-{1000 + n}"]}})
    # two titles of one group sharing an account, each with its own story
    for n in range(2):
        records.append({"id": f"group-{n}", "url": f"https://group-title{n}.com/s", "text": story(7100 + n),
                        "published": "2024-03-01T09:00:00Z", "metadata": {"account_ids": ["adsense:ca-pub-5555666677778888"]}})
    random.Random(3).shuffle(records)
    report = scan(records)
    by_sites = {tuple(n["sites"]): n for n in report.networks}
    farm = by_sites[("farm0-daily.com", "farm1-daily.com", "farm2-daily.com")]
    assert farm["kind"] == "copying" and farm["uncredited_outside"] == 3 and farm["copying_members"] == 3
    assert farm["evidence"] == [{"kind": "gtm", "id": "GTM-FARM77",
                                 "sites": {"farm0-daily.com": 1, "farm1-daily.com": 1, "farm2-daily.com": 1}}]
    group = by_sites[("group-title0.com", "group-title1.com")]
    assert group["kind"] == "shared accounts" and group["copies"] == 0
    rows = {row["site"]: row for row in report.sites}
    assert rows["farm1-daily.com"]["network"] == farm["id"] and rows["apnews.com"]["network"] is None
    data = json.loads(report.to_json())
    assert data["networks"] == report.networks and data["network_common_ids"] == []


def test_the_html_report_lists_networks_escaped():
    report = {
        "clusters": [], "documents": [], "sites": [], "skipped": [], "wiretrace_version": "x",
        "networks": [{"id": "n1", "sites": ["<b>a.com</b>", "b.com"], "kind": "copying",
                      "evidence": [{"kind": "gtm", "id": "GTM-<i>X</i>", "sites": {"<b>a.com</b>": 1, "b.com": 1}}],
                      "copies": 2, "uncredited": 2, "uncredited_outside": 2, "copying_members": 2,
                      "linked_by": ["accounts", "look and timing"], "pairs_total": 1,
                      "pairs": [{"sites": ["<b>a.com</b>", "b.com"], "linked": True, "template": 3,
                                 "template_examples": ["<script>alert(1)</script> footer"], "links": 3,
                                 "link_examples": ["<img src=x>.com"], "timing": 4, "median_gap_hours": 0.2}]}],
    }
    page = render_html(report)
    assert 'id="network-n1"' in page and "&lt;b&gt;a.com&lt;/b&gt;, b.com" in page and "GTM-&lt;i&gt;X&lt;/i&gt;" in page
    assert "<b>a.com</b>" not in page and "<i>X</i>" not in page
    assert "accounts, look and timing" in page and "3 template lines" in page and "4 stories copied 0.2 h apart" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; footer" in page and "&lt;img src=x&gt;.com" in page
    assert "<script>alert(1)" not in page and "<img src=x>" not in page


def test_the_demo_corpus_shows_the_farm_network_and_the_decoy_group(demo_report):
    # data/README.md, "Account ids": one id from JSONL metadata, one from a page's script
    kinds = {tuple(n["sites"]): n["kind"] for n in demo_report.networks}
    assert kinds == {
        ("financepost-daily.com", "heritagenewsroom.com", "newsfeedhub.info"): "copying",
        ("londonledger.co.uk", "metrowire.co.uk"): "shared accounts",
    }


def test_hostile_account_ids_in_an_inputs_metadata_link_nobody_and_stop_nothing():
    text = story(7300)
    records = [{"id": f"d{n}", "url": f"https://site{n}.com/a", "text": text if n < 2 else story(7301 + n),
                "metadata": {"account_ids": ["nocolon", "evil:<script>alert(1)</script>", "gtm:", ":x", "gtm:GTM-OK12"]}}
               for n in range(3)]
    report = scan(records)
    assert [(n["sites"], [e["id"] for e in n["evidence"]]) for n in report.networks] == [
        (["site0.com", "site1.com", "site2.com"], ["GTM-OK12"])]
    import pytest as _pytest
    with _pytest.raises(ValueError, match="not an account id"):
        site_networks({"a.com": {"nocolon": 1}})


def test_hostile_template_metadata_in_an_input_is_bounded_and_never_a_link_target():
    huge = "word " * 100_000

    def scan_with(lines, targets):
        records = []
        for n in range(3):  # both sites copy three wire stories within minutes of each other
            wire = story(7350 + n)
            records.append({"id": f"ap{n}", "url": f"https://apnews.com/{n}", "text": "WASHINGTON (AP) — " + wire,
                            "published": f"2024-03-0{n + 1}T08:00:00Z"})
            for k in range(2):
                records.append({"id": f"s{k}-{n}", "url": f"https://site{k}.com/{n}", "text": wire,
                                "published": f"2024-03-0{n + 1}T09:{10 * k:02d}:00Z",
                                "metadata": {"template_lines": lines, "template_links": targets}})
        return scan(records).networks

    # the control: three ordinary lines and the timing link the two sites
    assert [n["sites"] for n in scan_with(LOOK, [])] == [["site0.com", "site1.com"]]
    # giant lines and junk targets from an input's own metadata make no look
    assert scan_with([huge, huge + "x", huge + "y"], ["<script>.com", "javascript:alert(1)", "../../etc/passwd"]) == []
    [network] = scan_with(LOOK + ["<script>alert(1)</script> a b c"], [])
    assert "<script>alert(1)</script> a b c" in network["pairs"][0]["template_examples"]  # kept as text; HTML escapes it


def test_ids_in_json_blocks_count_only_as_a_trackers_value_and_json_ld_is_never_read():
    body = "<p>" + "The council met on Tuesday and voted to keep the plan for the harbour. " * 5 + "</p>"
    html = (
        "<html><head><title>Harbour</title>"
        '<script type="application/json">{"vendor": "group vip", "tags": {"gtm": ["GTM-MKM4ZNQ"]},'
        ' "story": {"body": "Investigators traced GTM-FARM77 and UA-1234567-1 to one owner."}}</script>'
        '<script type="application/ld+json">{"@type": "NewsArticle", "articleBody": "The farm ran GTM-FARM78."}</script>'
        "</head><body><article><h1>Harbour</h1>" + body + body + "</article></body></html>"
    )
    page = extract_page(html.encode(), url="https://harbour-news.com/a")
    assert page.metadata["account_ids"] == ["gtm:GTM-MKM4ZNQ"]


# --- links by look (template, outbound links) and timing --------------------------------

LOOK = ["copyright 2026 ring media holdings llc", "send your tips to the ring desk",
        "ring media publishes news for curious readers"]


def _posts(sites, stories, gap):
    """Each site copies each story, ``gap`` hours after the previous site."""
    return [(site, story, 10.0 * story + gap * k) for story in range(stories) for k, site in enumerate(sites)]


def test_a_look_and_a_timing_together_link_two_sites_and_neither_alone_does():
    both = site_networks({}, templates={"a.com": LOOK, "b.com": LOOK}, story_copies=_posts(["a.com", "b.com"], 3, 0.2))
    [network] = both[0]
    assert network["sites"] == ["a.com", "b.com"] and network["linked_by"] == ["look and timing"]
    assert network["kind"] == "shared look" and network["evidence"] == []
    [pair] = network["pairs"]
    assert pair["linked"] and pair["template"] == 3 and pair["timing"] == 3 and pair["median_gap_hours"] == 0.2
    # a theme's footer alone (strangers on one theme), a feed's timing alone (two aggregators
    # polling one wire), timing too slow, or too few stories: no link
    assert site_networks({}, templates={"a.com": LOOK, "b.com": LOOK})[0] == []
    assert site_networks({}, story_copies=_posts(["a.com", "b.com"], 5, 0.2))[0] == []
    assert site_networks({}, templates={"a.com": LOOK, "b.com": LOOK}, story_copies=_posts(["a.com", "b.com"], 3, 1.5))[0] == []
    assert site_networks({}, templates={"a.com": LOOK, "b.com": LOOK}, story_copies=_posts(["a.com", "b.com"], 2, 0.2))[0] == []
    assert site_networks({}, templates={"a.com": LOOK[:2], "b.com": LOOK[:2]},
                         story_copies=_posts(["a.com", "b.com"], 3, 0.2))[0] == []
    # shared outbound link targets are a look too
    targets = {"a.com": ["ringmedia.example", "ringshop.example", "ringjobs.example"],
               "b.com": ["ringmedia.example", "ringshop.example", "ringjobs.example", "facebook.com"]}
    [network] = site_networks({}, links=targets, story_copies=_posts(["a.com", "b.com"], 3, 0.5))[0]
    assert network["pairs"][0]["links"] == 3 and network["pairs"][0]["link_examples"] == sorted(targets["a.com"])


def test_a_line_or_link_on_too_many_sites_counts_for_nobody():
    sites = [f"s{i}.com" for i in range(12)]  # more than WEAK_MAX_SITES carry the look
    networks, _ = site_networks({}, templates={s: LOOK for s in sites}, story_copies=_posts(sites[:2], 4, 0.1))
    assert networks == []


def test_weak_evidence_shows_between_members_already_linked_by_an_account():
    ids = {"a.com": {"gtm:GTM-GRP1": 2}, "b.com": {"gtm:GTM-GRP1": 1}}
    [network] = site_networks(ids, templates={"a.com": LOOK, "b.com": LOOK, "c.com": LOOK})[0]
    assert network["sites"] == ["a.com", "b.com"] and network["linked_by"] == ["accounts"]
    assert [(p["sites"], p["linked"], p["template"]) for p in network["pairs"]] == [(["a.com", "b.com"], False, 3)]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a.com", "b.com", "c.com", "d.com"]), st.integers(0, 4),
                          st.floats(0, 30, allow_nan=False)), max_size=30), st.randoms())
def test_copy_timing_matches_a_plain_all_pairs_count_and_ignores_order(posts, rng):
    from wiretrace.networks import TIMING_GAP_HOURS, _timing

    fast = _timing(posts, TIMING_GAP_HOURS, 50)
    shuffled = list(posts)
    rng.shuffle(shuffled)
    assert _timing(shuffled, TIMING_GAP_HOURS, 50) == fast
    plain: dict[tuple[str, str], dict[int, float]] = {}
    for a, story, t in posts:
        for b, other, u in posts:
            if a < b and story == other and abs(t - u) <= TIMING_GAP_HOURS:
                best = plain.setdefault((a, b), {})
                best[story] = min(best.get(story, 99.0), abs(t - u))
    assert fast == {pair: sorted(gaps.values()) for pair, gaps in plain.items()}


def test_template_lines_and_links_come_from_the_pages_chrome_not_its_article():
    from wiretrace.extract import page_template
    import lxml.html

    page = lxml.html.fromstring(
        "<html><body><header><nav><ul><li><a href='/'>News</a></li><li><a href='/s'>Sport</a></li></ul></nav>"
        "<div class='masthead'><p>The Ring Daily, news for curious readers</p></div></header>"
        "<article><p>" + "Story words of the article itself. " * 10 + "</p>"
        "<footer class='story-footer'><p>Reporting by Jane Doe for the wire</p>"
        "<a href='https://apnews.com/x'>AP</a></footer></article>"
        "<div id='site-footer'><p>Copyright 2026 Ring Media Holdings LLC. All rights reserved.</p>"
        "<p>Send your tips to the Ring desk</p><a href='https://ringmedia.example/about'>About</a>"
        "<a href='https://www.facebook.com/ring'>f</a><a href='/contact'>Contact us today please</a></div>"
        "</body></html>")
    lines, links = page_template(page)
    assert lines == ["The Ring Daily, news for curious readers",
                     "Copyright 2026 Ring Media Holdings LLC. All rights reserved.", "Send your tips to the Ring desk"]
    assert links == ["ringmedia.example", "facebook.com"]  # not the article's own footer link to apnews.com


def test_a_scan_links_a_ring_of_sites_by_its_text_template_and_timing():
    stories = [story(7400 + n) for n in range(4)]
    records = []
    for n, text in enumerate(stories):
        records.append({"id": f"wire-{n}", "url": f"https://apnews.com/{n}", "text": "WASHINGTON (AP) — " + text,
                        "published": f"2024-03-0{n + 1}T08:00:00Z"})
        for k in range(3):  # one scraper posts each story on the three ring sites within minutes
            records.append({"id": f"ring{k}-{n}", "url": f"https://ring{k}-news.com/{n}",
                            "text": "\n\n".join([text, *(line.title() for line in LOOK)]),
                            "published": f"2024-03-0{n + 1}T11:{10 * k:02d}:00Z",
                            "metadata": {"account_ids": [f"ua:UA-{2000 + k}"]}})  # each its own account
        # a theme's users: the same footer, but each posts at its own hour (no link)
        for k in range(2):
            records.append({"id": f"theme{k}-{n}", "url": f"https://theme{k}-blog.com/{n}",
                            "text": "\n\n".join([story(7500 + 10 * n + k), *(line.title() for line in LOOK)]),
                            "published": f"2024-03-0{n + 1}T0{3 + 4 * k}:00:00Z"})
    random.Random(5).shuffle(records)
    report = scan(records)
    [ring] = [n for n in report.networks]
    assert ring["sites"] == ["ring0-news.com", "ring1-news.com", "ring2-news.com"]
    assert ring["kind"] == "copying" and ring["linked_by"] == ["look and timing"] and ring["evidence"] == []
    assert all(p["linked"] and p["template"] == 3 and p["timing"] == 4 for p in ring["pairs"])
    rows = {row["site"]: row for row in report.sites}
    assert rows["ring0-news.com"]["network"] == ring["id"] and rows["theme0-blog.com"]["network"] is None


def test_a_copying_networks_small_sites_are_not_damped_in_the_farm_score():
    wire = story(7600)
    records = [{"id": "ap", "url": "https://apnews.com/a", "text": "WASHINGTON (AP) — " + wire,
                "published": "2024-03-01T08:00:00Z"}]
    for n in range(2):  # two farm sites of one container, one uncredited copy each
        records.append({"id": f"f{n}", "url": f"https://farm{n}.com/a", "text": wire,
                        "published": "2024-03-01T12:00:00Z", "metadata": {"account_ids": ["gtm:GTM-FRM2"]}})
    records.append({"id": "lone", "url": "https://lone-copier.com/a", "text": wire, "published": "2024-03-01T13:00:00Z"})
    rows = {row["site"]: row for row in scan(records).sites}
    assert rows["farm0.com"]["farm_score"] == 1.0 and rows["farm1.com"]["farm_score"] == 1.0
    assert rows["lone-copier.com"]["farm_score"] == 0.2  # one page of its own: damped (volume 1/5)
    assert [row["rank"] for row in sorted(rows.values(), key=lambda r: r["rank"])] == list(range(1, len(rows) + 1))


def _ring_records(published, footer=LOOK, with_wire=True):
    """Three wire stories, each copied by two sites at the given times, the sites' pages
    ending in ``footer`` (each site posts a fourth page of its own, so the footer is on
    most of its pages)."""
    records = []
    for n in range(3):
        wire = story(7700 + n)
        if with_wire:
            records.append({"id": f"ap{n}", "url": f"https://apnews.com/{n}", "text": "WASHINGTON (AP) — " + wire,
                            "published": f"2024-03-0{n + 1}T08:00:00Z"})
        for k in range(2):
            records.append({"id": f"s{k}-{n}", "url": f"https://site{k}.com/{n}",
                            "text": "\n\n".join([wire, *(line.title() for line in footer)]),
                            "published": published(n, k)})
    for k in range(2):
        records.append({"id": f"own{k}", "url": f"https://site{k}.com/own", "text": "\n\n".join([story(7790 + k), *footer]),
                        "published": "2024-03-05T12:00:00Z"})
    return records


def test_a_date_without_its_time_times_nothing():
    timed = scan(_ring_records(lambda n, k: f"2024-03-0{n + 1}T09:{10 * k:02d}:00Z")).networks
    assert [n["sites"] for n in timed] == [["site0.com", "site1.com"]]  # the control
    assert scan(_ring_records(lambda n, k: f"2024-03-0{n + 1}")).networks == []  # same day, hours unknown


def test_copied_text_is_no_look_credits_sign_offs_headlines_and_the_source_footer():
    from wiretrace.records import Document
    from wiretrace.trace import site_looks

    sign_off = ["Copyright 2026 The Associated Press. All rights reserved.",
                "Reporting by Anna Keller; Editing by Susan Fenton in the newsroom",
                "Associated Press writers around the world contributed to this report."]
    headlines = ["Storm floods coastal towns overnight", "Senate passes the harbor budget bill",
                 "Council votes to close the old bridge"]
    docs = [Document(id=f"{site}{n}", text="x", site=site, title=headlines[n],
                     metadata={"template_lines": [*sign_off, *headlines, *(line.title() for line in LOOK)]})
            for site in ("a.com", "b.com") for n in range(3)]
    templates, _ = site_looks(docs, {}, {})
    assert templates["a.com"] == templates["b.com"] == set(LOOK)  # the site's own lines only
    # a line of the page a site copied from is the source's, not the site's
    source = Document(id="src", text="A story.\nCopyright 2026 Ring Media Holdings LLC", site="ring-source.com")
    templates, _ = site_looks([*docs, source], {}, {"a.com": {len(docs)}})
    assert "copyright 2026 ring media holdings llc" not in templates["a.com"] and templates["b.com"] == set(LOOK)


def test_a_sites_text_template_does_not_depend_on_input_order():
    from wiretrace.chrome import strip_chrome
    from wiretrace.records import Document
    from wiretrace.trace import _text_templates

    foot = "Copyright 2026 Northern Star Media Group\nRead our full privacy policy here\nSubscribe to the morning briefing"
    docs = [Document(id=str(i), site="a.com", text=f"Story {i} " + f"word{i} " * 40 + (f"\n{foot}" if i >= 20 else ""))
            for i in range(41)]
    read = []
    for order in (docs, docs[::-1]):
        templates: dict = {"a.com": set()}
        _text_templates(order, strip_chrome(order).template, templates, {})
        read.append(templates["a.com"])
    assert read[0] == read[1] == {line.casefold() for line in foot.split("\n")}


def test_a_footers_list_of_recent_headlines_is_not_the_sites_template():
    from wiretrace.extract import page_template
    import lxml.html

    page = lxml.html.fromstring(
        "<html><body><article><p>" + "Story words. " * 20 + "</p></article>"
        "<footer><div class='widget recent-posts'><ul><li><a href='/a'>Storm floods coastal towns overnight</a></li>"
        "<li><a href='/b'>Senate passes the harbor budget bill</a></li></ul></div>"
        "<p>Copyright 2026 Ring Media Holdings LLC</p></footer></body></html>")
    assert page_template(page)[0] == ["Copyright 2026 Ring Media Holdings LLC"]
