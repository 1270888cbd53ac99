"""Quoted speech, captions, embedded tweets and statements: text that two
independent reports of one event share without one copying the other.

Rule: a span is *discounted* when it is

* **inside quotation marks** of any script: ``"…"``, ``“…”``, ``„…“``,
  ``„…”``, ``”…”``, ``«…»``, ``»…«``, ``‹…›``, ``›…‹``, ``‚…‘``, ``‘…’``,
  ``「…」``, ``『…』``, ``〝…〞``, full-width ``＂…＂``, straight
  ``'…'``, and typewriter quotes: a backtick, closed by an apostrophe (two
  of each as a rule; tokenised text writes them with spaces around; a typewriter quote ends
  with its line, as single marks do: tokenised text holds one sentence per
  line, and writes a stray opening pair where a closing one belongs). A quote opens at an opening mark and closes at the nearest mark
  that closes it; quotes nest (up to :data:`MAX_DEPTH` deep), and a
  closing mark that matches a quote further out closes that one (the
  unclosed inner marks were strays). Marks that can be apostrophes or
  inch marks (``"``, ``'``, ``’``, ``”``, ``‘``) count only where
  their neighbours make the direction plain: an opening mark is followed
  by a non-space and preceded by a space, the start, a bracket or another
  mark (``'`` and ``‘`` also need a letter after them: ``'90s`` is not a
  quote); a closing mark is not followed by a letter or digit (``don't``,
  ``O’Neill``) and is preceded by a non-space, or stands between spaces
  (tokenised text: ``said , " she``).
* **a caption or an embedded tweet:** a line of at most
  :data:`CAPTION_MAX_WORDS` words and :data:`CAPTION_MAX_CHARS` characters
  that starts with a caption label (``Photo:``, ``Caption:``, ``Pictured:``, ``FILE PHOTO:`` …) or ends with
  a photo credit (``(AP Photo/Evan Vucci)``, ``(Photo: J. Doe/Reuters)``,
  ``REUTERS/Kim Hong-Ji``); a tweet's signature line (``— Name (@handle)
  March 3, 2024``) or a line holding a ``pic.twitter.com/`` link, with the
  line before a signature (the tweet's text, when that short);
* **a statement introduced as one:** the lines after a line (of at most
  :data:`CAPTION_MAX_WORDS` words) that ends with a colon and names a
  statement or press release (``Statement:``, ``The company said in a
  statement:``), up to the next blank line and at most
  :data:`MAX_QUOTE_CHARS` characters (whole lines only).

Unbalanced marks are safe: an unclosed quote never swallows the rest of a
text. A quote ends, unclosed and *not* discounted, at a paragraph end (a
blank line), at the end of its line for single marks (``'``, ``‘``,
``‚``, ``‹``, ``›``), and once it is longer than :data:`MAX_QUOTE_CHARS`.
The one exception is the convention for quotations over several
paragraphs: the opening mark repeated at the start of the next line or
paragraph, without a closing mark before it, continues the quote, and the
open part is discounted through the end of its line.

Reported speech without marks ("he said the company would ...") is not
found: no cheap rule tells it reliably from narrative.

:func:`quote_spans` is the fast path, in linear time: a regex scan finds
the marks (two ``in`` checks tell a text that has none), a stack of at
most :data:`MAX_DEPTH` open quotes follows them, and line breaks are looked
at only while a quote is open. :func:`reference_quote_spans` is the plain
character-by-character definition it is tested to agree with (hypothesis).
Captions, tweets and statements are found from a character they need
(``)``, ``/``, ``@``, ``:``), so a text without one costs a scan.
:func:`discounted_spans` gives all of them, merged.
"""

from __future__ import annotations

import re

__all__ = [
    "discounted_spans",
    "quote_spans",
    "caption_spans",
    "statement_spans",
    "reference_quote_spans",
    "MAX_QUOTE_CHARS",
    "MAX_DEPTH",
    "CAPTION_MAX_WORDS",
    "CAPTION_MAX_CHARS",
]

