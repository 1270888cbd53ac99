"""Benchmark suites of ``wiretrace bench``: accuracy on real and simulated data.

Each suite is a function ``(data_dir, quick) -> dict`` returning what it
measured; a suite whose data is absent returns ``{"skipped": reason}``.
The real corpora are read where they are (``--data``, default
``../shared/data``) and never copied.
"""

from __future__ import annotations

import csv
import glob
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

from wiretrace.evaluation.credit_suites import suite_credits, suite_credits_heldout, suite_credits_heldout2, suite_impresso
from wiretrace.evaluation.gold import Gold, _node
from wiretrace.evaluation.lineage_suite import suite_lineage
from wiretrace.evaluation.network_suite import suite_networks
from wiretrace.evaluation.metrics import evaluate
from wiretrace.pipeline import scan

__all__ = ["SUITES", "run_suites", "roc_auc"]

Suite = Callable[[Path, bool], dict[str, Any]]


def _missing(path: Path) -> dict[str, Any] | None:
    return None if path.exists() else {"skipped": f"data not found: {path}"}


def roc_auc(scores: list[float], positive: list[bool]) -> float | None:
    """Area under the ROC curve: the chance that a random positive outranks a
    random negative (ties count half).

    Example:
        >>> roc_auc([0.9, 0.8, 0.1, 0.2], [True, True, False, False])
        1.0
    """
    pos = [s for s, p in zip(scores, positive) if p]
    neg = [s for s, p in zip(scores, positive) if not p]
    if not pos or not neg:
        return None
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return round(wins / (len(pos) * len(neg)), 4)


