"""A deterministic synthetic news corpus with known copies, for benchmarks.

Original stories are random text over a Zipf-Mandelbrot vocabulary of
invented pseudo-words (built from syllables), split into sentences and
paragraphs like news copy: unrelated stories share common words but almost
never a run of five. A fixed share of the documents are copies of earlier
documents, made with the transformations seen when news is republished:

* ``exact``      the same text;
* ``chrome``     the story wrapped in the republishing site's header and
  footer (60-150 words, the same on every page of that site);
* ``trimmed``    only the first 40-70% of the paragraphs;
* ``edited``     a few words replaced and an introductory sentence added;
* ``copy_of_copy`` one of the above applied to an earlier *copy*.

A copy is made from the article body of its source: the chrome of a
chrome-wrapped source is not carried over (a scraper extracts the body).

Every document records the base story it comes from (``story``), which is
the ground truth: two documents are a true pair when they share a story.
The same ``(n_docs, seed)`` always gives byte-identical output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Corpus", "generate_corpus", "write_jsonl", "true_pair_keys", "COPY_KINDS"]

VOCABULARY_SIZE = 30_000
N_SITES = 200
COPY_SHARE = 0.15
# Share of each transformation among the copies.
COPY_KINDS = {"exact": 0.20, "chrome": 0.25, "trimmed": 0.20, "edited": 0.20, "copy_of_copy": 0.15}
# Zipf-Mandelbrot rank-frequency law p(r) ~ 1 / (r + q)^s, with Mandelbrot's
# fit for English text.
ZIPF_S, ZIPF_Q = 1.0, 2.7
# Document length in words: 200 + 600 * Beta(2.5, 3.5), mean 450.
LENGTH_MIN, LENGTH_SPAN, LENGTH_BETA = 200, 600, (2.5, 3.5)
SENTENCE_WORDS = (8, 33)  # uniform, upper bound exclusive: mean 20 words
PARAGRAPH_SENTENCES = (2, 6)  # uniform, upper bound exclusive: 2-5 sentences
COMMA_RATE = 0.06
START = np.datetime64("2024-01-01T00:00:00", "s")
SECONDS_PER_DOC = 26  # 100,000 documents span about a month

_ONSETS = ("", "b", "br", "c", "ch", "cl", "d", "dr", "f", "fl", "fr", "g", "gr", "h", "j", "k", "l", "m", "n",
           "p", "pl", "pr", "qu", "r", "s", "sh", "sk", "sl", "st", "t", "th", "tr", "v", "w", "z")
_NUCLEI = ("a", "e", "i", "o", "u", "ai", "ea", "ee", "ie", "oa", "ou", "y")
_CODAS = ("", "", "", "n", "r", "s", "t", "l", "m", "nd", "rt", "st", "ck", "ng", "x")
_TLDS = ("com", "com", "com", "net", "org", "co.uk", "com.au", "de", "fr", "ie", "ca", "info")
_SECTIONS = ("news", "world", "business", "politics", "local", "sport", "tech", "health")


@dataclass
class Corpus:
    """A generated corpus and its ground truth (row ``i`` is document ``i``).

    Attributes:
        texts: Document texts (paragraphs separated by blank lines).
        sites: Index of each document's site in ``site_names``.
        site_names: The invented site domains.
        story: Index of the original document each document is (a copy of).
        kind: ``"original"`` or one of :data:`COPY_KINDS`.
        seed: The seed it was generated with.
    """

    texts: list[str]
    sites: np.ndarray
    site_names: list[str]
    story: np.ndarray
    kind: list[str]
    seed: int

    def __len__(self) -> int:
        return len(self.texts)

    @staticmethod
    def doc_id(index: int) -> str:
        """The id of document ``index`` (zero-padded, so id order is index order)."""
        return f"doc{index:07d}"


class _Words:
    """The vocabulary and its sampler: word strings and Zipf draws."""

    def __init__(self, rng: np.random.Generator, size: int):
        self.plain = _pseudo_words(rng, size, min_syllables=1)
        self.capital = [w.capitalize() for w in self.plain]
        ranks = np.arange(1, size + 1, dtype=np.float64)
        weights = 1.0 / (ranks + ZIPF_Q) ** ZIPF_S
        self.cdf = np.cumsum(weights / weights.sum())
        self.cdf[-1] = 1.0
        # Rendering table: plain, Capitalised (sentence start), "word." (end), "word,".
        self.forms = np.array(
            self.plain + self.capital + [w + "." for w in self.plain] + [w + "," for w in self.plain], dtype=object
        )

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` word indices drawn from the Zipf-Mandelbrot distribution."""
        return np.searchsorted(self.cdf, rng.random(n), side="right").astype(np.int32)

    def sentences(self, rng: np.random.Generator, lengths: list[int]) -> list[str]:
        """Fresh sentences of the given word counts, rendered as text."""
        ids = self.draw(rng, sum(lengths))
        out, start = [], 0
        for n in lengths:
            words = [self.plain[i] for i in ids[start : start + n].tolist()]
            words[0] = words[0].capitalize()
            out.append(" ".join(words) + ".")
            start += n
        return out