# An opening mark left open for longer than this is taken for a stray: the
# quote is dropped rather than discounting everything up to some distant
# mark. The longest statements quoted in news run to about 150 words
# (~1,000 characters: the ECB+ SEACOM statement is 330); text without a
# closing mark for longer than that is more likely a stray mark.
MAX_QUOTE_CHARS = 1500
# Quotes inside quotes inside quotes are real ("he said 'they told me
# "no"'"); deeper than this is marks out of balance, not speech.
MAX_DEPTH = 4
# A caption or an embedded tweet is short (a tweet holds at most 280
# characters, about 55 words; captions are one or two sentences); a longer
# line that happens to end with a credit is a paragraph, not a caption.
CAPTION_MAX_WORDS = 60
# ... and at most this many characters, for scripts written without spaces
# (a 280-character tweet with its link and signature fits; a paragraph of
# Japanese that ends with an agency's credit does not).
CAPTION_MAX_CHARS = 500

# Opening mark -> the marks that close it.
_CLOSERS = {
    '"': '"',
    "\uff02": "\uff02",  # full-width ＂
    "\u201c": "\u201d",  # “ ”
    "\u201e": "\u201c\u201d",  # „ “ and „ ”
    "\u201d": "\u201d",  # ” ” (Swedish, Finnish)
    "\u00ab": "\u00bb",  # « »
    "\u00bb": "\u00ab",  # » « (German, Danish)
    "\u2039": "\u203a",  # ‹ ›
    "\u203a": "\u2039",  # › ‹
    "\u300c": "\u300d",  # 「 」
    "\u300e": "\u300f",  # 『 』
    "\u301d": "\u301e\u301f",  # 〝 〞 〟
    "\u2018": "\u2019",  # ‘ ’
    "\u201a": "\u2018\u2019",  # ‚ ‘ and ‚ ’
    "'": "'",
    "`": "'",  # `` ... '' (typewriter and tokenised text: ECB+, Penn Treebank)
}
_MARKS = "".join(sorted(set(_CLOSERS) | set("".join(_CLOSERS.values()))))
# Marks whose direction (or whether they are quotes at all) depends on
# their neighbours: apostrophes, inch marks, the same mark at both ends.
_FLANKED = frozenset('"\uff02\'\u2019\u201d\u2018')
# Flanked marks that need a letter after them to open (not '90s).
_LETTER_OPENS = frozenset("'\u2018")
# Flanked marks that may close standing between spaces (tokenised text).
_SPACED_CLOSE = frozenset('"\uff02\u201d')
# Marks of quotes that end at the end of their line.
_LINE_BOUND = frozenset("'\u2018\u201a\u2039\u203a`")
# Characters after which a flanked mark may open: brackets, dashes, slashes, colons.
_OPEN_AFTER = frozenset("([{<\u2014\u2013-/:") | frozenset(_MARKS)

_APOSTROPHES = frozenset("'\u2019")
_MARK = re.compile(rf"[{re.escape(_MARKS)}]")
_BREAK = re.compile(r"\n\s*")  # a line break, with the blank lines and indentation after it
_NON_ASCII_MARKS = tuple(c for c in _MARKS if not c.isascii())


def _has_marks(text: str) -> bool:
    """Whether ``text`` holds any quotation mark (cheap: ``in`` on ASCII text)."""
    if '"' in text or "'" in text:
        return True
    return not text.isascii() and any(mark in text for mark in _NON_ASCII_MARKS)


def _can_open(text: str, i: int) -> bool:
    """Whether the mark at ``i`` may open a quote (rule in the module doc)."""
    mark = text[i]
    if mark not in _FLANKED:
        return True
    after = text[i + 1] if i + 1 < len(text) else " "
    if after.isspace():
        return False
    if mark in _LETTER_OPENS and not after.isalpha():
        return False
    before = text[i - 1] if i else " "
    return before.isspace() or before in _OPEN_AFTER


