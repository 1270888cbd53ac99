"""Scoring extracted article text against a gold body, as the Zyte
article-extraction benchmark does: bags of 4-token shingles (tokens are runs
of word characters, case kept), compared as multisets."""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["SHINGLE_N", "tokens", "shingle_bag", "match_counts", "precision_recall_f1"]

SHINGLE_N = 4
_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """Zyte's tokenizer: runs of word characters (``\\w+``), case kept, punctuation and spaces dropped."""
    return _TOKEN.findall(text or "")


def shingle_bag(text: str, n: int) -> Counter:
    """Multiset of ``n``-token shingles, as Zyte's ``_ngrams``: a text shorter
    than ``n`` tokens is one shorter shingle; an empty text is an empty bag."""
    words = tokens(text)
    return Counter(tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)) if words[i : i + n])


def match_counts(gold: str, predicted: str, n: int = SHINGLE_N) -> tuple[int, int, int]:
    """``(tp, fp, fn)`` of the predicted shingle bag against the gold one (multiset intersection)."""
    true_bag, pred_bag = shingle_bag(gold, n), shingle_bag(predicted, n)
    tp = sum((true_bag & pred_bag).values())
    return tp, sum(pred_bag.values()) - tp, sum(true_bag.values()) - tp


def precision_recall_f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Per-page scores with Zyte's edge cases: nothing wrong (fp = fn = 0) is 1;
    nothing predicted or nothing right is 0.

    Example:
        >>> precision_recall_f1(*match_counts("the cat sat on the mat", "the cat sat on the mat today"))
        (0.75, 1.0, 0.8571428571428571)
    """
    if fp == fn == 0:
        return 1.0, 1.0, 1.0
    precision = 0.0 if tp == fp == 0 else tp / (tp + fp)
    recall = 0.0 if tp == fn == 0 else tp / (tp + fn)
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1
