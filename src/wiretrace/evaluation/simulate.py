"""A deterministic content-farm simulation with full ground truth.

:func:`simulate` turns real (or invented) base articles into a small web of invented
sites — a wire agency, licensed partners, aggregators with heavy chrome, content farms
that strip credits, trim, reorder, reword and copy each other, independent reports of the
same events and unrelated articles — and returns the scan input (``records``) together with
one gold entry per document (``gold``) and the kind of every site (``sites``).

Everything is drawn from ``random.Random(seed)``: the same input gives identical output.

Example:
    >>> sim = simulate([{"id": "a", "title": "T", "text": "one two. three four."}], n_stories=1)
    >>> {"partner", "wire"} <= {g["transform"] for g in sim.gold}
    True
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

WIRE_SITE = "reuters.com"  # the agency's own site, as the registry knows it
PARTNER_SITES = ["partner-herald.example", "partner-tribune.example", "partner-gazette.example"]
AGGREGATOR_SITES = ["newsroll-aggregator.example", "headline-hub.example", "feedstack-news.example"]
FARM_SITES = ["buzz-daily-now.example", "trendwire-247.example", "newsflash-central.example",
              "viral-update-hub.example"]
# Digest sites publish roundups: the top paragraphs of several stories in one page
# (partial reuse, wiretrace.passages), credited to no one.
ROUNDUP_SITES = ["morning-digest.example", "weekly-roundup.example"]
ROUNDUP_PARAGRAPHS = 2  # paragraphs taken from the top of each story
# Write-throughs: the agency publishes a second version of about one story in
# six -- a new top of this many paragraphs over the kept body, a few hours
# later -- and partners copy the second version (wiretrace.lineage).
WRITE_THROUGH_TOP = 2
# Briefs: a local site runs the top of a long wire story under its own text,
# at least as many words of its own as it took (so the brief is partial reuse,
# not a trimmed copy). Only stories of BRIEF_MIN_PARAGRAPHS or more whose top
# is at most BRIEF_MAX_SHARE of their words are taken.
BRIEF_PARAGRAPHS = 4
BRIEF_MIN_PARAGRAPHS = 8
BRIEF_MAX_SHARE = 0.4
# Shared quotes: two independent reports of one event that both carry the same
# statement in quotation marks (about 60 words), the same embedded tweet and the
# same photo caption, in English, French or German quote marks.
QUOTE_STYLES = [("\u201c", "\u201d"), ("\u00ab\u00a0", "\u00a0\u00bb"), ("\u201e", "\u201c")]
STATEMENT_WORDS = 60
NEWS_SITES = ["valley-courier.example", "harbor-times.example", "metro-chronicle.example",
              "county-observer.example", "lakeside-post.example"]
# Outlets that syndicate their stories, and how the stations that run them say so.
OUTLETS = [
    ("cnn.com", "byline", "By {reporter}, CNN Newsource"),
    ("cnn.com", "trailer", "\u00a9 2026 CNN Newsource. All rights reserved."),
    ("nytimes.com", "trailer", "This article originally appeared in The New York Times."),
    ("theconversation.com", "trailer", "This article was originally published on The Conversation."),
    ("nytimes.com", "canonical", ""),
]
STATION_SITES = ["station-kxyz.example", "station-wabc.example", "station-krem.example"]
# Agencies that write in other languages, with a partner paper of theirs and
# the forms of its credit (dateline, trailer line).
FOREIGN_WIRES = [
    ("afp", "partenaire-journal.example", "PARIS (AFP) - ", "(avec AFP)"),
    ("dpa", "partner-zeitung.example", "Berlin (dpa) - ", "Quelle: dpa"),
    ("efe", "socio-diario.example", "MADRID, 5 ene (EFE).- ", "Fuente: EFE"),
    ("ansa", "partner-giornale.example", "ROMA, 5 gen (ANSA) - ", "(ANSA)"),
]

CITIES = ["LONDON", "NEW YORK", "TOKYO", "FRANKFURT", "SINGAPORE", "WASHINGTON", "PARIS",
          "SYDNEY", "TORONTO", "JOHANNESBURG", "MUMBAI", "SAO PAULO"]
REPORTERS = ["Anna Keller", "David Osei", "Maria Lopes", "Kenji Sato", "Priya Raman",
             "Tom Whitfield", "Lena Novak", "Samuel Adeyemi"]
EDITORS = ["Mark Porter", "Susan Fenton", "Alex Richardson", "Jane Merriman", "Peter Graff"]

# Small fixed synonym list for light rewording; words not in it are swapped to fillers.
SYNONYMS = {
    "said": "stated", "says": "states", "rose": "climbed", "fell": "dropped",
    "company": "firm", "companies": "firms", "big": "large", "large": "big",
    "new": "fresh", "year": "twelve months", "years": "seasons", "also": "additionally",
    "but": "however", "about": "around", "percent": "per cent", "increase": "rise",
    "market": "marketplace", "government": "administration", "shares": "stocks",
    "expected": "anticipated", "help": "assist", "show": "reveal", "buy": "purchase",
    "told": "informed", "week": "seven days", "start": "begin", "major": "key",
}
FILLERS = ["reportedly", "notably", "indeed", "apparently", "broadly", "roughly", "largely"]

# Spinning: a farm runs wire stories through an article spinner (synonyms,
# sentence reordering, splitting and merging) on sites of its own.
SPINNER_SITES = ["rewrite-daily-news.example", "autonews-flash.example"]
SPIN_SYNONYMS = {
    "said": "stated", "says": "states", "rose": "climbed", "fell": "dropped", "company": "firm",
    "companies": "firms", "big": "large", "large": "sizeable", "new": "fresh", "also": "additionally",
    "but": "however", "about": "around", "increase": "rise", "market": "marketplace",
    "government": "administration", "shares": "stocks", "expected": "anticipated", "help": "assist",
    "show": "reveal", "buy": "purchase", "told": "informed", "start": "begin", "major": "key",
    "officials": "authorities", "announced": "unveiled", "plan": "scheme", "plans": "schemes",
    "agreed": "consented", "reported": "disclosed", "month": "period", "people": "individuals",
    "country": "nation", "city": "town", "against": "versus", "before": "prior to", "after": "following",
    "because": "since", "however": "nevertheless", "important": "significant", "problem": "issue",
    "problems": "issues", "increased": "grew", "decreased": "shrank", "lower": "reduced", "higher": "elevated",
    "result": "outcome", "results": "outcomes", "group": "organisation", "deal": "agreement",
    "talks": "negotiations", "meeting": "gathering", "price": "cost", "prices": "costs", "profit": "earnings",
    "strong": "robust", "weak": "feeble", "quickly": "rapidly", "likely": "probable", "near": "close to",
}
# ... and the small words around them, as spinners and chatbots rephrase
# ("the plan" -> "this plan", "of the" -> "from the"): word-for-word runs break
FUNCTION_SWAPS = {"the": "this", "of": "from", "in": "within", "on": "upon", "is": "was", "are": "were",
                  "has": "had", "will": "would", "a": "one", "that": "which"}
FUNCTION_RATE = 0.5  # share of those words swapped
SPIN_SHARE = 8  # one wire story in this many is spun
SPIN_RATE = 0.6  # share of the words in SPIN_SYNONYMS that the spinner swaps
# Networks: the farms run from one tag-manager container and one ad account;
# the legitimate sites share a theme's ad-network id (a decoy: they copy with credit).
FARM_ACCOUNTS = ["gtm:GTM-FRMNT7Q", "adsense:ca-pub-7700112233445566"]
THEME_ACCOUNT = "adsense:ca-pub-1000200030004000"

# A ring: three sites fed by one scraper, each with its own analytics account
# (no id links them), one template, and the same wire stories posted within
# minutes of each other (wiretrace.networks: a look and a timing together).
RING_SITES = ["pulse-daily.example", "pulse-headlines.example", "the-pulse-today.example"]
RING_ACCOUNTS = ["ua:UA-5550101", "ua:UA-5550202", "ua:UA-5550303"]
RING_SHARE = 5  # one wire story in this many is scraped by the ring
RING_HEAD = ["Pulse Network | Breaking | Trending | Entertainment | Money"]
RING_FOOT = ["Pulse Media Holdings publishes news from around the world for curious readers.",
             "Send your tips to the Pulse desk at any hour of the day.",
             "Copyright 2026 Pulse Media Holdings LLC. All rights reserved."]
# A theme two news sites and a partner run, which links nobody: they share its
# footer lines but copy nothing at the same hours (a decoy).
THEME_SITES = ["valley-courier.example", "harbor-times.example", "partner-herald.example"]
# Two partners that run the wire's own trailer under every page: they share it,
# and copy the same wire stories within the hour, but it is the wire's text (a
# decoy: wiretrace.networks reads it as copied text, no look).
TRAILER_SITES = ["partner-tribune.example", "partner-gazette.example"]
WIRE_TRAILER = ["\u00a9 2026 Thomson Reuters. All rights reserved.",
                "Reuters content is distributed to licensed partners under agreement.",
                "Reporting by Reuters staff; Editing by the Reuters desk"]
THEME_FOOT = ["Proudly powered by WordPress | Theme: Newsphere by AF themes.",
              "Leave a Reply Cancel reply Your email address will not be published.",
              "Copyright All rights reserved | Newsphere by AF themes."]

AD_LINES = ["Advertisement", "ADVERTISEMENT", "Sponsored content", "Advertisement - scroll to continue"]
RELATED_LINES = ["Related: 10 things you missed this week", "Related: You won't believe what happened next",
                 "Related: The stories everyone is reading today", "Related: Top picks from our editors"]


@dataclass
class Simulation:
    """The simulated web.

    Attributes:
        records: Scan input: ``id``, ``url``, ``site``, ``title``, ``text`` and, when the page
            has one, ``published`` (ISO 8601).
        gold: One entry per record (same order): ``id``, ``story``, ``origin``, ``source``,
            ``attribution``, ``transform``, ``site_kind`` (plus ``same_event_as`` for
            independent reports: the story whose title they share).
        sites: Site domain -> kind (``wire``, ``partner``, ``aggregator``, ``farm``, ``news``).
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    gold: list[dict[str, Any]] = field(default_factory=list)
    sites: dict[str, str] = field(default_factory=dict)


