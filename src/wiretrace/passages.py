"""The passage stage: partial reuse that is neither a duplicate nor a copy.

A verified pair is a **duplicate** (Jaccard) or a **contained** copy (most
of the smaller document is in the larger): those build clusters, which are
stories. Real reuse is often partial -- a brief reproducing the top of a
long story, a roundup quoting five stories, two write-throughs of one wire
story sharing their middle -- and chaining such pairs into clusters would
merge stories. So a candidate pair that verification did not accept is a
**passage** pair when, and only when:

* its documents share at least ``passage_shingles(min_words, k)`` shingles
  of their *free* sets (what fingerprinting kept: site chrome removed,
  quoted speech, captions, tweets and statements left out; see
  :mod:`wiretrace.quotes`), and
* aligning the two texts (:func:`wiretrace.align.align_pairs`) finds at
  least one run of at least ``min_words`` words whose own shingles, taken
  as fingerprinting takes them, are in both free sets for at least
  ``passage_shingles(min_words, k)`` -- so a run made of a shared quote or
  a site's boilerplate is not reuse, however long.

Passage pairs join two publishers: two pages of one site share its
template (a "Latest news" box, a footer) more than any story, and a site
seen in fewer than ``chrome.min_pages`` pages keeps that template in its
fingerprints, so the scan leaves pairs within one publisher out (a
publisher's own versions of a story are a lineage, which is not built yet).

Passage pairs are a relation of their own (``reuse`` in report.json, a
``reuse`` edge in the provenance graph): a roundup that quotes five stories
links to five clusters without chaining them into one. Which document came
first is said only when both have a reliable date and the dates differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from wiretrace.align import align_pairs
from wiretrace.fingerprint import normalise_batch
from wiretrace.shingles import shingle_sets_of_words
from wiretrace.verify import intersection_size

__all__ = ["Reuse", "passage_shingles", "passage_candidates", "find_reuse", "one_link_per_story"]

#: Shortest shared run of words that makes a passage pair (``passages.min_words``):
#: about two sentences. Chosen on real data: the longest run at which 17 of the 19
#: Clough-Stevenson "cut" answers are still found (40 words: 16; 50: 14), with none of
#: the 38 "non" answers and no pair across two events of an ECB+ topic at any length.
MIN_WORDS = 35


def passage_shingles(min_words: int, shingle_size: int) -> int:
    """Shingles a run of ``min_words`` consecutive words holds.

    Example:
        >>> passage_shingles(40, 5)
        36
    """
    return max(1, min_words - shingle_size + 1)


@dataclass(frozen=True)
class Reuse:
    """A passage pair: documents ``a`` and ``b`` (indices, a < b) share passages."""

    a: int
    b: int
    passages: list[list[int]]  # [a_start, a_end, b_start, b_end]: character offsets into both texts
    words: int  # words of the shared passages
    share_a: float  # share of a's words inside the passages
    share_b: float
    first: int | None = None  # the document published first, when usable dates say so (set by the pipeline)

    def to_dict(self) -> dict[str, Any]:
        return {"passages": self.passages, "words": self.words, "share_a": self.share_a, "share_b": self.share_b}


def passage_candidates(
    free_sets: Sequence[np.ndarray],
    rejected: Sequence[tuple[int, int]],
    min_shingles: int,
    components: Sequence[Sequence[int]] = (),
) -> list[tuple[int, int]]:
    """Of the pairs verification rejected (sharing at least ``min_shingles``
    shingles: :func:`wiretrace.verify.verify_pairs`' ``rejected``), those
    whose free sets still share that many, in order. Pairs inside one of
    ``components`` (one story already) are left out."""
    cluster_of = {i: n for n, members in enumerate(components) for i in members}
    return [
        (a, b) for a, b in rejected
        if not (a in cluster_of and cluster_of.get(b) == cluster_of[a])
        and intersection_size(free_sets[a], free_sets[b]) >= min_shingles
    ]


def find_reuse(
    texts: Sequence[str],
    free_sets: Sequence[np.ndarray],
    word_counts: Sequence[int],
    pairs: Sequence[tuple[int, int]],
    shingle_size: int,
    min_words: int = MIN_WORDS,
) -> list[Reuse]:
    """The passage pairs among ``pairs`` (module doc), in their order.

    Example:
        >>> import numpy as np
        >>> from wiretrace.fingerprint import fingerprint_batch, normalise_batch
        >>> story = " ".join(f"word{i}" for i in range(60))
        >>> texts = [story + " " + " ".join(f"a{i}" for i in range(200)), " ".join(f"b{i}" for i in range(200)) + " " + story]
        >>> fp = fingerprint_batch(normalise_batch(texts), 5, 16, 1)
        >>> [(r.a, r.b, r.words) for r in find_reuse(texts, fp.free_sets, fp.words, [(0, 1)], 5)]
        [(0, 1, 60)]
    """
    if not pairs:
        return []
    need = passage_shingles(min_words, shingle_size)
    alignments = align_pairs(texts, list(pairs), shingle_size, min_words)
    found = []
    for (a, b), alignment in zip(pairs, alignments):
        if not alignment.passages:
            continue
        runs = [texts[b][cs:ce] for _, _, cs, ce in alignment.passages]
        run_sets, run_words = shingle_sets_of_words(normalise_batch(runs), shingle_size)
        kept, words = [], 0
        for passage, shingles, n in zip(alignment.passages, run_sets, run_words):
            inside = shingles[np.isin(shingles, free_sets[a], assume_unique=True)]
            if intersection_size(inside, free_sets[b]) >= need:
                kept.append(passage)
                words += n
        if kept:
            found.append(Reuse(a, b, kept, words, round(min(1.0, words / max(word_counts[a], 1)), 4),
                               round(min(1.0, words / max(word_counts[b], 1)), 4)))
    return found


def one_link_per_story(reuse: Sequence[Any], components: Sequence[Sequence[int]],
                       weight: Callable[[Any], int] = lambda pair: pair.words) -> list[Any]:
    """One passage pair per pair of stories: a roundup that quotes a story
    shares passages with every copy of it, but links to the story (its
    cluster) once. Each side of a pair is its cluster when it has one, else
    the document itself; of the pairs between two such sides, the one with
    the largest ``weight`` (shared words; for rewritten pairs, shared
    bigrams) is kept (ties: the smallest indices). Pairs inside one cluster
    say nothing the cluster does not, and are dropped.

    Example:
        >>> r = [Reuse(0, 2, [[0, 9, 0, 9]], 50, 0.5, 0.2), Reuse(1, 2, [[0, 9, 0, 9]], 60, 0.5, 0.3)]
        >>> [(x.a, x.b) for x in one_link_per_story(r, [[0, 1]])]
        [(1, 2)]
    """
    cluster_of = {i: n for n, members in enumerate(components) for i in members}
    best: dict[tuple[Any, Any], Any] = {}
    for pair in reuse:
        side_a = ("cluster", cluster_of[pair.a]) if pair.a in cluster_of else ("doc", pair.a)
        side_b = ("cluster", cluster_of[pair.b]) if pair.b in cluster_of else ("doc", pair.b)
        if side_a == side_b:
            continue
        key = (min(side_a, side_b), max(side_a, side_b))
        kept = best.get(key)
        if kept is None or (-weight(pair), pair.a, pair.b) < (-weight(kept), kept.a, kept.b):
            best[key] = pair
    return sorted(best.values(), key=lambda r: (r.a, r.b))
