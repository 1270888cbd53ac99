"""Wire-copy recognition (wiretrace.wire): the registry, every agency's
dateline and credit forms, false friends, attribution, and robustness.

All example sentences are invented for these tests.
"""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, shared_dataset
from wiretrace.wire import (
    KINDS,
    Agency,
    AgencyEvidence,
    Marker,
    _parse_registry,
    agency_for_site,
    find_markers,
    load_agencies,
    wire_agencies,
    wire_copy,
)

SEED = ROOT.parent / "shared" / "seeds" / "aggregator-repost-of-reuters-story.txt"
CREDIT_KINDS = {"credit", "byline", "contributed", "copyright", "signoff", "reporting"}


def consistent(text: str, markers: list[Marker]) -> None:
    for m in markers:
        assert text[m.start : m.end] == m.text
        # a teaser credit and an overruled house-style block are the only weak strong-kind markers
        assert m.strength == KINDS[m.kind] or (m.kind in ("credit", "reporting") and m.strength == "weak")
    assert markers == sorted(markers, key=lambda m: (m.start, m.end, m.agency, m.kind))


def strong(text: str) -> set[tuple[str, str]]:
    markers = find_markers(text)
    consistent(text, markers)
    return {(m.agency, m.kind) for m in markers if m.strength == "strong"}


# --------------------------------------------------------------------------
# The registry


def test_registry_has_the_agencies_asked_for():
    agencies = load_agencies()
    assert len(agencies) >= 15
    for wanted in ("reuters", "ap", "afp", "bloomberg", "upi", "dpa", "pa", "xinhua", "efe", "ansa", "kyodo",
                   "yonhap", "tass", "pti", "cna"):
        assert wanted in agencies
    for agency in agencies.values():
        assert isinstance(agency, Agency)
        assert agency.id == agency.id.lower() and agency.name and agency.aliases
        # every agency working today has a web site; the historical ones (Havas, Wolff, ...) had none
        assert agency.domains or agency.note.startswith("Historical"), agency.id
    assert {"Associated Press", "The Associated Press", "AP"} <= set(agencies["ap"].aliases)
    for wanted in ("havas", "wolff", "dnb", "stefani", "extel", "sda", "apa", "kna", "epd", "anp", "pap"):
        assert wanted in agencies


def test_registry_ships_as_package_data_and_loads_with_tomllib():
    data = tomllib.loads(resources.files("wiretrace").joinpath("agencies.toml").read_text(encoding="utf-8"))
    assert [a["id"] for a in data["agency"]] == list(load_agencies())


def test_load_agencies_is_cached_but_returns_a_fresh_dict():
    first = load_agencies()
    first.pop("reuters")
    assert "reuters" in load_agencies()


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"agency": [{"id": "x", "name": "X", "aliases": ["X"]}, {"id": "x", "name": "Y", "aliases": ["Y"]}]},
         "duplicate"),
        ({"agency": [{"id": "Bad Id", "name": "X", "aliases": ["X"]}]}, "id"),
        ({"agency": [{"id": "x", "name": "X", "aliases": []}]}, "alias"),
        ({"agency": [{"id": "x", "name": "X", "aliases": ["X"], "formal_only": ["Y"]}]}, "not aliases"),
        ({"agency": [{"id": "x", "name": "X", "aliases": ["X"], "colour": "red"}]}, "unknown"),
        ({"agency": [{"id": "x", "name": "X", "aliases": "X"}]}, "list"),
        ({}, "no"),
    ],
)
def test_registry_errors_are_reported(bad, message):
    with pytest.raises(ValueError, match=message):
        _parse_registry(bad)


@pytest.mark.parametrize(
    "site, agency",
    [
        ("reuters.com", "reuters"),
        ("www.reuters.com", "reuters"),
        ("apnews.com", "ap"),
        ("hosted.ap.org", "ap"),
        ("afp.com", "afp"),
        ("bloomberg.com", "bloomberg"),
        ("upi.com", "upi"),
        ("dpa.com", "dpa"),
        ("pa.media", "pa"),
        ("xinhuanet.com", "xinhua"),
        ("english.news.cn", "xinhua"),
        ("efe.com", "efe"),
        ("ansa.it", "ansa"),
        ("kyodonews.net", "kyodo"),
        ("en.yna.co.kr", "yonhap"),
        ("tass.com", "tass"),
        ("ptinews.com", "pti"),
        ("cna.com.tw", "cna"),
        ("focustaiwan.tw", "cna"),
        ("https://www.reuters.com/world/some-story-2024-03-04/", "reuters"),
        ("REUTERS.COM", "reuters"),
        ("bbc.co.uk", None),
        ("notreuters.com", None),
        ("channelnewsasia.com", None),
        ("", None),
        (None, None),
    ],
)
def test_agency_for_site(site, agency):
    assert agency_for_site(site) == agency


def test_every_registered_domain_maps_back_to_its_agency():
    for agency in load_agencies().values():
        for domain in agency.domains:
            assert agency_for_site(domain) == agency.id