def _clean_base(text: str) -> str:
    """Drop markup entities and any agency sign-off/datelines from a base text."""
    text = html.unescape(text or "")
    # Any case: Reuters-21578 bodies also end in "REUTER".
    text = re.sub(r"\s*\bReuters?\b\s*$", "", text.strip(), flags=re.IGNORECASE)
    text = re.sub(r"\(Reuters?\)\s*-*\s*", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\bReuters?\b", "the agency", text, flags=re.IGNORECASE)
    return text.strip()


def _paragraphs(text: str, rng: random.Random) -> list[str]:
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(paras) >= 4:
        return paras
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    sentences = [s for s in sentences if s]
    out: list[str] = []
    i = 0
    while i < len(sentences):
        k = rng.randint(2, 3)
        out.append(" ".join(sentences[i:i + k]))
        i += k
    return out or [" ".join(text.split())]


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def _slug(title: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return s[:60] or "article"


def _strip_credit(paras: list[str]) -> list[str]:
    """Remove the agency dateline's credit and the reporting line."""
    out = []
    for p in paras:
        if p.startswith("Reporting by") or p.startswith("Reuters:") or p == "Source: Reuters":
            continue
        p = re.sub(r"^([A-Z .]+) \(Reuters\) - ", "", p)
        out.append(p.replace("(Reuters)", "").strip())
    return [p for p in out if p]


def _reword(paras: list[str], rng: random.Random, rate: float = 0.03) -> list[str]:
    out = []
    for p in paras:
        words = p.split(" ")
        for i, w in enumerate(words):
            if rng.random() < rate:
                core = w.strip(".,;:!?\"'").lower()
                if core in SYNONYMS:
                    words[i] = w.lower().replace(core, SYNONYMS[core], 1)
                else:
                    words[i] = rng.choice(FILLERS)
        out.append(" ".join(words))
    return out


def _with_ads(paras: list[str], rng: random.Random) -> list[str]:
    out: list[str] = []
    for i, p in enumerate(paras):
        out.append(p)
        if i < len(paras) - 1 and rng.random() < 0.4:
            out.append(rng.choice(AD_LINES) if rng.random() < 0.6 else rng.choice(RELATED_LINES))
    return out


def _aggregator_chrome(site: str) -> tuple[list[str], list[str]]:
    name = site.split(".")[0].replace("-", " ").title()
    head = [name,
            "Home | World | Business | Markets | Tech | Sport | Opinion | Video",
            f"Latest news from {name}: markets close mixed | storm warning issued | "
            "central bank minutes due | transfer window rumours roundup"]
    foot = [f"Latest news: read more stories on {name} every hour, around the clock.",
            f"Copyright {name}. All rights reserved. About us | Contact | Privacy | Terms of use | Advertise",
            "Follow us on social media for breaking updates and newsletters."]
    return head, foot


def _syndicated_stories(sim: Simulation, add, bases: list[dict[str, Any]], rng: random.Random,
                        start: datetime) -> None:
    """Every other base becomes an outlet story that stations run with the
    outlet's credit (a byline, a trailer line, or only a canonical link to the
    outlet's page) -- the outlet's own page is in the scan for some, not for
    others -- and a farm copies without credit; the other half become wire
    stories of agencies that write in other languages (the others), run by a partner paper
    with the agency's own dateline and credit line and copied by a farm that
    strips both (the agency's own copy is never in the scan)."""
    for k, base in enumerate(bases):
        sid = f"x{k:03d}"
        title = (base.get("title") or "").strip() or f"Extra story {k}"
        body = _paragraphs(_clean_base(base["text"]), rng)
        t0 = start + timedelta(hours=k * 5 + rng.randint(0, 4))
        farm = rng.choice(FARM_SITES)
        if k % 2 == 0:
            site, style, form = OUTLETS[(k // 2) % len(OUTLETS)]
            own = None
            if rng.random() < 0.5:
                own = add(site, title, "\n\n".join(body), t0,
                          {"story": sid, "origin": None, "source": None, "attribution": "origin", "transform": "outlet"})
                sim.gold[-1]["origin"] = own
            origin = own or f"site:{site}"
            outlet_url = f"https://www.{site}/2026/01/{_slug(title)}"
            g = {"story": sid, "origin": origin, "source": origin}
            for station in rng.sample(STATION_SITES, rng.randint(1, 2)):
                paras, extra = list(body), None
                if style == "byline":
                    paras = [form.format(reporter=rng.choice(REPORTERS)), *paras]
                elif style == "trailer":
                    paras = [*paras, form]
                else:  # only the markup says where the story came from
                    name = station.split(".")[0].replace("-", " ").title()
                    extra = {"metadata": {"canonical": [outlet_url], "site_name": [name]}}
                add(station, title, "\n\n".join(paras), t0 + timedelta(hours=rng.uniform(1, 6)),
                    {**g, "attribution": "credited", "transform": f"syndicated-{style}"}, extra)
            add(farm, title, "\n\n".join(_with_ads(list(body), rng)), t0 + timedelta(hours=rng.uniform(2, 24)),
                {**g, "attribution": "uncredited", "transform": "farm-outlet"})
        else:
            agency, partner, dateline, trailer = FOREIGN_WIRES[(k // 2) % len(FOREIGN_WIRES)]
            g = {"story": sid, "origin": f"agency:{agency}", "source": f"agency:{agency}"}
            add(partner, title, "\n\n".join([dateline + body[0], *body[1:], trailer]),
                t0 + timedelta(hours=rng.uniform(0.5, 3)),
                {**g, "attribution": "credited", "transform": "foreign-wire"})
            add(farm, title, "\n\n".join(_with_ads(list(body), rng)), t0 + timedelta(hours=rng.uniform(2, 24)),
                {**g, "attribution": "uncredited", "transform": "farm-foreign"})


def _roundups(sim: Simulation, add, rng: random.Random, when: datetime) -> None:
    """Roundups: the top paragraphs of several wire stories in one page.
    Only stories long enough that their top is a small part of them (six
    paragraphs or more) are quoted, so a roundup is partial reuse of each,
    neither a copy of one nor a story they all belong to."""
    origins: dict[str, list[str]] = {}
    for record, gold in zip(sim.records, sim.gold):
        if gold.get("transform") == "wire" and gold.get("story") and gold["story"] not in origins:
            paragraphs = record["text"].split("\n\n")
            if len(paragraphs) >= 6:
                origins[gold["story"]] = paragraphs
    stories = sorted(origins)
    rng.shuffle(stories)
    per_page = [rng.randint(3, 5) for _ in range(len(stories) // 15)]
    for n, size in enumerate(per_page):
        chosen, stories = stories[:size], stories[size:]
        if len(chosen) < 3:
            break
        text = "\n\n".join(p for sid in chosen for p in origins[sid][:ROUNDUP_PARAGRAPHS])
        add(ROUNDUP_SITES[n % len(ROUNDUP_SITES)], f"Your morning briefing, part {n + 1}", text,
            when + timedelta(hours=n), {"story": None, "origin": None, "source": None, "attribution": None,
                                        "transform": "roundup", "reuse_of": sorted(chosen)})


def _write_throughs(sim: Simulation, add, rng: random.Random) -> None:
    """Second versions of some wire stories by the agency: the top
    ``WRITE_THROUGH_TOP`` paragraphs rewritten (their words in a new order: no
    shingle of the old top survives), the body kept, one more paragraph at the
    end, two to six hours after the first version; one or two partners copy the
    new version whole. Gold: the second version is a story of its own
    (``story`` ``<sid>-v2``) with ``version_of`` the first version's id."""
    firsts = [(record, gold) for record, gold in zip(sim.records, sim.gold)
              if gold.get("transform") == "wire" and len(record["text"].split("\n\n")) >= 6]
    for record, gold in firsts:
        if rng.random() >= 1 / 6:
            continue
        paragraphs = record["text"].split("\n\n")

        def rewritten(paragraph: str) -> str:
            words = paragraph.split()
            rng.shuffle(words)
            return " ".join(words)

        new = [rewritten(p) for p in paragraphs[:WRITE_THROUGH_TOP]] + paragraphs[WRITE_THROUGH_TOP:-1]
        new += [rewritten(paragraphs[WRITE_THROUGH_TOP]), paragraphs[-1]]  # an added paragraph, the sign-off kept
        when = datetime.fromisoformat(record["published"]) + timedelta(hours=rng.uniform(2, 6))
        sid = f"{gold['story']}-v2"
        title = f"UPDATE 1-{record['title']}"
        v2 = add(WIRE_SITE, title, "\n\n".join(new), when,
                 {"story": sid, "origin": None, "source": None, "attribution": "origin", "transform": "wire-update",
                  "version_of": record["id"]})
        sim.gold[-1]["origin"] = v2
        for site in rng.sample(PARTNER_SITES, rng.randint(1, 2)):
            add(site, title, "\n\n".join(["Reuters:", *new]), when + timedelta(hours=rng.uniform(0.5, 3)),
                {"story": sid, "origin": v2, "source": v2, "attribution": "credited", "transform": "partner-update"})


def _briefs(sim: Simulation, add, own_texts: list[str], rng: random.Random, when: datetime) -> None:
    """Briefs: the top ``BRIEF_PARAGRAPHS`` paragraphs of a long wire story
    (one with no second version, whose kept body the brief would share too)
    followed by the site's own text, at least as long as what it took. Gold:
    ``transform`` ``brief``, ``reuse_of`` the story."""
    revised = {g["version_of"] for g in sim.gold if g.get("version_of")}
    longs = [(record, gold) for record, gold in zip(sim.records, sim.gold)
             if gold.get("transform") == "wire" and record["id"] not in revised
             and len(record["text"].split("\n\n")) >= BRIEF_MIN_PARAGRAPHS]
    rng.shuffle(longs)
    # the top must be a small part of the story and of every copy of it (a
    # trimmed copy that kept little more than the top would be contained in the
    # brief: a true copy relation, and the brief would join the story)
    shortest: dict[str, int] = {}
    for record, gold in zip(sim.records, sim.gold):
        if gold.get("story"):
            shortest[gold["story"]] = min(shortest.get(gold["story"], 10**9), len(record["text"].split()))
    longs = [(record, gold) for record, gold in longs
             if (taken := sum(len(p.split()) for p in record["text"].split("\n\n")[:BRIEF_PARAGRAPHS]))
             <= BRIEF_MAX_SHARE * len(record["text"].split()) and 2 * taken <= shortest[gold["story"]]]
    for n, ((record, gold), own) in enumerate(zip(longs, own_texts)):
        top = record["text"].split("\n\n")[:BRIEF_PARAGRAPHS]
        own_paragraphs = _paragraphs(_clean_base(own), rng)
        taken = sum(len(p.split()) for p in top)
        mine: list[str] = []
        while own_paragraphs and sum(len(p.split()) for p in mine) < taken:
            mine.append(own_paragraphs.pop(0))
        if sum(len(p.split()) for p in mine) < taken:
            continue  # the own text is too short to outweigh the taken top
        add(rng.choice(NEWS_SITES), f"In brief: {record['title']}", "\n\n".join([*top, *mine]),
            when + timedelta(hours=n), {"story": None, "origin": None, "source": None, "attribution": None,
                                        "transform": "brief", "reuse_of": [gold["story"]]})


def _shared_quotes(sim: Simulation, add, groups: list[tuple[str, str, str]], rng: random.Random,
                   when: datetime) -> None:
    """Pairs of independent reports of one event, each its own text, that
    carry the same ``STATEMENT_WORDS``-word statement in quotation marks,
    the same embedded tweet and the same photo caption (all three drawn from
    a third article). Gold: ``transform`` ``shared-quotes``, ``shares_with``
    the other report: no pair and no reuse is right for them."""
    for n, (first, second, shared) in enumerate(groups):
        words = " ".join(_clean_base(shared).split()).split()
        if len(words) < STATEMENT_WORDS + 50:
            continue
        opening, closing = rng.choice(QUOTE_STYLES)
        statement = " ".join(words[:STATEMENT_WORDS]).rstrip(".,;") + "."
        tweet_text = " ".join(words[STATEMENT_WORDS:STATEMENT_WORDS + 22]).rstrip(".,;") + "."
        caption = " ".join(words[STATEMENT_WORDS + 22:STATEMENT_WORDS + 40]).rstrip(".,;")
        handle = rng.choice(["CityFireDept", "MinistryPress", "PoliceHQ", "CountyOfficial"])
        tweet = f"{tweet_text}\n\u2014 {handle} (@{handle}) January {rng.randint(5, 25)}, 2026"
        ids = []
        for k, (base, lead) in enumerate(((first, "The ministry said in a statement"),
                                          (second, "Officials added"))):
            paragraphs = _paragraphs(_clean_base(base), rng)[:5]
            quoted = f"{lead}: {opening}{statement}{closing}"
            photo = f"{caption}. (AP Photo/{rng.choice(REPORTERS)})"
            paragraphs[1:1] = [photo] if k else []
            paragraphs.insert(min(2, len(paragraphs)), quoted)
            paragraphs.append(tweet)
            if not k:
                paragraphs.append(photo)
            ids.append(add(NEWS_SITES[(2 * n + k) % len(NEWS_SITES)], f"Report {n + 1}.{k + 1} on the event",
                           "\n\n".join(paragraphs), when + timedelta(hours=n, minutes=40 * k),
                           {"story": None, "origin": None, "source": None, "attribution": None,
                            "transform": "shared-quotes"}))
        sim.gold[-2]["shares_with"], sim.gold[-1]["shares_with"] = ids[1], ids[0]


def _spin(paras: list[str], rng: random.Random) -> list[str]:
    """An article spinner's output: synonyms and small words swapped,
    adjacent sentences swapped, sentences split at a comma and merged with
    "and"."""
    out = []
    for para in paras:
        sentences = re.split(r"(?<=[.!?])\s+", para)
        words_out = []
        for sentence in sentences:
            words = sentence.split(" ")
            for i, word in enumerate(words):
                core = word.strip(".,;:!?\"'()").lower()
                table, rate = (SPIN_SYNONYMS, SPIN_RATE) if core in SPIN_SYNONYMS else (FUNCTION_SWAPS, FUNCTION_RATE)
                if core in table and rng.random() < rate:
                    replacement = table[core]
                    if word[:1].isupper():
                        replacement = replacement[:1].upper() + replacement[1:]
                    words[i] = word.replace(word.strip(".,;:!?\"'()"), replacement, 1)
            words_out.append(" ".join(words))
        sentences = words_out
        if len(sentences) > 1 and rng.random() < 0.4:
            k = rng.randrange(len(sentences) - 1)
            sentences[k], sentences[k + 1] = sentences[k + 1], sentences[k]
        if len(sentences) > 1 and rng.random() < 0.3:
            k = rng.randrange(len(sentences) - 1)
            first, second = sentences[k].rstrip(".!?"), sentences[k + 1]
            sentences[k:k + 2] = [f"{first}, and {second[:1].lower()}{second[1:]}"]
        for k, sentence in enumerate(sentences):
            if ", " in sentence and len(sentence) > 120 and rng.random() < 0.3:
                head, tail = sentence.split(", ", 1)
                sentences[k] = f"{head}. {tail[:1].upper()}{tail[1:]}"
        out.append(" ".join(sentences))
    return out


def _spun_stories(sim: Simulation, add, rng: random.Random) -> None:
    """One wire story in SPIN_SHARE spun on a spinner site, a few hours after it
    (gold ``transform`` ``spun``, ``rewrite_of``: the story; no ``story``: a
    rewrite is not a copy and joins no cluster)."""
    wires = [(r, g) for r, g in zip(list(sim.records), list(sim.gold)) if g["transform"] == "wire"]
    for record, gold in wires:
        if rng.random() >= 1 / SPIN_SHARE:
            continue
        paras = _strip_credit(record["text"].split("\n\n"))
        site = rng.choice(SPINNER_SITES)
        intro = "Read the latest on this story from our newsroom, updated for our readers."
        when = datetime.fromisoformat(record["published"]) + timedelta(hours=rng.uniform(1, 12))
        add(site, record["title"], "\n\n".join([intro, *_spin(paras, rng)]), when,
            {"story": None, "origin": None, "source": None, "attribution": None, "transform": "spun",
             "rewrite_of": gold["story"]})


def _ring_stories(sim: Simulation, add, rng: random.Random) -> None:
    """One wire story in RING_SHARE scraped by the ring: every ring site posts
    it without credit in its template, within 20 minutes of the others
    (gold ``transform`` ``ring``, an uncredited copy of the wire)."""
    wires = [(r, g) for r, g in zip(list(sim.records), list(sim.gold))
             if g["transform"] == "wire" and (g["story"] or "").startswith("s")]  # the main stories'
    for record, gold in wires:
        if rng.random() >= 1 / RING_SHARE:
            continue
        paras = _strip_credit(record["text"].split("\n\n"))
        scraped = datetime.fromisoformat(record["published"]) + timedelta(hours=rng.uniform(0.5, 6))
        for site in RING_SITES:
            add(site, record["title"], "\n\n".join([*RING_HEAD, *paras, *RING_FOOT]),
                scraped + timedelta(minutes=rng.uniform(0, 20)),
                {"story": gold["story"], "origin": gold["origin"], "source": record["id"],
                 "attribution": "uncredited", "transform": "ring"})


def _theme(sim: Simulation) -> None:
    """The theme's footer lines under every page of the THEME_SITES, and the
    wire's trailer under every page of the TRAILER_SITES."""
    for record in sim.records:
        if record["site"] in THEME_SITES:
            record["text"] = "\n\n".join([record["text"], *THEME_FOOT])
        if record["site"] in TRAILER_SITES:
            record["text"] = "\n\n".join([record["text"], *WIRE_TRAILER])


def _accounts(sim: Simulation) -> None:
    """Account ids in the pages' metadata (as ``wiretrace extract`` writes
    them): the farms' and spinners' shared ones, and a theme's ad-network id
    on the legitimate sites (a decoy)."""
    for record in sim.records:
        kind = sim.sites[record["site"]]
        if kind in ("farm", "spinner"):
            record.setdefault("metadata", {})["account_ids"] = list(FARM_ACCOUNTS)
        elif kind in ("partner", "aggregator", "news"):
            record.setdefault("metadata", {})["account_ids"] = [THEME_ACCOUNT]
        elif kind == "ring":
            record.setdefault("metadata", {})["account_ids"] = [RING_ACCOUNTS[RING_SITES.index(record["site"])]]


def simulate(base_articles: list[dict], n_stories: int = 200, seed: int = 7, syndication: bool = True,
             roundups: bool = True, write_throughs: bool = True, briefs: bool = True,
             shared_quotes: bool = True, spinning: bool = True, networks: bool = True) -> Simulation:
    """Build a simulated web of copies with full ground truth.

    Args:
        base_articles: Real or invented articles ``{"id", "title", "text", "published"?}``.
        n_stories: Wanted number of wire stories; capped at about 70% of the base articles
            (the rest are used for independent reports and unrelated articles).
        seed: Seed of the ``random.Random`` that drives every choice.
        syndication: Also simulate outlet syndication (stations running an
            outlet's stories with its credit in a byline, a trailer line or
            only a canonical link) and wire copy of agencies that write in
            other languages (AFP, dpa, EFE, ANSA), about a third as many
            stories as ``n_stories`` taken from the unrelated articles.
        roundups: Also simulate roundups on digest sites: the top
            ``ROUNDUP_PARAGRAPHS`` paragraphs of 3-5 wire stories in one
            page, about one roundup per 15 stories (gold ``transform``
            ``roundup``, ``reuse_of``: the stories it quotes). Drawn from
            their own generator, after everything else.
        write_throughs: Also simulate the agency's second versions of about
            one wire story in six, copied by partners (gold ``transform``
            ``wire-update`` with ``version_of``, and ``partner-update``; see
            :func:`_write_throughs`). Drawn from their own generator, after
            the roundups.
        briefs: Also simulate briefs on local sites, about one per twelve
            stories: the top of a long wire story under the site's own
            text (:func:`_briefs`; gold ``brief`` with ``reuse_of``).
        shared_quotes: Also simulate pairs of independent reports sharing a
            quoted statement, a tweet and a caption, about one pair per
            twelve stories (:func:`_shared_quotes`; gold ``shared-quotes``).
            Briefs and shared quotes take their base articles from the end
            of the unrelated pool (after syndication's) and draw from their
            own generators, after the write-throughs.
        spinning: Also spin one wire story in SPIN_SHARE on a spinner site
            (:func:`_spin`; gold ``spun`` with ``rewrite_of``), drawn from
            its own generator after everything else.
        networks: Also give pages account ids (:func:`_accounts`): the
            farms and spinners share two, the partners, aggregators and
            news sites a theme's ad-network id (a decoy); add a ring of
            sites linked by no id but by one template and one scraper's
            timing (:func:`_ring_stories`); and two decoys (:func:`_theme`):
            a theme's footer on two news sites and a partner that copy
            nothing together, and the wire's trailer on two partners that
            copy its stories within the hour.

    Returns:
        The :class:`Simulation` (records, gold, sites).
    """
    rng = random.Random(seed)
    bases = [b for b in base_articles if (b.get("text") or "").strip()]
    order = list(range(len(bases)))
    rng.shuffle(order)
    n_story = min(n_stories, max(1, (len(bases) * 7) // 10)) if bases else 0
    rest = order[n_story:]
    n_indep = min(len(rest) // 2, n_story)
    story_idx, indep_idx, unrel_idx = order[:n_story], rest[:n_indep], rest[n_indep:]

    # Outlet syndication and foreign-language wire copy take their base
    # articles from the end of the unrelated pool, and draw from their own
    # generator: the rest of the simulation is the same with or without them.
    n_extra = min(len(unrel_idx) // 2, max(4, 2 * (n_story // 6))) if syndication else 0
    extra_idx = unrel_idx[len(unrel_idx) - n_extra:] if n_extra else []
    unrel_idx = unrel_idx[: len(unrel_idx) - n_extra]
    n_brief = min(len(unrel_idx) // 3, max(1, n_story // 12)) if briefs else 0
    brief_idx, unrel_idx = unrel_idx[len(unrel_idx) - n_brief:], unrel_idx[: len(unrel_idx) - n_brief]
    n_quote = min(len(unrel_idx) // 6, max(1, n_story // 12)) if shared_quotes else 0
    quote_idx, unrel_idx = unrel_idx[len(unrel_idx) - 3 * n_quote:], unrel_idx[: len(unrel_idx) - 3 * n_quote]

    sim = Simulation()
    for s in [WIRE_SITE]:
        sim.sites[s] = "wire"
    for kind, names in (("partner", PARTNER_SITES), ("aggregator", AGGREGATOR_SITES),
                        ("farm", FARM_SITES), ("news", NEWS_SITES)):
        for s in names:
            sim.sites[s] = kind
    if roundups:
        for site in ROUNDUP_SITES:
            sim.sites[site] = "news"
    if spinning:
        for site in SPINNER_SITES:
            sim.sites[site] = "spinner"
    if networks:
        for site in RING_SITES:
            sim.sites[site] = "ring"
    if syndication:
        for site, *_ in OUTLETS:
            sim.sites[site] = "outlet"
        for site in STATION_SITES:
            sim.sites[site] = "partner"
        for _, site, *_ in FOREIGN_WIRES:
            sim.sites[site] = "partner"

    start = datetime(2026, 1, 5, 6, 0, tzinfo=timezone.utc)
    used_ids: set[str] = set()

    def add(site: str, title: str, text: str, when: datetime | None, gold: dict[str, Any],
            extra: dict[str, Any] | None = None) -> str:
        base_id = f"{site.split('.')[0]}-{gold.get('story') or gold['transform']}"
        rid, n = base_id, 1
        while rid in used_ids:
            n += 1
            rid = f"{base_id}-{n}"
        used_ids.add(rid)
        day = (when or start)
        rec: dict[str, Any] = {"id": rid, "url": f"https://{site}/{day:%Y/%m}/{_slug(title)}-{len(used_ids)}",
                               "site": site, "title": title, "text": text}
        if when is not None:
            rec["published"] = _iso(when)
        rec.update(extra or {})
        sim.records.append(rec)
        sim.gold.append({"id": rid, "site_kind": sim.sites[site], **gold})
        return rid

    story_titles: list[tuple[str, str]] = []
    for k, bi in enumerate(story_idx):
        base = bases[bi]
        sid = f"s{k:03d}"
        title = (base.get("title") or "").strip() or f"Story {k}"
        story_titles.append((sid, title))
        body = _paragraphs(_clean_base(base["text"]), rng)
        t0 = start + timedelta(hours=k * 5 + rng.randint(0, 4), minutes=rng.randint(0, 59))
        city = rng.choice(CITIES)
        wire_paras = [f"{city} (Reuters) - {body[0]}", *body[1:],
                      f"Reporting by {rng.choice(REPORTERS)}; Editing by {rng.choice(EDITORS)}"]
        wire_id = add(WIRE_SITE, title, "\n\n".join(wire_paras), t0,
                      {"story": sid, "origin": None, "source": None, "attribution": "origin", "transform": "wire"})
        sim.gold[-1]["origin"] = wire_id  # the agency's own page is the origin of the story
        g = {"story": sid, "origin": wire_id}

        # Licensed partners: whole story, credited, a few hours later.
        for site in rng.sample(PARTNER_SITES, rng.randint(1, 2)):
            style = rng.randint(0, 2)
            if style == 0:
                paras = ["Reuters:", *wire_paras]
            elif style == 1:
                paras = [*wire_paras, "Source: Reuters"]
            else:
                paras = list(wire_paras)
            add(site, title, "\n\n".join(paras), t0 + timedelta(hours=rng.uniform(1, 6)),
                {**g, "source": wire_id, "attribution": "credited", "transform": "partner"})

        # Aggregators: site chrome around a whole or trimmed copy, credited.
        for site in rng.sample(AGGREGATOR_SITES, rng.randint(0, 2)):
            paras = list(wire_paras)
            if rng.random() < 0.4:
                keep = max(2, int(len(body) * rng.uniform(0.6, 0.9)))
                paras = wire_paras[:keep] + ["Source: Reuters"]
            head, foot = _aggregator_chrome(site)
            add(site, title, "\n\n".join([*head, title, *paras, *foot]),
                t0 + timedelta(hours=rng.uniform(2, 12)),
                {**g, "source": wire_id, "attribution": "credited", "transform": "aggregator"})

        # Content farms: strip credits, edit, add an intro line and ads, bad dates.
        farm_copies: list[tuple[str, str, list[str], datetime | None]] = []
        farms = rng.sample(FARM_SITES, rng.randint(1, 3))
        for site in farms:
            transform = rng.choice(["farm-trim", "farm-reword", "farm-reorder"])
            paras = _strip_credit(wire_paras)
            if transform == "farm-trim":
                keep = max(2, round(len(paras) * rng.uniform(0.4, 0.7)))
                paras = paras[:keep]
            elif transform == "farm-reword":
                paras = _reword(paras, rng)
            else:
                head, tail = paras[:1], paras[1:]
                rng.shuffle(tail)
                if len(tail) > 3 and rng.random() < 0.6:
                    tail.pop(rng.randrange(len(tail)))
                paras = head + tail
            brand = site.split(".")[0].replace("-", " ").title()
            intro = (f"{brand} exclusive: here is everything you need to know right now about "
                     f"this developing story, {rng.choice(['so read on', 'shared by our readers', 'trending today'])}.")
            paras = [intro, *paras]
            r = rng.random()
            if r < 0.2:
                when = None
            elif r < 0.35:
                when = t0 - timedelta(hours=rng.uniform(1, 24))
            else:
                when = t0 + timedelta(hours=rng.uniform(0.5, 48))
            rid = add(site, title, "\n\n".join(_with_ads(paras, rng)), when,
                      {**g, "source": wire_id, "attribution": "uncredited", "transform": transform})
            farm_copies.append((rid, site, paras, when))

        # Copy chains: another farm copies a farm's copy (its intro line included).
        if farm_copies and rng.random() < 0.5:
            src_id, src_site, src_paras, src_when = rng.choice(farm_copies)
            others = [s for s in FARM_SITES if s != src_site]
            site = rng.choice(others)
            paras = list(src_paras)
            if len(paras) > 4 and rng.random() < 0.5:
                paras = paras[:max(4, round(len(paras) * 0.8))]
            if rng.random() < 0.3:
                when = None
            else:
                when = (src_when or t0) + timedelta(hours=rng.uniform(1, 24))
            add(site, title, "\n\n".join(_with_ads(paras, rng)), when,
                {**g, "source": src_id, "attribution": "uncredited", "transform": "farm-chain"})

    if extra_idx:
        _syndicated_stories(sim, add, [bases[bi] for bi in extra_idx], random.Random(f"{seed}:syndication"),
                            start + timedelta(hours=5 * len(story_idx) + 5))

    # Independent reports: same title as a story, wording from an unrelated base article.
    for j, bi in enumerate(indep_idx):
        sid, title = story_titles[rng.randrange(len(story_titles))] if story_titles else (None, "")
        paras = _paragraphs(_clean_base(bases[bi]["text"]), rng)
        add(rng.choice(NEWS_SITES), title or bases[bi].get("title") or f"Report {j}", "\n\n".join(paras),
            start + timedelta(hours=rng.uniform(0, 5 * max(1, len(story_idx)))),
            {"story": None, "origin": None, "source": None, "attribution": None,
             "transform": "independent", "same_event_as": sid})

    if roundups:
        _roundups(sim, add, random.Random(f"{seed}:roundups"), start + timedelta(hours=5 * len(story_idx) + 10))
    if write_throughs:
        _write_throughs(sim, add, random.Random(f"{seed}:write-throughs"))
    late = start + timedelta(hours=5 * len(story_idx) + 30)
    if brief_idx:
        _briefs(sim, add, [bases[bi]["text"] for bi in brief_idx], random.Random(f"{seed}:briefs"), late)
    if quote_idx:
        texts = [bases[bi]["text"] for bi in quote_idx]
        _shared_quotes(sim, add, [tuple(texts[k:k + 3]) for k in range(0, len(texts) - 2, 3)],
                       random.Random(f"{seed}:shared-quotes"), late)

    # Unrelated articles: base articles used once, on normal sites.
    for j, bi in enumerate(unrel_idx):
        base = bases[bi]
        paras = _paragraphs(_clean_base(base["text"]), rng)
        when = start + timedelta(hours=rng.uniform(0, 5 * max(1, len(story_idx))))
        add(rng.choice(NEWS_SITES), (base.get("title") or "").strip() or f"Article {j}",
            "\n\n".join(paras), when,
            {"story": None, "origin": None, "source": None, "attribution": None, "transform": "unrelated"})
    if spinning:
        _spun_stories(sim, add, random.Random(f"{seed}:spinning"))
    if networks:
        _ring_stories(sim, add, random.Random(f"{seed}:ring"))
        _theme(sim)
        _accounts(sim)
    return sim
