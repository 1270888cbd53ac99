"""The hand-written vectorised XXH3 against the xxhash library, in the whole fingerprint stage.

``wiretrace.xxh3.xxh3_64_many`` hashes every word of a batch with numpy (the
closed forms of XXH3 for inputs of at most 16 bytes, equal to
``xxhash.xxh3_64_intdigest`` on every input: tests/test_hashing.py). This
measures whether it still earns its place: the fingerprint stage
(``fingerprint_batch``: words, shingles, quote-free sets, MinHash
signatures) over the same word buffers, once with it and once with a plain
loop calling ``xxhash.xxh3_64_intdigest`` per word, alternating, on the
synthetic news of ``bench_throughput.py`` and on the BBC texts. Prints the
median seconds of each and the median of the paired ratios.

    .venv/bin/python benchmarks/bench_xxh3.py [--docs 20000] [--repeat 7] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import xxhash
from _context import ROOT, machine_info

from wiretrace import shingles
from wiretrace.evaluation.synthetic import generate_corpus
from wiretrace.fingerprint import fingerprint_batch, normalise_batch

BATCH = 128
BBC = ROOT.parent / "shared" / "data" / "bbc_fulltext"


def library_many(buffer: bytes, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``xxh3_64_many`` as a plain loop over the library: one call per word."""
    digest = xxhash.xxh3_64_intdigest
    view = memoryview(buffer)
    return np.fromiter(
        (digest(view[s : s + n]) for s, n in zip(starts.tolist(), lengths.tolist())), dtype=np.uint64, count=len(starts)
    )


def _stage(batches: list[list[bytes]]) -> float:
    start = time.perf_counter()
    for words in batches:
        fingerprint_batch(words, 5, 128, 1)
    return time.perf_counter() - start


def _measure(name: str, texts: list[str], repeat: int) -> dict:
    batches = [normalise_batch(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
    vectorised = shingles.xxh3_64_many
    same = all(
        np.array_equal(fingerprint_batch(b, 5, 128, 1).signatures, _with(library_many, lambda: fingerprint_batch(b, 5, 128, 1)).signatures)
        for b in batches[:3]
    )
    runs = {"vectorised": [], "library": []}
    for _ in range(repeat):  # alternating, so that drift hits both
        runs["vectorised"].append(_stage(batches))
        runs["library"].append(_with(library_many, lambda: _stage(batches)))
    ratios = [lib / vec for vec, lib in zip(runs["vectorised"], runs["library"])]
    shingles.xxh3_64_many = vectorised
    return {
        "corpus": name,
        "documents": len(texts),
        "same_signatures": same,
        "median_seconds": {k: round(statistics.median(v), 4) for k, v in runs.items()},
        "median_ratio_library_over_vectorised": round(statistics.median(ratios), 3),
    }


def _with(hasher, call):
    saved = shingles.xxh3_64_many
    shingles.xxh3_64_many = hasher
    try:
        return call()
    finally:
        shingles.xxh3_64_many = saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = [_measure("synthetic news", list(generate_corpus(args.docs, seed=20240601).texts), args.repeat)]
    if BBC.exists():
        results.append(_measure("BBC full text", [p.read_bytes().decode("latin-1") for p in sorted(BBC.glob("*/*.txt"))],
                                args.repeat))
    else:
        print(f"BBC texts skipped: not found at {BBC}")
    out = {"machine": machine_info(), "results": results}
    for r in results:
        secs = r["median_seconds"]
        print(f"{r['corpus']} ({r['documents']} documents): fingerprint stage, median of {args.repeat}: "
              f"vectorised XXH3 {secs['vectorised']:.3f} s, xxhash per word {secs['library']:.3f} s; "
              f"paired ratio library/vectorised {r['median_ratio_library_over_vectorised']}; "
              f"identical signatures: {r['same_signatures']}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