def _pseudo_words(rng: np.random.Generator, size: int, min_syllables: int) -> list[str]:
    """``size`` distinct invented words of ``min_syllables`` to 3 syllables,
    shortest first (frequent words are short)."""
    syllables = np.array([o + n + c for o in _ONSETS for n in _NUCLEI for c in _CODAS], dtype=object)
    words: dict[str, None] = {}
    while len(words) < size:
        batch = 2 * size
        counts = rng.integers(min_syllables, 4, batch)
        picks = syllables[rng.integers(0, len(syllables), (batch, 3))]
        for row, count in zip(picks.tolist(), counts.tolist()):
            words.setdefault("".join(row[:count]), None)
    ordered = list(words)[:size]
    ordered.sort(key=len)  # stable: ties keep their random order
    return ordered


def _site_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct invented news-site domains."""
    stems = _pseudo_words(rng, n, min_syllables=2)
    kinds = ("times", "post", "herald", "news", "daily", "gazette", "courier", "tribune", "", "")
    names = []
    for stem, kind, tld in zip(stems, rng.integers(0, len(kinds), n).tolist(), rng.integers(0, len(_TLDS), n).tolist()):
        names.append(f"{stem}{kinds[kind]}.{_TLDS[tld]}")
    return names


def _chrome(rng: np.random.Generator, words: _Words, n_sites: int) -> list[tuple[str, str]]:
    """Per site: (header, footer) boilerplate of 60-150 words in total."""
    chrome = []
    for _ in range(n_sites):
        total = int(rng.integers(60, 151))
        header_words = int(rng.integers(15, total // 2))
        menu = [words.capital[i] for i in words.draw(rng, header_words).tolist()]
        footer = words.sentences(rng, _split_lengths(rng, total - header_words))
        chrome.append((" | ".join(menu), " ".join(footer)))
    return chrome


def _split_lengths(rng: np.random.Generator, total: int) -> list[int]:
    """Sentence lengths summing to ``total`` (the last one takes the rest)."""
    lengths = []
    while total > 0:
        n = min(total, int(rng.integers(*SENTENCE_WORDS)))
        if 0 < total - n < SENTENCE_WORDS[0]:
            n = total
        lengths.append(n)
        total -= n
    return lengths


def _original_texts(rng: np.random.Generator, words: _Words, n: int) -> list[list[str]]:
    """``n`` original stories, each a list of paragraphs.

    Word indices, sentence and paragraph boundaries are all drawn in bulk;
    only the final joins are per paragraph.
    """
    targets = LENGTH_MIN + LENGTH_SPAN * rng.beta(*LENGTH_BETA, n)
    # Sentences are laid end to end over the whole corpus; a document ends at
    # the first sentence end after its cumulative target, so every document
    # is whole sentences and within a sentence of its target length.
    expected = int(targets.sum()) + n * SENTENCE_WORDS[1]
    sentence_len = rng.integers(*SENTENCE_WORDS, expected // SENTENCE_WORDS[0])
    sentence_end = np.cumsum(sentence_len)
    doc_last = np.searchsorted(sentence_end, np.cumsum(targets), side="left")
    total_words = int(sentence_end[doc_last[-1]])
    ids = words.draw(rng, total_words).astype(np.int64)
    vocab = len(words.plain)
    form = np.zeros(total_words, dtype=np.int64)
    form[rng.random(total_words) < COMMA_RATE] = 3
    form[sentence_end[: doc_last[-1] + 1] - sentence_len[: doc_last[-1] + 1]] = 1
    form[sentence_end[: doc_last[-1] + 1] - 1] = 2
    tokens = words.forms[ids + form * vocab]
    # Paragraph sizes in sentences, drawn for the whole corpus at once.
    n_sentences = int(doc_last[-1]) + 1
    paragraph_len = rng.integers(*PARAGRAPH_SENTENCES, n_sentences)
    stories, first_sentence, p = [], 0, 0
    for last in doc_last.tolist():
        paragraphs = []
        s = first_sentence
        while s <= last:
            t = min(s + int(paragraph_len[p]), last + 1)
            p += 1
            begin = int(sentence_end[s] - sentence_len[s])
            paragraphs.append(" ".join(tokens[begin : int(sentence_end[t - 1])].tolist()))
            s = t
        stories.append(paragraphs)
        first_sentence = last + 1
    return stories


def _transform(kind: str, paragraphs: list[str], rng: np.random.Generator, words: _Words) -> list[str]:
    """The body paragraphs of a copy of ``paragraphs`` made by transformation ``kind``.

    A ``chrome`` copy has the same body; its site's chrome is added when the
    text is rendered.
    """
    if kind in ("exact", "chrome"):
        return list(paragraphs)
    if kind == "trimmed":
        keep = max(1, round(len(paragraphs) * rng.uniform(0.4, 0.7)))
        return paragraphs[:keep]
    if kind == "edited":
        edited = list(paragraphs)
        for _ in range(int(rng.integers(2, 7))):
            p = int(rng.integers(len(edited)))
            tokens = edited[p].split(" ")
            j = int(rng.integers(len(tokens)))
            old = tokens[j]
            new = words.plain[int(words.draw(rng, 1)[0])]
            tokens[j] = (new.capitalize() if old[0].isupper() else new) + (old[-1] if old[-1] in ".," else "")
            edited[p] = " ".join(tokens)
        intro = words.sentences(rng, [int(rng.integers(*SENTENCE_WORDS))])[0]
        edited[0] = f"{intro} {edited[0]}"
        return edited
    raise ValueError(f"unknown copy kind {kind!r}")


def generate_corpus(n_docs: int, seed: int = 20240601, copy_share: float = COPY_SHARE) -> Corpus:
    """Generate ``n_docs`` documents, ``copy_share`` of them copies of earlier ones.

    Copies are spread uniformly over the corpus (document 0 is always an
    original), and a copy's source is always an earlier document, so every
    prefix of the corpus is self-contained. Which story a copy takes is
    skewed (Pareto weights): a few stories are republished many times.
    """
    rng = np.random.default_rng(seed)
    words = _Words(rng, VOCABULARY_SIZE)
    site_names = _site_names(rng, N_SITES)
    chrome = _chrome(rng, words, N_SITES)
    site_weights = 1.0 / np.arange(1, N_SITES + 1) ** 0.8
    sites = rng.choice(N_SITES, n_docs, p=site_weights / site_weights.sum())

    is_copy = rng.random(n_docs) < copy_share
    is_copy[0] = False
    originals = np.flatnonzero(~is_copy)
    stories = _original_texts(rng, words, len(originals))
    popularity = np.cumsum(rng.pareto(2.0, len(originals)) + 1.0)
    kind_names = list(COPY_KINDS)
    kind_p = np.array(list(COPY_KINDS.values()))
    copy_kinds = rng.choice(len(kind_names), n_docs, p=kind_p / kind_p.sum())

    paragraphs: list[list[str]] = []  # article bodies
    wrapped = np.zeros(n_docs, dtype=bool)  # rendered inside the site's chrome
    story = np.empty(n_docs, dtype=np.int64)
    kind: list[str] = []
    copies_so_far: list[int] = []
    originals_so_far = 0
    for i in range(n_docs):
        if not is_copy[i]:
            paragraphs.append(stories[originals_so_far])
            story[i] = i
            kind.append("original")
            originals_so_far += 1
            continue
        name = kind_names[copy_kinds[i]]
        if name == "copy_of_copy" and copies_so_far:
            source = copies_so_far[int(rng.integers(len(copies_so_far)))]
            how = kind_names[int(rng.integers(len(kind_names) - 1))]
        else:
            name = "exact" if name == "copy_of_copy" else name
            pick = np.searchsorted(popularity[:originals_so_far], rng.random() * popularity[originals_so_far - 1])
            source, how = int(originals[pick]), name
        paragraphs.append(_transform(how, paragraphs[source], rng, words))
        wrapped[i] = how == "chrome"
        story[i] = story[source]
        kind.append(name)
        copies_so_far.append(i)
    texts = [
        "\n\n".join([chrome[site][0], *body, chrome[site][1]] if wrap else body)
        for body, wrap, site in zip(paragraphs, wrapped.tolist(), sites.tolist())
    ]
    return Corpus(texts, sites, site_names, story, kind, seed)


def write_jsonl(corpus: Corpus, path: str | Path) -> int:
    """Write the corpus as JSONL (``id``, ``url``, ``published``, ``text``); returns bytes written."""
    n = len(corpus)
    published = np.datetime_as_string(START + np.arange(n) * SECONDS_PER_DOC, unit="s")
    sections = np.random.default_rng(corpus.seed + 1).integers(0, len(_SECTIONS), n)
    lines = []
    for i in range(n):
        doc_id = Corpus.doc_id(i)
        site = corpus.site_names[corpus.sites[i]]
        day = published[i][:10].replace("-", "/")
        record = {
            "id": doc_id,
            "url": f"https://www.{site}/{_SECTIONS[sections[i]]}/{day}/{doc_id}",
            "published": published[i] + "Z",
            "text": corpus.texts[i],
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    Path(path).write_bytes(data)
    return len(data)


def true_pair_keys(story: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Sorted keys ``a * n + b`` (``a < b``) of every true pair among documents ``< limit``.

    A true pair is two documents of the same base story; ``n`` is
    ``len(story)`` so keys compare with those of any subset.
    """
    n = len(story)
    limit = n if limit is None else limit
    order = np.argsort(story[:limit], kind="stable")
    grouped = story[:limit][order]
    keys = []
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    sizes = np.diff(np.r_[starts, limit])
    for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist()):
        members = np.sort(order[start : start + size])
        a, b = np.triu_indices(size, k=1)
        keys.append(members[a] * n + members[b])
    return np.unique(np.concatenate(keys)) if keys else np.empty(0, dtype=np.int64)
