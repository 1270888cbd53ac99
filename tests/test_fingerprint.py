"""Fingerprints taken from those made before (fingerprint.Known) are the
fingerprints made afresh: pinned against the plain path."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.fingerprint import Known, fingerprint_all

from conftest import story

_TEXTS = [story(k, 40 + 7 * k) for k in range(6)] + [
    story(1, 60) + ' The minister said: "' + story(2, 30) + '" ' + story(3, 20),  # a free set of its own
    "",
    "too short",
    "The agency (Reuters) said. " + story(4, 50),
]


@settings(max_examples=40, deadline=None)
@given(picks=st.lists(st.integers(0, len(_TEXTS) - 1), min_size=1, max_size=12),
       made_before=st.sets(st.integers(0, len(_TEXTS) - 1)),
       memo_known=st.sets(st.integers(0, 11)), workers=st.sampled_from([1, 2]))
def test_known_fingerprints_give_the_same_rows_as_made_afresh(picks, made_before, memo_known, workers):
    texts = [_TEXTS[i] for i in picks]
    # originals: the full texts, None where a memo knew the markers already
    originals = [None if i in memo_known else "LONDON (Reuters) - " + t for i, t in enumerate(texts)]
    plain = fingerprint_all(texts, 5, 32, 7, batch_size=3, originals=originals)
    known = Known(5, 32, 7)
    before = [_TEXTS[i] for i in sorted(made_before)]
    known.keep(before, fingerprint_all(before, 5, 32, 7))
    done = []
    taken = fingerprint_all(texts, 5, 32, 7, batch_size=3, originals=originals, known=known, workers=workers,
                            progress=done.append)
    assert sum(done) == len(texts)
    assert [s.tolist() for s in taken.sets] == [s.tolist() for s in plain.sets]
    assert [s.tolist() for s in taken.free_sets] == [s.tolist() for s in plain.free_sets]
    assert np.array_equal(taken.signatures, plain.signatures) and taken.signatures.dtype == np.uint32
    assert (taken.words, taken.markers, taken.leftovers) == (plain.words, plain.markers, plain.leftovers)
    assert all(bool(found) == (original is not None) for found, original in zip(plain.markers, originals))


def test_a_known_text_is_not_fingerprinted_again(monkeypatch):
    from wiretrace import fingerprint

    known = Known(5, 32, 7)
    known.keep(_TEXTS[:3], fingerprint_all(_TEXTS[:3], 5, 32, 7))
    made = []
    both = fingerprint._both_stages
    monkeypatch.setattr(fingerprint, "_both_stages", lambda texts, *a: made.extend(texts) or both(texts, *a))
    fingerprint_all(_TEXTS[:5], 5, 32, 7, known=known)
    assert made == _TEXTS[3:5]


def test_fingerprints_made_with_other_settings_are_refused():
    import pytest

    known = Known(5, 32, 7)
    known.keep(_TEXTS[:2], fingerprint_all(_TEXTS[:2], 5, 32, 7))
    for settings in ((4, 32, 7), (5, 64, 7), (5, 32, 8)):
        with pytest.raises(ValueError, match="same settings"):
            fingerprint_all(_TEXTS[:3], *settings, known=known)