def test_arguments_are_validated():
    with pytest.raises(TypeError):
        find_markers(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        find_markers(b"LONDON (Reuters) - x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        agency_for_site(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        wire_agencies("LONDON (Reuters) - text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        wire_agencies([("reuters", "dateline")])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        wire_copy(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Marker("reuters", "rumour", "x", 0, 1, "strong")
    with pytest.raises(ValueError):
        Marker("reuters", "dateline", "x", 0, 2, "strong")


# --------------------------------------------------------------------------
# Every agency: dateline form(s) and a credit form

# agency -> (datelines: [(text, expected marker text)], credits: [(text, expected marker text)])
EXAMPLES: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    "reuters": (
        [("LONDON (Reuters) - Copper eased on Tuesday.", "LONDON (Reuters) -"),
         ("SHANGHAI/WASHINGTON, March 9 (Reuters) - Two ministers spoke.", "SHANGHAI/WASHINGTON, March 9 (Reuters) -"),
         ("LASHKAR GAH, Afghanistan, Feb 28 (Reuters) - A market reopened.",
          "LASHKAR GAH, Afghanistan, Feb 28 (Reuters) -"),
         ("March 3 (Reuters) - A ferry was late.", "March 3 (Reuters) -"),
         ("(Reuters) - A bakery chain said on Monday it would close.", "(Reuters) -")],
        [("Reuters: The ferry operator cancelled crossings on Friday.", "Reuters:"),
         ("The harbour reopened.\n(Reporting by Jane Roe; Editing by John Doe)",
          "(Reporting by Jane Roe; Editing by John Doe)"),
         ("Prices fell.\n(Additional reporting by Ann Bee in Oslo)", "(Additional reporting by Ann Bee in Oslo)"),
         ("Copper eased.\n\u00a9 2024 Reuters", "\u00a9 2024 Reuters"),
         ("Bids were light.\n Reuter\n\x03", "Reuter"),
         ("Bids were light.\nREUTER...\n", "REUTER..."),
         ("Net profit 5.1 mln vs 4.8 mln.        REUTER\n\x03", "REUTER"),
         ("A headline\nBy Reuters Staff\nThe ferry ran late.", "By Reuters Staff")],
    ),
    "ap": (
        [("WASHINGTON (AP) \u2014 The committee adjourned without a vote.", "WASHINGTON (AP) \u2014"),
         ("ST. PAUL, Minn. (AP) \u2014 Snowplows worked through the night.", "ST. PAUL, Minn. (AP) \u2014")],
        [("The vote failed.\nCopyright 2024 The Associated Press. All rights reserved.",
          "Copyright 2024 The Associated Press"),
         ("The vote failed. The Associated Press contributed to this report.",
          "The Associated Press contributed to this report"),
         ("Associated Press writer Jane Roe in Boise, Idaho, contributed to this report.",
          "Associated Press writer Jane Roe in Boise, Idaho, contributed"),
         ("A headline\nBy The Associated Press\nThe vote failed.", "By The Associated Press")],
    ),
    "afp": (
        [("PARIS (AFP) - Museum workers walked out on Monday.", "PARIS (AFP) -"),
         ("Paris (AFP) - Museum workers walked out on Monday.", "Paris (AFP) -")],
        [("Museum workers walked out on Monday.\n-- AFP", "-- AFP"),
         ("A photo caption.\n\u00a9 AFP", "\u00a9 AFP")],
    ),
    "bloomberg": (
        [("(Bloomberg) -- Shares of an invented lender rose.", "(Bloomberg) --"),
         ("NEW YORK (Bloomberg) -- Shares of an invented lender rose.", "NEW YORK (Bloomberg) --")],
        [("Shares rose.\n\u00a92026 Bloomberg L.P.", "\u00a92026 Bloomberg L.P."),
         ("Shares rose.\n--With assistance from Jane Roe.", "--With assistance from Jane Roe."),
         ("Shares rose.\nTo contact the reporter on this story:\nJane Roe in London",
          "To contact the reporter on this story:")],
    ),
    "upi": (
        [("WASHINGTON, March 4 (UPI) -- The agency delayed its report.", "WASHINGTON, March 4 (UPI) --")],
        [("The agency delayed its report.\nCopyright 2024 United Press International, Inc. All Rights Reserved.",
          "Copyright 2024 United Press International, Inc.")],
    ),
    "dpa": (
        [("Berlin (dpa) - Die Z\u00fcge standen am Morgen still.", "Berlin (dpa) -"),
         ("BERLIN (DPA) - Trains stood still in the morning.", "BERLIN (DPA) -")],
        [("Die Z\u00fcge standen still.\n(c) dpa", "(c) dpa")],
    ),
    "pa": (
        [("LONDON (PA) - A ferry was delayed by fog.", "LONDON (PA) -")],
        [("A ferry was delayed by fog.\nCopyright (c) PA Media 2024", "Copyright (c) PA Media 2024"),
         ("A headline\nBy Press Association\nA ferry was delayed.", "By Press Association")],
    ),
    "xinhua": (
        [("BEIJING, Nov. 24 (Xinhua) -- A new rail line opened.", "BEIJING, Nov. 24 (Xinhua) --")],
        [("A new rail line opened on Sunday.\nSource: Xinhua", "Source: Xinhua")],
    ),
    "efe": (
        [("MADRID, 3 Mar (EFE).- Una tormenta cerr\u00f3 el puerto.", "MADRID, 3 Mar (EFE).-")],
        [("Una tormenta cerr\u00f3 el puerto.\n\u00a9 EFE 2024", "\u00a9 EFE 2024")],
    ),
    "ansa": (
        [("(ANSA) - ROME, MARCH 4 - A minor quake shook a hill town.", "(ANSA) -"),
         ("ROME, March 4 (ANSA) - A minor quake shook a hill town.", "ROME, March 4 (ANSA) -")],
        [("A minor quake shook a hill town.\nALL RIGHTS RESERVED \u00a9 Copyright ANSA", "\u00a9 Copyright ANSA")],
    ),
    "kyodo": (
        [("TOKYO (Kyodo) -- A typhoon slowed rail traffic.", "TOKYO (Kyodo) --")],
        [("A typhoon slowed rail traffic.\n==Kyodo", "==Kyodo")],
    ),
    "yonhap": (
        [("SEOUL, March 4 (Yonhap) -- Exports rose for a third month.", "SEOUL, March 4 (Yonhap) --")],
        [("Exports rose.\n\u00a9 Yonhap News Agency", "\u00a9 Yonhap News Agency")],
    ),
    "tass": (
        [("MOSCOW, March 4. /TASS/. A river port reopened.", "MOSCOW, March 4. /TASS/.")],
        [("A river port reopened.\nSource: TASS", "Source: TASS")],
    ),
    "pti": (
        [("NEW DELHI (PTI): Monsoon rains arrived early.", "NEW DELHI (PTI):"),
         ("New Delhi, Mar 4 (PTI) Monsoon rains arrived early.", "New Delhi, Mar 4 (PTI)")],
        [("Monsoon rains arrived early, the official said. PTI", "PTI")],
    ),
    "cna": (
        [("Taipei, March 4 (CNA) Taiwan's exports of invented widgets rose.", "Taipei, March 4 (CNA)")],
        [("Exports rose.\nSource: Focus Taiwan", "Source: Focus Taiwan")],
    ),
    "ani": (
        [("New Delhi [India], March 4 (ANI): A metro line opened.", "New Delhi [India], March 4 (ANI):")],
        [("A metro line opened.\nSource: ANI", "Source: ANI")],
    ),
    "ians": (
        [("New Delhi, March 4 (IANS) A metro line opened.", "New Delhi, March 4 (IANS)")],
        [("A metro line opened.\n--IANS", "--IANS")],
    ),
    "anadolu": (
        [("ANKARA (AA) - A bridge was inaugurated.", "ANKARA (AA) -")],
        [("A bridge was inaugurated.\nSource: Anadolu Agency", "Source: Anadolu Agency")],
    ),
    "aap": (
        [("SYDNEY, March 4 (AAP) - A ferry ran aground.", "SYDNEY, March 4 (AAP) -")],
        [("A ferry ran aground, police said.\nAAP", "AAP")],
    ),
    "cp": (
        [("OTTAWA (CP) \u2014 A committee met briefly.", "OTTAWA (CP) \u2014")],
        [("A committee met.\nThis report by The Canadian Press was first published March 4, 2024.",
          "This report by The Canadian Press was first published"),
         ("A committee met.\nWith files from The Canadian Press", "With files from The Canadian Press")],
    ),
    "europapress": (
        [("MADRID, 4 Mar. (EUROPA PRESS) - El tren lleg\u00f3 tarde.", "MADRID, 4 Mar. (EUROPA PRESS) -")],
        [("El tren lleg\u00f3 tarde.\n\u00a9 Europa Press 2024", "\u00a9 Europa Press 2024")],
    ),
    "interfax": (
        [("MOSCOW. March 4 (Interfax) - A refinery restarted.", "MOSCOW. March 4 (Interfax) -")],
        [("A refinery restarted.\nSource: Interfax", "Source: Interfax")],
    ),
    "ria": (
        [("MOSCOW, March 4 (RIA Novosti) - A refinery restarted.", "MOSCOW, March 4 (RIA Novosti) -")],
        [("A refinery restarted.\n\u00a9 RIA Novosti", "\u00a9 RIA Novosti")],
    ),
    "sputnik": (
        [("MOSCOW, April 29 (Sputnik) - A ferry line reopened.", "MOSCOW, April 29 (Sputnik) -")],
        [("A ferry line reopened.\nSource: Sputnik", "Source: Sputnik")],
    ),
    "dowjones": (
        [("NEW YORK (Dow Jones)--Treasury prices edged up.", "NEW YORK (Dow Jones)--")],
        [("Prices edged up.\nCopyright (c) 2024 Dow Jones & Company, Inc.",
          "Copyright (c) 2024 Dow Jones & Company, Inc.")],
    ),
    "ntb": (
        [("OSLO (NTB) - Ferjen ble innstilt.", "OSLO (NTB) -")],
        [("Ferjen ble innstilt, sier han. (NTB)", "(NTB)")],
    ),
    "tt": (
        [("STOCKHOLM (TT) - F\u00e4rjan st\u00e4lldes in.", "STOCKHOLM (TT) -")],
        [("F\u00e4rjan st\u00e4lldes in, s\u00e4ger hon. (TT)", "(TT)")],
    ),
    "ritzau": (
        [("K\u00d8BENHAVN (Ritzau) - F\u00e6rgen blev aflyst.", "K\u00d8BENHAVN (Ritzau) -")],
        [("F\u00e6rgen blev aflyst.\n-- Ritzau", "-- Ritzau")],
    ),
    "belga": (
        [("BRUSSEL (Belga) - De trein reed niet.", "BRUSSEL (Belga) -")],
        [("De trein reed niet, zegt hij. (Belga)", "(Belga)")],
    ),
    "agence-europe": (
        [("Brussels, 04/03/2024 (Agence Europe) - Ministers met.", "Brussels, 04/03/2024 (Agence Europe) -")],
        [("Ministers met.\n\u00a9 Agence Europe", "\u00a9 Agence Europe")],
    ),
    "kcna": (
        [("Pyongyang, March 4 (KCNA) -- A factory opened.", "Pyongyang, March 4 (KCNA) --")],
        [("A factory opened.\nSource: KCNA", "Source: KCNA")],
    ),
    "bernama": (
        [("KUALA LUMPUR, March 4 (Bernama) -- A highway reopened.", "KUALA LUMPUR, March 4 (Bernama) --")],
        [("A highway reopened.\n-- BERNAMA", "-- BERNAMA")],
    ),
    "jiji": (
        [("TOKYO, March 4 (Jiji Press) -- A ferry was delayed.", "TOKYO, March 4 (Jiji Press) --")],
        [("A ferry was delayed.\nCopyright Jiji Press", "Copyright Jiji Press")],
    ),
    "prnewswire": (
        [("TAIPEI, Taiwan, Feb. 7, 2017 /PRNewswire/ -- An invented firm released a router.",
          "TAIPEI, Taiwan, Feb. 7, 2017 /PRNewswire/ --")],
        [("An invented firm released a router.\nSource: PR Newswire", "Source: PR Newswire")],
    ),
    "businesswire": (
        [("SAN FRANCISCO--(BUSINESS WIRE)--An invented firm released a router.", "SAN FRANCISCO--(BUSINESS WIRE)--")],
        [("An invented firm released a router.\nCopyright Business Wire 2024", "Copyright Business Wire 2024")],
    ),
    "globenewswire": (
        [("NEW YORK, March 04, 2024 (GLOBE NEWSWIRE) -- An invented firm released a router.",
          "NEW YORK, March 04, 2024 (GLOBE NEWSWIRE) --")],
        [("An invented firm released a router.\nSource: GlobeNewswire", "Source: GlobeNewswire")],
    ),
    "lusa": (
        [("LISBON, March 4 (Lusa) - A ferry was delayed.", "LISBON, March 4 (Lusa) -")],
        [("A ferry was delayed, he said. (Lusa)", "(Lusa)")],
    ),
    'apa': (
        [('WIEN (APA) - Die Bahn fuhr nicht.', 'WIEN (APA) -')],
        [('Die Bahn fuhr nicht.\nQuelle: APA', 'Quelle: APA')],
    ),
    'sda': (
        [('BERN (SDA) - Der Zug fuhr nicht.', 'BERN (SDA) -')],
        [('Le train ne roulait pas, a-t-il dit. (ATS)', '(ATS)')],
    ),
    'kna': (
        [('Bonn (KNA) - Die Synode tagte.', 'Bonn (KNA) -')],
        [('Die Synode tagte.\nQuelle: KNA', 'Quelle: KNA')],
    ),
    'epd': (
        [('FRANKFURT (EPD) - Die Synode tagte.', 'FRANKFURT (EPD) -')],
        [('Die Synode tagte, sagte er. (EPD)', '(EPD)')],
    ),
    'ddp': (
        [('BERLIN (DDP) - Der Zug fuhr nicht.', 'BERLIN (DDP) -')],
        [('Der Zug fuhr nicht, sagte er. (DAPD)', '(DAPD)')],
    ),
    'anp': (
        [('DEN HAAG (ANP) - De trein reed niet.', 'DEN HAAG (ANP) -')],
        [('De trein reed niet.\nBron: ANP', 'Bron: ANP')],
    ),
    'pap': (
        [('WARSZAWA (PAP) - Pociąg nie jechał.', 'WARSZAWA (PAP) -')],
        [('Pociąg nie jechał.\nŹródło: PAP', 'Źródło: PAP')],
    ),
    'ctk': (
        [('PRAHA (ČTK) - Vlak nejel.', 'PRAHA (ČTK) -')],
        [('Vlak nejel, řekl. (ČTK)', '(ČTK)')],
    ),
    'mti': (
        [('BUDAPEST (MTI) - A vonat nem járt.', 'BUDAPEST (MTI) -')],
        [('A vonat nem járt, mondta. (MTI)', '(MTI)')],
    ),
    'sta': (
        [('LJUBLJANA (STA) - Vlak ni vozil.', 'LJUBLJANA (STA) -')],
        [('Vlak ni vozil.\n© Slovenska tiskovna agencija', '© Slovenska tiskovna agencija')],
    ),
    'hina': (
        [('ZAGREB (Hina) - Vlak nije vozio.', 'ZAGREB (Hina) -')],
        [('Vlak nije vozio, rekao je. (Hina)', '(Hina)')],
    ),
    'agerpres': (
        [('BUCUREȘTI (AGERPRES) - Trenul nu a circulat.', 'BUCUREȘTI (AGERPRES) -')],
        [('Trenul nu a circulat.\nSursa: AGERPRES\n-- AGERPRES', '-- AGERPRES')],
    ),
    'ukrinform': (
        [('KYIV, March 4 (Ukrinform) - A train was late.', 'KYIV, March 4 (Ukrinform) -')],
        [('A train was late.\nSource: Ukrinform', 'Source: Ukrinform')],
    ),
    'unian': (
        [('KYIV, March 4 (UNIAN) - A train was late.', 'KYIV, March 4 (UNIAN) -')],
        [('A train was late.\nSource: UNIAN', 'Source: UNIAN')],
    ),
    'jta': (
        [('NEW YORK (JTA) — A synagogue reopened.', 'NEW YORK (JTA) —')],
        [('A synagogue reopened.\n-- JTA', '-- JTA')],
    ),
    'petra': (
        [('AMMAN, March 4 (Petra) -- A road reopened.', 'AMMAN, March 4 (Petra) --')],
        [('A road reopened, he said. (Petra)', '(Petra)')],
    ),
    'mena': (
        [('CAIRO, March 4 (MENA) - A road reopened.', 'CAIRO, March 4 (MENA) -')],
        [('A road reopened.\nSource: MENA', 'Source: MENA')],
    ),
    'irna': (
        [('TEHRAN, March 4 (IRNA) - A road reopened.', 'TEHRAN, March 4 (IRNA) -')],
        [('A road reopened.\nSource: IRNA', 'Source: IRNA')],
    ),
    'wam': (
        [('ABU DHABI, March 4, 2024 (WAM) -- A road reopened.', 'ABU DHABI, March 4, 2024 (WAM) --')],
        [('A road reopened.\nSource: WAM', 'Source: WAM')],
    ),
    'spa': (
        [('RIYADH, March 4 (SPA) -- A road reopened.', 'RIYADH, March 4 (SPA) --')],
        [('A road reopened.\nSource: Saudi Press Agency', 'Source: Saudi Press Agency')],
    ),
    'antara': (
        [('JAKARTA (ANTARA) - A ferry was delayed.', 'JAKARTA (ANTARA) -')],
        [('A ferry was delayed.\nSource: ANTARA', 'Source: ANTARA')],
    ),
    'vna': (
        [('HA NOI (VNA) - A ferry was delayed.', 'HA NOI (VNA) -')],
        [('A ferry was delayed.\nSource: VNA', 'Source: VNA')],
    ),
    'chinanews': (
        [('BEIJING, March 4 (China News Service) -- A ferry was delayed.', 'BEIJING, March 4 (China News Service) --')],
        [('A ferry was delayed.\nSource: Chinanews', 'Source: Chinanews')],
    ),
    'notimex': (
        [('MÉXICO (Notimex) - El tren no circuló.', 'MÉXICO (Notimex) -')],
        [('El tren no circuló.\nFuente: Notimex', 'Fuente: Notimex')],
    ),
    'reforma': (
        [('CIUDAD DE MÉXICO (Agencia Reforma) - El tren no circuló.', 'CIUDAD DE MÉXICO (Agencia Reforma) -')],
        [('El tren no circuló.\nFuente: Agencia Reforma', 'Fuente: Agencia Reforma')],
    ),
    'telam': (
        [('BUENOS AIRES (Télam) - El tren no circuló.', 'BUENOS AIRES (Télam) -')],
        [('El tren no circuló.\nFuente: Télam', 'Fuente: Télam')],
    ),
    'prensalatina': (
        [('LA HABANA, 4 mar (Prensa Latina) El tren no circuló.', 'LA HABANA, 4 mar (Prensa Latina)')],
        [('El tren no circuló.\nFuente: Prensa Latina', 'Fuente: Prensa Latina')],
    ),
    'agenciabrasil': (
        [('BRASÍLIA (Agência Brasil) - O trem não circulou.', 'BRASÍLIA (Agência Brasil) -')],
        [('O trem não circulou.\nFonte: Agência Brasil', 'Fonte: Agência Brasil')],
    ),
    'estadao-conteudo': (
        [('SÃO PAULO (Estadão Conteúdo) - O trem não circulou.', 'SÃO PAULO (Estadão Conteúdo) -')],
        [('O trem não circulou.\nFonte: Estadão Conteúdo', 'Fonte: Estadão Conteúdo')],
    ),
    'accesswire': (
        [],
        [('An invented firm released a router.\nSource: ACCESSWIRE', 'Source: ACCESSWIRE')],
    ),
    'marketwired': (
        [('TORONTO, ON--(Marketwired - March 04, 2016) - An invented firm released a router.',
          'TORONTO, ON--(Marketwired - March 04, 2016) -')],
        [('An invented firm released a router.\nSource: Marketwired', 'Source: Marketwired')],
    ),
    'sid': (
        [('KÖLN (SID) - Der Verein gewann.', 'KÖLN (SID) -')],
        [('Der Verein gewann.\nQuelle: SID', 'Quelle: SID')],
    ),
    'isbnews': (
        [('WARSZAWA (ISBnews) - Bezrobocie spadło.', 'WARSZAWA (ISBnews) -')],
        [('Bezrobocie spadło.\nŹródło: ISBnews', 'Źródło: ISBnews')],
    ),
    'havas': (
        [('PARIS, 14. (Havas.) — Les Chambres ont siégé.', 'PARIS, 14. (Havas.) —')],
        [('Les Chambres ont siégé.\n-- Havas', '-- Havas')],
    ),
    'wolff': (
        [('BERLIN, 18. Juni (Wolff) - Der Reichstag tagte.', 'BERLIN, 18. Juni (Wolff) -')],
        [('Der Reichstag tagte.\n-- Wolff', '-- Wolff')],
    ),
    'dnb': (
        [('Berlin, 23. Juli. (DNB.) Der Reichstag tagte.', 'Berlin, 23. Juli. (DNB.)')],
        [('Der Reichstag tagte.\n-- DNB', '-- DNB')],
    ),
    'stefani': (
        [('ROMA, 19 aprile (Stefani) - Il Senato si riunì.', 'ROMA, 19 aprile (Stefani) -')],
        [('Il Senato si riunì.\n-- Stefani', '-- Stefani')],
    ),
    'extel': (
        [('LONDON, June 4 (Exchange Telegraph) - Parliament met.', 'LONDON, June 4 (Exchange Telegraph) -')],
        [('Parliament met.\n-- Extel', '-- Extel')],
    ),
    'kipa': (
        [('FREIBURG (Kipa) - Die Synode tagte.', 'FREIBURG (Kipa) -')],
        [('Die Synode tagte.\nQuelle: Kipa', 'Quelle: Kipa')],
    ),
    'domei': (
        [('TOKYO, June 4 (Domei) - The Diet met.', 'TOKYO, June 4 (Domei) -')],
        [('The Diet met.\n-- Domei', '-- Domei')],
    ),
}


def test_every_registered_agency_has_examples():
    assert set(EXAMPLES) == set(load_agencies())


@pytest.mark.parametrize(
    "agency, text, expected",
    [(a, t, x) for a, (datelines, _) in EXAMPLES.items() for t, x in datelines],
)
def test_dateline_of_every_agency(agency, text, expected):
    markers = find_markers(text)
    consistent(text, markers)
    datelines = [m for m in markers if m.kind == "dateline"]
    assert [(m.agency, m.text, m.strength) for m in datelines] == [(agency, expected, "strong")]
    assert datelines[0].start == text.index(expected)
    assert wire_agencies(markers) == [agency]


@pytest.mark.parametrize(
    "agency, text, expected",
    [(a, t, x) for a, (_, credits) in EXAMPLES.items() for t, x in credits],
)
def test_credit_of_every_agency(agency, text, expected):
    markers = find_markers(text)
    consistent(text, markers)
    hits = [m for m in markers if m.kind in CREDIT_KINDS and m.agency == agency]
    assert [(m.text, m.strength) for m in hits] == [(expected, "strong")]
    assert hits[0].start == text.index(expected)
    assert wire_agencies(markers) == [agency]


def test_a_dateline_with_the_uppercase_name_and_a_tass_variant():
    assert strong("LONDON (REUTERS) - Talks resumed.") == {("reuters", "dateline")}
    assert strong("MOSCOW, February 9./TASS/. Talks resumed.") == {("tass", "dateline")}
    assert strong("MOSCOW, March 14. /TASS./. Talks resumed.") == {("tass", "dateline")}
    assert strong("MOSCOW, February 7, /TASS/. Talks resumed.") == {("tass", "dateline")}
    assert strong("BONN /Germany/, February 16. /TASS/. Talks resumed.") == {("tass", "dateline")}
    assert strong("BANGALORE (India), February 17. /TASS/. Talks resumed.") == {("tass", "dateline")}


# --------------------------------------------------------------------------
# The seed page: a real aggregator repost of a Reuters story (read in place)


def test_seed_repost_carries_reuters_credit_dateline_and_additional_reporting():
    if not SEED.exists():
        pytest.skip(f"seed page not found at {SEED} (it lives in ../shared/seeds beside the project)")
    text = SEED.read_text(encoding="utf-8")
    markers = find_markers(text)
    consistent(text, markers)
    reuters = [m for m in markers if m.agency == "reuters"]
    kinds = {m.kind for m in reuters}
    assert {"credit", "dateline", "reporting"} <= kinds
    assert all(m.strength == "strong" for m in reuters)
    dateline = next(m for m in reuters if m.kind == "dateline")
    assert dateline.text.startswith("BAGHDAD (Reuters)")
    reporting = next(m for m in reuters if m.kind == "reporting")
    assert reporting.text.startswith("(Additional reporting by")
    credit = next(m for m in reuters if m.kind == "credit")
    assert credit.text == "Reuters:" and credit.start < dateline.start
    # the page's "Must read" teaser "AP: ... touches on..." links to another story: weak, not AP copy
    assert wire_agencies(markers) == ["reuters"]
    evidence = wire_copy(text)
    assert [e.agency for e in evidence] == ["reuters"] and evidence[0].strong


# --------------------------------------------------------------------------
# False friends

NOTHING_AT_ALL = [
    "She scored a 5 on AP Biology and now teaches AP Style to her APs.",
    "He signed up for an AP course and the AP style guide.",
    "Mr. Bloomberg declined to comment on the plan.",
    "Bloomberg Philanthropies funded the invented clinic.",
    "Michael Bloomberg reported a large donation to the museum.",
    "The AFP 42 hangar at the Air Force Plant was repainted.",
    "Harrisburg, PA is the state capital.\nPA: see Pennsylvania.",
    "She works as a CNA in a nursing home.\nSource: CNA",
    "SINGAPORE (CNA) - The invented ferry service resumed.",
    "The Dow Jones Industrial Average closed higher on Friday.",
    "The South African Press Association closed years ago.",
    "Popular Alliance (AP) - the party tabled a motion.",
    "Additional reporting by Jane Roe\nThe full film airs on Sunday.",
    "according to the Reuters Institute survey of readers",
    "The Associated Press Stylebook now allows the word.",
    "The vote was held in Pennsylvania (PA) on Tuesday.",
    "A photo by (AP Photo/Jane Roe) shows the bridge.",
    "He left the PTI party in 2018, the PTI leader said.",
    "The AAP recommends that infants sleep on their backs.",
]


@pytest.mark.parametrize("text", NOTHING_AT_ALL)
def test_false_friends_are_not_markers(text):
    markers = find_markers(text, mentions=True)
    consistent(text, markers)
    assert markers == []


MENTIONS_ONLY = [
    ("Reuters sued the company over the licence.", "reuters"),
    ("Reuters is owned by Thomson Reuters.", "reuters"),
    ("Bloomberg said he would run for president.", "bloomberg"),
    ("The EFE test result was positive.", "efe"),
    ('"LONDON (Reuters) - Talks stalled," the article said.', "reuters"),
    ("\u201cPARIS (AFP) - Talks stalled,\u201d the column began.", "afp"),
    ("Xinhua is a state agency with many bureaus.", "xinhua"),
]


@pytest.mark.parametrize("text, agency", MENTIONS_ONLY)
def test_mentions_are_not_evidence(text, agency):
    assert find_markers(text) == []
    assert wire_copy(text, weak=True) == []
    markers = find_markers(text, mentions=True)
    consistent(text, markers)
    assert markers and {(m.agency, m.kind, m.strength) for m in markers} == {(agency, "mention", "none")}


def test_a_quoted_dateline_is_not_a_dateline_but_an_unquoted_one_after_it_is():
    text = '"LONDON (Reuters) - Talks stalled," the article said.\nPARIS (AFP) - Talks resumed.'
    assert strong(text) == {("afp", "dateline")}


def test_a_wrapped_sentence_is_not_a_credit_line():
    text = 'A spokeswoman for the invented ferry line told\nReuters: "The timetable stays."'
    markers = find_markers(text)
    assert [(m.kind, m.strength, m.text) for m in markers] == [("attribution", "weak", "told\nReuters")]


def test_house_style_block_naming_another_agency_is_that_agency_contributing():
    text = "The port reopened.\n(Additional reporting by AFP)"
    assert strong(text) == {("afp", "contributed")}


def test_house_style_block_alone_is_reuters_but_is_overruled_by_another_agencys_dateline():
    block = "\n(Additional reporting by Ann Bee in Oslo; Editing by Cy Dee)"
    assert strong("The port reopened." + block) == {("reuters", "reporting")}
    text = "(Bloomberg) -- The port reopened." + block
    markers = find_markers(text)
    consistent(text, markers)
    assert [(m.agency, m.kind, m.strength) for m in markers] == [
        ("bloomberg", "dateline", "strong"),
        ("reuters", "reporting", "weak"),
    ]
    assert wire_agencies(markers) == ["bloomberg"]
    both = {("reuters", "dateline"), ("reuters", "reporting")}
    assert strong("LONDON (Reuters) - The port reopened." + block) == both


# --------------------------------------------------------------------------
# Attribution: weak evidence


@pytest.mark.parametrize(
    "text, agency, marker",
    [
        ("Two officials told Reuters the plan was dead.", "reuters", "told Reuters"),
        ("Reuters reported that the plan was dead.", "reuters", "Reuters reported"),
        ("The plan was dead, according to the Associated Press.", "ap", "according to the Associated Press"),
        ("According to AFP, the plan was dead.", "afp", "According to AFP"),
        ("Bloomberg reported on Friday that talks stalled.", "bloomberg", "Bloomberg reported"),
        ("the official Tass news agency reported.", "tass", "Tass news agency reported"),
        ("a Reuters witness saw smoke.", "reuters", "a Reuters witness"),
        ("a barber told the AFP news agency.", "afp", "told the AFP news agency"),
        ("the Korean Central News Agency reported a launch.", "kcna", "the Korean Central News Agency reported"),
        ("A fighter reached by Reuters said the road was cut.", "reuters", "reached by Reuters"),
        ("Reuters said, citing two invented sources.", "reuters", "Reuters said, citing"),
    ],
)
def test_attribution_is_weak(text, agency, marker):
    markers = find_markers(text)
    consistent(text, markers)
    assert [(m.agency, m.kind, m.strength, m.text) for m in markers] == [(agency, "attribution", "weak", marker)]
    assert wire_agencies(markers) == []
    assert wire_agencies(markers, weak=True) == [agency]
    evidence = wire_copy(text, weak=True)
    assert [(e.agency, e.strong) for e in evidence] == [(agency, False)]


def test_wire_copy_orders_strong_agencies_first_and_keeps_their_weak_markers():
    text = (
        "Officials told Reuters of the talks.\n"
        "PARIS (AFP) - Talks began.\n"
        "An aide told AFP the talks would resume.\n"
        "-- AFP"
    )
    evidence = wire_copy(text, weak=True)
    assert [e.agency for e in evidence] == ["afp", "reuters"]
    assert isinstance(evidence[0], AgencyEvidence)
    assert evidence[0].name == "Agence France-Presse"
    assert evidence[0].kinds == ("dateline", "attribution", "credit")
    assert evidence[0].strong and not evidence[1].strong
    assert [e.agency for e in wire_copy(text)] == ["afp"]


def test_multi_agency_credit_lists():
    text = "Ministers met on Tuesday. ab/cd (AFP, dpa, Reuters)"
    markers = find_markers(text)
    consistent(text, markers)
    assert {(m.agency, m.kind, m.text) for m in markers} == {
        (a, "credit", "(AFP, dpa, Reuters)") for a in ("afp", "dpa", "reuters")
    }
    assert wire_agencies(markers) == ["afp", "dpa", "reuters"]
    assert strong("The summit ended. Source:-AFP news agency") == {("afp", "credit")}


def test_markers_are_deterministic_and_sorted():
    text = "\n".join(t for datelines, credits in EXAMPLES.values() for t, _ in datelines + credits)
    first = find_markers(text, mentions=True)
    assert first == find_markers(text, mentions=True)
    consistent(text, first)
    assert {m.agency for m in first if m.strength == "strong"} == set(EXAMPLES)


def test_empty_and_plain_texts():
    assert find_markers("") == []
    assert wire_copy("") == []
    assert find_markers("A story with no agency in it at all.\n" * 50) == []


# --------------------------------------------------------------------------
# Robustness

FRAGMENTS = [
    "Reuters", "(Reuters)", "REUTER", " Reuter", "AP", "(AP)", "AFP", "dpa", "/TASS/", "TASS", "Bloomberg", "(", ")",
    "-", "--", "\u2014", ":", ".", ",", "/", "\n", " ", "\u00a9", "(c)", "Copyright", "2024", "LONDON", "March 4",
    "By ", "Source:", "told ", "according to ", "contributed to this report", "(Reporting by", "Editing by", '"',
    "The ", "Associated Press", "writer ", "PTI", "CNA", "ab/cd ", "==", "Mr. ", "\x03", "\u2026", "...",
]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_find_markers_never_crashes_on_arbitrary_text(text):
    markers = find_markers(text, mentions=True)
    for m in markers:
        assert 0 <= m.start <= m.end <= len(text)
        assert text[m.start : m.end] == m.text
    assert markers == find_markers(text, mentions=True)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5)), max_size=40))
