"""What finding quotes costs the normalise and fingerprint stages, per document.

Runs the two stages on real news texts (the BBC full-text corpus in
../shared/data) as they are, and with every quotation mark removed (texts
without quotes), each way with and without the quote work: finding quotes,
captions, tweets and statements and placing them in the word buffers
(``normalise_quoted_batch`` instead of ``normalise_batch``) and the free
sets that ``fingerprint_batch`` derives from them. Prints the median over
``--repeat`` runs of microseconds per document, with the machine line.

    .venv/bin/python benchmarks/bench_quotes.py [--repeat 7] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from _context import ROOT, machine_info

from wiretrace.fingerprint import fingerprint_batch, normalise_batch, normalise_quoted_batch
from wiretrace.quotes import discounted_spans
from wiretrace.quotes import _MARKS

DATA = ROOT.parent / "shared" / "data" / "bbc_fulltext"
BATCH = 128


def _texts() -> list[str]:
    return [p.read_bytes().decode("latin-1") for p in sorted(DATA.glob("*/*.txt"))]


def _stages(texts: list[str], quotes: bool) -> float:
    """Seconds for normalise (+ quotes) and fingerprint of all texts, in batches."""
    start = time.process_time()
    for i in range(0, len(texts), BATCH):
        batch = texts[i : i + BATCH]
        if quotes:
            words, quoted = normalise_quoted_batch(batch)
            fingerprint_batch(words, 5, 128, 1, quoted)
        else:
            fingerprint_batch(normalise_batch(batch), 5, 128, 1)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    texts = _texts()
    bare = [re.sub(f"[{re.escape(_MARKS)}]", " ", t) for t in texts]
    info = machine_info()
    print(json.dumps(info))
    results = {}
    for name, corpus in (("with quotes", texts), ("without quotes", bare)):
        for quotes in (False, True):
            runs = [_stages(corpus, quotes) for _ in range(args.repeat)]
            key = f"{name}, quote work {'on' if quotes else 'off'}"
            results[key] = round(statistics.median(runs) / len(corpus) * 1e6, 1)
        start = time.process_time()
        for _ in range(args.repeat):
            for text in corpus:
                discounted_spans(text)
        seconds = (time.process_time() - start) / args.repeat
        results[f"{name}: discounted_spans alone"] = round(seconds / len(corpus) * 1e6, 1)
    quoted = sum(1 for t in texts if discounted_spans(t))
    print(f"{len(texts)} BBC texts, {quoted} with quotes; microseconds per document:")
    for key, value in results.items():
        print(f"  {key:45} {value:8.1f}")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "documents": len(texts), "us_per_doc": results}, indent=1))


if __name__ == "__main__":
    main()
