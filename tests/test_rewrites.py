"""Rewritten copies (wiretrace.rewrites): a spun or machine-rewritten story is
found as a `rewritten` pair with its evidence; independent reports of one
event, and a publisher's own rewrite, are not. The texts are written here;
Clough-Stevenson and ECB+ measure the rule on real text (bench suites)."""

from __future__ import annotations

import random

from wiretrace import scan
from wiretrace.rewrites import content_bigrams, find_rewrites

ORIGINAL = """The regional water authority warned on Monday that reservoir levels across the northern valley had fallen to their lowest point in two decades, and asked households to cut daily use before the summer.

Engineers at the authority said the dry winter left the three main reservoirs at barely half of their normal capacity, while demand from farms and new housing estates kept rising through the spring.

The authority will ban garden hoses and the filling of private swimming pools from the first week of June, a measure it last imposed during the drought of the early nineties.

Farmers' groups criticised the timing of the announcement, saying growers had already planted thirsty crops on the understanding that irrigation quotas would stay unchanged this season.

Officials promised to publish weekly figures on reservoir storage and to review the restrictions every month, adding that a wet autumn could allow the ban to be lifted before the end of the year.

The authority also plans to repair leaking mains in older districts, where inspectors estimate that nearly a fifth of treated water is lost before it reaches any tap."""

# The same story through a spinner: words swapped for synonyms, clauses
# moved, two sentences merged, a new opening line of the site's own.
REWRITTEN = """Residents of the northern valley face new limits on water this summer.

On Monday the regional water authority cautioned that reservoir levels throughout the northern valley had dropped to their lowest point in twenty years, and urged households to cut daily use ahead of the summer.

According to engineers at the authority, the dry winter left the three main reservoirs at scarcely half of their usual capacity, while demand from farms and new housing estates continued rising through the spring.

From the first week of June the authority will ban garden hoses and the filling of private swimming pools, a step last imposed in the drought of the early nineties.

Groups representing farmers attacked the timing of the announcement, arguing growers had previously planted thirsty crops on the understanding that irrigation quotas would remain unchanged this season.

Officials pledged to publish weekly figures on reservoir storage and review the restrictions each month, noting a wet autumn might allow the ban to be lifted before the year ends, and the authority also intends to repair leaking mains in older districts."""

# Another paper's own report of the same event: the same names, numbers and
# quote, its own sentences.
INDEPENDENT = """Households in the northern valley will be barred from using garden hoses from June, after a winter with almost no rain.

"We have not seen storage this low in twenty years," a spokeswoman for the regional water authority told reporters at a briefing on Monday.

Local councillors welcomed the decision but questioned why the authority had waited until the spring to act. Several said residents had been asking for guidance since February, when the first warnings about rainfall appeared on the national weather service website.

Farmers, who rely on irrigation for soft fruit and vegetables, are expected to meet ministers next week. A representative of the national farmers' union said members would seek compensation if quotas were cut in the middle of the growing season.

The restrictions are the first in the valley since the early nineties. Water companies in neighbouring regions said their own supplies remained healthy for now, though they urged customers to use water sparingly."""


def test_content_bigrams_skip_stopwords_quotes_names_and_numbers():
    text = 'On Monday the Northern Water Board said it would cut 300 jobs, "a very sad day for staff".'
    assert content_bigrams(text) == set()  # every content word stands next to a name, a number or a quote
    assert content_bigrams("officials warned reservoir levels had fallen sharply") == {
        ("officials", "warned"), ("warned", "reservoir"), ("reservoir", "levels"), ("levels", "fallen"),
        ("fallen", "sharply"),
    }


def test_a_spun_copy_is_a_rewritten_pair_with_its_evidence():
    [rewrite] = find_rewrites([ORIGINAL, REWRITTEN], [(0, 1)])
    assert rewrite.shared == len(content_bigrams(ORIGINAL) & content_bigrams(REWRITTEN)) >= 12
    assert min(rewrite.share_a, rewrite.share_b) > 0.15
    assert len(rewrite.sentences) >= 4 and rewrite.order_kept == 1.0
    for a_start, a_end, b_start, b_end in rewrite.sentences:
        assert ORIGINAL[a_start:a_end].strip() and REWRITTEN[b_start:b_end].strip()


def test_the_quotes_a_rewrite_keeps_word_for_word_are_evidence_not_a_test():
    assert find_rewrites([ORIGINAL, REWRITTEN], [(0, 1)])[0].quotes_kept is None  # neither quotes anyone
    said = ' A spokeswoman said: "We have not seen storage this low in twenty years."'
    paraphrased = ' A spokeswoman said "storage has not been this low for twenty years".'
    [kept] = find_rewrites([ORIGINAL + said, REWRITTEN + said.upper()], [(0, 1)])  # case does not count
    [changed] = find_rewrites([ORIGINAL + said, REWRITTEN + paraphrased], [(0, 1)])
    assert kept.quotes_kept == 1.0 and changed.quotes_kept == 0.0
    assert kept.to_dict()["quotes_kept"] == 1.0
    # a quote nested in another counts once, and a word or two in quotes is no quote
    [nested] = find_rewrites([ORIGINAL + ' He called it "a so-called \'plan\' for the valley".',
                              REWRITTEN + ' He called it "a so-called \'plan\' for the valley" and "odd".'], [(0, 1)])
    assert nested.quotes_kept == 1.0


def test_an_independent_report_of_the_same_event_is_not_a_rewrite():
    assert find_rewrites([ORIGINAL, INDEPENDENT], [(0, 1)]) == []
    assert find_rewrites([REWRITTEN, INDEPENDENT], [(0, 1)]) == []


