"""Shared test helpers: paths to the bundled demo corpus and to ../shared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "corpus"
LABELS = ROOT / "data" / "labels.json"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def labels() -> dict:
    return json.loads(LABELS.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_report():
    from wiretrace import scan

    return scan([DEMO])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real ``redis-server`` on a free localhost port for this test session
    (never a mock). Absent binary: the tests skip saying why -- or fail,
    when WIRETRACE_REQUIRE_REDIS is set (as .ci/run sets it)."""
    import os
    import shutil
    import socket
    import subprocess
    import time

    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("WIRETRACE_REQUIRE_REDIS"):
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server); .ci/run installs it")
    pytest.importorskip("redis", reason="the redis package is not installed: pip install 'wiretrace[redis]'")
    import redis

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    client.close()
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def redis_url(redis_server, request):
    """A fresh index URL on the session's redis-server: its own key prefix."""
    import re

    return f"{redis_server}?prefix=t-{re.sub(r'[^A-Za-z0-9]+', '-', request.node.name)}"


def shared_dataset(name: str) -> Path:
    """Path of a corpus in ../shared/data, or skip the test saying why."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real-data corpus {name} not found at {path} (it lives in ../shared/data beside the project)")
    return path


def story(seed: int, words: int = 400) -> str:
    """A deterministic invented 'article' of ``words`` pseudo-words in paragraphs."""
    import random

    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ren", "tas", "vo", "pel", "dun", "shi", "gar", "nor", "bex", "ul", "tri"]
    vocab = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 3))) for _ in range(3000)]
    out, paragraph = [], []
    for i in range(words):
        paragraph.append(rng.choice(vocab))
        if len(paragraph) >= 40 and rng.random() < 0.1:
            out.append(" ".join(paragraph) + ".")
            paragraph = []
    if paragraph:
        out.append(" ".join(paragraph) + ".")
    return "\n\n".join(out)


# A payload in every place scraped data reaches the report: markup that would
# run script if it were rendered as HTML, and links that would run it if clicked.
HOSTILE_MARKUP = [
    '<script>window.__pwned = "script"</script>',
    '<img src=x onerror="window.__pwned=\'onerror\'">',
    '<svg onload="window.__pwned=\'svg\'"><a href="javascript:window.__pwned=\'link\'">x</a></svg>',
    '"><iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
    "</textarea></title></style></script><!-- --!><b onmouseover=\"window.__pwned='hover'\">",
    "{{ 7*7 }} ${7*7} <%= 7*7 %>",  # template syntax must come out literally
]


def hostile_records() -> list[dict]:
    """Two copies of a story (so they cluster, with a side-by-side view) whose
    title, byline, site, URL and text carry :data:`HOSTILE_MARKUP`, plus a page
    of raw HTML with scripts and handlers and a third copy."""
    body = story(4242, 260)
    payload = " ".join(HOSTILE_MARKUP)
    paragraphs = body.split("\n\n")
    text_a = f"LONDON (Reuters) - {payload}\n\n" + "\n\n".join(paragraphs) + "\n\n(Reporting by <b>Eve</b>; Editing by Mallory)"
    text_b = "\n\n".join(paragraphs[:-1]) + f"\n\nRead more: {payload}"
    page = (
        "<!DOCTYPE html><html><head><title>" + HOSTILE_MARKUP[0] + " page</title>"
        "<script>window.__pwned='page-script'</script></head><body onload=\"window.__pwned='onload'\">"
        "<article><h1>Hostile page</h1>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "<p>&lt;script&gt;window.__pwned='entity'&lt;/script&gt; <a href=\"javascript:window.__pwned='a'\">click</a>"
        "<img src=x onerror=\"window.__pwned='img'\"></p></article></body></html>"
    )
    return [
        {"id": "hostile-a" + HOSTILE_MARKUP[1], "title": "Title " + HOSTILE_MARKUP[0], "author": HOSTILE_MARKUP[4],
         "url": "javascript:window.__pwned='url'//https://evil.example/a", "site": "<b>evil</b>\"'.example",
         "published": "2026-01-02T10:00:00Z", "text": text_a},
        {"id": "hostile-b", "title": HOSTILE_MARKUP[3], "url": "https://copier.example/b?x=\"><script>1</script>",
         "published": "2026-01-03T10:00:00Z", "text": text_b},
        {"id": "hostile-page", "url": "https://pages.example/p", "html": page},
    ]


CHROMIUM = Path("/usr/bin/chromium")
# Flags for a headless Chromium on a machine with no network (and as root in CI):
# without the background-networking ones it keeps trying to reach Google.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; never a browser Playwright downloads.

    Skipped with the reason when Chromium or Playwright is missing, unless
    WIRETRACE_REQUIRE_BROWSER=1 (set by .ci/run), where that is a failure.
    """
    import os

    required = os.environ.get("WIRETRACE_REQUIRE_BROWSER") == "1"
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "playwright is not installed (pip install playwright; it is in the test extra)"
    if problem is None and not CHROMIUM.exists():
        problem = f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    if problem:
        if required:
            pytest.fail(f"browser tests required (WIRETRACE_REQUIRE_BROWSER=1): {problem}")
        pytest.skip(problem)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
