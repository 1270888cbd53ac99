"""Does a big WARC need big memory? Measure the read stage on a large WARC.

    .venv/bin/python benchmarks/bench_warc_stream.py [--pages N] [--binary-mb M] [--json OUT]

Writes a gzipped WARC of N invented HTML pages interleaved with M one-megabyte
binary responses (images, as in a real crawl), scans it, and prints the file
size beside the peak resident memory of each stage. Streaming means the
read stage's peak grows with the extracted text kept, not with the file.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from wiretrace import scan
from wiretrace.stages import reset_peak_rss, rss_mb


def _words(rng: np.random.Generator, vocabulary: list[str], n: int) -> str:
    return " ".join(vocabulary[i] for i in rng.integers(0, len(vocabulary), n))


def write_warc(path: Path, pages: int, binary_mb: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ren", "tas", "vo", "pel", "dun", "shi", "gar", "nor", "bex"]
    vocabulary = ["".join(rng.choice(syllables, rng.integers(1, 4))) for _ in range(5000)]
    blob = rng.integers(0, 256, 1 << 20, dtype=np.uint8).tobytes()  # 1 MB of incompressible bytes
    binary_every = max(pages // max(binary_mb, 1), 1)
    written_binary = 0
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for i in range(pages):
            paragraphs = "".join(f"<p>{_words(rng, vocabulary, 60)}.</p>" for _ in range(8))
            html = (
                f"<html lang='en'><head><title>Story {i}</title></head><body><nav>Home | News</nav>"
                f"<article><h1>Story {i}</h1>{paragraphs}</article><footer>Footer</footer></body></html>"
            ).encode()
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                f"https://site{i % 50}.example.com/story/{i}", "response", payload=io.BytesIO(html), http_headers=headers,
                warc_headers_dict={"WARC-Date": "2026-03-04T10:00:00Z"},
            ))
            if i % binary_every == 0 and written_binary < binary_mb:
                headers = StatusAndHeaders("200 OK", [("Content-Type", "image/jpeg")], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(
                    f"https://cdn.example.com/img/{i}.jpg", "response", payload=io.BytesIO(blob), http_headers=headers,
                ))
                written_binary += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--binary-mb", type=int, default=400)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="wiretrace-warc-"))
    try:
        path = folder / "crawl.warc.gz"
        started = time.perf_counter()
        write_warc(path, args.pages, args.binary_mb)
        size_mb = path.stat().st_size / 2**20
        print(f"wrote {path.name}: {size_mb:,.0f} MB ({args.pages:,} HTML pages, {args.binary_mb} x 1 MB binary responses) "
              f"in {time.perf_counter() - started:.1f} s")
        before = rss_mb()
        reset_peak_rss()
        started = time.perf_counter()
        report = scan([path])
        seconds = time.perf_counter() - started
        stages = report.stats["stages"]
        result = {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "warc_mb": round(size_mb, 1),
            "html_pages": args.pages,
            "documents": report.stats["documents"],
            "skipped": len(report.skipped),
            "rss_before_mb": before,
            "read_seconds": stages["read"]["seconds"],
            "read_pages_per_second": round(args.pages / stages["read"]["seconds"], 1),
            "peak_rss_mb": {name: stage["peak_rss_mb"] for name, stage in stages.items()},
            "scan_seconds": round(seconds, 2),
        }
        print(json.dumps(result, indent=2))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n")
    finally:
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