def _distinct_articles(articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Leave out articles that already copy one another in the source corpora
    (Reuters re-sends and updates, BBC duplicates): the simulation's ground
    truth says unrelated articles are not copies, so they must not be. One
    article of each group found by a scan of the base set is kept."""
    report = scan([{"id": a["id"], "text": a["text"]} for a in articles])
    drop = {member for cluster in report.clusters for member in cluster["members"][1:]}
    return [a for a in articles if a["id"] not in drop]


def _base_articles(data: Path, limit: int) -> list[dict[str, Any]]:
    """Real articles to build the simulation from: Reuters-21578 bodies of 150+
    words, then BBC texts, in a fixed order, none a copy of another."""
    articles: list[dict[str, Any]] = []
    for path in sorted((data / "reuters21578_json").glob("reuters-*.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            body = record.get("body") or ""
            if len(body.split()) >= 150 and record.get("title"):
                articles.append({"id": f"reuters-{record['id']}", "title": record["title"], "text": body})
        if len(articles) >= limit:
            break
    for path in sorted((data / "bbc_fulltext").glob("*/*.txt")):
        text = path.read_bytes().decode("latin-1")
        title, _, body = text.partition("\n")
        articles.append({"id": f"bbc-{path.parent.name}-{path.stem}", "title": title.strip(), "text": body.strip()})
        if len(articles) >= 2 * limit:
            break
    return _distinct_articles(articles)[:limit]


def suite_simulation(data: Path, quick: bool) -> dict[str, Any]:
    """Content-farm simulation built from real articles, with full ground truth."""
    from wiretrace.evaluation.simulate import simulate

    for name in ("reuters21578_json", "bbc_fulltext"):
        if skipped := _missing(data / name):
            return skipped
    stories = 60 if quick else 300
    articles = _base_articles(data, int(stories / 0.7) + 20 + 2 * (stories // 3))
    sim = simulate(articles, n_stories=stories, seed=7)
    started = time.perf_counter()
    report = scan(sim.records).to_dict()
    seconds = time.perf_counter() - started
    scores = evaluate(report, _simulation_gold(sim))
    # Recall of (copy, story) membership per transformation.
    docs = {d["id"]: d for d in report["documents"]}
    story_cluster: dict[str, Counter] = defaultdict(Counter)
    for entry in sim.gold:
        if entry["story"] is not None and docs.get(entry["id"], {}).get("cluster"):
            story_cluster[entry["story"]][docs[entry["id"]]["cluster"]] += 1
    by_transform: dict[str, list[bool]] = defaultdict(list)
    for entry in sim.gold:
        if entry["story"] is None:
            continue
        main = story_cluster[entry["story"]].most_common(1)
        found = bool(main) and docs.get(entry["id"], {}).get("cluster") == main[0][0]
        by_transform[entry["transform"]].append(found)
    edges_by_transform: dict[str, list[bool]] = defaultdict(list)
    statuses_by_transform: dict[str, list[bool]] = defaultdict(list)
    for entry in sim.gold:
        attribution = docs.get(entry["id"], {}).get("attribution") or {}
        if entry["source"] is not None:
            edges_by_transform[entry["transform"]].append(attribution.get("source") == _node(entry["source"]))
        if entry["attribution"] is not None:
            statuses_by_transform[entry["transform"]].append(attribution.get("status") == entry["attribution"])
    farm = [row for row in report["sites"] if row["site"] in sim.sites]
    reuse = _reuse_scores(report, sim)
    versions = _lineage_scores(report, sim)
    return {
        "documents": len(sim.records),
        "stories": stories,
        "scan_seconds": round(seconds, 2),
        "scores": scores,
        "recall_by_transform": {t: round(sum(v) / len(v), 4) for t, v in sorted(by_transform.items())},
        "reuse": reuse,
        "rewrites": _rewrite_scores(report, sim),
        "lineage": versions,
        "copy_edge_accuracy_by_transform": {t: round(sum(v) / len(v), 4) for t, v in sorted(edges_by_transform.items())},
        "attribution_accuracy_by_transform": {
            t: round(sum(v) / len(v), 4) for t, v in sorted(statuses_by_transform.items())
        },
        # the ring's sites are farms too: every page an uncredited copy
        "farm_ranking_roc_auc": roc_auc([r["farm_score"] for r in farm], [sim.sites[r["site"]] in ("farm", "ring") for r in farm]),
    }


def suite_bbc(data: Path, quick: bool) -> dict[str, Any]:
    """BBC News: recall and precision on the corpus's exact duplicates."""
    root = data / "bbc_fulltext"
    if skipped := _missing(root):
        return skipped
    categories = sorted(p for p in root.iterdir() if p.is_dir())
    report = scan(categories)
    groups: dict[str, list[str]] = defaultdict(list)
    for category in categories:
        for path in sorted(category.glob("*.txt")):
            groups[" ".join(path.read_bytes().decode("latin-1").lower().split())].append(f"{category.name}/{path.name}")
    gold = {pair for g in groups.values() for pair in combinations(sorted(g), 2)}
    exact = {(p["a"], p["b"]) for p in report.pairs if p["jaccard"] == 1.0}
    found = {(p["a"], p["b"]) for p in report.pairs}
    return {
        "documents": report.stats["documents"],
        "skipped": len(report.skipped),
        "clusters": len(report.clusters),
        "verified_pairs": len(report.pairs),
        "exact_duplicate_pairs": len(gold),
        "recall": round(len(gold & found) / len(gold), 4) if gold else None,
        "precision_of_exact_pairs": round(len(gold & exact) / len(exact), 4) if exact else None,
        "other_verified_pairs": len(found - gold),
    }


def suite_ecbplus(data: Path, quick: bool) -> dict[str, Any]:
    """ECB+: articles on one event written independently (hard negatives)."""
    path = data / "ecbplus_event_clusters" / "ecbplus_docs.jsonl"
    if skipped := _missing(path):
        return skipped
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    report = scan([{"id": r["doc_name"], "text": r["text"]} for r in records])
    event = {r["doc_name"]: r["cluster"] for r in records}
    topic = {r["doc_name"]: r["topic"] for r in records}
    same_topic_pairs = sum(n * (n - 1) // 2 for n in Counter(topic.values()).values())
    across = [p for p in report.pairs if event[p["a"]] != event[p["b"]]]
    # Pairs within one event, read one by one and labelled (repost / independent):
    # ecbplus_pair_labels.jsonl, doc names and our own descriptions only.
    from importlib import resources

    labels = {
        tuple(sorted((item["a"], item["b"]))): item["label"]
        for item in map(json.loads, resources.files("wiretrace.evaluation").joinpath("ecbplus_pair_labels.jsonl")
                        .read_text(encoding="utf-8").splitlines())
    }
    # Rewritten pairs within one event, read one by one (ids and labels only)
    rewrite_labels = {
        tuple(sorted((item["a"], item["b"]))): item["label"]
        for item in map(json.loads, resources.files("wiretrace.evaluation").joinpath("ecbplus_rewrite_labels.jsonl")
                        .read_text(encoding="utf-8").splitlines())
    }
    within = [tuple(sorted((p["a"], p["b"]))) for p in report.pairs if event[p["a"]] == event[p["b"]]]
    judged = Counter(labels.get(pair, "unlabelled") for pair in within)
    false_pairs = len(across) + judged["independent"]
    negatives = same_topic_pairs - judged["repost"]
    return {
        "documents": report.stats["documents"],
        "skipped": len(report.skipped),
        "verified_pairs": len(report.pairs),
        "pairs_jaccard_ge_0.8": sum(1 for p in report.pairs if p["jaccard"] >= 0.8),
        "pairs_across_topics": sum(1 for p in report.pairs if topic[p["a"]] != topic[p["b"]]),
        "pairs_across_events": len(across),
        "pairs_within_an_event": len(within),
        "within_event_pairs_read": {"repost": judged["repost"], "independent": judged["independent"],
                                    "unlabelled": judged["unlabelled"]},
        "precision": round(1 - false_pairs / len(report.pairs), 4) if report.pairs else None,
        "same_topic_document_pairs": same_topic_pairs,
        "false_positive_rate": round(false_pairs / negatives, 6) if negatives else None,
        # passage pairs (partial reuse, no cluster): across two events of a topic they are
        # false; within an event, read against the labels of the verified pairs where they exist
        "reuse_pairs": len(report.reuse),
        "reuse_across_events": sum(1 for r in report.reuse if event[r["a"]] != event[r["b"]]),
        "reuse_within_an_event": [[r["a"], r["b"], r["words"]] for r in report.reuse if event[r["a"]] == event[r["b"]]],
        # rewritten pairs: across two events of a topic they are false; within an event,
        # read against ecbplus_rewrite_labels.jsonl (derived from one text / independent / unsure)
        "rewrites": len(report.rewrites),
        "rewrites_across_events": sum(1 for r in report.rewrites if event[r["a"]] != event[r["b"]]),
        "rewrites_within_an_event_read": dict(Counter(
            rewrite_labels.get(tuple(sorted((r["a"], r["b"]))), "unlabelled")
            for r in report.rewrites if event[r["a"]] == event[r["b"]]
        )),
        "rewrites_independent": sum(1 for r in report.rewrites if event[r["a"]] == event[r["b"]]
                                    and rewrite_labels.get(tuple(sorted((r["a"], r["b"])))) == "independent"),
    }


def suite_clough(data: Path, quick: bool) -> dict[str, Any]:
    """Clough-Stevenson graded reuse: detection rate per level against the source."""
    root = data / "clough_stevenson_short_answers"
    if skipped := _missing(root):
        return skipped
    with open(root / "file_information.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    detected: dict[str, list[bool]] = defaultdict(list)
    reused: dict[str, list[bool]] = defaultdict(list)  # a verified pair or a passage pair (partial reuse)
    rewritten: dict[str, list[bool]] = defaultdict(list)  # a rewritten pair
    any_link: dict[str, list[bool]] = defaultdict(list)  # any of the three
    for row in rows:
        if row["Category"] == "orig":
            continue
        source = root / f"orig_task{row['Task']}.txt"
        answer = root / row["File"]
        report = scan(
            [{"id": "source", "text": source.read_text(encoding="latin-1")},
             {"id": "answer", "text": answer.read_text(encoding="latin-1")}],
            min_words=10,
        )
        detected[row["Category"]].append(bool(report.pairs))
        reused[row["Category"]].append(bool(report.pairs or report.reuse))
        rewritten[row["Category"]].append(bool(report.rewrites))
        any_link[row["Category"]].append(bool(report.pairs or report.reuse or report.rewrites))
    return {
        level: {"detected": sum(v), "of": len(v), "rate": round(sum(v) / len(v), 4),
                "with_passages": sum(reused[level]), "with_passages_rate": round(sum(reused[level]) / len(v), 4),
                "rewritten": sum(rewritten[level]), "rewritten_rate": round(sum(rewritten[level]) / len(v), 4),
                "any": sum(any_link[level]), "any_rate": round(sum(any_link[level]) / len(v), 4)}
        for level, v in sorted(detected.items())
    }


def suite_reuters_wire(data: Path, quick: bool) -> dict[str, Any]:
    """Reuters-21578: share of stories recognised as Reuters copy."""
    root = data / "reuters21578_json"
    if skipped := _missing(root):
        return skipped
    from wiretrace.wire import find_markers

    files = sorted(glob.glob(str(root / "reuters-*.json")))[: 3 if quick else None]
    bodies = [r["body"] for f in files for r in json.loads(Path(f).read_text(encoding="utf-8")) if r.get("body")]
    started = time.perf_counter()
    strong = [any(m.agency == "reuters" and m.strength == "strong" for m in find_markers(b)) for b in bodies]
    seconds = time.perf_counter() - started
    return {"stories": len(bodies), "recognised": sum(strong), "share": round(sum(strong) / len(bodies), 4),
            "docs_per_second": round(len(bodies) / seconds)}


def _story_truth(report: dict[str, Any], sim) -> tuple[dict, dict, dict, dict]:
    """The simulation's gold by id; the stories each document carries (its
    own, those a roundup or brief quotes, a spun page's, and a second
    version's kept body: the first version's story); each document's
    cluster; and the cluster most of each story's pages are in."""
    gold = {g["id"]: g for g in sim.gold}
    carries = {g["id"]: set(g.get("reuse_of") or ([g["story"]] if g["story"] else []))
               | ({g["rewrite_of"]} if g.get("rewrite_of") else set()) for g in sim.gold}
    kept_body = {g["story"]: gold[g["version_of"]]["story"] for g in sim.gold if g.get("version_of")}
    for g in sim.gold:
        if g["story"] in kept_body:
            carries[g["id"]].add(kept_body[g["story"]])
    cluster = {d["id"]: d["cluster"] for d in report["documents"]}
    story_clusters: dict[str, Counter] = defaultdict(Counter)
    for g in sim.gold:
        if g["story"] and cluster.get(g["id"]):
            story_clusters[g["story"]][cluster[g["id"]]] += 1
    main = {sid: c.most_common(1)[0][0] for sid, c in story_clusters.items()}
    return gold, carries, cluster, main


def _rewrite_scores(report: dict[str, Any], sim) -> dict[str, Any]:
    """Rewritten copies and networks against the simulation's truth.

    A spun page (``rewrite_of``: its story) is found when a rewritten pair
    joins it to a page carrying that story (its own story, a roundup's or a
    brief's quoted ones, a second version's kept body), or when it sits in
    that story's cluster (a light spin is still a copy; counted apart). A
    rewritten pair is true when its two documents carry a common story.
    Networks: the farms' and spinners' sites must form one ``copying``
    network holding no legitimate site; the legitimate sites (partners,
    aggregators, news sites sharing a theme's ad id) must be in no
    ``copying`` network; the ring (no shared id) must form a ``copying``
    network linked by look and timing, and no legitimate site may be linked
    by look (the decoys: a theme's footer on news sites and a partner, the
    wire's trailer on two partners that copy its stories within the hour)."""
    gold, carries, cluster, main = _story_truth(report, sim)
    rewrites = report.get("rewrites", [])
    true_pairs = sum(1 for r in rewrites if carries.get(r["a"], set()) & carries.get(r["b"], set()))
    spun = [g for g in sim.gold if g["transform"] == "spun"]
    by_rewrite = {g["id"] for g in spun for r in rewrites
                  if g["id"] in (r["a"], r["b"]) and g["rewrite_of"] in carries[r["b"] if r["a"] == g["id"] else r["a"]]}
    as_copy = {g["id"] for g in spun if cluster.get(g["id"]) and main.get(g["rewrite_of"]) == cluster[g["id"]]}
    independent = sum(1 for r in rewrites if "independent" in (gold[r["a"]]["transform"], gold[r["b"]]["transform"]))
    farm_sites = {site for site, kind in sim.sites.items() if kind in ("farm", "spinner")}
    legit_sites = {site for site, kind in sim.sites.items() if kind in ("partner", "aggregator", "news")}
    networks = report.get("networks", [])
    farm_net = max(networks, key=lambda n: len(farm_sites & set(n["sites"])), default=None)
    ring_sites = {site for site, kind in sim.sites.items() if kind == "ring"}
    return {
        "spun_pages": len(spun),
        "spun_found": len(by_rewrite | as_copy),
        "spun_by_rewrite": len(by_rewrite),
        "spun_as_copy": len(as_copy - by_rewrite),
        "spun_recall": round(len(by_rewrite | as_copy) / len(spun), 4) if spun else None,
        "rewritten_pairs": len(rewrites),
        "rewritten_precision": round(true_pairs / len(rewrites), 4) if rewrites else None,
        "rewrites_with_an_independent_report": independent,
        "networks": len(networks),
        "farm_network_found": bool(farm_net) and farm_sites <= set(farm_net["sites"])
        and not legit_sites & set(farm_net["sites"]) and farm_net["kind"] == "copying",
        "legitimate_sites_in_a_copying_network": sum(1 for n in networks if n["kind"] == "copying"
                                                     for site in n["sites"] if site in legit_sites),
        "ring_network_found": bool(ring_sites) and any(
            ring_sites <= set(n["sites"]) and not legit_sites & set(n["sites"]) and n["kind"] == "copying"
            and "look and timing" in n["linked_by"] for n in networks),
        "legitimate_sites_linked_by_look": len({site for n in networks for p in n["pairs"] if p["linked"]
                                                for site in p["sites"] if site in legit_sites}),
    }


def _reuse_scores(report: dict[str, Any], sim) -> dict[str, Any]:
    """Partial reuse against the simulation's truth, per kind (``roundup``,
    ``brief``). Every document carries the text of a set of stories: its own
    story, or the stories a roundup or brief quotes (``reuse_of``). A
    (roundup-or-brief, story) link is found when a passage pair joins the
    document to a page of the story, or when the document sits in the
    story's cluster (a brief contains a trimmed copy that kept only the top
    it took: a true ``contained`` pair; counted apart as ``in_cluster``).
    A passage pair is true when its two documents carry a common story
    (two roundups quoting one story share its top; a second version carries
    the first one's kept body) and false otherwise; a
    roundup or brief in a cluster of a story it does not quote is a false
    copy. Reports that share only quotes, a tweet and a caption
    (``shared-quotes``) must have no pair and no passage pair."""
    gold, carries, cluster, main = _story_truth(report, sim)
    linked: set[tuple[str, str]] = set()
    false_links = 0
    for r in report.get("reuse", []):
        common = carries.get(r["a"], set()) & carries.get(r["b"], set())
        false_links += not common
        for doc, other in ((r["a"], r["b"]), (r["b"], r["a"])):
            if gold[doc].get("reuse_of") and gold[other]["story"] in gold[doc]["reuse_of"]:
                linked.add((doc, gold[other]["story"]))
    out: dict[str, Any] = {"reuse_pairs": len(report.get("reuse", [])), "false_reuse_pairs": false_links}
    for kind in ("roundup", "brief"):
        docs = [g for g in sim.gold if g["transform"] == kind]
        wanted = {(g["id"], sid) for g in docs for sid in g["reuse_of"]}
        in_cluster = {(d, sid) for d, sid in wanted if cluster.get(d) and main.get(sid) == cluster[d]}
        wrong_cluster = sum(1 for g in docs if cluster.get(g["id"])
                            and not any(main.get(sid) == cluster[g["id"]] for sid in g["reuse_of"]))
        found = (wanted & linked) | in_cluster
        out[kind] = {"links": len(wanted), "found": len(found), "by_passage": len(wanted & linked),
                     "in_cluster": len(in_cluster), "in_a_wrong_cluster": wrong_cluster,
                     "recall": round(len(found) / len(wanted), 4) if wanted else None}
    pairs = {tuple(sorted((p["a"], p["b"]))) for p in report.get("pairs", [])}
    reuse = {tuple(sorted((r["a"], r["b"]))) for r in report.get("reuse", [])}
    sharers = [g for g in sim.gold if g["transform"] == "shared-quotes"]
    out["shared_quotes"] = {
        "reports": len(sharers),
        "pairs": sum(1 for a, b in pairs if "shared-quotes" in (gold[a]["transform"], gold[b]["transform"])),
        "reuse_pairs": sum(1 for a, b in reuse if "shared-quotes" in (gold[a]["transform"], gold[b]["transform"])),
    }
    true_links = len(report.get("reuse", [])) - false_links
    out["precision"] = round(true_links / len(report["reuse"]), 4) if report.get("reuse") else None
    return out


def _lineage_scores(report: dict[str, Any], sim) -> dict[str, Any]:
    """The agency's second versions against the first: each (first, second)
    pair is found when a lineage links the two wire pages; every other
    version link is false. A second version's copies are attached when they
    share its cluster and no first version's document is in it."""
    gold = {g["id"]: g for g in sim.gold}
    wanted = {tuple(sorted((g["id"], g["version_of"]))) for g in sim.gold if g.get("version_of")}
    found = {tuple(sorted((link["a"], link["b"]))) for line in report.get("lineages", []) for link in line["links"]}
    cluster = {d["id"]: d["cluster"] for d in report["documents"]}
    copies = [g for g in sim.gold if g["transform"] == "partner-update"]
    firsts = {g["version_of"]: g["story"] for g in sim.gold if g.get("version_of")}
    attached = 0
    for g in copies:
        here = cluster.get(g["id"])
        own = cluster.get(g["origin"])
        mixed = any(cluster.get(d["id"]) == here for d in sim.gold
                    if d["story"] and d["story"] in {gold[f]["story"] for f in firsts})
        attached += bool(here) and here == own and not mixed
    return {"versions": len(wanted), "found": len(wanted & found), "false_links": len(found - wanted),
            "precision": round(len(wanted & found) / len(found), 4) if found else None,
            "recall": round(len(wanted & found) / len(wanted), 4) if wanted else None,
            "copies": len(copies), "copies_attached": attached}


def _simulation_gold(sim) -> Gold:
    """The simulation's ground truth as gold labels for :func:`evaluate`."""
    gold = Gold()
    for entry in sim.gold:
        if entry.get("rewrite_of"):
            # a spun page is a copy when the spin is light and a rewrite otherwise:
            # scored by _rewrite_scores (found either way), not as a story member
            continue
        gold.documents[entry["id"]] = {
            "story": entry["story"],
            "origin": _node(entry["origin"]),
            "source": _node(entry["source"]),
            "attribution": entry["attribution"],
            "has": {"story", "origin", "source"} | ({"attribution"} if entry["attribution"] is not None else set()),
        }
    return gold


def _as_report(ids: list[str], pairs: set[tuple[str, str]]) -> dict[str, Any]:
    """A minimal report (clusters = connected components of ``pairs``) to score a peer like wiretrace."""
    from wiretrace.cluster import connected_components

    index = {doc_id: i for i, doc_id in enumerate(ids)}
    components = connected_components(len(ids), ((index[a], index[b]) for a, b in pairs))
    cluster_of = {ids[i]: f"c{n}" for n, members in enumerate(components, start=1) for i in members}
    return {
        "documents": [{"id": doc_id, "cluster": cluster_of.get(doc_id)} for doc_id in ids],
        "pairs": [{"a": a, "b": b} for a, b in sorted(pairs)],
        "clusters": [{"id": f"c{n}"} for n in range(1, len(components) + 1)],
    }


def _peer_exact(records: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Exact-hash dedup: documents whose normalised text is identical."""
    import xxhash

    from wiretrace.normalize import normalize_text

    groups: dict[int, list[str]] = defaultdict(list)
    for r in records:
        groups[xxhash.xxh3_64_intdigest(normalize_text(r["text"]).encode("utf-8", "surrogatepass"))].append(r["id"])
    return {tuple(sorted(p)) for g in groups.values() for p in combinations(g, 2)}


def _shingles(text: str) -> list[str]:
    import re

    words = re.findall(r"\w+", text.lower())
    return [" ".join(words[i : i + 5]) for i in range(max(len(words) - 4, 1))]


def _peer_datasketch(records: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """The plain datasketch pipeline a user would write: MinHash per document
    (one update per shingle), MinHashLSH at 0.5, every LSH hit taken as a copy."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    hashes = {}
    for r in records:
        m = MinHash(num_perm=128)
        for shingle in _shingles(r["text"]):
            m.update(shingle.encode("utf-8"))
        hashes[r["id"]] = m
        lsh.insert(r["id"], m)
    return {tuple(sorted((doc_id, other))) for doc_id, m in hashes.items() for other in lsh.query(m) if other != doc_id}


def _peer_simhash(records: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """SimHash (the ``simhash`` package) over 5-word shingles, near duplicates within 3 bits."""
    from simhash import Simhash, SimhashIndex

    hashes = [(r["id"], Simhash(_shingles(r["text"]))) for r in records]
    index = SimhashIndex(hashes, k=3)
    return {tuple(sorted((doc_id, other))) for doc_id, h in hashes for other in index.get_near_dups(h) if other != doc_id}


_TEXT_DEDUP_GROUPS = """
import json, pickle, sys
uf = pickle.load(open(sys.argv[1], "rb"))
print(json.dumps({str(i): uf.find(i) for i in list(uf.parent)}))
"""


def _peer_text_dedup(records: list[dict[str, Any]], python: str) -> set[tuple[str, str]]:
    """text-dedup's MinHash (``python -m text_dedup.minhash``, 5-grams, threshold
    0.5, 128 permutations), run by ``python`` (its own environment: its
    dependencies clash with ours); duplicates are read from its union-find."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="wiretrace-text-dedup-") as tmp:
        folder = Path(tmp)
        with open(folder / "in.jsonl", "w", encoding="utf-8") as handle:
            for r in records:
                handle.write(json.dumps({"id": r["id"], "text": r["text"]}) + "\n")
        subprocess.run(
            [python, "-m", "text_dedup.minhash", "--path", "json", "--data_files", str(folder / "in.jsonl"),
             "--split", "train", "--cache_dir", str(folder / "cache"), "--output", str(folder / "out"),
             "--column", "text", "--ngram", "5", "--threshold", "0.5", "--num_perm", "128", "--debug",
             "--num_proc", "1"],
            check=True, capture_output=True, cwd=folder,
        )
        found = subprocess.run([python, "-c", _TEXT_DEDUP_GROUPS, str(folder / "out" / "uf.pkl")], check=True,
                               capture_output=True, text=True)
    groups: dict[int, list[str]] = defaultdict(list)
    for row, root in json.loads(found.stdout).items():
        groups[root].append(records[int(row)]["id"])
    return {tuple(sorted(p)) for members in groups.values() for p in combinations(members, 2)}


def suite_peers(data: Path, quick: bool) -> dict[str, Any]:
    """wiretrace beside the tools people would otherwise use, on the simulation."""
    import os

    from wiretrace.evaluation.simulate import simulate
    from wiretrace.stages import peak_rss_mb, reset_peak_rss

    for name in ("reuters21578_json", "bbc_fulltext"):
        if skipped := _missing(data / name):
            return skipped
    stories = 60 if quick else 300
    sim = simulate(_base_articles(data, int(stories / 0.7) + 20), n_stories=stories, seed=7)
    ids = [r["id"] for r in sim.records]
    gold = _simulation_gold(sim)
    peers: dict[str, Callable[[], dict[str, Any]]] = {
        "wiretrace": lambda: scan(sim.records).to_dict(),
        "exact hash": lambda: _as_report(ids, _peer_exact(sim.records)),
        "datasketch MinHash + LSH": lambda: _as_report(ids, _peer_datasketch(sim.records)),
    }
    try:
        import simhash  # noqa: F401

        peers["SimHash (simhash)"] = lambda: _as_report(ids, _peer_simhash(sim.records))
    except ImportError:
        pass
    text_dedup = os.environ.get("WIRETRACE_TEXT_DEDUP_PYTHON")
    if text_dedup:  # absolute (the tool runs in a temporary folder), symlinks kept (it is a venv)
        text_dedup = os.path.abspath(text_dedup)
    if text_dedup:
        peers["text-dedup MinHash"] = lambda: _as_report(ids, _peer_text_dedup(sim.records, text_dedup))
    results: dict[str, Any] = {"documents": len(ids), "stories": stories}
    for name, run in peers.items():
        reset_peak_rss()
        started = time.perf_counter()
        report = run()
        seconds = time.perf_counter() - started
        scores = evaluate(report, gold)
        peak = peak_rss_mb()
        if name == "text-dedup MinHash":  # ran in child processes: their peak, not ours
            import resource

            peak = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
        results[name] = {
            "precision": scores["pairs_same_cluster"]["precision"],
            "recall": scores["pairs_same_cluster"]["recall"],
            "f1": scores["pairs_same_cluster"]["f1"],
            "cluster_ari": scores["cluster_ari"],
            "seconds": round(seconds, 3),
            "peak_rss_mb": peak,
        }
    base = results["wiretrace"]["seconds"]
    for name in peers:
        results[name]["time_vs_wiretrace"] = round(results[name]["seconds"] / base, 2) if base else None
    if "SimHash (simhash)" not in peers:
        results["SimHash (simhash)"] = {"skipped": "the simhash package is not installed (pip install simhash)"}
    if not text_dedup:
        results["text-dedup MinHash"] = {
            "skipped": "set WIRETRACE_TEXT_DEDUP_PYTHON to a Python with text-dedup installed (its own venv: it "
            "needs datasets, pyspark and more, which clash with wiretrace's dependencies)"
        }
    return results


def suite_speed(data: Path, quick: bool, sizes: tuple[int, ...] | None = None) -> dict[str, Any]:
    """Seconds, docs/s and peak memory of every stage on synthetic news corpora
    of growing size (10k; 10k and 100k for the full run; 1M with
    WIRETRACE_BENCH_1M=1), to show how cost grows with size."""
    import os

    from wiretrace.evaluation.synthetic import generate_corpus

    if sizes is None:
        sizes = (10_000,) if quick else (10_000, 100_000)
        if os.environ.get("WIRETRACE_BENCH_1M") == "1":
            sizes += (1_000_000,)
    results: dict[str, Any] = {}
    for size in sizes:
        corpus = generate_corpus(size)
        records = [{"id": f"d{i:07d}", "text": text} for i, text in enumerate(corpus.texts)]
        del corpus
        started = time.perf_counter()
        report = scan(records)
        seconds = time.perf_counter() - started
        stages = report.stats["stages"]
        results[f"{size:,} documents"] = {
            "seconds": round(seconds, 2),
            "docs_per_second": round(size / seconds),
            "peak_rss_mb": max(s["peak_rss_mb"] or 0 for s in stages.values()),
            "stages": {name: {"seconds": s["seconds"], "peak_rss_mb": s["peak_rss_mb"]} for name, s in stages.items()},
        }
    results["note"] = "in-memory records (no file reading); medians and file input: benchmarks/bench_throughput.py"
    return results


def suite_zyte(data: Path, quick: bool) -> dict[str, Any]:
    """HTML extraction on the Zyte benchmark's real pages: text F1 (Zyte's
    scoring) beside trafilatura's defaults, and publication dates found."""
    import gzip

    import trafilatura

    from wiretrace.evaluation.extraction import match_counts, precision_recall_f1
    from wiretrace.extract import ExtractionError, extract_page

    root = data / "zyte_article_extraction_benchmark"
    if skipped := _missing(root / "ground-truth.json"):
        return skipped
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    shas = sorted(truth)[: 40 if quick else None]
    scores: dict[str, list[tuple[float, float, float]]] = {"wiretrace": [], "trafilatura defaults": []}
    dated = 0
    for sha in shas:
        html = gzip.decompress((root / "html" / f"{sha}.html.gz").read_bytes())
        gold, url = truth[sha].get("articleBody") or "", truth[sha].get("url")
        try:
            page = extract_page(html, url=url)
            text, dated = page.text, dated + (page.published is not None)
        except ExtractionError:
            text = ""
        baseline = trafilatura.extract(html, url=url) or ""
        for name, predicted in (("wiretrace", text), ("trafilatura defaults", baseline)):
            scores[name].append(precision_recall_f1(*match_counts(gold, predicted)) if predicted.strip() else (0.0, 0.0, 0.0))
    result: dict[str, Any] = {"pages": len(shas)}
    for name, values in scores.items():
        result[name] = {key: round(sum(v[i] for v in values) / len(values), 4)
                        for i, key in enumerate(("precision", "recall", "f1"))}
    result["dates_found"] = {"pages": dated, "share": round(dated / len(shas), 4)}
    return result


SUITES: dict[str, Suite] = {
    "simulation": suite_simulation,
    "bbc": suite_bbc,
    "ecbplus": suite_ecbplus,
    "clough": suite_clough,
    "reuters-wire": suite_reuters_wire,
    "peers": suite_peers,
    "speed": suite_speed,
    "zyte": suite_zyte,
    "credits": suite_credits,
    "credits-heldout": suite_credits_heldout,
    "credits-heldout2": suite_credits_heldout2,
    "impresso": suite_impresso,
    "lineage": suite_lineage,
    "networks": suite_networks,
}


def run_suites(names: list[str], data: Path, quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in names:
        started = time.perf_counter()
        try:
            results[name] = SUITES[name](data, quick)
        except Exception as exc:  # a broken suite must not hide the others' results
            results[name] = {"error": f"{exc.__class__.__name__}: {exc}"}
        results[name]["seconds"] = round(time.perf_counter() - started, 2)
    return results

