"""Credits: what a page says its text came from (wiretrace.credits).

Every text below is written here, in the shapes real pages use (the forms
the issue lists from a hand-labelled set of US news pages, and the
multilingual and historical forms of the labelled real pages); the real
pages themselves are scored by the ``credits`` and ``impresso`` bench
suites (tests/test_realdata.py and the evaluation gate)."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace import scan
from wiretrace.credits import credited_sources, find_credits, resolve_name, same_publisher
from wiretrace.extract import extract_page, page_metadata

from conftest import story


def sources(text: str, **kwargs) -> list[str]:
    return credited_sources(find_credits(text, **kwargs))


BODY = "\n\nThe committee met on Tuesday and voted to keep the plan. Officials said more talks would follow."


@pytest.mark.parametrize(
    "byline",
    [
        "By JONATHAN LEMIRE and VLADIMIR ISACHENKOV Associated Press",
        "VLADIMIR ISACHENKOV | Associated Press",
        "Jari Tanner and Jan M. OlsenAssociated Press",  # scraped byline glued to the name
        "The Associated Press | Sunday, July 15, 2018",
        "Associated Press",
        "By ROBERT BURNS AP National Security Writer",
        "VLADIMIR ISACHENKOV / AP",
        "by Associated Press",
    ],
)
def test_us_bylines_credit_the_ap(byline):
    assert sources(byline + BODY) == ["agency:ap"]


def _credited_by_markup(data: bytes, url: str, **kw) -> list[str]:
    """What a page's markup alone credits: its metadata, read with a neutral text
    (main-text extraction may or may not keep the block a test is about)."""
    found = extract_page(data, url=url)
    return credited_sources(find_credits("The story's own words.", found.metadata, found.site), **kw)


def _story_page(title: str, block: str, sentence: str) -> bytes:
    """A page whose story holds ``block`` above six paragraphs of ``sentence``."""
    return (f"<html><head><title>{title}</title></head><body><div class='story'>{block}"
            + f"<p>{sentence}</p>" * 6 + "</div></body></html>").encode()


def test_a_photo_word_far_back_on_a_line_without_breaks_makes_no_caption():
    one_line = ("Share this picture on Facebook. " + BODY.strip() + " ") * 4 + "Permalink aw,ls/rc (AP, dpa)"
    assert sources(one_line) == ["agency:ap", "agency:dpa"]
    assert sources("The committee met." + BODY + "\n\nFile photo of the mayor. (Reuters)") == []


def test_outlet_names_in_byline_elements_and_unspaced_scripts():
    portal = {"byline": ["Good Morning America"], "site_name": ["Yahoo"]}
    assert sources("A veteran wrapped a baby in a flag." + BODY, metadata=portal, own_site="yahoo.com") == [
        "site:abcnews.go.com"
    ]
    # an unknown domain named in a byline element is no credit
    assert sources("Rain." + BODY, metadata={"byline": ["example.org"]}, own_site="yahoo.com") == []
    # a column of a registered outlet, named by its beginning
    text = "2017-03-10 09:58\u3000\u6765\u6e90\uff1a\u7f51\u6613\u79d1\u5b66\u4eba\n\n\u7ff1\u7fd4\u4e8e\u592a\u7a7a"
    assert sources(text) == ["site:163.com"]
    assert sources("Die Bl\u00e4tter fallen." + BODY + "\n\nagrarheute/Mit Material vom MDR", own_site="forstpraxis.de") == [
        "site:mdr.de"
    ]


def test_a_home_page_credits_nothing():
    teasers = "PHOENIX (AP) \u2014 An inmate died.\n\nGout is on the rise. AFP\n\nMarkets fell. Reuters"
    home = {"og_type": ["website"], "site_name": ["Yahoo"], "byline": ["Reuters"]}
    assert find_credits(teasers, home, "yahoo.com", title="Yahoo UK") == []
    # an article page of the same site, or a page that calls itself a website under a story's title, does credit
    assert sources(teasers, metadata=home, own_site="yahoo.com", title="Inmate dies after execution began") != []
    article = {**home, "og_type": ["article"]}
    assert sources(teasers, metadata=article, own_site="yahoo.com", title="Yahoo UK") != []


def test_a_long_list_of_contributing_writers():
    cities = "; ".join(f"Writer{n} Name in City{n}, State{n}" for n in range(9))
    assert sources("The bill passed." + BODY + f"\n\nAssociated Press writers {cities} contributed to this report.") == [
        "agency:ap"
    ]


def test_contributor_sentences_and_copyright_lines():
    assert sources("Rain fell." + BODY + "\n\nJill Colvin is an Associated Press writer.") == ["agency:ap"]
    assert sources("Rain fell." + BODY + "\n\n\u00a9 2018 Thomson/Reuters") == ["agency:reuters"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Berlin (dpa) - Der Zug fuhr nicht." + BODY, ["agency:dpa"]),
        ("Der Zug fuhr nicht." + BODY + "\n\n(Quelle: APA/sda/dpa)", ["agency:apa", "agency:sda", "agency:dpa"]),
        ("Der Zug fuhr nicht." + BODY + "\n\nsak/Reuters", ["agency:reuters"]),  # staff initials and the agency
        ("El tren no circul\u00f3." + BODY + "\n\nPor Agencia EFE", ["agency:efe"]),
        ("Le train ne roulait pas." + BODY + "\n\n(AFP)", ["agency:afp"]),
        ("Le train ne roulait pas." + BODY + "\n\n(avec AFP)", ["agency:afp"]),
        ("Frankfurt (epd). Die Synode tagte." + BODY, ["agency:epd"]),  # lowercase names: the bracket rule
        ("Der Zug fuhr nicht, sagte er. (dapd)", ["agency:ddp"]),
        ("Die Regierung werde sich neu bilden, hie\u00df es. (FR mit dpa)", ["agency:dpa"]),
        ("Poci\u0105g nie jecha\u0142." + BODY + "\n\n\u0179r\u00f3d\u0142o: PAP", ["agency:pap"]),
        ("\u041c\u041e\u0421\u041a\u0412\u0410, 5 \u043c\u0430\u0440\u0442\u0430. /\u0422\u0410\u0421\u0421/. "
         "\u041f\u043e\u0435\u0437\u0434 \u043e\u043f\u043e\u0437\u0434\u0430\u043b.", ["agency:tass"]),
    ],
)
def test_credits_in_other_languages(text, expected):
    assert sources(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("\u65b0\u534e\u793e\u5317\u4eac4\u670824\u65e5\u7535 \u4f1a\u8bae\u53ec\u5f00\u3002", ["agency:xinhua"]),
        ("2024\u5e74 \u6765\u6e90\uff1a\u65b0\u534e\u7f51", ["agency:xinhua"]),
        ("\u3010\u5171\u540c\u3011\u6771\u4eac\u3067\u4f1a\u8b70", ["agency:kyodo"]),
        ("\uff08AFP\uff1d\u6642\u4e8b\uff09\u30d1\u30ea\u3067", ["agency:afp", "agency:jiji"]),
        ("(\uc11c\uc6b8=\uc5f0\ud569\ub274\uc2a4) \ud64d\uae38\ub3d9 \uae30\uc790 =", ["agency:yonhap"]),
        ("\u0628\u064a\u0631\u0648\u062a (\u0631\u0648\u064a\u062a\u0631\u0632) - \u0642\u0627\u0644", ["agency:reuters"]),
        # "\u5171\u540c" is also the word "joint", and "\u636e\u65b0\u534e\u793e\u62a5\u9053" ("Xinhua reported") is attribution
        ("\u5171\u540c\u3067\u958b\u767a\u3057\u305f", []),
        ("\u636e\u65b0\u534e\u793e\u62a5\u9053\uff0c\u4f1a\u8bae\u53ec\u5f00\u3002", []),
    ],
)
def test_credits_in_chinese_japanese_korean_and_arabic(text, expected):
    assert sorted(sources(text)) == sorted(expected)


def test_unnamed_agencies():
    text = "Rain fell." + BODY + "\n\nSource: Al Jazeera and news agencies"
    assert sources(text, own_site="aljazeera.com") == ["agencies"]
    assert sorted(sources(text)) == ["agencies", "site:aljazeera.com"]  # on another site, Al Jazeera is credited too


@pytest.mark.parametrize(
    "text",
    [
        "A company spokesperson told Reuters the plan was final." + BODY,  # attribution inside the story
        "Reuters reported the plan was final." + BODY,
        "REUTERS/Jane Doe\n\nA crane stood idle at the port." + BODY,  # a photo credit
        "Imran Khan (Reuters)\n\nThe committee met." + BODY,  # a caption
        "The American Academy of Pediatrics (AAP) said children need sleep." + BODY,  # an abbreviation
        "Foto: dpa\n\nDer Zug fuhr nicht." + BODY,
        "Melanie Earley 15:35, Oct 29 2020 Facebook Twitter WhatsApp Email\n\nRain." + BODY,
        "Join The Conversation\n\nRain fell." + BODY,  # site chrome, not a byline
        "Rain fell." + BODY + "\n\nSOURCE: Aviation Safety Network; ICAO",  # a chart's data source
        "File photo of the harbour cranes. (Reuters)\n\nRain fell." + BODY,  # a caption's credit
        "Rain fell." + BODY + "\n\nThe founders met investors. (Marisa Kendall/ Mercury News).",  # a photo's
    ],
)
def test_no_credit_where_none_is_given(text):
    assert sources(text) == []


def test_a_name_inside_a_long_sentence_of_the_zone_is_not_a_byline():
    assert sources("Officials at the Associated Press said nothing about the plan today." + BODY) == []


def test_syndication_phrases_name_outlets():
    assert sources("Rain fell." + BODY + "\n\nThis article originally appeared on The Conversation.") == [
        "site:theconversation.com"
    ]
    assert sources("Authored by Tsvetana Paraskova via Oilprice.com,\n\nRain fell." + BODY) == ["site:oilprice.com"]
    assert sources("Rain fell." + BODY + "\n\nDieser Artikel erschien zuerst bei Handelsblatt.") == [
        "site:handelsblatt.com"
    ]
    # an outlet no registry knows is kept by its name
    assert sources("Rain fell." + BODY + "\n\nThis post originally appeared on Spin Sucks.") == ["name:Spin Sucks"]


def test_more_syndication_forms():
    assert sources("Rain fell." + BODY + "\n\nCopyright: Project Syndicate, 2025") == ["site:project-syndicate.org"]
    assert sources("UK halls too full\n\nThe Guardian02/10/2020\n\nRain fell." + BODY) == ["site:theguardian.com"]
    assert sources("Photo: AP2014\n\nRain fell." + BODY) == []  # a code, not a byline
    text = "Rain fell." + BODY + "\n\nJane Doe blogs at Spin Sucks, where a version of this article originally appeared."
    assert sources(text) == ["name:Spin Sucks"]
    assert credited_sources(find_credits(text, links=["https://spinsucks.com/a/b"])) == ["site:spinsucks.com"]
    assert sources("Rain fell." + BODY + "\n\nDies ist eine \u00dcbersetzung eines Artikels unserer US-Kollegen "
                   "von Business Insider.") == ["site:businessinsider.com"]


def test_us_syndication_trailers():
    text = "Rain fell." + BODY + "\n\nCNN's Jane Doe and John Roe contributed to this report."
    assert sources(text, own_site="ktla.com") == ["site:cnn.com"]
    assert sources(text, own_site="cnn.com") == []
    assert sources("Rain fell." + BODY + "\n\nVisit The Dallas Morning News at www.dallasnews.com") == [
        "site:dallasnews.com"
    ]
    # an outlet registered by its host is the page's own on its registered domain
    own = "Rain fell." + BODY + "\n\nABC News' Jane Doe contributed to this report."
    assert sources(own, own_site="go.com") == []


def test_the_publishers_own_name_is_no_credit():
    text = "By Jane Doe, Associated Press" + BODY
    assert sources(text, own_site="apnews.com") == []
    assert sources("By Jane Doe | CNN" + BODY, own_site="cnn.com") == []
    assert sources("By Jane Doe | CNN" + BODY, own_site="fox2now.com") == ["site:cnn.com"]


def test_markup_credits():
    meta = {"syndication_source": ["https://www.nytimes.com/2020/04/21/us/politics/x.html"]}
    assert sources("Rain.", metadata=meta, own_site="seattletimes.com") == ["site:nytimes.com"]
    meta = {"based_on": ["https://www.detroitnews.com/story/x"]}
    assert sources("Rain.", metadata=meta, own_site="freep.com") == ["site:detroitnews.com"]
    meta = {"author_org": ["The Associated Press"]}
    assert sources("Rain.", metadata=meta, own_site="example.com") == ["agency:ap"]
    meta = {"author": ["AFP"]}
    assert sources("Rain.", metadata=meta, own_site="eluniversal.com") == ["agency:afp"]


def test_a_cross_domain_canonical_credits_only_when_the_page_names_itself():
    canonical = {"canonical": ["https://www.mercurynews.com/story"]}
    named = {**canonical, "site_name": ["East Bay Times"]}
    assert sources("Rain.", metadata=named, own_site="eastbaytimes.com") == ["site:mercurynews.com"]
    # without a site name the page may simply be saved under another URL than its own
    found = find_credits("Rain.", canonical, "eastbaytimes.com")
    assert [(c.source, c.strength) for c in found] == [("site:mercurynews.com", "weak")]
    # one publisher's two domains are one publication
    assert sources("Rain.", metadata={"canonical": ["https://www.bbc.com/news/x"], "site_name": ["BBC News"]},
                   own_site="bbc.co.uk") == []


def test_a_page_names_itself_by_its_own_og_url_publisher_or_initials():
    canonical = {"canonical": ["https://www.morgenpost.de/politik/article1/x.html"]}
    for named in (
        {"og_url": ["https://www.waz.de/politik/article1/x.html"]},  # its own URL beside the canonical
        {"publisher": ["Westdeutsche Allgemeine Zeitung"]},  # the initials of its name
        {"author_handle": ["@WAZ_Redaktion"]},
    ):
        assert sources("Rain.", metadata={**canonical, **named}, own_site="waz.de") == ["site:morgenpost.de"]
    assert [c.strength for c in find_credits("Rain.", {**canonical, "publisher": ["Die Zeitung"]}, "waz.de")] == ["weak"]
    # a blog host is where the CMS runs, not a source
    hosted = {"canonical": ["https://localtvkstu.wordpress.com/2013/12/30/x/"], "og_url": ["https://www.fox13now.com/x"]}
    assert find_credits("Rain.", hosted, "fox13now.com") == []


def test_a_credit_names_the_site_its_link_points_to():
    # "Kotaku" is kotaku.com in the registry, but this credit links Kotaku Australia
    credits = find_credits("A review." + BODY + "\n\nRepublished from Kotaku.", {}, "gizmodo.com.au",
                           links=["http://kotaku.com.au"])
    assert credited_sources(credits) == ["site:kotaku.com.au"]
    assert sources("A review." + BODY + "\n\nRepublished from Kotaku.", own_site="gizmodo.com.au") == ["site:kotaku.com"]


def test_teasers_and_lists_of_other_stories_credit_nothing():
    teasers = (
        "Firefighters said the blaze was under control." + BODY + "\n\nMore news\n\n"
        "Mumbai (Maharashtra) [India], Jan 13 (ANI): Equity benchmark indices hit fresh highs as investors awaited ...\n\n"
        "Kuta (Bali) [Indonesia], Jan 13 (ANI): Over the new year holidays, while strolling along \u2026"
    )
    assert sources(teasers, own_site="asiapacificstar.com") == []
    assert sources("BONN (ANI): The committee met." + BODY, own_site="asiapacificstar.com") == ["agency:ani"]
    sidebar = {"byline": ["By ANDREW ROSS SORKIN", "nytimes.com", "WSJ.com", "AP", "American Banker"]}
    assert sources("The trial went on." + BODY, metadata=sidebar, own_site="nytimes.com") == []
    assert sources("The trial went on." + BODY, metadata={"byline": ["AP"]}, own_site="example.com") == ["agency:ap"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Der Verein gewann." + BODY + "\n\nQuelle: sid/dpa", ["agency:sid", "agency:dpa"]),
        ("Der Verein gewann." + BODY + "\n\nQuelle: Statista/Eurostat", []),  # a chart's data
        ("Title\n\nKVELLER via JTA \u2014 The state swore in its first justice." + BODY, ["agency:jta"]),
        ("SAN FRANCISCO, CA--(Marketwired - April 06, 2016) - An invented firm launched a product." + BODY,
         ["agency:marketwired"]),
        ("Die Nominierung wurde begr\u00fc\u00dft." + BODY + "\n\nred, ORF.at/Agenturen", ["agencies"]),
        # the editors' initials before the agencies, at the very end (Deutsche Welle)
        ("The vote was counted." + BODY + " Permalink http://dw.com/p/2Yq aw,ls,jbh,dm/bw,rc (AP, dpa)",
         ["agency:ap", "agency:dpa"]),
        ("He met the mayor of ap (AP) and left." + BODY, []),
        # scraped with its line breaks turned into hyphens
        ("Eight nominees have been confirmed." + BODY + " Source:-News agencies", ["agencies"]),
        ("Sie sprach mit ihnen." + BODY + "\n\nDieser Artikel ist eine \u00dcbersetzung, im Original ist er in der "
         "israelischen Tageszeitung Haaretz erschienen.", ["site:haaretz.com"]),
        ("Raspberry Pi\u3092\u4e0a\u56de\u308b\u3002\n\uff08\u672c\u8a18\u4e8b\u306f\u3001CNN\u3067"
         "2017\u5e746\u67088\u65e5\u306b\u63b2\u8f09\u3057\u305f\u8a18\u4e8b\u304b\u3089\u306e\u8ee2\u8f09"
         "\u3067\u3059\uff09", ["site:cnn.com"]),
    ],
)
def test_source_lists_partner_datelines_and_press_release_datelines(text, expected):
    assert sources(text, own_site="orf.at") == expected


def _article_page(seed: int, site_name: str, *, head: str = "", inside: str = "", at: int | None = None,
                  after: str = "") -> str:
    """A saved page: ``head`` markup, the site's name, and an article of
    invented paragraphs with ``inside`` after its first ``at`` paragraphs (or
    after all), then ``after`` outside the article."""
    paragraphs = [f"<p>{p}</p>" for p in story(seed, 300).split("\n\n")]
    at = len(paragraphs) if at is None else at
    return (
        f"<html><head>{head}<meta property='og:site_name' content='{site_name}'></head><body><article><h1>Title</h1>"
        + "".join(paragraphs[:at]) + inside + "".join(paragraphs[at:]) + f"</article>{after}</body></html>"
    )


def test_an_articles_own_footer_and_copyright_block_are_read():
    html = _article_page(
        9, "Global News",
        inside="<div class='story-footer'><div class='byline'><p>red, ORF.at/Agenturen</p></div></div>"
        "<div class='l-article__copyright'><div class='c-copyright'>&copy; 2020 The Canadian Press</div></div>",
        after="<footer><div class='copyright'>&copy; 2020 Reuters</div></footer>",
    )
    page = extract_page(html, url="https://globalnews.ca/news/1/x/")
    assert "red, ORF.at/Agenturen" in page.metadata["byline"]
    credits = find_credits(page.text, page.metadata, page.site, page.author, links=page.links)
    # the site footer's copyright is not the article's
    assert credited_sources(credits) == ["agencies", "agency:cp"]


def test_a_source_under_a_picture_or_in_mid_text_is_the_pictures():
    html = _article_page(
        10, "ZDFheute", at=2,
        inside="<div><div><picture><img src='x.jpg' alt=''></picture></div><div class='c11'>Der Handel ist stark "
        "zur\u00fcckgegangen.</div><div class='mc9'>Quelle: AFP</div></div>",
    )
    page = extract_page(html, url="https://www.zdf.de/nachrichten/x-100.html")
    assert "notes" not in page.metadata
    assert credited_sources(find_credits(page.text, page.metadata, page.site, page.author)) == []
    # the same line closing the story is the story's source
    assert sources("Der Handel ging zur\u00fcck." + BODY + "\n\nQuelle: AFP") == ["agency:afp"]


def _page(canonical: str, site_name: str, seed: int) -> str:
    return _article_page(seed, site_name, head=f"<link rel='canonical' href='{canonical}'>")


def test_a_page_saved_under_a_redirect_belongs_to_the_publisher_it_names():
    html = _page("https://www.nu.nl/formule-1/123/x.html", "NU", 6)
    page = extract_page(html, url="https://news.google.com/__i/rss/rd/articles/CBMib")
    assert page.site == "nu.nl"  # the feed redirect is not the publisher
    assert credited_sources(find_credits(page.text, page.metadata, page.site, page.author)) == []


def test_a_site_is_a_host_name_with_a_dot():
    from wiretrace.sites import site_of

    assert site_of("recall::page.html") is None
    assert site_of("https://www.bbc.co.uk/news") == "bbc.co.uk"


# URL-like strings: schemes good and bad, hosts with users, ports, brackets,
# percent signs, case, controls and letters past ASCII, then a path, query or fragment.
_URLISH = st.builds(
    lambda scheme, sep, host, rest: scheme + sep + host + rest,
    st.sampled_from(["http", "HTTPS", "ftp", "a.b", "1x", "h t", "x+y", "", "http:x"]),
    st.sampled_from(["://", ":/", ":", "//", ":///"]),
    st.one_of(st.text(st.sampled_from(list("abcXYZ.-09")), max_size=14),
              st.text(st.sampled_from(list("abcXYZ.-09@:[]% \\\t\x01é")), max_size=14)),
    st.sampled_from(["", "/", "/a/b", "?q=1", "#f", "/p?x#y", "\\z"]),
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_URLISH, st.text(max_size=30)))
def test_the_plain_host_of_a_url_is_what_urlsplit_finds(url):
    """sites._plain_host, the string-method path, against urlsplit: the same
    host name, or it leaves the URL to urlsplit."""
    from urllib.parse import urlsplit

    from wiretrace.sites import _UNSURE, _plain_host

    found = _plain_host(url)
    if found is not _UNSURE:
        assert found == urlsplit(url).hostname


def test_same_publisher_and_name_resolution():
    assert same_publisher("guardian.co.uk", "theguardian.com")
    assert same_publisher("theregister.co.uk", "theregister.com")
    assert not same_publisher("eastbaytimes.com", "mercurynews.com")
    assert resolve_name("CNN Newsource") == "site:cnn.com"
    assert resolve_name("Agence France-Presse") == "agency:afp"
    assert resolve_name("https://apnews.com/article/x") == "agency:ap"
    assert resolve_name("Some Blog Nobody Knows") is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("PARIS, 14. (Havas.) \u2014 Les Chambres ont si\u00e9g\u00e9.", ["agency:havas"]),
        ("LONDRES, 16. \u2014 Reuter. \u2014 Une information venue de France.", ["agency:reuters"]),
        ("Le Conseil a si\u00e9g\u00e9. (Haras.) Les d\u00e9p\u00eaches", ["agency:havas"]),  # OCR damage
        ("Le Conseil a si\u00e9g\u00e9.\nD\u00e9p\u00eaches\nde l'Agence Havas\nRennes, 17 ao\u00fbt.", ["agency:havas"]),
        ("la route n'a pas \u00e9t\u00e9 coup\u00e9e.\n/ ats - afp - ap", ["agency:sda", "agency:afp", "agency:ap"]),
        ("Le Secr\u00e9taire,\nCONSTANT WOLFF.", []),  # a person, not Wolff's bureau
        # OCR damage around the name: a bracket read as a letter, a dash before it, a broken head word
        ("Abberufung.\nBerlin. 11. Juli. lDNB). Der\nMinister hat den", ["agency:dnb"]),
        ("Er sprach mit lAP) und ging.", []),  # no date or place before it
        ("Sept listes\n\u2022. B ~ le,-(ATS) Jusqu'\u00e0 la mi-juillet, cinq listes", ["agency:sda"]),
        ("D\u00e9p\u00eaches\nde rAgenoe Havas\nRennes, 17 ao\u00fbt. - L'\u00e9tat de Me", ["agency:havas"]),
        ("Nouvelles\nde rGarage Martin\nRennes", []),
    ],
)
def test_historical_newspaper_credits(text, expected):
    assert sources(text) == expected


def test_credit_notes_the_main_text_leaves_out_are_read():
    html = _article_page(
        8, "Salon",
        after="<section class='source_section'><p class='editors_note'>This post originally "
        "appeared on <a href='https://grist.org/x'>Grist</a>.</p></section>"
        "<div class='caption-text'>Jose Luis Magana/AP</div>",
    )
    page = extract_page(html, url="https://www.salon.com/2020/01/01/x/")
    assert page.metadata["notes"] == ["This post originally appeared on Grist."]
    credits = find_credits(page.text, page.metadata, page.site, page.author, links=page.links)
    assert credited_sources(credits) == ["site:grist.org"]  # the photographer's credit is not read as one


def test_page_metadata_reads_links_meta_and_json_ld():
    html = """<html><head>
    <link rel="canonical" href="https://www.nytimes.com/2020/x.html">
    <meta property="og:site_name" content="The Seattle Times">
    <meta name="syndication-source" content="https://www.nytimes.com/2020/x.html">
    <meta name="author" content="Jane Doe">
    <script type="application/ld+json">{"@graph": [{"@type": "NewsArticle",
      "author": [{"@type": "Organization", "name": "The Associated Press"}, {"@type": "Person", "name": "Jane Doe"}],
      "isBasedOn": "https://apnews.com/abc", "publisher": {"name": "The Seattle Times"}}]}</script>
    <script type="application/ld+json">{not json</script>
    </head><body><article><div class="byline">By Jane Doe, The Associated Press</div>
    <figure><figcaption><span class="author">AFP</span></figcaption></figure><p>Text.</p></article></body></html>"""
    from lxml import html as lxml_html

    meta = page_metadata(lxml_html.document_fromstring(html))
    assert meta["canonical"] == ["https://www.nytimes.com/2020/x.html"]
    assert meta["site_name"] == ["The Seattle Times"]
    assert meta["syndication_source"] == ["https://www.nytimes.com/2020/x.html"]
    assert meta["author_org"] == ["The Associated Press"]
    assert meta["based_on"] == ["https://apnews.com/abc"]
    assert meta["byline"] == ["By Jane Doe, The Associated Press"]  # the photo's credit is left out
    assert "Jane Doe" in meta["author"]


def test_a_licensed_copy_keeps_its_own_site_and_credits_its_source():
    html = _page("https://www.nytimes.com/2020/04/21/us/x.html", "The Seattle Times", 5)
    page = extract_page(html, url="https://www.seattletimes.com/nation-world/x/")
    assert page.site == "seattletimes.com"  # where it was published, not where its canonical points
    credits = find_credits(page.text, page.metadata, page.site, page.author)
    assert credited_sources(credits) == ["site:nytimes.com"]
    # without a URL the canonical link gives the page its site
    assert extract_page(html).site == "nytimes.com"


def _warc_page(title: str, paragraphs: list[str], head: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html lang='en'><head><meta charset='utf-8'><title>{title}</title>{head}</head><body>"
        f"<nav>Home | News</nav><article><h1>{title}</h1>{body}</article><footer>Footer</footer></body></html>"
    ).encode()


def test_newcomers_crawl_ap_member_paper_and_a_farm_copy(tmp_path):
    """The case a newcomer met: an AP member paper's story (dated, with its
    dateline) and a content farm's undated copy without the dateline, whose
    only agency string is "told Reuters" inside the copied body. The member
    paper must not be drawn as the farm's copy, and the farm copy is
    uncredited."""
    warcio = pytest.importorskip("warcio")
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    paragraphs = story(7, 450).split("\n\n")
    paragraphs[2] += " A company spokesperson told Reuters the plan was final."
    member = ["SAN FRANCISCO (AP) \u2014 " + paragraphs[0]] + paragraphs[1:]
    dated = '<meta property="article:published_time" content="2026-03-04T06:00:00Z">'
    path = tmp_path / "crawl.warc.gz"
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for uri, body in (
            ("https://www.memberpaper.example.com/news/story-1", _warc_page("Cranes idle", member, dated)),
            ("https://farm.example.net/cranes-idle", _warc_page("Cranes idle at port", paragraphs)),
        ):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                uri, "response", payload=io.BytesIO(body), http_headers=headers,
                warc_headers_dict={"WARC-Date": "2026-03-05T10:00:00Z"},
            ))
    assert warcio is not None
    report = scan([str(path)])
    assert len(report.clusters) == 1
    by_site = {doc["site"]: doc for doc in report.documents}
    member_doc, farm_doc = by_site["example.com"], by_site["example.net"]
    traced = report.provenance[0]
    member_node, farm_node = f"doc:{member_doc['id']}", f"doc:{farm_doc['id']}"
    # the member paper is never the farm's copy
    assert not any(e["source"] == farm_node and e["copy"] == member_node for e in traced["edges"])
    assert traced["origin"]["agency"] == "ap" or traced["origin"]["document"] == member_doc["id"]
    assert farm_doc["attribution"]["status"] == "uncredited"
    assert member_doc["attribution"]["status"] in ("credited", "origin")
    assert json.dumps(report.provenance)  # the evidence serialises


def _record(doc_id: str, url: str, title: str, text: str, published: str) -> dict:
    return {"id": doc_id, "url": url, "title": title, "text": text, "published": published}


def test_one_publication_captured_twice_is_not_a_copy():
    text = story(11, 400)
    report = scan([
        _record("a", "https://www.bbc.co.uk/news/world-1", "Cranes idle", text, "2026-03-04T08:00:00Z"),
        _record("b", "https://www.bbc.com/news/world-1", "Cranes idle", text, "2026-03-04T09:00:00Z"),
        _record("c", "https://www.bbc.co.uk/news/world-1?utm_source=feed", "Cranes idle (feed)", text,
                "2026-03-04T10:00:00Z"),
        _record("d", "https://farm.example.net/cranes", "Cranes idle at port", text, "2026-03-05T08:00:00Z"),
    ])
    status = {d["id"]: d["attribution"]["status"] for d in report.documents}
    assert status == {"a": "origin", "b": "same_publication", "c": "same_publication", "d": "uncredited"}
    kinds = {d["id"]: d["attribution"]["evidence"][0]["kind"] for d in report.documents if d["id"] in "bc"}
    assert kinds == {"b": "same_publisher", "c": "same_url"}
    bbc = next(s for s in report.sites if s["site"] == "bbc.co.uk")
    assert (bbc["articles"], bbc["same_publication"], bbc["copies"]) == (1, 1, 0)  # b is on bbc.com
    assert bbc["farm_score"] == 0.0


def test_a_publishers_update_of_its_own_story_is_no_copy():
    text = story(14, 400)
    paragraphs = text.split("\n\n")
    update = "\n\n".join(["A new top paragraph says the strike ended overnight after talks."] + paragraphs[:4])
    report = scan([
        _record("first", "https://news.example.org/a", "Port strike begins", text, "2026-03-04T08:00:00Z"),
        _record("update", "https://news.example.org/b", "Port strike ends", update, "2026-03-04T18:00:00Z"),
        _record("farm", "https://farm.example.net/a", "Strike news", update, "2026-03-05T08:00:00Z"),
    ])
    status = {d["id"]: (d["attribution"] or {}).get("status") for d in report.documents}
    # the publisher's own later article is neither a copy nor uncredited: it is the second
    # version of its story (wiretrace.lineage), the origin of what the farm copied uncredited
    assert status == {"first": None, "update": "origin", "farm": "uncredited"}
    (line,) = report.lineages
    assert [(v["documents"], v["copies"]) for v in line["versions"]] == [(["first"], []), (["update"], ["farm"])]
    site = next(s for s in report.sites if s["site"] == "example.org")
    assert (site["articles"], site["copies"], site["farm_score"]) == (2, 0, 0.0)


def test_text_shared_only_with_its_own_publishers_pages_is_no_uncredited_copy():
    background = story(15, 260)
    first = "BERLIN (AFP) - The agency asked for new rules on Monday.\n\n" + background
    second = "BONN (AFP) - A study found wide differences between states.\n\n" + background
    third = "Deported families told their stories to reporters this week.\n\n" + background
    report = scan([
        _record("a", "https://www.dw.example.com/a", "Agency calls for rules", first, "2026-02-07T08:00:00Z"),
        _record("b", "https://www.dw.example.com/b", "Study on asylum", second, "2026-03-27T08:00:00Z"),
        _record("c", "https://www.dw.example.com/c", "The wrong ones are deported", third, "2026-03-29T08:00:00Z"),
        _record("farm", "https://farm.example.net/x", "Asylum news", second.split("\n\n", 1)[1], "2026-03-28T08:00:00Z"),
    ])
    status = {d["id"]: d["attribution"]["status"] for d in report.documents}
    assert status["a"] == status["b"] == "credited"
    # "c" shares text with its own site's pages and with the farm's copy of one of them: a farm is not its publisher
    assert status["farm"] == "uncredited"
    assert status["c"] == "uncredited"
    own_only = scan([
        _record("a", "https://www.dw.example.com/a", "Agency calls for rules", first, "2026-02-07T08:00:00Z"),
        _record("b", "https://www.dw.example.com/b", "Study on asylum", second, "2026-03-27T08:00:00Z"),
        _record("c", "https://www.dw.example.com/c", "The wrong ones are deported", third, "2026-03-29T08:00:00Z"),
    ])
    c = next(d for d in own_only.documents if d["id"] == "c")["attribution"]
    assert c["status"] == "same_publisher" and c["evidence"][0]["kind"] == "own_text"


def test_a_site_that_posts_a_story_twice_has_copied_it_twice():
    text = story(12, 400)
    paragraphs = text.split("\n\n")
    reworded = "\n\n".join(paragraphs[:-2] + ["Readers may also like our other stories on this topic today."])
    report = scan([
        _record("wire", "https://www.origin-news.example.com/a", "Port strike", text, "2026-03-04T08:00:00Z"),
        _record("farm-1", "https://farm.example.net/a", "Port strike", text, "2026-03-04T12:00:00Z"),
        _record("farm-2", "https://farm.example.net/b", "Port strike shock", reworded, "2026-03-04T13:00:00Z"),
    ])
    status = {d["id"]: d["attribution"]["status"] for d in report.documents}
    assert status["farm-1"] == "uncredited" and status["farm-2"] == "uncredited"


def test_copies_whose_publishers_are_unknown_get_no_verdict():
    text = story(13, 400)
    report = scan([
        {"id": "x", "text": text, "published": "2026-03-04T08:00:00Z"},
        {"id": "y", "text": text, "published": "2026-03-04T09:00:00Z"},
    ])
    status = {d["id"]: d["attribution"]["status"] for d in report.documents}
    assert status == {"x": "origin", "y": "unknown"}


def test_an_outlet_the_copies_credit_is_the_origin_even_when_its_page_is_missing():
    """Reposts that credit an outlet ("CNN Newsource") whose own page is not
    in the scan: the outlet is the origin (a virtual node), not the earliest
    repost; a copy that credits no one is uncredited."""
    paragraphs = story(14, 420).split("\n\n")
    body = "\n\n".join(paragraphs)
    records = [
        _record("station-a", "https://www.ktvx.example.com/news/a", "Storm", "By Jane Doe, CNN Newsource\n\n" + body,
                "2026-03-04T08:00:00Z"),
        _record("station-b", "https://www.wbtv.example.org/news/b", "Storm", body + "\n\n\u00a9 2026 CNN Newsource",
                "2026-03-04T09:00:00Z"),
        _record("farm", "https://farm.example.net/storm", "Storm hits", body, "2026-03-04T07:00:00Z"),
    ]
    report = scan(records)
    origin = report.provenance[0]["origin"]
    assert (origin["kind"], origin["outlet"], origin["document"]) == ("outlet", "cnn.com", None)
    status = {d["id"]: (d["attribution"]["status"], d["attribution"]["source"]) for d in report.documents}
    assert status["station-a"] == ("credited", "site:cnn.com")
    assert status["station-b"] == ("credited", "site:cnn.com")
    assert status["farm"][0] == "uncredited"  # earliest date, but it credits no one: not the origin
    # with the outlet's own page in the scan, that page is the origin
    records.append(_record("cnn", "https://edition.cnn.com/2026/03/04/storm", "Storm", body, "2026-03-04T06:00:00Z"))
    report = scan(records)
    origin = report.provenance[0]["origin"]
    assert (origin["kind"], origin["document"]) == ("outlet", "cnn")
    assert {d["id"]: d["attribution"]["status"] for d in report.documents}["station-a"] == "credited"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2019-11-19 10:00:00 UTC", "2019-11-19T10:00:00+00:00"),
        ("11/19/2019", "2019-11-19T00:00:00+00:00"),
        ("19.11.2019", "2019-11-19T00:00:00+00:00"),
        ("19. November 2019, 08:15 Uhr MEZ", "2019-11-19T08:15:00+01:00"),
        ("19 de noviembre de 2019", "2019-11-19T00:00:00+00:00"),
        ("19 novembre 2019", "2019-11-19T00:00:00+00:00"),
        ("5 \u043c\u0430\u0440\u0442\u0430 2024", "2024-03-05T00:00:00+00:00"),
        ("Nov 19, 2019 10:00 AM EST", "2019-11-19T10:00:00-05:00"),
        ("Published: 06/05/2020 \u00b7 10:07", "2020-06-05T10:07:00+00:00"),
        ("March 2019", None),  # no day: not made up
        ("Tuesday", None),
    ],
)
def test_dates_in_the_forms_pages_write_them(raw, expected):
    from wiretrace.dates import parse_published

    assert parse_published(raw)[0] == expected


@given(st.lists(st.sampled_from(["", " ", "\t", "By Jane Doe", "AP", "Rain fell on the city.", "x" * 50]), max_size=20))
@settings(max_examples=300, deadline=None)
def test_byline_zone_lines_match_a_plain_reference(lines):
    """The zone reader walks the text from both ends; it must pick the same
    lines as splitting the whole text and taking the first and last four."""
    from wiretrace.credits import ZONE_LINES, _zone_lines

    text = "\n".join(lines)
    reference, position = [], 0
    for line in text.split("\n"):
        if line.strip():
            reference.append((position, line))
        position += len(line) + 1
    if len(reference) > 2 * ZONE_LINES:
        reference = reference[:ZONE_LINES] + reference[-ZONE_LINES:]
    assert _zone_lines(text) == reference


# --------------------------------------------------------------------------
# Forms read on the first held-out pages (credits-heldout), written here from scratch

LONG_ONE_LINE = (
    " The council voted on Tuesday to keep the harbour plan, and its members said that more talks would follow"
    " before the summer. Residents had asked for a delay, the mayor said, and the vote was closer than expected."
)


def test_an_outlet_byline_with_a_clock_time_in_a_text_without_line_breaks():
    # "p.m." is a byline's word like "pm"; before, its stripped form "p.m" read as prose
    text = "By Jane Roe ProPublica, March 3, 2019, 4:05 p.m." + LONG_ONE_LINE
    assert sources(text, own_site="huffingtonpost.com") == ["site:propublica.org"]


def test_ap_member_exchange_line_names_the_paper_by_its_address():
    # AP's state wires close a story taken from a member paper with "Information from: X, URL"
    text = "Residents met the council." + LONG_ONE_LINE + ' Information from: St. Cloud Times, http://www.sctimes.com'
    assert sources(text, own_site="abcnews.go.com") == ["site:sctimes.com"]
    # with line breaks, the same line at the story's end
    assert sources("Residents met the council.\n\nInformation from: The Valley Ledger, http://www.valleyledger.com",
                   own_site="wral.com") == ["site:valleyledger.com"]
    # "information from" in prose credits nobody
    assert sources("Residents met the council." + LONG_ONE_LINE + " Police asked for information from witnesses.") == []


def test_a_source_line_that_lists_several_outlets_credits_each():
    text = "The council met.\n\nThe vote was close." + BODY + "\n\nSources: Reuters, The Guardian / Photo credit: Jo Bloggs"
    assert sources(text, own_site="example-news.com") == ["agency:reuters", "site:theguardian.com"]


def test_a_dated_dateline_bracket_with_the_printing_outlets_name():
    text = ("Trains will run again next week.\n\nMOSCOW (Harbour Daily / Sputnik - 3rd May, 2021) Trains will run"
            " again next week, the ministry said on Monday." + BODY)
    assert sources(text, own_site="harbourdaily.com") == ["agency:sputnik"]
    # the same names in a bracket after a word are a caption's credit
    assert sources("A ferry crosses the bay (Harbour Daily / Sputnik - 3rd May, 2021)." + BODY) == []


def test_a_blog_via_box_names_its_source_by_the_link():
    html = (b"<html><head><title>Chips</title></head><body><article><h1>Chips</h1>"
            + b"<p>The chip maker said on Monday that it would build a second plant near the river.</p>" * 6
            + b'<ul class="sourcelist"><li class="via clearfix"><strong>Via</strong> '
              b'<span><a href="https://www.gadgetwirenews.com/2014/06/29/chips/">Gadget Wire</a></span></li></ul>'
              b"</article></body></html>")
    page = extract_page(html, url="https://www.theverge.com/2014/6/29/1/chips")
    assert page.metadata.get("notes") == ["Via: Gadget Wire (https://www.gadgetwirenews.com/2014/06/29/chips/)"]
    credits = find_credits(page.text, page.metadata, page.site, page.author, links=page.links, title=page.title)
    assert credited_sources(credits) == ["site:gadgetwirenews.com"]


def test_outlet_reporters_contributed_line():
    text = "The council met." + BODY + "\n\nProPublica reporters Jo Bloggs and Ann Other contributed to this story."
    assert sources(text, own_site="huffingtonpost.com") == ["site:propublica.org"]


def test_a_licensed_copy_saved_without_its_url_keeps_its_own_site_from_og_url():
    # canonical -> the original on another site, og:url -> the page's own address
    # (seattletimes.com running a New York Times story): the page is the Seattle
    # Times' copy crediting the Times, not the Times' own page.
    html = ("<html><head><title>Protests</title>"
            "<link rel='canonical' href='https://www.nytimes.com/2020/04/21/us/protests.html'>"
            "<meta property='og:url' content='https://www.seattletimes.com/nation-world/protests/'>"
            "<meta property='og:site_name' content='The Seattle Times'></head><body><article><h1>Protests</h1>"
            + "<p>Groups organised the protests across several states over the weekend, officials said.</p>" * 8
            + "</article></body></html>").encode()
    page = extract_page(html)
    assert (page.url, page.site) == ("https://www.seattletimes.com/nation-world/protests/", "seattletimes.com")
    assert page.canonical_url == "https://www.nytimes.com/2020/04/21/us/protests.html"
    credits = find_credits(page.text, page.metadata, page.site, page.author, links=page.links, title=page.title)
    assert credited_sources(credits) == ["site:nytimes.com"]
    # with only a canonical link, it still gives the page its address and site
    only = extract_page(html.replace(b"og:url", b"og:nothing"))
    assert only.site == "nytimes.com"


def test_a_portals_microdata_provider_is_a_credit_when_the_registry_knows_the_outlet():
    # MSN's partner logo: <span itemprop="publisher" itemscope> with the partner's address
    def page(partner: str) -> bytes:
        return ("<html><head><title>Chips</title><meta property='og:site_name' content='MSN'></head><body><article>"
                "<h1>Chips</h1><div class='authorinfo'><span class='partnerlogo-img' itemprop='publisher' itemscope "
                f"itemtype='http://schema.org/Organization'><a href='{partner}' itemprop='url'>"
                "<img alt='logo' src='x.png'></a></span></div>"
                + "<p>The chip maker said on Monday that it would build a second plant near the river.</p>" * 6
                + "</article></body></html>").encode()

    known = extract_page(page("http://www.techinsider.io"), url="https://www.msn.com/en-us/news/technology/chips/ar-1")
    assert known.metadata["publisher_url"] == ["http://www.techinsider.io"]
    credits = find_credits(known.text, known.metadata, known.site, known.author, links=known.links, title=known.title)
    assert credited_sources(credits) == ["site:businessinsider.com"]
    # an address the registry does not know (a parent group's site?) is weak evidence only
    unknown = extract_page(page("https://www.example-media-group.com"), url="https://www.msn.com/en-us/news/x/ar-2")
    credits = find_credits(unknown.text, unknown.metadata, unknown.site, unknown.author, links=unknown.links)
    assert credited_sources(credits) == [] and credited_sources(credits, weak=True) == ["site:example-media-group.com"]
    # the site's own microdata publisher is no credit
    own = extract_page(page("https://www.msn.com/"), url="https://www.msn.com/en-us/news/x/ar-3")
    assert credited_sources(find_credits(own.text, own.metadata, own.site), weak=True) == []


def test_an_agencys_linked_logo_by_its_class_is_a_credit():
    # a portal runs an agency's story under the agency's logo, linked, with no text (UOL)
    def page(link_class: str, href: str, block: str = "author") -> bytes:
        return ("<html><head><title>Talks</title></head><body><div class='content-article'>"
                f"<h1>Talks</h1><div class='{block} has-image'><div class='image-pad'><a class='{link_class}' href='{href}'>"
                "<img class='img-agency' src='https://cdn.example.com/agencias/logo.gif' alt=''></a></div></div>"
                + "<p>O presidente disse que as conversas seguem na próxima semana com os aliados.</p>" * 6
                + "</div></body></html>").encode()

    def credited(data: bytes, **kw) -> list[str]:
        found = extract_page(data, url="https://noticias.portal-example.com.br/ultimas/2020/03/14/x.htm")
        return credited_sources(find_credits(found.text, found.metadata, found.site, found.author, links=found.links), **kw)

    assert credited(page("agency-link", "http://br.reuters.com/")) == ["agency:reuters"]
    assert credited(page("agencia-logo", "https://www.efe.com/")) == ["agency:efe"]
    # a link of another class, an unknown site, or a logo in a block of other stories: no (strong) credit
    assert credited(page("partner-link", "http://br.reuters.com/")) == []
    assert credited(page("agency-link", "https://www.example-agency.com/")) == []
    assert credited(page("agency-link", "http://br.reuters.com/", block="related-stories")) == []


def test_a_video_pages_source_line_in_its_player_block_is_a_credit():
    # on a page that is a video (og:type video), the video's block is the article
    def page(og_type: str) -> bytes:
        return (f"<html><head><title>Cigars</title><meta property='og:type' content='{og_type}'></head><body>"
                "<section id='videoHub'><div id='playerBlock'><h1>Cigar rollers in Havana</h1>"
                + "<p>Cigar rollers in Havana welcomed the new policy on Wednesday, their union said.</p>" * 5
                + "<span class='source'>Source: Reuters</span></div></section></body></html>").encode()

    video = extract_page(page("video"), url="https://video.news-example.com/cigars-1")
    assert "Source: Reuters" in video.metadata["notes"]
    assert credited_sources(find_credits("Cigar rollers in Havana welcomed the policy.", video.metadata,
                                         video.site)) == ["agency:reuters"]  # from the note alone
    # on an article page, a video block's source line is the video's credit, not the article's
    article = extract_page(page("article"), url="https://www.news-example.com/cigars-1")
    assert "Source: Reuters" not in article.metadata.get("notes", [])


def test_an_agency_and_a_place_alone_in_a_block_is_a_byline():
    # Taipei Times: <ul class="as boxTitle"><li><div class="name">AFP, MANILA</div></li></ul>
    def page(block: str, where: str = "boxTitle") -> bytes:
        return _story_page("Drills", f"<ul class='as {where}'><li><div class='name'>{block}</div></li></ul>",
                           "The joint exercise began on Monday with ships from both navies near the islands.")

    def credited(data: bytes) -> list[str]:
        return _credited_by_markup(data, "https://www.paper-example.com/news/2024/10/16/1")

    assert credited(page("AFP, MANILA")) == ["agency:afp"]
    assert credited(page("Reuters, LONDON")) == ["agency:reuters"]
    # a reporter and a place, a block of other stories, or a sentence: no credit
    assert credited(page("Jane Doe, MANILA")) == []
    assert credited(page("AFP, MANILA", where="related-stories")) == []
    assert credited(page("The AFP said the talks would go on, MANILA")) == []


def test_a_link_that_says_it_is_the_source_is_a_credit():
    # what feed-to-site plugins write under every repost: <a href=...>Source link</a>
    def page(anchor: str, block: str = "entry-content") -> bytes:
        return ("<html><head><title>Treatment</title></head><body class='single comments-open'><article>"
                f"<div class='{block}'>"
                + "<p>The drug maker said the treatment was granted a rare disease status on Tuesday.</p>" * 6
                + f"<p><a href='https://www.indiatoday.in/india/story/treatment-1659352'>{anchor}</a></p>"
                "</div></article></body></html>").encode()

    def credited(data: bytes) -> list[str]:
        return _credited_by_markup(data, "https://news-farm-example.com/treatment/")

    assert credited(page("Source link")) == ["site:indiatoday.in"]
    # "Original article" may point at a study or a press release: a credit only of a known outlet
    assert credited(page("Original article")) == []
    known = page("Original article").replace(b"https://www.indiatoday.in/india/story/treatment-1659352",
                                              b"https://www.theguardian.com/world/2020/treatment")
    assert credited(known) == ["site:theguardian.com"]
    # a redirect, a shortener, a social network, a government's site: no credit
    for address in (b"https://news.google.com/rss/articles/CBMi1", b"https://bit.ly/3xYz", b"https://www.whitehouse.gov/x",
                    b"https://twitter.com/someone/status/1"):
        assert credited(page("Source link").replace(b"https://www.indiatoday.in/india/story/treatment-1659352", address)) == []
    # a link that says something else, a bare "Source" (a chart's, a picture's), or a source
    # link in a block of other stories: no credit
    assert credited(page("India Today reported")) == []
    assert credited(page("Source")) == []
    assert credited(page("Source link", block="related-posts")) == []


def test_a_dateline_that_links_to_the_stations_story_credits_the_station():
    # a portal runs a TV station's story: <p><a href=station story>ST. LOUIS, MO (KTVI)</a> – Amid ...
    def page(paragraph: str) -> bytes:
        return ("<html><head><title>Bears</title></head><body><article>"
                f"<p>{paragraph}</p>"
                + "<p>The widow of the officer said the bears were made from his uniforms last week.</p>" * 6
                + "</article></body></html>").encode()

    def credited(data: bytes) -> list[str]:
        return _credited_by_markup(data, "https://www.portal-example.com/article/news/2016/12/01/bears/1/")

    link = "<a href='http://fox2now.com/2016/11/30/teddy-bears/'>ST. LOUIS, MO (KTVI)</a>"
    assert credited(page(link + " \u2013 Amid unimaginable grief, the widow spoke.")) == ["site:fox2now.com"]
    # the same link inside a sentence, or a menu item shaped like one ("X (Twitter)"): no credit
    assert credited(page("Amid grief, " + link + " \u2013 the widow spoke.")) == []
    assert credited(page("<a href='https://x.com/paper'>X (Twitter)</a> \u2013 follow us")) == []


def test_unnamed_agencies_are_read_in_any_case_and_in_a_byline_element():
    # NDTV: "Edited by Swati Bhasin (with inputs from Agencies)" in <span class="pst-by_li">
    assert sources("The talks went on.\n\n(With Inputs From Agencies)", own_site="ndtv.com") == ["agencies"]
    page = ("<html><head><title>Talks</title></head><body><article><nav><span class='pst-by_li'>Edited by "
            "<a href='/topic/sb'>Swati Bhasin</a> (with inputs from Agencies)</span></nav>"
            + "<p>The ministers met on Tuesday and agreed to keep talking about the export ban.</p>" * 6
            + "</article></body></html>").encode()
    found = extract_page(page, url="https://www.ndtv.com/india-news/talks-2207327")
    assert credited_sources(find_credits("The ministers met.", found.metadata, found.site)) == ["agencies"]


def test_a_page_without_its_address_whose_footer_says_whose_site_it_is_credits_no_one_for_its_own_story():
    site_footer = ("\u00a92015 The Associated Press. All rights reserved. Terms under which this site is provided. "
                   "Learn more about our Privacy Policy.")
    story = "KABUL, Afghanistan (AP) -- The father of the gunman came to the U.S. more than 30 years ago."
    # saved without a URL: the footer makes the page AP's own, so its (AP) dateline is no credit
    assert credited_sources(find_credits(story, {"notes": [site_footer]}, None)) == []
    # a member paper's page (its site known) credits AP, whatever its footer says
    assert credited_sources(find_credits(story, {"notes": [site_footer]}, "paper-example.com")) == ["agency:ap"]
    # the story's own copyright line ("may not be published") speaks of the story, not of a site
    story_copyright = "Copyright 2016 The Associated Press. All rights reserved. This material may not be published."
    assert credited_sources(find_credits(story, {"notes": [story_copyright]}, None)) == ["agency:ap"]


def test_a_news_tickers_source_lines_are_other_stories_credits():
    # aktualne.cz: a "timeline" box of other news beside the story, each item "Zdroj: ČTK"
    def page(box_class: str) -> bytes:
        return ("<html><head><title>West Ham</title></head><body><div class='article'>"
                + "<p>West Ham won its fifth league match in a row on Sunday, four goals to one.</p>" * 6
                + f"</div><div class='{box_class}'><div class='swift-box'><p>Praha postaví nové byty.</p>"
                "<span class='swift-box__author'>Zdroj: \u010cTK</span></div></div></body></html>").encode()

    def credited(data: bytes) -> list[str]:
        return _credited_by_markup(data, "https://sport.aktualne-example.cz/fotbal/west-ham/r~1/")

    assert credited(page("timeline")) == [] and credited(page("news-ticker")) == []
    assert credited(page("article-byline")) == ["agency:ctk"]  # the control: the story's own source line


def test_a_link_to_the_sites_page_of_an_agencys_stories_is_a_byline():
    # news18: <li><strong><a href="https://www.news18.com/agency/pti.html" class="agnam">PTI</a></strong> Mumbai</li>
    def page(href: str, block: str = "article-bnow") -> bytes:
        return _story_page("RBI", f"<ul class='{block}'><li><strong><a href='{href}' class='agnam'>PTI</a></strong>"
                                  " Mumbai</li></ul>",
                           "The central bank said on Thursday that cooperative banks must follow the new rules.")

    def credited(data: bytes) -> list[str]:
        return _credited_by_markup(data, "https://www.news18-example.com/news/business/rbi-2889681.html")

    assert credited(page("https://www.news18-example.com/agency/pti.html")) == ["agency:pti"]
    assert credited(page("/agencies/pti/")) == ["agency:pti"]
    # a topic page, or the same link in a block of other stories: no credit
    assert credited(page("https://www.news18-example.com/topics/pti.html")) == []
    assert credited(page("https://www.news18-example.com/agency/pti.html", block="related-news")) == []


def test_an_agency_and_the_sites_own_name_after_a_copyright_sign_is_the_agencys_text():
    # "© dpa/Spektrum.de" under the story: dpa's text, edited by the site -- not a photographer's credit
    assert credited_sources(find_credits("Der Text.", {"notes": ["\u00a9 dpa/Spektrum.de"]}, "spektrum.de")) == ["agency:dpa"]
    assert sources("Der Text der Meldung.\n\n\u00a9 dpa/Spektrum.de", own_site="spektrum.de") == ["agency:dpa"]
    # an agency and a photographer's name is the picture's credit
    assert credited_sources(find_credits("Der Text.", {"notes": ["\u00a9 dpa/Jens B\u00fcttner"]}, "spektrum.de")) == []
    # and on another site, "dpa/Spektrum.de" names a photo source pair, as before
    assert credited_sources(find_credits("Der Text.", {"notes": ["\u00a9 dpa/Spektrum.de"]}, "zeit.de")) == []


def test_a_sentence_saying_a_writer_is_a_reporter_for_an_outlet_is_a_contributor_credit():
    tail = "The rally will go on, the strategists said.\n\n"
    assert sources(tail + "Kisling is a reporter for Bloomberg News.", own_site="paper-example.com") == ["agency:bloomberg"]
    assert sources(tail + "Jane Doe is a staff writer at The Atlantic.", own_site="paper-example.com") == ["site:theatlantic.com"]
    # inside a sentence ("who is a reporter for CNN") it is who someone is, not a credit
    assert sources("Smith, who is a reporter for CNN, said the talks went on.", own_site="paper-example.com") == []


def test_a_korean_portals_page_credits_the_press_named_in_its_heading():
    # Naver carries a partner's story under the press's name: "[주간 뉴스타파] ..."
    text = "[\uc8fc\uac04 \ub274\uc2a4\ud0c0\ud30c] \ubd80\ubaa8\ub97c \ube7c\uc557\uae34 \uc544\uae30\ub4e4\n\nThe report found so."
    assert sources(text, own_site="naver.com") == ["site:newstapa.org"]
    assert sources("[\uc870\uc120\uc77c\ubcf4] \ubd80\ubaa8\n\nThe report found so.", own_site="naver.com") == ["site:chosun.com"]


def test_latin_american_dailies_are_known_by_name():
    body = "El gobierno decidió seguir con la licitación.\n\nEl presidente dijo que seguirá.\n\n"
    assert sources(body + "Wochenblatt / Diario \u00daltima Hora", own_site="wochenblatt.cc") == ["site:ultimahora.com"]
    # a bare "Última Hora" is also Spanish for "breaking news": no credit
    assert sources(body + "Noticias de \u00daltima Hora", own_site="elmundo.es") == []
    assert sources(body + "Fuente: Clar\u00edn", own_site="paper-example.com") == ["site:clarin.com"]
    assert sources("Ag\u00eancia O Globo\n\n" + body, own_site="ig.com.br") == ["site:oglobo.globo.com"]
    # a name several papers share is no credit of any one of them
    assert sources(body + "Fuente: La Naci\u00f3n", own_site="paper-example.com") == []


def test_shapes_of_credits_in_lists_menus_and_buttons_are_no_credits():
    # found by an independent review: each of these gave a strong credit before it was fixed
    def credited(body: str, og_type: str = "article") -> list[str]:
        page = (f"<html><head><title>T</title><meta property='og:type' content='{og_type}'></head><body><article>"
                + "<p>The council met on Tuesday and voted to keep the plan for the harbour for a year.</p>" * 5
                + body + "</article></body></html>").encode()
        found = extract_page(page, url="https://www.paper-example.com/news/2024/1/")
        return credited_sources(find_credits("The council met.", found.metadata, found.site))

    # a button shaped like a dateline
    assert credited("<p><a href='https://www.youtube.com/watch?v=x'>WATCH LIVE (VIDEO)</a> \u2014 The mayor spoke.</p>") == []
    assert credited("<p><a href='https://www.documentcloud.org/d/1'>READ THE LAWSUIT (PDF)</a> \u2014 The suit says.</p>") == []
    # "AGENCY, PLACE" items of a list of other stories, a menu
    assert credited("<div class='latest-news'><p>AFP, PARIS</p><p>Reuters, BRUSSELS</p></div>") == []
    assert credited("<div><p>AFP, PARIS</p></div><div><p>Reuters, BRUSSELS</p></div>") == []
    assert credited("<nav><div>Bloomberg, NEW YORK</div></nav>") == []
    # a sponsor's block named "presented-by", a control named "sort-by"
    assert credited("<div class='presented-by'>Presented by CNN</div>") == []
    assert credited("<div class='filter-by'><span>Reuters</span></div>") == []
    # links to agencies' pages in prose, or two of them in a strip
    assert credited("<p>Latest from <a href='/agency/reuters.html'>Reuters</a> on the harbour and the council.</p>") == []
    assert credited("<ul><li><a href='/agency/pti.html'>PTI</a></li><li><a href='/agency/ani.html'>ANI</a></li></ul>") == []
    # two agencies' logos: a partner strip
    assert credited("<a class='agency-link' href='http://br.reuters.com/'><img src='r.gif'></a>"
                    "<a class='agency-link' href='https://www.afp.com/'><img src='a.gif'></a>") == []
    # a video page's playlist of other videos, each with its source
    assert credited("<div class='more-videos'><ul><li><p>Next clip</p><p>Source: Reuters</p></li></ul></div>",
                    og_type="video") == []
    # an address that does not parse stops nothing
    assert credited("<p><a href='https://[bad'>x</a></p><p><a href='/agency/[x'>PTI</a></p>") == []


def test_someone_described_in_the_story_is_no_contributor_credit():
    story = "Walters died on Friday at 93. She was a reporter for The Guardian for a decade.\n\n"
    assert sources(story + "Walters was a correspondent for ABC News.", own_site="paper-example.com") == []
    assert sources(story + "She is a reporter for The Guardian.", own_site="paper-example.com") == []
    # higher up in the text, a present-tense sentence describes someone in the story
    assert sources("Hale is a producer at CNN.\n\n" + "The show went on air on Monday night. " * 30,
                   own_site="paper-example.com") == []


def test_a_street_named_via_is_no_credit():
    text = "Il sindaco ha visitato il cantiere.\n\nIl nuovo ufficio aprirà a giugno.\n\nVia Veneto"
    assert credited_sources(find_credits(text, own_site="corriere.it"), weak=True) == []
    assert sources("The plant will open in June.\n\nVia: The New York Times", own_site="x.com") == ["site:nytimes.com"]
