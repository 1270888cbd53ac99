"""Aligned passages: offsets into both original texts, the same words on
both sides, no overlaps in the copy, and the scan's alignments on the demo
corpus (see data/README.md for what each repost does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import wiretrace.align as align_module
from wiretrace import Config, ConfigError, scan
from wiretrace.align import MIN_PASSAGE_WORDS, align, align_pairs, normal_form, word_spans

from conftest import DEMO, story


def words_of(text: str) -> list[str]:
    """The normal forms of the words of ``text`` (reference definitions)."""
    return [normal_form(text[s:e]) for s, e in word_spans(text)]


def covered(text: str, ranges: list[tuple[int, int]]) -> float:
    """Share of ``text``'s word characters inside the character ranges (reference)."""
    spans = word_spans(text)
    total = sum(e - s for s, e in spans)
    inside = sum(e - s for s, e in spans if any(a <= s and e <= b for a, b in ranges))
    return round(inside / max(total, 1), 4)


def word_chars(text: str) -> int:
    return sum(e - s for s, e in word_spans(text))


def check(with_text: str, copy_text: str, result) -> None:
    """Everything that must hold of any alignment."""
    with_starts = {s for s, _ in word_spans(with_text)}
    with_ends = {e for _, e in word_spans(with_text)}
    copy_starts = {s for s, _ in word_spans(copy_text)}
    copy_ends = {e for _, e in word_spans(copy_text)}
    previous_end = -1
    for ws, we, cs, ce in result.passages:
        assert 0 <= ws < we <= len(with_text) and 0 <= cs < ce <= len(copy_text)
        assert ws in with_starts and we in with_ends and cs in copy_starts and ce in copy_ends
        assert words_of(with_text[ws:we]) == words_of(copy_text[cs:ce])
        assert len(words_of(copy_text[cs:ce])) >= MIN_PASSAGE_WORDS
        assert cs >= previous_end  # sorted by copy_start, and copy passages do not overlap
        previous_end = ce
    assert result.cut == covered(with_text, [(p[0], p[1]) for p in result.passages])
    assert result.paste == covered(copy_text, [(p[2], p[3]) for p in result.passages])


# --------------------------------------------------------------------------- texts for the properties

# A small vocabulary (words repeat, so shingles repeat) with typographic variants.
VOCABULARY = [
    "the", "council", "flood", "barrier", "river", "said", "on", "Tuesday", "it", "would", "open",
    "in", "May", "don't", "O\u2019Neill", "Hélène", "São", "Paulo", "2026", "6.8", "北京", "東京",
    "naïve", "STRASSE", "straße", "Ｆｕｌｌ", "co\u00adoperate", "e\u0301te\u0301", "under_score",
    # HTML entities left in scraped text, double-escaped ones too
    "don&#8217;t", "caf&eacute;", "&eacute;t&eacute;", "AT&amp;T", "O&amp;#8217;Neill", "&#x48;ello",
]
SEPARATORS = [" ", "  ", "\n\n", ", ", " \u2014 ", "\u00a0", "\t", ". ", " \u201c", "\u201d ", " (", ") ", "'", " - ",
              "&nbsp;", " &mdash; ", " &amp; "]


@st.composite
def texts(draw, min_words: int = 0, max_words: int = 60, vocabulary: list[str] = VOCABULARY) -> str:
    words = draw(st.lists(st.sampled_from(vocabulary), min_size=min_words, max_size=max_words))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words) + 1, max_size=len(words) + 1))
    return seps[0].lstrip() + "".join(w + s for w, s in zip(words, seps[1:]))


@st.composite
def copies(draw, source: str) -> str:
    """A copy of ``source`` made with the edits reposts make: cuts, insertions,
    changed case and punctuation."""
    spans = word_spans(source)
    pieces = []
    position = 0
    while position < len(spans):
        length = draw(st.integers(1, 30))
        chunk = spans[position : position + length]
        action = draw(st.sampled_from(["keep", "keep", "keep", "drop", "upper", "insert"]))
        text = source[chunk[0][0] : chunk[-1][1]]
        if action == "keep":
            pieces.append(text)
        elif action == "upper":
            pieces.append(text.upper())
        elif action == "insert":
            pieces.append(draw(texts(max_words=12)) + " " + text)
        position += length
    return draw(st.sampled_from(["", "Breaking: ", "By staff\n\n"])) + " ".join(pieces)


