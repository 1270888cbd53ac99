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
