"""Tests of the content-farm simulation (invented base articles only)."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from wiretrace.evaluation.simulate import simulate


def _invented_articles(n: int = 20, words: int = 400, seed: int = 99) -> list[dict]:
    rng = random.Random(seed)
    syll = ["ka", "lo", "mi", "ter", "van", "su", "del", "ro", "pi", "nex", "ba", "quo", "zen", "tu"]
    vocab = sorted({"".join(rng.choice(syll) for _ in range(rng.randint(2, 4))) for _ in range(3000)})
    arts = []
    for i in range(n):
        paras, left = [], words
        while left > 0:
            sentences = []
            for _ in range(rng.randint(2, 4)):
                k = rng.randint(8, 16)
                sentences.append(" ".join(rng.choice(vocab) for _ in range(k)).capitalize() + ".")
                left -= k
            paras.append(" ".join(sentences))
        title = " ".join(rng.choice(vocab) for _ in range(6)).capitalize()
        arts.append({"id": f"a{i}", "title": title, "text": "\n\n".join(paras)})
    return arts


@pytest.fixture(scope="module")
def sim():
    return simulate(_invented_articles(), n_stories=14, seed=7)


def test_deterministic(sim):
    again = simulate(_invented_articles(), n_stories=14, seed=7)
    assert again.records == sim.records and again.gold == sim.gold and again.sites == sim.sites
    other = simulate(_invented_articles(), n_stories=14, seed=8)
    assert other.records != sim.records


def test_every_record_has_gold(sim):
    ids = [r["id"] for r in sim.records]
    assert len(ids) == len(set(ids))
    assert ids == [g["id"] for g in sim.gold]
    for r, g in zip(sim.records, sim.gold):
        assert r["site"] in sim.sites and sim.sites[r["site"]] == g["site_kind"]
        assert r["url"].startswith(f"https://{r['site']}/")
    wire_of = {g["story"]: g["id"] for g in sim.gold if g["transform"] in ("wire", "outlet", "wire-update")}
    for g in sim.gold:
        if g["story"] is not None and g["story"] in wire_of:
            assert g["origin"] == wire_of[g["story"]]  # the agency's or outlet's own page
        elif g["story"] is not None:  # its own page is not in the scan: a virtual origin
            assert g["origin"].startswith(("agency:", "site:")) and g["source"] == g["origin"]
    transforms = {g["transform"] for g in sim.gold}
    assert {"wire", "partner", "farm-chain", "independent", "unrelated"} <= transforms
    for g in sim.gold:  # an agency's second version: a story of its own, a version of its first
        if g["transform"] == "wire-update":
            first = next(f for f in sim.gold if f["id"] == g["version_of"])
            assert first["transform"] == "wire" and g["story"] == f"{first['story']}-v2"
    assert any(t.startswith("syndicated-") for t in transforms)  # one extra story in this small web


def test_outlet_syndication_and_foreign_wire_copy_with_every_credit_style():
    from wiretrace.evaluation.simulate import simulate

    base = [{"id": f"b{i}", "title": f"Title {i}", "text": f"Word{i} " * 80 + "end."} for i in range(120)]
    sim = simulate(base, n_stories=60, seed=5)
    transforms = {g["transform"] for g in sim.gold}
    assert {"syndicated-byline", "syndicated-trailer", "syndicated-canonical", "foreign-wire", "farm-foreign",
            "farm-outlet"} <= transforms
    canonical = [r for r, g in zip(sim.records, sim.gold) if g["transform"] == "syndicated-canonical"]
    assert all(r["metadata"]["canonical"][0].startswith("https://www.nytimes.com/") for r in canonical)


def test_syndication_is_optional_and_leaves_the_rest_unchanged():
    from wiretrace.evaluation.simulate import simulate

    base = [{"id": f"b{i}", "title": f"Title {i}", "text": f"Word{i} " * 80 + "end."} for i in range(40)]
    with_it, without = simulate(base, n_stories=20, seed=3), simulate(base, n_stories=20, seed=3, syndication=False)
    plain = {g["transform"] for g in without.gold}
    assert not plain & {"syndicated-byline", "foreign-wire", "outlet"}
    # the wire stories and all their copies are the same records, drawn from the same generator
    # (but the ring's, drawn last: their addresses count every page made before them)
    stories = [r for r, g in zip(with_it.records, with_it.gold) if (g["story"] or "").startswith("s") and g["transform"] != "ring"]
    before = [r for r, g in zip(without.records, without.gold) if (g["story"] or "").startswith("s") and g["transform"] != "ring"]
    assert stories and stories == before
    ring = [(r["site"], r["title"]) for r, g in zip(with_it.records, with_it.gold) if g["transform"] == "ring"]
    assert ring and ring == [(r["site"], r["title"]) for r, g in zip(without.records, without.gold) if g["transform"] == "ring"]


def test_chains_copy_farm_intro(sim):
    by_id = {r["id"]: r for r in sim.records}
    chains = [g for g in sim.gold if g["transform"] == "farm-chain"]
    assert chains
    for g in chains:
        src = by_id[g["source"]]
        intro = src["text"].split("\n\n")[0]
        assert "exclusive" in intro
        assert intro in by_id[g["id"]]["text"]
        assert g["attribution"] == "uncredited"


def test_stripped_copies_have_no_credit(sim):
    by_id = {r["id"]: r for r in sim.records}
    for g in sim.gold:
        text = by_id[g["id"]]["text"]
        if g["attribution"] == "uncredited":
            assert "(Reuters)" not in text and "Reporting by" not in text
        elif g["transform"] in ("wire", "partner"):
            assert "(Reuters)" in text


def test_scan_clusters_stories(sim):
    from wiretrace import scan

    report = scan(sim.records)
    cluster_of = {}
    for c in report.clusters:
        for m in c["members"]:
            cluster_of[m] = c["id"]
    members = defaultdict(list)
    for g in sim.gold:
        if g["story"]:
            members[g["story"]].append(g["id"])
    together = sum(
        1 for ids in members.values()
        if cluster_of.get(ids[0]) is not None and len({cluster_of.get(i) for i in ids}) == 1
    )
    assert together >= 0.9 * len(members)
    for g in sim.gold:
        if g["transform"] == "independent":
            story_ids = members[g["same_event_as"]]
            assert cluster_of.get(g["id"]) is None or cluster_of[g["id"]] not in {
                cluster_of.get(i) for i in story_ids}
        if g["transform"] == "unrelated":
            assert g["id"] not in cluster_of