NEWS = story(5, 400)
OTHER_NEWS = story(6, 400)


# --------------------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None)
@given(texts(min_words=MIN_PASSAGE_WORDS))
@example("a a a a a a a a a a a a a")
@example("don't don't don't don't don't don't don't don't")
def test_a_text_aligned_with_itself_is_one_passage(text):
    spans = word_spans(text)
    assume(len(spans) >= MIN_PASSAGE_WORDS)  # an apostrophe separator can join two words into one
    result = align(text, text)
    start, end = spans[0][0], spans[-1][1]
    assert result.passages == [[start, end, start, end]]
    assert result.cut == result.paste == 1.0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_passages_are_the_same_words_in_range_sorted_and_disjoint(data):
    source = data.draw(texts(max_words=120))
    copy = data.draw(copies(source))
    for k in (5, 3):
        check(source, copy, align(source, copy, shingle_size=k))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_edited_news_copies_give_maximal_passages(data):
    # Without repeated shingles (a large vocabulary), a passage cannot be
    # extended: the words just before and after it differ on the two sides.
    copy = data.draw(copies(NEWS))
    result = align(NEWS, copy)
    check(NEWS, copy, result)
    source_words, copy_words = word_spans(NEWS), word_spans(copy)
    for n, (ws, we, cs, ce) in enumerate(result.passages):
        i0 = next(i for i, (s, _) in enumerate(source_words) if s == ws)
        i1 = next(i for i, (_, e) in enumerate(source_words) if e == we)
        j0 = next(j for j, (s, _) in enumerate(copy_words) if s == cs)
        j1 = next(j for j, (_, e) in enumerate(copy_words) if e == ce)

        def same(i, j):
            return 0 <= i < len(source_words) and 0 <= j < len(copy_words) and normal_form(
                NEWS[slice(*source_words[i])]) == normal_form(copy[slice(*copy_words[j])])

        touching_before = n > 0 and result.passages[n - 1][3] == copy_words[j0 - 1][1]
        touching_after = n + 1 < len(result.passages) and result.passages[n + 1][2] == copy_words[j1 + 1][0]
        assert touching_before or not same(i0 - 1, j0 - 1)
        assert touching_after or not same(i1 + 1, j1 + 1)


def test_unrelated_texts_share_no_passage():
    result = align(NEWS, OTHER_NEWS)
    assert (result.passages, result.cut, result.paste) == ([], 0.0, 0.0)


@settings(max_examples=50, deadline=None)
@given(texts(max_words=80, vocabulary=["alpha", "beta", "gamma", "delta"]),
       texts(max_words=80, vocabulary=["one", "two", "three", "four"]))
def test_texts_without_common_words_share_nothing(a, b):
    assert align(a, b).passages == []


def test_an_inserted_paragraph_and_a_deleted_sentence():
    p1 = "The city council approved a new flood barrier for the harbour district on Tuesday evening after a long debate."
    s1 = "Engineers said construction would begin in the spring and take about three years to complete."
    s2 = "The project is expected to cost around forty million pounds, most of it from national funds."
    s3 = "Residents who lost homes in last winter\u2019s storms welcomed the decision at a crowded public meeting."
    p3 = "Opposition members warned that the timetable was optimistic and asked for monthly progress reports."
    added = "Our reporter was at the meeting and spoke to several families who live near the old sea wall."
    source = f"{p1}\n\n{s1} {s2} {s3}\n\n{p3}"
    copy = f"{p1}\n\n{added}\n\n{s1} {s3}\n\n{p3}"  # a paragraph added, a sentence cut
    result = align(source, copy)
    check(source, copy, result)
    shown = [(source[ws:we], copy[cs:ce]) for ws, we, cs, ce in result.passages]
    expected = [p1[:-1], s1[:-1], f"{s3}\n\n{p3}"[:-1]]  # passages end at a word's last character
    assert shown == [(text, text) for text in expected]
    pasted = sum(word_chars(t) for t in (p1, s1, s3, p3))
    assert result.cut == round(pasted / word_chars(source), 4) < 1.0
    assert result.paste == round(pasted / word_chars(copy), 4) < 1.0