def test_find_markers_offsets_are_consistent_on_marker_like_text(parts):
    text = "".join(parts)
    markers = find_markers(text, mentions=True)
    consistent(text, markers)
    for m in markers:
        assert m.agency in load_agencies()
    assert wire_agencies(markers, weak=True) == [e.agency for e in wire_copy(text, weak=True)]


# --------------------------------------------------------------------------
# Real data (../shared/data), read in place


@pytest.mark.realdata
def test_reuters21578_stories_are_reuters_copy_and_nobody_elses():
    path = shared_dataset("reuters21578_json")
    stories = [d for d in json.loads((path / "reuters-000.json").read_text(encoding="utf-8")) if d.get("body")]
    assert len(stories) > 500
    recognised = other = 0
    for story in stories:
        agencies = wire_agencies(find_markers(story["body"]))
        recognised += agencies == ["reuters"]
        other += any(a != "reuters" for a in agencies)
    assert recognised / len(stories) >= 0.97
    assert other == 0


@pytest.mark.realdata
def test_zyte_gold_bodies_with_ap_datelines_are_ap_copy():
    path: Path = shared_dataset("zyte_article_extraction_benchmark") / "ground-truth.json"
    gold = json.loads(path.read_text(encoding="utf-8"))
    datelined = [v for v in gold.values() if "(AP) \u2014" in v["articleBody"][:200]]
    assert len(datelined) >= 5
    for item in datelined:
        assert "ap" in wire_agencies(find_markers(item["articleBody"]))