def test_a_scan_reports_rewrites_apart_from_copies_whatever_the_input_order():
    records = [
        {"id": "authority", "url": "https://valleywater.example.org/news/levels", "text": ORIGINAL,
         "published": "2026-04-06T09:00:00Z"},
        {"id": "spun", "url": "https://dailynewsflash24.com/valley-water", "text": REWRITTEN,
         "published": "2026-04-06T15:00:00Z"},
        {"id": "paper", "url": "https://valley-chronicle.com/water-ban", "text": INDEPENDENT,
         "published": "2026-04-06T12:00:00Z"},
    ]
    reports = []
    for seed in (1, 2):
        shuffled = list(records)
        random.Random(seed).shuffle(shuffled)
        reports.append(scan(shuffled))
    report = reports[0]
    assert report.pairs == [] and report.clusters == []  # a rewrite builds no cluster
    assert [(r["a"], r["b"], r["first"]) for r in report.rewrites] == [("authority", "spun", "authority")]
    assert reports[0].rewrites == reports[1].rewrites
    assert report.stats["rewritten_pairs"] == 1


def test_a_publishers_own_rewrite_is_no_rewritten_copy():
    records = [
        {"id": "first", "url": "https://valley-chronicle.com/a", "text": ORIGINAL},
        {"id": "update", "url": "https://valley-chronicle.com/b", "text": REWRITTEN},
    ]
    assert scan(records).rewrites == []


def test_the_html_report_lists_rewrites_escaped():
    from wiretrace.html import render_html

    report = {"clusters": [], "documents": [], "sites": [], "skipped": [], "wiretrace_version": "x",
              "rewrites": [{"a": "<b>orig</b>", "b": "spun", "cluster_a": None, "cluster_b": None, "shared_bigrams": 40,
                            "share_a": 0.4, "share_b": 0.5, "sentences": [[0, 10, 0, 12]], "order_kept": 1.0,
                            "skeleton_kept": None, "first": "<b>orig</b>"}]}
    page = render_html(report)
    assert 'id="rewrites-table"' in page and "&lt;b&gt;orig&lt;/b&gt;" in page and "<b>orig</b>" not in page


def test_rewrites_can_be_turned_off():
    records = [{"id": "authority", "url": "https://valleywater.example.org/a", "text": ORIGINAL},
               {"id": "spun", "url": "https://dailynewsflash24.com/b", "text": REWRITTEN}]
    assert len(scan(records).rewrites) == 1
    report = scan(records, rewrite_anchor_rate=0)
    assert report.rewrites == [] and report.stats["stages"]["rewrites"]["items_out"] == 0


def test_leftover_generator_text_is_flagged_with_its_offsets_and_nothing_else():
    from wiretrace.leftovers import generator_leftovers

    farm = ("Shares of the harbour operator rose on Monday. As an AI language model, I cannot predict how the "
            "market will react, but analysts expect the new business model to lift profits. " + ORIGINAL)
    report = scan([{"id": "farm", "url": "https://dailynewsflash24.com/x", "text": farm},
                   {"id": "paper", "url": "https://valley-chronicle.com/y", "text": INDEPENDENT}])
    flagged = {d["id"]: d.get("generator_text") for d in report.documents}
    assert flagged["paper"] is None
    [found] = flagged["farm"]
    assert farm[found["start"]:found["end"]] == found["text"] == "As an AI language model"
    assert report.stats["generator_pages"] == 1
    # found on the workers with the wire markers: the same on forked workers as in one process,
    # with many documents and the generator's words in a few
    records = [{"id": f"d{n}", "url": f"https://site{n % 7}.com/{n}",
                "text": (farm if n % 50 == 0 else ORIGINAL.replace("reservoir", f"reservoir{n}"))} for n in range(400)]
    one, two = scan(records, workers=1), scan(records, workers=2)
    assert [d.get("generator_text") for d in one.documents] == [d.get("generator_text") for d in two.documents]
    assert one.stats["generator_pages"] == two.stats["generator_pages"] == 8
    # ordinary words are not leftovers: "AI models", "business model", "rewrite"
    assert generator_leftovers("The bank said AI models and a new business model would help it rewrite its rules.") == []
    assert generator_leftovers("I\u2019m sorry, but I can\u2019t fulfill that request.")[0]["start"] == 0


def test_the_provenance_graph_has_a_rewrite_edge_from_the_earlier_page():
    records = [
        {"id": "authority", "url": "https://valleywater.example.org/a", "text": ORIGINAL, "published": "2026-04-06T09:00:00Z"},
        {"id": "spun", "url": "https://dailynewsflash24.com/b", "text": REWRITTEN, "published": "2026-04-06T15:00:00Z"},
    ]
    graph = scan(records).graph
    edge = graph.edges["doc:authority", "doc:spun"]
    assert edge["kind"] == "rewrite" and edge["direction"] == "known" and edge["shared_bigrams"] >= 12


def test_the_html_cluster_view_shows_a_rewrite_side_by_side():
    from wiretrace.html import render_html

    records = [
        {"id": "authority", "url": "https://valleywater.example.org/a", "text": ORIGINAL, "published": "2026-04-06T09:00:00Z"},
        {"id": "partner", "url": "https://valley-partner.com/a", "text": ORIGINAL + "\n\nSource: Valley Water",
         "published": "2026-04-06T10:00:00Z"},
        {"id": "spun", "url": "https://dailynewsflash24.com/b", "text": REWRITTEN, "published": "2026-04-06T15:00:00Z"},
    ]
    report = scan(records)
    assert [r["b"] for r in report.rewrites] == ["spun"] and report.rewrites[0]["cluster_a"] == "c1"
    from test_report_html import fragments

    views = fragments(render_html(report.to_dict()))  # the cluster views, as the page's script unpacks them
    assert "rewritten: the same sentences in other words" in views and "content-word pairs shared" in views