def test_typographic_variants_and_case_do_not_break_a_passage():
    source = "\u201cWe don\u2019t know yet,\u201d O\u2019Neill said \u2014 the barrier\u00a0opens in May, after 6.8 km of works."
    copy = '"WE DON\'T KNOW YET," o\'neill said - the barrier opens in may, after 6.8 km of works.'
    result = align(source, copy)
    check(source, copy, result)
    assert len(result.passages) == 1 and result.cut == result.paste == 1.0


def test_a_passage_follows_the_occurrence_of_repeated_text_that_continues_it():
    shared = "the council said the new barrier would open in the spring"
    first = "Monday brought warnings of heavy rain across the whole north coast"
    second = "engineers finished the last concrete section a week ahead of schedule"
    source = f"{shared}. {first}. Later {shared} because {second}."
    copy = f"Update: {shared} because {second}."  # the second occurrence, and what follows it
    result = align(source, copy)
    check(source, copy, result)
    (ws, we, cs, ce), = result.passages
    assert source[ws:we] == f"{shared} because {second}"
    assert ws == source.index(f"{shared} because")


def test_overlapping_runs_in_the_copy_are_resolved_longest_first():
    # "echo foxtrot golf hotel" is in the source twice: the copy's first run
    # (12 words) ends in its first occurrence, and the run that goes on into
    # "india ..." (14 words) starts in the second. They overlap in the copy by
    # shingle_size - 1 words; the longer keeps them, the shorter is cut.
    head = "alpha bravo charlie delta whiskey victor uniform tango"
    shared = "echo foxtrot golf hotel"
    tail = "india juliet kilo lima mike november oscar papa quebec romeo"
    source = f"{head} {shared} zulu yankee xray {shared} {tail}"
    copy = f"{head} {shared} {tail}"
    result = align(source, copy)
    check(source, copy, result)
    assert [(source[ws:we], copy[cs:ce]) for ws, we, cs, ce in result.passages] == [
        (head, head), (f"{shared} {tail}", f"{shared} {tail}")
    ]
    assert result.passages[1][0] == source.rindex(shared)
    assert result.paste == 1.0


def test_a_copy_that_repeats_source_text_counts_it_once_in_cut():
    paragraph = story(11, 40)
    result = align(paragraph, f"{paragraph}\n\nAgain: {paragraph}")
    assert len(result.passages) == 2
    assert result.passages[0][:2] == result.passages[1][:2]
    assert result.cut == 1.0 and result.paste < 1.0


