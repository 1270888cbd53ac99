"""Attribution statuses and the site report."""

from __future__ import annotations

from wiretrace.attribution import Credits, attribute, farm_score, site_report

NODE_SITE = {"doc:orig": "wire.example.com", "doc:copy": "farm.example.net", "doc:other": "other.example.org"}
SITES = set(NODE_SITE.values())


def status(credits: Credits, origin="agency:reuters", parent="agency:reuters", doc="copy", site="farm.example.net"):
    return attribute(doc, site, credits, origin, parent, NODE_SITE, SITES)


def test_dateline_or_credit_line_of_the_origin_agency_is_credited():
    credits = Credits(agencies={"reuters": [{"kind": "dateline", "text": "BAGHDAD (Reuters) -", "start": 0, "end": 19}]})
    result = status(credits)
    assert (result.status, result.credited) == ("credited", ["agency:reuters"])
    assert result.evidence[0]["kind"] == "dateline"


def test_stripped_credit_is_uncredited():
    assert status(Credits()).status == "uncredited"


def test_crediting_another_agency_is_miscredited():
    credits = Credits(agencies={"ap": [{"kind": "credit", "strength": "strong", "text": "By The Associated Press",
                                        "start": 0, "end": 23}]})
    result = status(credits)
    assert (result.status, result.credited) == ("miscredited", ["agency:ap"])


def test_a_passing_attribution_to_another_agency_is_not_a_miscredit():
    credits = Credits(agencies={"ap": [{"kind": "attribution", "strength": "weak", "text": "told AP", "start": 9, "end": 16}]})
    assert status(credits).status == "uncredited"


def test_a_link_to_the_source_site_credits_it_and_own_links_do_not():
    linked = Credits(sites={"wire.example.com": [{"kind": "link", "url": "https://wire.example.com/story"}]})
    assert status(linked, origin="doc:orig", parent="doc:orig").status == "credited"
    own = Credits(sites={"farm.example.net": [{"kind": "link", "url": "https://farm.example.net/more"}]})
    assert status(own, origin="doc:orig", parent="doc:orig").status == "uncredited"
    other_copy = Credits(sites={"other.example.org": [{"kind": "link", "url": "https://other.example.org/x"}]})
    assert status(other_copy, origin="doc:orig", parent="doc:orig").status == "miscredited"


def test_crediting_the_origin_of_a_chain_or_the_copy_it_took_from_both_count():
    credits = Credits(agencies={"afp": [{"kind": "copyright", "text": "© AFP", "start": 0, "end": 5}]})
    assert status(credits, origin="agency:afp", parent="doc:other").status == "credited"
    linked = Credits(sites={"other.example.org": [{"kind": "link", "url": "https://other.example.org/x"}]})
    assert status(linked, origin="agency:afp", parent="doc:other").status == "credited"


def test_origin_and_unknown_statuses():
    assert status(Credits(), origin="doc:copy", parent=None).status == "origin"
    assert status(Credits(), origin=None, parent=None).status == "unknown"


def test_farm_score_ranks_uncredited_copying_sites_first():
    rows = (
        [{"site": "farm.net", "status": "uncredited", "origin": "agency:ap", "delay_hours": 2.0}] * 6
        + [{"site": "partner.com", "status": "credited", "origin": "agency:ap", "delay_hours": 1.0}] * 6
        + [{"site": "paper.org", "status": None, "origin": None, "delay_hours": None}] * 5
        + [{"site": "paper.org", "status": "origin", "origin": "doc:x", "delay_hours": None}]
    )
    report = site_report(rows)
    assert [r["site"] for r in report] == ["farm.net", "partner.com", "paper.org"]
    farm = report[0]
    assert (farm["copy_share"], farm["uncredited_share"], farm["median_delay_hours"], farm["farm_score"]) == (1.0, 1.0, 2.0, 1.0)
    assert report[1]["farm_score"] == farm_score(6, 6, 0, 0) == 0.4
    assert report[2]["farm_score"] == 0.0 and report[2]["originals"] == 1
