"""What loading the compiled kernels costs a process, and what they save per
document: the numbers behind ``wiretrace.compiled.WARM_DOCUMENTS``.

Usage::

    .venv/bin/python benchmarks/bench_numba_load.py [--docs N] [--runs R] [--json OUT]

Each run is a fresh child process (so numba is not loaded yet; its on-disk
cache is warm after the first run, as on a user's machine after the first
scan). The child fingerprints ``N`` synthetic 600-word documents in batches
of 128 twice, first on numpy then on the compiled path, each after a warm-up
batch that is not timed, and times:

* **load**: importing numba and the first call of each kernel (loading it
  from numba's cache), the warm-up batch on the compiled path minus the same
  batch on numpy;
* **numpy** and **compiled**: seconds per document over the ``N`` documents;
* **break-even**: load / (numpy - compiled per document): below this many
  documents in one process, loading the kernels does not pay.

Medians over the runs. Nothing is written into the repository unless
``--json`` names a file there.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _context  # noqa: E402

CHILD = r"""
import json, sys, time
from wiretrace import compiled
from wiretrace.evaluation.synthetic import generate_corpus
from wiretrace.fingerprint import fingerprint_batch, normalise_quoted_batch

n = int(sys.argv[1])
texts = list(generate_corpus(n + 128, seed=5).texts)
warm, texts = texts[:128], texts[128:]

def batches(path):
    compiled.WARM_ELEMENTS = 10**18  # numpy until told
    if path == "compiled":
        compiled.expect(10**9)
    started = time.perf_counter()
    words, quoted = normalise_quoted_batch(warm)
    fingerprint_batch(words, 5, 128, 1, quoted)
    first = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(0, len(texts), 128):
        words, quoted = normalise_quoted_batch(texts[i:i + 128])
        fingerprint_batch(words, 5, 128, 1, quoted)
    return first, time.perf_counter() - started

numpy_first, numpy_all = batches("numpy")
assert "numba" not in sys.modules
compiled_first, compiled_all = batches("compiled")
print(json.dumps({"load": compiled_first - numpy_first, "numpy_per_doc": numpy_all / n,
                  "compiled_per_doc": compiled_all / n, "available": compiled.available()}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", dest="out")
    args = parser.parse_args(argv)
    runs = []
    for _ in range(args.runs):
        done = subprocess.run([sys.executable, "-c", CHILD, str(args.docs)], capture_output=True, text=True,
                              check=True)
        runs.append(json.loads(done.stdout))
    if not runs[0]["available"]:
        print("numba is not available here: nothing to measure")
        return 1
    load = statistics.median(r["load"] for r in runs)
    numpy_doc = statistics.median(r["numpy_per_doc"] for r in runs)
    compiled_doc = statistics.median(r["compiled_per_doc"] for r in runs)
    saved = numpy_doc - compiled_doc
    result = {"machine": _context.machine_info(), "documents": args.docs, "runs": runs,
              "load_seconds": round(load, 3), "numpy_us_per_document": round(numpy_doc * 1e6, 1),
              "compiled_us_per_document": round(compiled_doc * 1e6, 1),
              "break_even_documents": round(load / saved) if saved > 0 else None}
    print(f"load {load:.3f} s (median of {len(runs)} fresh processes); per document: numpy "
          f"{numpy_doc * 1e6:.1f} us, compiled {compiled_doc * 1e6:.1f} us; break-even "
          f"{result['break_even_documents']} documents")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