HOSTILE = [
    "", " ", "\x00" * 50, "word\x00" * 30, "x" * 200_000, ("Ａ" * 20 + " ") * 20, "\ud800 lone \udfff surrogates " * 10,
    "😀 emoji 😀 text " * 20, "\u202eright to left\u202c " * 20, "e\u0301" * 100, "'''' '' ' '" * 20,
    "北京东京上海" * 50, "co\u00adop\u200ber\u200date " * 30, "a" + "\u0301" * 1000, "\u00ad\u200b\ufeff" * 40,
    "&amp; &#8217; &quot;" * 20, "\n" * 100, "ǅ ǈ ß İ ﬁ ς Σ " * 20, " ".join(str(i) for i in range(3000)),
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_never_crashes(text):
    for source, copy in ((text, text), (text, NEWS), (NEWS, text), (text, "Breaking: " + text + " — end")):
        check(source, copy, align(source, copy))


def test_many_pairs_at_once_equal_one_at_a_time(monkeypatch):
    texts = [NEWS, OTHER_NEWS, "Breaking: " + NEWS[: len(NEWS) // 2], NEWS.upper(), *HOSTILE[:8], story(9, 300)]
    pairs = [(0, 2), (2, 0), (0, 1), (0, 3), (3, 3), (12, 0), *((0, i) for i in range(4, 12)), (5, 6)]
    one_by_one = [align(texts[a], texts[b]) for a, b in pairs]
    assert align_pairs(texts, pairs) == one_by_one
    monkeypatch.setattr(align_module, "_BATCH_CHARS", 1)  # every pair a batch of its own
    assert align_pairs(texts, pairs) == one_by_one
    assert any(a.passages for a in one_by_one)


@settings(max_examples=100, deadline=None)
@given(texts(max_words=40))
def test_the_vectorised_words_agree_with_the_reference(text):
    words = align_module._words([text, NEWS[:300], text])
    spans = word_spans(text)
    for t in (0, 2):
        first, count = words.first[t], words.count[t]
        base = words.base[t]
        found = zip((words.starts[first : first + count] - base).tolist(), (words.ends[first : first + count] - base).tolist())
        assert list(found) == spans
        assert words.hashes[first : first + count].tolist() == [align_module._word_hash(text[s:e]) for s, e in spans]


def test_results_do_not_depend_on_the_hash_seed():
    script = (
        "import json; from wiretrace.align import align; from conftest import story; "
        "s = story(3, 300); c = 'Intro line here. ' + s[:900] + ' changed ' + s[950:] + ' ' + s[:200]; "
        "print(json.dumps([align(s, c).to_dict(), align(c, s, shingle_size=3).to_dict()]))"
    )
    outputs = set()
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                             cwd=os.path.dirname(__file__))
        outputs.add(run.stdout)
    assert len(outputs) == 1 and json.loads(outputs.pop())[0]["passages"]


def test_shingle_size_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="shingle_size"):
        align("a b c", "a b c", shingle_size=0)


# --------------------------------------------------------------------------- in the scan


@pytest.fixture(scope="module")
def demo(demo_report):
    return demo_report.to_dict()


def test_every_copy_edge_has_an_alignment_whose_offsets_slice_the_same_words(demo):
    texts = {d["id"]: d.get("text") for d in demo["documents"]}
    edges = [e for p in demo["provenance"] for e in p["edges"]]
    assert edges and all(e["copy"].startswith("doc:") for e in edges)
    for edge in edges:
        alignment = edge["alignment"]
        assert alignment["passages"], edge["copy"]
        with_text, copy_text = texts[alignment["with"][4:]], texts[edge["copy"][4:]]
        assert with_text is not None and copy_text is not None
        for ws, we, cs, ce in alignment["passages"]:
            assert words_of(with_text[ws:we]) == words_of(copy_text[cs:ce])
        assert alignment["cut"] == covered(with_text, [(p[0], p[1]) for p in alignment["passages"]])
        assert alignment["paste"] == covered(copy_text, [(p[2], p[3]) for p in alignment["passages"]])
    stage = demo["stats"]["stages"]["align"]
    assert stage["items_in"] == stage["items_out"] == len(edges)
    assert stage["passages"] == sum(len(e["alignment"]["passages"]) for e in edges)


def test_a_copy_is_aligned_with_its_source_document_or_else_its_closest_member(demo, labels):
    members = {d["id"]: d["cluster"] for d in demo["documents"]}
    shared: dict[str, list[tuple[int, str]]] = {}
    for pair in demo["pairs"]:
        shared.setdefault(pair["a"], []).append((-pair["shared_shingles"], pair["b"]))
        shared.setdefault(pair["b"], []).append((-pair["shared_shingles"], pair["a"]))
    agency_edges = 0
    for entry in demo["provenance"]:
        for edge in entry["edges"]:
            copy = edge["copy"][4:]
            if edge["source"].startswith("doc:"):
                assert edge["alignment"]["with"] == edge["source"]
            else:  # the AFP story: the agency's own copy is not in the corpus
                agency_edges += 1
                assert edge["alignment"]["with"] == "doc:" + min(shared[copy])[1]
                assert members[edge["alignment"]["with"][4:]] == members[copy]
    assert labels["groups"]["tours-manuscript"]["origin"] == "AFP" and agency_edges >= 5


def test_a_trimmed_copy_pasted_little_of_its_source_but_is_mostly_paste(demo):
    # data/README.md: prairieledger-bridge-inspections.html carries the first 6 of
    # the AP story's 13 paragraphs (and a copyright line of its own).
    (edge,) = [e for p in demo["provenance"] for e in p["edges"]
               if e["copy"] == "doc:corpus/html/prairieledger-bridge-inspections.html"]
    assert edge["alignment"]["with"] == "doc:ap-bridge-inspections"
    assert 0.35 < edge["alignment"]["cut"] < 0.6
    assert edge["alignment"]["paste"] > 0.85
    # A whole copy in its site's chrome: all of the source pasted, a smaller share of the page.
    (whole,) = [e for p in demo["provenance"] for e in p["edges"] if e["copy"] == "doc:dailyharbor-bridge-inspections"]
    assert whole["alignment"]["cut"] > 0.95 and whole["alignment"]["paste"] < 0.8


def test_report_texts_says_which_documents_carry_their_text(demo):
    reused = {r[side] for r in demo["reuse"] for side in ("a", "b")}  # passage pairs carry their texts too
    clustered = [d for d in demo["documents"] if d["cluster"] or d["id"] in reused]
    alone = [d for d in demo["documents"] if not d["cluster"] and d["id"] not in reused]
    assert clustered and alone
    assert all(isinstance(d["text"], str) and d["text"] for d in clustered)
    assert all("text" not in d for d in alone)
    records = [{"id": "a", "text": NEWS, "published": "2026-01-02T10:00:00Z"},
               {"id": "b", "text": "Update: " + NEWS, "published": "2026-01-02T12:00:00Z"},
               {"id": "c", "text": OTHER_NEWS}]
    everything = scan(records, report_texts="all").to_dict()
    assert [d["text"] for d in everything["documents"]] == [r["text"] for r in records]
    nothing = scan(records, report_texts="none").to_dict()
    assert all("text" not in d for d in nothing["documents"])
    assert nothing["provenance"][0]["edges"][0]["alignment"]["passages"]  # offsets still refer to the texts as read
    assert nothing["config"]["report"] == {"texts": "none"}


def test_report_texts_must_be_a_known_value():
    with pytest.raises(ConfigError, match="report.texts must be one of clustered, all, none, got 'some'"):
        Config(report_texts="some")
    with pytest.raises(ConfigError, match="report.texts"):
        Config.from_mapping({"report": {"texts": 3}})


def test_html_entities_are_read_as_their_characters():
    encoded = ("The company said don&#8217;t expect the caf&eacute; to reopen before &eacute;t&eacute; next year "
               "at AT&amp;T&nbsp;offices &mdash; O&amp;#8217;Neill said.")
    plain = "The company said don\u2019t expect the café to reopen before été next year at AT&T offices \u2014 O'Neill said."
    result = align(encoded, plain)
    assert result.cut == result.paste == 1.0 and len(result.passages) == 1
    (ws, we, cs, ce), = result.passages
    assert encoded[ws:we].endswith("O&amp;#8217;Neill said") and plain[cs:ce].endswith("O'Neill said")
    spans = [encoded[s:e] for s, e in word_spans(encoded)]
    assert "&eacute;t&eacute;" in spans and "don&#8217;t" in spans  # a word starting with an entity starts at its "&"
    assert normal_form("caf&eacute;") == "café"
    # An ampersand that is not an entity stays what it is.
    odd = "R&D and Q&A;"
    assert [odd[s:e] for s, e in word_spans(odd)] == ["R", "D", "and", "Q", "A"]
