"""The peers of ``bench_peers_scale.py``, each as its user would write it: one
child process per run, which reads the corpus (JSONL: ``id``, ``text``),
finds its near-duplicate clusters and writes them as one label per line
(``-1``: in no cluster), in the corpus's order.

Usage (the parent runs this; it imports no wiretrace, so it can run in an
environment of its own, ``.venv-peers``, where the peers' dependencies do
not meet wiretrace's)::

    python benchmarks/peer_pipelines.py PEER CORPUS WORKDIR LABELS
        [--workers W] [--bands B --rows R] [--threshold T] [--shingle 5]

Peers:

* ``datatrove``: datatrove's MinHash deduplication, its own four stages
  (signatures, buckets, clusters, filter) on its ``LocalPipelineExecutor``
  with ``--workers`` processes and its default ``MinhashConfig`` (5-grams,
  14 buckets of 8 hashes). Its word tokenizer for English is NLTK's, whose
  model is a download; a ``\\w+`` tokenizer (cheaper) stands in for it.
  Clusters are what its filter stage writes (``minhash_cluster_id``).
* ``rensa``: shingles made in Python (lower-cased ``\\w+`` words, 5 in a
  row), rensa's R-MinHash over them (its batch call, 128 permutations),
  ``RMinHashLSH`` with ``--rensa-bands`` (32 bands of 4 rows: it takes only
  bands that divide the permutations, and 32x4 is the nearest to
  wiretrace's 31x3, tuned at Jaccard 0.4), every document queried, pairs kept
  whose estimated Jaccard reaches ``--threshold``, and union-find.
* ``datasketch``: the same with datasketch's ``MinHash`` (``update_batch``)
  and ``MinHashLSH`` (wiretrace's bands and rows).

Prints one JSON line: the seconds the pipeline took (reading the corpus
included, writing the labels not; for datatrove, not splitting the corpus
into its input shards either) and its own counts.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

_WORD = re.compile(r"\w+")


def read_corpus(path: Path) -> tuple[list[str], list[str]]:
    ids, texts = [], []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            ids.append(record["id"])
            texts.append(record["text"])
    return ids, texts


def shingles(text: str, size: int) -> list[str]:
    words = _WORD.findall(text.lower())
    return [" ".join(words[i:i + size]) for i in range(max(1, len(words) - size + 1))]


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def labels(self) -> np.ndarray:
        roots = np.array([self.find(i) for i in range(len(self.parent))], dtype=np.int64)
        sizes = np.bincount(roots, minlength=len(roots))
        return np.where(sizes[roots] > 1, roots, -1)


def query_all(lsh, hashes: list, threshold: float) -> tuple[np.ndarray, dict]:
    """Every document queried against the LSH index holding them all
    (``hashes[i]`` under key ``i``); pairs whose estimated Jaccard reaches
    ``threshold`` are joined by union-find: cluster labels, and the pairs
    kept. rensa's and datasketch's sketches and indexes share this API."""
    found = UnionFind(len(hashes))
    pairs = 0
    for i, minhash in enumerate(hashes):
        for j in lsh.query(minhash):
            if j > i and minhash.jaccard(hashes[j]) >= threshold:
                found.union(i, j)
                pairs += 1
    return found.labels(), {"pairs": pairs}


def run_rensa(corpus: Path, args: argparse.Namespace) -> tuple[np.ndarray, dict]:
    from rensa import RMinHash, RMinHashLSH

    _, texts = read_corpus(corpus)
    n = len(texts)
    lsh = RMinHashLSH(args.threshold, 128, args.rensa_bands)
    hashes = []
    for start in range(0, n, 10_000):  # a batch call per 10,000 documents
        batch = RMinHash.from_token_sets([shingles(t, args.shingle) for t in texts[start:start + 10_000]],
                                           num_perm=128, seed=1)
        lsh.insert_many(batch, start)
        hashes.extend(batch)
    del texts
    return query_all(lsh, hashes, args.threshold)


def run_datasketch(corpus: Path, args: argparse.Namespace) -> tuple[np.ndarray, dict]:
    from datasketch import MinHash, MinHashLSH

    _, texts = read_corpus(corpus)
    lsh = MinHashLSH(num_perm=128, params=(args.bands, args.rows))
    hashes = []
    for i, text in enumerate(texts):
        minhash = MinHash(num_perm=128, seed=1)
        minhash.update_batch([s.encode("utf-8") for s in shingles(text, args.shingle)])
        lsh.insert(i, minhash)
        hashes.append(minhash)
    del texts
    return query_all(lsh, hashes, args.threshold)


def run_datatrove(corpus: Path, args: argparse.Namespace) -> tuple[np.ndarray, dict]:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.word_tokenizers import WordTokenizer

    class WordsTokenizer(WordTokenizer):
        """``\\w+`` words (NLTK's English tokenizer needs a downloaded model)."""

        def word_tokenize(self, text: str) -> list[str]:
            return _WORD.findall(text)

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [m.span() for m in _WORD.finditer(text)]

    work = Path(args.workdir)
    parts = work / "input"
    parts.mkdir(parents=True)
    # datatrove runs one task per input file: the corpus in as many parts as workers,
    # line by line (a user's data would already be in shards: this is not timed)
    split = time.perf_counter()
    with open(corpus, encoding="utf-8") as handle:
        total = sum(1 for _ in handle)
    step = -(-total // args.workers)
    ids = []
    with open(corpus, encoding="utf-8") as handle:
        for k in range(args.workers):
            with open(parts / f"part{k:03d}.jsonl", "w", encoding="utf-8") as out:
                for _, line in zip(range(step), handle):
                    out.write(line)
                    ids.append(json.loads(line)["id"])
    split = time.perf_counter() - split
    config = MinhashConfig()
    tokenizer = WordsTokenizer("en")
    logs = work / "logs"
    stages = [
        LocalPipelineExecutor(pipeline=[JsonlReader(str(parts)),
                                        MinhashDedupSignature(str(work / "signatures"), config=config,
                                                              language=tokenizer)],
                              tasks=args.workers, workers=args.workers, logging_dir=str(logs / "1")),
        LocalPipelineExecutor(pipeline=[MinhashDedupBuckets(str(work / "signatures"), str(work / "buckets"),
                                                            config=config)],
                              tasks=config.num_buckets, workers=args.workers, logging_dir=str(logs / "2")),
        LocalPipelineExecutor(pipeline=[MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=config,
                                                            save_cluster_id=True)],
                              tasks=1, workers=1, logging_dir=str(logs / "3")),
        LocalPipelineExecutor(pipeline=[JsonlReader(str(parts)),
                                        MinhashDedupFilter(str(work / "remove"), load_cluster_ids=True,
                                                           exclusion_writer=JsonlWriter(str(work / "removed"))),
                                        JsonlWriter(str(work / "kept"))],
                              tasks=args.workers, workers=args.workers, logging_dir=str(logs / "4")),
    ]
    for stage in stages:
        stage.run()
    import gzip

    position = {doc_id: i for i, doc_id in enumerate(ids)}
    labels = np.full(len(ids), -1, dtype=np.int64)
    for path in sorted((work / "kept").glob("*")) + sorted((work / "removed").glob("*")):
        with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                labels[position[record["id"]]] = record["metadata"].get("minhash_cluster_id", -1)
    return labels, {"buckets": config.num_buckets, "hashes_per_bucket": config.hashes_per_bucket,
                    "untimed_seconds": round(split, 3)}


PEERS = {"datatrove": run_datatrove, "rensa": run_rensa, "datasketch": run_datasketch}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("peer", choices=sorted(PEERS))
    parser.add_argument("corpus", type=Path)
    parser.add_argument("workdir")
    parser.add_argument("labels", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bands", type=int, default=16)
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--rensa-bands", type=int, default=32)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--shingle", type=int, default=5)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    labels, counts = PEERS[args.peer](args.corpus, args)
    seconds = time.perf_counter() - started - counts.get("untimed_seconds", 0)
    args.labels.write_text("\n".join(map(str, labels.tolist())) + "\n", encoding="ascii")
    print(json.dumps({"seconds": round(seconds, 3), **counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
