"""Quotes never make a copy: quoted speech, captions, tweets and statements
are found (wiretrace.quotes), kept out of the free shingle sets, and two
independent reports sharing only them are not a verified pair, while a
genuine trimmed repost that carries quotes still is."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiretrace import scan
from wiretrace.fingerprint import (fingerprint_all, fingerprint_batch, normalise_batch, normalise_quoted_batch,
                                   shingle_sets)
from wiretrace.quotes import (
    MAX_QUOTE_CHARS,
    caption_spans,
    discounted_spans,
    quote_spans,
    reference_quote_spans,
    statement_spans,
)
from wiretrace.shingles import free_shingle_sets, shingle_hash, tokenize, word_buffer_with_spans, word_buffers
from wiretrace.verify import verify_pairs

from conftest import story

# --- finding quotes -------------------------------------------------------------

_MARKS = "\"'\u201c\u201d\u201e\u2018\u2019\u201a\u00ab\u00bb\u2039\u203a\u300c\u300d\u300e\u300f\uff02"
_CHARS = list(_MARKS) + list("ab9 .,:(\n\t\u00a0") + ["word", " x", "\n\n"]
_TEXT = st.lists(st.sampled_from(_CHARS), max_size=200).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_quote_spans_equal_the_character_by_character_reference(text):
    assert quote_spans(text) == reference_quote_spans(text)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_quote_spans_stay_inside_a_paragraph_and_under_the_cap(text):
    for start, end in quote_spans(text):
        assert 0 <= start < end <= len(text)
        assert end - start <= MAX_QUOTE_CHARS + 1
        assert not re.search(r"\n\s*\n", text[start:end]), text[start:end]


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_discounted_spans_are_sorted_and_disjoint(text):
    spans = discounted_spans(text)
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert all(spans[i][1] < spans[i + 1][0] for i in range(len(spans) - 1))


def test_an_unclosed_quote_does_not_swallow_the_rest_of_the_text():
    text = 'He said "we will stay, and then he left.\n\n' + "The rest of the story goes on. " * 100
    assert quote_spans(text) == []
    one_paragraph = '"An opening mark that never closes. ' + "Then a long story. " * 200 + 'And a 3.5" drive.'
    assert quote_spans(one_paragraph) == []  # the inch mark is too far away to close it


def test_quotes_of_every_script():
    cases = {
        "English": ("He said \u201cwe stay\u201d today.", "\u201cwe stay\u201d"),
        "straight": ('He said "we stay" today.', '"we stay"'),
        "French": ("Il a dit\u00a0: \u00ab\u00a0nous restons\u00a0\u00bb.", "\u00ab\u00a0nous restons\u00a0\u00bb"),
        "German": ("Er sagte: \u201ewir bleiben\u201c, und ging.", "\u201ewir bleiben\u201c"),
        "German guillemets": ("Er sagte: \u00bbwir bleiben\u00ab, und ging.", "\u00bbwir bleiben\u00ab"),
        "Polish": ("Powiedzia\u0142: \u201ezostajemy\u201d.", "\u201ezostajemy\u201d"),
        "Swedish": ("Han sa: \u201dvi stannar\u201d i dag.", "\u201dvi stannar\u201d"),
        "German single": ("Er sagte: \u201aja\u2018, und ging.", "\u201aja\u2018"),
        "Japanese": ("\u5f7c\u306f\u300c\u6b8b\u308b\u300d\u3068\u8a00\u3063\u305f\u3002", "\u300c\u6b8b\u308b\u300d"),
        "Japanese double": ("\u300e\u672c\u300f\u3092\u8aad\u3093\u3060", "\u300e\u672c\u300f"),
        "single guillemets": ("Il dit \u2039\u00a0oui\u00a0\u203a.", "\u2039\u00a0oui\u00a0\u203a"),
        "tokenised": ('T - Mobile says "details will be shared . "\nNext line', '"details will be shared . "'),
    }
    for name, (text, quote) in cases.items():
        assert [text[a:b] for a, b in quote_spans(text)] == [quote], name


def test_apostrophes_inches_and_decades_are_not_quotes():
    for text in ["Don't stop, O\u2019Neill said.", "The players' union met in the '90s.",
                 'A 3.5" drive and a 12" pizza.', "rock \u2019n\u2019 roll\u2019s"]:
        assert quote_spans(text) == [], text


def test_nested_quotes_and_a_quote_over_several_paragraphs():
    text = '"He told me \'no\' twice," she said.'
    assert sorted(text[a:b] for a, b in quote_spans(text)) == ['"He told me \'no\' twice,"', "'no'"]
    # the opening mark repeated at each new paragraph continues the quotation
    text = "She said:\n\n\u201cFirst paragraph of the quote.\n\n\u201cSecond and last,\u201d she added."
    quoted = [text[a:b] for a, b in quote_spans(text)]
    assert quoted == ["\u201cFirst paragraph of the quote.", "\u201cSecond and last,\u201d"]


def test_captions_tweets_and_statements():
    text = ("Crews fought the fire overnight.\n"
            "Smoke over the plant on Tuesday. (AP Photo/Jane Roe)\n"
            "Photo: Firefighters at the gate.\n"
            "A Reuters/Ipsos poll released on Tuesday showed 40% approval.\n"
            "Stay clear of the area.\n"
            "\u2014 Harlow Fire (@HarlowFire) March 3, 2024\n"
            "The company said in a statement:\n"
            "We regret the incident.\n\n"
            "The cause is not known.")
    assert [text[a:b] for a, b in caption_spans(text)] == [
        "Smoke over the plant on Tuesday. (AP Photo/Jane Roe)",
        "Photo: Firefighters at the gate.",
        "Stay clear of the area.",
        "\u2014 Harlow Fire (@HarlowFire) March 3, 2024",
    ]
    assert [text[a:b] for a, b in statement_spans(text)] == ["We regret the incident."]


# --- free shingle sets ------------------------------------------------------------

_WORDS = st.sampled_from(["the", "fire", "said", "plant", "\u00e9t\u00e9", "stra\u00dfe", "42", "don't", "\u6b8b"])
_PIECES = st.lists(
    st.one_of(_WORDS, st.sampled_from(list(_MARKS) + [" ", " ", ", ", ".\n", "\n\n", "(AP Photo/Jo Bo)\n", "&amp;"])),
    max_size=60,
)


def _reference_free(text: str, k: int) -> np.ndarray:
    """Free shingles by the reference tokeniser and shingle hash, word by word."""
    words, inside = [], []
    at = 0
    for start, end in discounted_spans(text) + [(len(text), len(text))]:
        for piece, flag in ((text[at:start], False), (text[start:end], True)):
            found = tokenize(piece)
            words += found
            inside += [flag] * len(found)
        at = end
    if not words:
        return np.empty(0, dtype=np.uint64)
    width = min(k, len(words))
    free = {shingle_hash(words[i : i + width]) for i in range(len(words) - width + 1) if not any(inside[i : i + width])}
    return np.array(sorted(free), dtype=np.uint64)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES.map(" ".join), min_size=1, max_size=4), st.sampled_from([1, 3, 5]))
def test_free_sets_equal_the_word_by_word_reference(texts, k):
    parts, quoted = normalise_quoted_batch(texts)
    # the buffers cut at quotes hold exactly the words of the plain buffers
    assert [p.split() for p in parts] == [p.split() for p in word_buffers(texts)]
    sets, free, counts = free_shingle_sets(parts, k, quoted)
    for text, s, f, q in zip(texts, sets, free, quoted):
        assert f.tolist() == _reference_free(text, k).tolist(), text
        assert np.isin(f, s).all()
        if not q:
            assert f is s


def test_sets_and_signatures_do_not_depend_on_quotes():
    texts = [story(1), '"' + " ".join(story(2, 100).split()) + '," he said. ' + story(4, 100),
             "Er sagte: \u201e" + " ".join(story(5, 80).split()) + "\u201c, und ging. Stra\u00dfe &amp; "
             + story(6, 60)]
    plain = fingerprint_batch(normalise_batch(texts), 5, 128, 1)
    quoted = fingerprint_batch(*normalise_quoted_batch(texts)[:1], 5, 128, 1, normalise_quoted_batch(texts)[1])
    assert [s.tolist() for s in plain.sets] == [s.tolist() for s in quoted.sets]
    assert np.array_equal(plain.signatures, quoted.signatures)
    assert quoted.free_sets[0] is quoted.sets[0]
    assert len(quoted.free_sets[1]) < len(quoted.sets[1]) and len(quoted.free_sets[2]) < len(quoted.sets[2])


def test_free_sets_do_not_depend_on_workers_or_batches():
    texts = [f'Story {i} said "{story(i, 60)}" and {story(100 + i, 40)}' for i in range(40)]
    one = fingerprint_all(texts, 5, 32, 1, batch_size=7, workers=1)
    two = fingerprint_all(texts, 5, 32, 1, batch_size=5, workers=2)
    assert [f.tolist() for f in one.free_sets] == [f.tolist() for f in two.free_sets]
    assert any(len(f) < len(s) for f, s in zip(one.free_sets, one.sets))


def test_spans_move_with_the_normalised_words():
    text = "\u201eWir bleiben\u201c, sagte sie. \u00abNous restons\u00bb, a-t-il dit &amp; ging."
    buffer, spans = word_buffer_with_spans(text, discounted_spans(text))
    assert buffer.split() == word_buffers([text])[0].split()
    assert [buffer[a:b].split() for a, b in spans] == [[b"wir", b"bleiben"], [b"nous", b"restons"]]


# --- verification: independent reports sharing quotes, and a trimmed repost -------

_REPORTS = {
    "en": {
        "statement": (
            "\u201c", "\u201d",
            "We are deeply saddened by the loss of life at our Riverside plant this morning. Our first "
            "priority is the safety of our employees and of the families who live near the site, and we "
            "are working closely with the fire service and the state inspectors to understand what "
            "happened. We will share what we learn as soon as we possibly can, and we ask for patience.",
        ),
        "tweet": "Crews remain at the Riverside plant fire tonight. Residents within one mile should keep their "
                 "windows closed until further notice. pic.twitter.com/Xk29Lm0Qz\n"
                 "\u2014 Harlow County Fire (@HarlowFire) March 3, 2024",
        "caption": "Smoke rises over the Riverside chemical plant in Harlow on Tuesday morning after the blast. "
                   "(AP Photo/Jane Roe)",
        "a": ("HARLOW, Ohio \u2014 An explosion tore through a chemical plant on the edge of this river town early "
              "Tuesday, killing two workers and injuring five, county officials said. Marden Industries, which "
              "owns the site, said: {statement}", "Neighbours described a thunderclap that rattled windows. "
              "The county fire service posted:\n{tweet}\n{caption}"),
        "b": ("Two people died when a blast ripped through the Riverside works in Harlow before dawn on Tuesday. "
              "{statement} the owner, Marden Industries, said in a message to staff.",
              "Schools in the area stayed shut for the day, and the state governor said she would visit on "
              "Wednesday. Marden employs about 300 people in the county, where it has run the works since 1962; "
              "a similar fire at its Ohio River site in 2019 injured four.\n{caption}\n{tweet}"),
    },
    "fr": {
        "statement": (
            "\u00ab\u00a0", "\u00a0\u00bb",
            "Nous sommes profond\u00e9ment attrist\u00e9s par les pertes humaines survenues ce matin dans notre "
            "usine de Riverside. Notre premi\u00e8re priorit\u00e9 est la s\u00e9curit\u00e9 de nos salari\u00e9s et "
            "des familles qui vivent pr\u00e8s du site, et nous travaillons \u00e9troitement avec les pompiers et "
            "les inspecteurs de l'\u00c9tat pour comprendre ce qui s'est pass\u00e9. Nous partagerons ce que nous "
            "apprendrons d\u00e8s que possible.",
        ),
        "tweet": "Les \u00e9quipes restent mobilis\u00e9es sur l'incendie de l'usine. Les riverains dans un rayon "
                 "d'un kilom\u00e8tre doivent garder leurs fen\u00eatres ferm\u00e9es. pic.twitter.com/Xk29Lm0Qz\n"
                 "\u2014 Pompiers du Rh\u00f4ne (@Pompiers69) 3 mars 2024",
        "caption": "De la fum\u00e9e s'\u00e9l\u00e8ve au-dessus de l'usine chimique mardi matin apr\u00e8s "
                   "l'explosion. (Photo\u00a0: Jean Dupont/AFP)",
        "a": ("LYON \u2014 Une explosion a d\u00e9vast\u00e9 mardi \u00e0 l'aube une usine chimique en bordure de la "
              "ville, tuant deux ouvriers et en blessant cinq, selon la pr\u00e9fecture. Le groupe Marden, "
              "propri\u00e9taire du site, a d\u00e9clar\u00e9\u00a0: {statement}", "Des voisins racontent un "
              "grondement qui a fait trembler les vitres. Les pompiers ont publi\u00e9\u00a0:\n{tweet}\n{caption}"),
        "b": ("Deux personnes sont mortes dans l'explosion qui a souffl\u00e9 l'usine de Riverside avant le lever "
              "du jour. {statement}, a indiqu\u00e9 la direction dans un message au personnel.",
              "Les \u00e9coles du secteur sont rest\u00e9es ferm\u00e9es toute la journ\u00e9e, et le "
              "pr\u00e9fet a annonc\u00e9 sa venue mercredi. Marden emploie environ 300 personnes dans la "
              "r\u00e9gion, o\u00f9 le groupe exploite le site depuis 1962.\n{caption}\n{tweet}"),
    },
    "de": {
        "statement": (
            "\u201e", "\u201c",
            "Wir sind zutiefst ersch\u00fcttert \u00fcber den Verlust von Menschenleben in unserem Werk "
            "Riverside heute Morgen. Unsere erste Priorit\u00e4t ist die Sicherheit unserer Besch\u00e4ftigten "
            "und der Familien, die in der N\u00e4he des Gel\u00e4ndes leben, und wir arbeiten eng mit der "
            "Feuerwehr und den Beh\u00f6rden zusammen, um zu verstehen, was geschehen ist. Wir werden so bald "
            "wie m\u00f6glich mitteilen, was wir erfahren.",
        ),
        "tweet": "Die Einsatzkr\u00e4fte sind weiter am Werk im Einsatz. Anwohner im Umkreis von einem Kilometer "
                 "sollen die Fenster geschlossen halten. pic.twitter.com/Xk29Lm0Qz\n"
                 "\u2014 Feuerwehr Harlingen (@FeuerwehrHL) 3. M\u00e4rz 2024",
        "caption": "Rauch steigt am Dienstagmorgen nach der Explosion \u00fcber dem Chemiewerk auf. "
                   "(Foto: Max Muster/dpa)",
        "a": ("HARLINGEN \u2014 Eine Explosion hat am fr\u00fchen Dienstag ein Chemiewerk am Stadtrand "
              "verw\u00fcstet, zwei Arbeiter get\u00f6tet und f\u00fcnf verletzt, teilte der Landkreis mit. Der "
              "Betreiber Marden erkl\u00e4rte: {statement}", "Nachbarn berichten von einem Knall, der die "
              "Fensterscheiben erzittern lie\u00df. Die Feuerwehr schrieb:\n{tweet}\n{caption}"),
        "b": ("Zwei Menschen sind bei der Explosion im Werk Riverside vor Sonnenaufgang ums Leben gekommen. "
              "{statement}, schrieb die Gesch\u00e4ftsf\u00fchrung in einer Nachricht an die Belegschaft.",
              "Die Schulen der Umgebung blieben den ganzen Tag geschlossen, und der Landrat k\u00fcndigte "
              "f\u00fcr Mittwoch einen Besuch an. Marden besch\u00e4ftigt im Landkreis rund 300 Menschen und "
              "betreibt das Werk seit 1962.\n{caption}\n{tweet}"),
    },
}


def _report(language: str, side: str) -> str:
    parts = _REPORTS[language]
    opening, closing, words = parts["statement"]
    statement = opening + words + closing
    first, second = parts[side]
    return first.format(statement=statement) + "\n\n" + second.format(tweet=parts["tweet"], caption=parts["caption"])


def _whole_set_verdict(texts: list[str]) -> list:
    """What verification said before quotes were discounted (free sets = sets)."""
    fp = fingerprint_all(texts, 5, 128, 1)
    return verify_pairs(fp.sets, np.array([[0, 1]]), np.array(["test"]), 0.5, 0.6, 30)


def test_independent_reports_sharing_a_statement_a_tweet_and_a_caption_are_not_a_copy():
    for language in _REPORTS:
        texts = [_report(language, "a"), _report(language, "b")]
        # without the rule these two would be a contained copy: they share more than 60%
        before = _whole_set_verdict(texts)
        assert before and max(before[0].containment_a_in_b, before[0].containment_b_in_a) >= 0.6, language
        assert before[0].jaccard < 0.5, language
        report = scan([{"id": "a", "text": texts[0]}, {"id": "b", "text": texts[1]}])
        assert report.pairs == [], (language, report.pairs)


def test_a_trimmed_repost_carrying_quotes_is_still_a_contained_copy():
    quote = "\u201c" + story(7, 50) + ",\u201d the minister said."
    paragraphs = [story(20 + i, 70) for i in range(8)]
    paragraphs[1] += " " + quote
    paragraphs[2] = "\u201c" + story(9, 40) + "\u201d " + paragraphs[2]
    original = "\n\n".join(paragraphs)
    repost = "Wire copy. Subscribe for more.\n\n" + "\n\n".join(paragraphs[:3])
    report = scan([{"id": "original", "text": original}, {"id": "repost", "text": repost}])
    assert len(report.pairs) == 1
    pair = report.pairs[0]
    assert pair["jaccard"] < 0.5  # found as a contained copy, not as a near-duplicate
    assert pair["containment_b_in_a"] >= 0.6  # the repost (b) is inside the original (a)


def test_a_repost_that_is_all_quote_is_still_a_near_duplicate():
    text = "\u201c" + story(3, 200) + "\u201d"
    report = scan([{"id": "a", "text": text}, {"id": "b", "text": text + " Read more."}])
    assert [(p["a"], p["b"]) for p in report.pairs] == [("a", "b")]


def test_typewriter_quotes_of_tokenised_text_are_quotes():
    # ECB+ and Penn Treebank text: `` opens, '' closes, with spaces around
    text = "`` The suspect entered the business , '' police said in a statement ."
    spans = quote_spans(text)
    assert spans == reference_quote_spans(text)
    assert text[spans[-1][0]:spans[-1][1]] == "`` The suspect entered the business , ''"
    # apostrophes stay apostrophes
    assert quote_spans("The players' union said it's over.") == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(st.sampled_from(['a', 'b', 'c', ' ', '"', '\u201c', '\u201d', '\n', '.', 'X']), max_size=80),
                max_size=6), st.integers(1, 4), st.integers(1, 3))
def test_shingle_sets_are_the_fingerprints_sets_without_signatures(texts, k, batch_size):
    # what an index's walk compares its candidates by: the same sets, and free sets, as
    # the fingerprint stage makes (quotes found only when free sets are asked for)
    fp = fingerprint_all(texts, k, 16, 1, batch_size=batch_size)
    sets, none = shingle_sets(texts, k, batch_size)
    both, free = shingle_sets(texts, k, batch_size, free=True)
    assert none == []
    assert [s.tolist() for s in sets] == [s.tolist() for s in both] == [s.tolist() for s in fp.sets]
    assert [s.tolist() for s in free] == [s.tolist() for s in fp.free_sets]
