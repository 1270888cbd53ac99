"""HTML input: main text without site chrome or scripts, metadata with the
source of each date, legacy encodings, and hostile markup that never
crashes a run."""

from __future__ import annotations

import json


from wiretrace import scan
from wiretrace.extract import decode_html, extract_page

from conftest import story


def page(body: str, head: str = "", nav: str = "Home | World | Business | Sport", footer: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Harbour cranes stand idle</title>{head}</head>
<body>
<header><nav>{nav}</nav></header>
<main><article><h1>Harbour cranes stand idle</h1>{body}</article></main>
<aside><h3>Latest news</h3><ul><li><a href="/a">Council votes on bins</a></li><li><a href="/b">Rovers win again</a></li></ul></aside>
<footer>{footer or "Copyright 2026 Example Media. All rights reserved. Subscribe to our newsletter."}</footer>
</body></html>"""


def paragraphs(seed: int, n: int = 8) -> list[str]:
    return story(seed, 60 * n).split("\n\n")


def as_html(paras: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paras)


def test_main_text_excludes_navigation_asides_and_footer():
    paras = paragraphs(1)
    result = extract_page(page(as_html(paras)).encode(), url="https://www.example.co.uk/news/cranes?utm_source=x")
    for p in paras:
        assert p[:60] in result.text
    for chrome in ("Council votes on bins", "All rights reserved", "Home | World"):
        assert chrome not in result.text
    assert result.title == "Harbour cranes stand idle"
    assert result.site == "example.co.uk"
    assert result.url == "https://www.example.co.uk/news/cranes"  # tracking parameter cleaned
    assert result.language == "en"


def test_dates_say_where_they_came_from():
    body = as_html(paragraphs(2))
    meta = '<meta property="article:published_time" content="2026-03-04T09:12:00Z">'
    assert extract_page(page(body, head=meta)).published_source == "metadata"
    assert extract_page(page(body, head=meta)).published == "2026-03-04T09:12:00+00:00"
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2026-02-01T10:00:00+01:00"}</script>'
    assert extract_page(page(body, head=ld)).published == "2026-02-01T10:00:00+01:00"
    visible = page('<p class="date">Published 12 January 2026</p>' + body)
    found = extract_page(visible)
    assert (found.published or "")[:10] == "2026-01-12" and found.published_source == "htmldate"
    undated = extract_page(page(body), crawl_date="2026-05-06T07:08:09Z")
    assert (undated.published, undated.published_source) == ("2026-05-06T07:08:09+00:00", "crawl")


def test_body_links_are_absolute_and_never_scripts():
    body = (
        f"<p>{paragraphs(3)[0]} As <a href='https://www.reuters.com/world/cranes-123'>Reuters reported</a>,"
        " <a href='javascript:alert(1)'>click</a> <a href='/local/story'>more</a>"
        f" <a href='mailto:x@example.com'>mail</a>.</p>" + as_html(paragraphs(3)[1:])
    )
    links = extract_page(page(body), url="https://news.example.com/x").links
    assert "https://www.reuters.com/world/cranes-123" in links
    assert "https://news.example.com/local/story" in links
    assert not any(link.startswith(("javascript:", "mailto:")) for link in links)


def test_hostile_markup_yields_text_only():
    hostile = (
        "<script>document.write('INJECTED')</script>"
        "<p onclick=\"alert('x')\">" + paragraphs(4)[0] + "<img src=x onerror=alert(1)></p>"
        "<style>p{color:red}</style><p>" + paragraphs(4)[1] + "</p><iframe src='javascript:alert(2)'></iframe>"
        + as_html(paragraphs(4)[2:])
    )
    text = extract_page(page(hostile)).text
    assert "INJECTED" not in text and "alert" not in text and "color:red" not in text
    assert paragraphs(4)[1][:50] in text


def test_hopeless_pages_are_skipped_with_reasons_never_crash(tmp_path):
    pages = {
        "empty.html": b"",
        "binary.html": b"\x00\x01\x02\xff" * 100,
        "unclosed.html": b"<html><body><div><p>unclosed",
        "symbols.html": b"<<<>>>&&&" * 50,
        "deep.html": ("<div>" * 5000 + "deep").encode(),
        "only-script.html": b"<html><script>alert(1)</script></html>",
    }
    for name, data in pages.items():
        (tmp_path / name).write_bytes(data)
    report = scan([tmp_path])
    assert report.documents == []
    assert sorted(s["source"].rsplit("/", 1)[-1] for s in report.skipped) == sorted(pages)
    assert all(s["reason"] for s in report.skipped)


def test_legacy_encodings_decode():
    cyrillic = "<html><head><meta charset='windows-1251'></head><body><p>Московская биржа выросла</p></body></html>"
    assert "Московская" in decode_html(cyrillic.encode("cp1251"))[0]
    declared = "<html><body><p>Zoë Müller in São Paulo</p></body></html>".encode("latin-1")
    assert "Zoë Müller" in decode_html(declared, "iso-8859-1")[0]
    text, warnings = decode_html(("<p>" + "caf\u00e9 cr\u00e8me " * 40 + "</p>").encode("cp1252"))
    assert "café crème" in text and warnings


def test_saved_pages_and_html_records_are_scanned(tmp_path):
    paras = paragraphs(5, 10)
    (tmp_path / "site-a.html").write_text(page(as_html(paras), nav="A-Site Home | Politics"), encoding="utf-8")
    other = page(
        "<p>Republished from our partners.</p>" + as_html(paras[:6]),
        nav="B-Daily | Money | Culture | Weather",
        footer="B-Daily is part of B Group. Newsletter sign-up. Cookie settings.",
    )
    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"id": "b-copy", "url": "https://b-daily.example.org/story", "html": other, "published": "2026-03-05"})
        + "\n"
        + json.dumps({"id": "c-unrelated", "html": page(as_html(paragraphs(6)))})
        + "\n"
    )
    report = scan([tmp_path])
    docs = {d["id"]: d for d in report.documents}
    assert docs["b-copy"]["site"] == "example.org" and docs["b-copy"]["published_source"] == "record"
    top = tmp_path.name
    assert [c["members"] for c in report.clusters] == [sorted([f"{top}/site-a.html", "b-copy"])]
    assert report.skipped == []


def test_declared_language_from_html_lang_or_metadata():
    body = as_html(paragraphs(7))
    assert extract_page(page(body)).language == "en"
    no_lang = page(body).replace('<html lang="en-GB">', "<html>")
    assert extract_page(no_lang).language is None
    with_locale = no_lang.replace("<head>", '<head><meta property="og:locale" content="pt_BR">')
    assert extract_page(with_locale).language == "pt"


def test_parallel_extraction_gives_the_same_documents(tmp_path):
    # More pages than one chunk, so the worker pool really starts.
    for i in range(40):
        paras = paragraphs(700 + i % 10, 6)  # ten stories, four pages each
        (tmp_path / f"p{i:02d}.html").write_text(page(as_html(paras), nav=f"Site {i} | Home"), encoding="utf-8")
    serial = scan([tmp_path], workers=1).to_dict()
    parallel = scan([tmp_path], workers=2).to_dict()
    for data in (serial, parallel):
        data.pop("stats")
        data.pop("config")
        data.pop("run_id")
    assert parallel == serial
    assert len(serial["clusters"]) == 10


def test_link_targets_stay_out_of_the_text_but_are_listed():
    body = f"<p>{paragraphs(8)[0]} <a href='https://source.example.com/original-story'>the original</a> said.</p>"
    result = extract_page(page(body + as_html(paragraphs(8)[1:])))
    assert "the original said" in result.text
    assert "https://" not in result.text and "source.example.com" not in result.text
    assert "https://source.example.com/original-story" in result.links


def test_comments_inside_paragraphs_do_not_cut_the_text():
    paras = paragraphs(9)
    first = paras[0].split(" ")
    body = f"<p>{' '.join(first[:10])}<!-- ad slot --> {' '.join(first[10:])}</p>" + as_html(paras[1:])
    assert " ".join(first[10:])[:40] in extract_page(page(body)).text


def test_placeholder_dates_in_metadata_are_ignored():
    meta = '<meta property="article:published_time" content="0001-01-01T00:00:00Z">'
    result = extract_page(page(as_html(paragraphs(10)), head=meta), crawl_date="2026-04-01T00:00:00Z")
    assert result.published_source != "metadata"
    assert not (result.published or "").startswith("0001")