def _can_close(text: str, i: int) -> bool:
    """Whether the mark at ``i`` may close a quote (rule in the module doc)."""
    if text[i] not in _FLANKED:
        return True
    after = text[i + 1] if i + 1 < len(text) else " "
    if after.isalnum():
        return False
    before = text[i - 1] if i else " "
    return (not before.isspace() or (text[i] in _SPACED_CLOSE and after.isspace())
            or (text[i] == "'" and after == "'"))  # the first of a spaced '' closing `` ... ''



def quote_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every closed quote, marks included, in order of
    closing (nested quotes overlap their outer quote).

    Example:
        >>> text = 'He said: \u201cWe will \u2018never\u2019 stop.\u201d Then he left.'
        >>> [text[a:b] for a, b in quote_spans(text)]
        ['\u2018never\u2019', '\u201cWe will \u2018never\u2019 stop.\u201d']
        >>> quote_spans('The 3.5" drive and the players\\' union')
        []
        >>> [t[a:b] for t in ['Il a dit\u00a0: \u00ab\u00a0Non\u00a0\u00bb.'] for a, b in quote_spans(t)]
        ['\u00ab\u00a0Non\u00a0\u00bb']
    """
    if not _has_marks(text):
        return []
    spans: list[tuple[int, int]] = []
    stack: list[list] = []  # [opening mark, position]
    n = len(text)
    last = 0  # line breaks before this position are done with
    for match in _MARK.finditer(text):
        i = match.start()
        mark = match.group()
        if mark in _FLANKED:
            before = text[i - 1] if i else " "
            after = text[i + 1] if i + 1 < n else " "
            if mark in _APOSTROPHES and before.isalnum() and after.isalnum():
                continue  # an apostrophe inside a word ("don't", "O\u2019Neill") neither opens nor closes
            # the rules of _can_close and _can_open, inline (this loop is the hot path)
            can_close = not after.isalnum() and (not before.isspace() or (mark in _SPACED_CLOSE and after.isspace())
                                                 or (mark == "'" and after == "'"))
            can_open = (not after.isspace() and (before.isspace() or before in _OPEN_AFTER)
                        and (mark not in _LETTER_OPENS or after.isalpha()))
        else:
            can_close = can_open = True
        if stack:
            if text.find("\n", last, i) >= 0:  # line breaks only matter while a quote is open
                for brk in _BREAK.finditer(text, last, i):
                    at = brk.start()
                    while stack and stack[0][1] < at - MAX_QUOTE_CHARS:
                        del stack[0]
                    j = brk.end()
                    if stack and j < n and text[j] == stack[-1][0] and _can_open(text, j):
                        spans.append((stack[-1][1], at))  # a quote over several lines or paragraphs
                        stack.pop()
                    if "\n" in brk.group()[1:]:
                        stack.clear()
                    else:
                        stack[:] = [entry for entry in stack if entry[0] not in _LINE_BOUND]
                    if not stack:
                        break
            while stack and stack[0][1] < i - MAX_QUOTE_CHARS:
                del stack[0]
            if stack and can_close:
                depth = len(stack) - 1
                while depth >= 0 and mark not in _CLOSERS[stack[depth][0]]:
                    depth -= 1
                if depth >= 0:
                    spans.append((stack[depth][1], i + 1))
                    del stack[depth:]
                    last = i + 1
                    continue
        last = i + 1
        if can_open and mark in _CLOSERS and len(stack) < MAX_DEPTH:
            stack.append([mark, i])
    return spans


def reference_quote_spans(text: str) -> list[tuple[int, int]]:
    """:func:`quote_spans`, defined character by character (slow, plain).

    Example:
        >>> reference_quote_spans('"Yes," she said.') == quote_spans('"Yes," she said.')
        True
    """
    spans: list[tuple[int, int]] = []
    open_marks: list[str] = []
    open_at: list[int] = []
    n = len(text)
    i = 0
    while i < n:
        char = text[i]
        # quotes open too long are strays, whatever comes next
        kept = [k for k in range(len(open_at)) if open_at[k] >= i - MAX_QUOTE_CHARS]
        open_marks = [open_marks[k] for k in kept]
        open_at = [open_at[k] for k in kept]
        if char == "\n":
            j = i
            newlines = 0
            while j < n and text[j].isspace():
                newlines += text[j] == "\n"
                j += 1
            if open_marks and j < n and text[j] == open_marks[-1] and _can_open(text, j):
                spans.append((open_at[-1], i))
                open_marks.pop()
                open_at.pop()
            if newlines > 1:
                open_marks, open_at = [], []
            else:
                kept = [k for k in range(len(open_marks)) if open_marks[k] not in _LINE_BOUND]
                open_marks = [open_marks[k] for k in kept]
                open_at = [open_at[k] for k in kept]
            i = j
            continue
        if char in _MARKS:
            closed = False
            if open_marks and _can_close(text, i):
                depth = len(open_marks) - 1
                while depth >= 0 and not closed:
                    if char in _CLOSERS[open_marks[depth]]:
                        spans.append((open_at[depth], i + 1))
                        open_marks, open_at = open_marks[:depth], open_at[:depth]
                        closed = True
                    depth -= 1
            if not closed and char in _CLOSERS and len(open_marks) < MAX_DEPTH and _can_open(text, i):
                open_marks.append(char)
                open_at.append(i)
        i += 1
    return spans


_PHOTO_WORDS = r"(?:photo|image|picture|foto|bild|photograph)"
_AGENCIES = r"(?:AP|AFP|Reuters|REUTERS|Getty Images|EPA|dpa|ANSA|EFE|Xinhua|Bloomberg|Shutterstock)"
# Rules for one line (the line's text, without its line break).
_CAPTION_LABEL = re.compile(
    rf"(?i)\s*(?:file\s+)?(?:{_PHOTO_WORDS}|caption|pictured|légende|bildunterschrift)(?:\s+credit)?\s*$"
)
_PHOTO_CREDIT = re.compile(
    rf"(?i)(?:\([^()]{{0,60}}\b{_PHOTO_WORDS}\b[^()]{{0,80}}\)|\([^()]{{0,60}}/\s*{_AGENCIES}\))\s*$"
)
_AGENCY_SLASH = re.compile(r"(?:REUTERS|AP Photo|AFP PHOTO|AFP|EPA|Getty Images)\s*$")
_NAME_TO_END = re.compile(r"\s*(?:[A-Z][\w.'’-]*\s?){1,4}\s*$")
# "(@handle) March 3, 2024" or, in other languages, "(@handle) 3 mars 2024" / "3. März 2024"
_TWEET_SIGNATURE = re.compile(r"\w{1,15}\)\s+(?:[A-Z][a-z]+\.?\s+\d{1,2},|\d{1,2}\.?\s+\w+\.?)\s+\d{4}\s*$")
_STATEMENT_LINE = re.compile(
    r"(?i)\b(?:statement|press release|communiqu[eé]|comunicado|erkl[äa]rung|mitteilung)\b"
)
# Every rule is found from a character it needs, searched for at C speed:
# a text without these costs a few scans and no per-line work.
_LINE_END_PAREN = re.compile(r"\)[^\S\n]*(?:\n|$)")
_COLON_AT_LINE_END = re.compile(r":[^\S\n]*\n")
_PARAGRAPH_END = re.compile(r"\n[^\S\n]*\n")


def _line(text: str, at: int) -> tuple[int, int]:
    """``(start, end)`` of the line holding position ``at``, line break excluded."""
    end = text.find("\n", at)
    return text.rfind("\n", 0, at) + 1, len(text) if end < 0 else end


def _short(text: str, start: int, end: int) -> bool:
    return end - start <= CAPTION_MAX_CHARS and len(text[start:end].split()) <= CAPTION_MAX_WORDS


def caption_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of caption and embedded-tweet lines, in order.

    Example:
        >>> text = ("Fire crews worked through the night.\\n"
        ...         "Firefighters at the scene on Tuesday. (AP Photo/Jane Roe)\\n"
        ...         "Stay away from Main St. pic.twitter.com/AbC123\\n"
        ...         "\\u2014 City Fire (@CityFire) March 3, 2024\\n"
        ...         "The cause is not yet known.")
        >>> [text[a:b] for a, b in caption_spans(text)][:2]
        ['Firefighters at the scene on Tuesday. (AP Photo/Jane Roe)', 'Stay away from Main St. pic.twitter.com/AbC123']
        >>> len(caption_spans(text))
        3
    """
    found = set()
    if ")" in text:
        for m in _LINE_END_PAREN.finditer(text):
            start, end = _line(text, m.start())
            line = text[start:end]
            if _PHOTO_CREDIT.search(line) and _short(text, start, end):
                found.add((start, end))
    at = text.find("(@") if "@" in text else -1
    while at >= 0:
        start, end = _line(text, at)
        if _TWEET_SIGNATURE.match(text, at + 2, end) and _short(text, start, end):
            found.add((start, end))
            before = text.rfind("\n", 0, start - 1) + 1  # the tweet's text, on the line before
            if start >= 2 and before < start - 1 and _short(text, before, start - 1):
                found.add((before, start - 1))
        at = text.find("(@", at + 2)
    if "/" in text:
        at = text.find("/")
        while at >= 0:
            start, end = _line(text, at)
            if (_AGENCY_SLASH.search(text, start, at) and _NAME_TO_END.match(text, at + 1, end)
                    or text.startswith("pic.twitter.com", at - 15)) and _short(text, start, end):
                found.add((start, end))
            at = text.find("/", at + 1)
    for colon in ":|":
        at = text.find(colon)
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            if at - start <= 40 and _CAPTION_LABEL.match(text, start, at):
                start, end = _line(text, start)
                if _short(text, start, end):
                    found.add((start, end))
            at = text.find(colon, at + 1)
    return sorted(found)


def statement_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of statements introduced as such, in order.

    Example:
        >>> text = ("The firm did not comment.\\nStatement:\\nWe regret the delay.\\n"
        ...         "Service resumes Monday.\\n\\nOther news.")
        >>> [text[a:b] for a, b in statement_spans(text)]
        ['We regret the delay.\\nService resumes Monday.']
    """
    spans: list[tuple[int, int]] = []
    at = text.find(":")
    while at >= 0:
        colon, at = at, text.find(":", at + 1)
        m = _COLON_AT_LINE_END.match(text, colon)
        if not m:
            continue
        line_start = text.rfind("\n", 0, colon) + 1
        if not _short(text, line_start, colon) or not _STATEMENT_LINE.search(text, line_start, colon):
            continue
        start = m.end()
        limit = min(len(text), start + MAX_QUOTE_CHARS)
        blank = _PARAGRAPH_END.search(text, start - 1, limit)
        if blank:
            end = blank.start()
        elif limit == len(text):
            end = len(text)
        else:
            end = text.rfind("\n", start, limit)
        end = len(text[:end].rstrip()) if end > start else start
        if end > start:
            spans.append((start, end))
    return spans


def discounted_spans(text: str) -> list[tuple[int, int]]:
    """Disjoint sorted ``(start, end)`` character spans of ``text`` that do
    not count as evidence of copying: quotes, captions, tweets and statements.

    Example:
        >>> text = '\u201eWir bleiben\u201c, sagte sie. \u00abNous restons\u00bb, a-t-il dit.'
        >>> [text[a:b] for a, b in discounted_spans(text)]
        ['\u201eWir bleiben\u201c', '\u00abNous restons\u00bb']
        >>> discounted_spans("No quotes here at all.")
        []
    """
    quotes, captions, statements = quote_spans(text), caption_spans(text), statement_spans(text)
    if not (captions or statements):
        if len(quotes) < 2:
            return quotes
        spans = sorted(quotes)
    else:
        spans = sorted(quotes + captions + statements)
    merged = [list(spans[0])]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]
