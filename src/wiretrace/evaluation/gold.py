"""Labels to score a scan against (the format of ``wiretrace eval --gold``).

A gold file is JSON Lines. Each line is either a **document** label::

    {"id": "doc-1", "story": "s1", "origin": "agency:reuters", "source": "agency:reuters",
     "attribution": "credited"}

where every key but ``id`` is optional: ``story`` groups the copies of one
text (documents with the same story are copies of each other; ``null`` or
absent means the document is a copy of nothing in the scan); ``origin`` is
the origin of its story (a document id, or ``agency:<id>``); ``source`` is
what this document copied (a document id or ``agency:<id>``; ``null`` for
the origin); ``attribution`` is ``origin``, ``credited``, ``uncredited`` or
``miscredited``. Or a **pair** label::

    {"pair": ["doc-1", "doc-2"], "copy": true}

for labelled copy / not-copy pairs (hard negatives, say). Every metric is
computed from whichever labels the file has.
"""

from __future__ import annotations

import json
from importlib import resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Gold", "GoldError", "load_gold", "load_packaged_labels", "ATTRIBUTION_LABELS"]

ATTRIBUTION_LABELS = ("origin", "credited", "uncredited", "miscredited", "same_publication")


class GoldError(ValueError):
    """The gold file is not valid; the message says which line and why."""


@dataclass
class Gold:
    documents: dict[str, dict] = field(default_factory=dict)
    pairs: dict[tuple[str, str], bool] = field(default_factory=dict)


def _node(value: str | None) -> str | None:
    """Documents as ``doc:<id>``, agencies as ``agency:<id>``, outlets whose
    own page is not in the scan as ``site:<domain>`` (the report's node ids)."""
    if value is None:
        return None
    return value if value.startswith(("agency:", "doc:", "site:")) else f"doc:{value}"


def load_gold(path: str | Path) -> Gold:
    """Read a gold JSON Lines file (see the module documentation).

    Raises:
        GoldError: With the line number, when a line is not valid.
    """
    gold = Gold()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise GoldError(f"gold file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(f"cannot read gold file {path}: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldError(f"{where}: invalid JSON: {exc.msg}") from None
        except RecursionError:
            raise GoldError(f"{where}: JSON nested too deeply to read") from None
        if not isinstance(item, dict):
            raise GoldError(f"{where}: each line must be a JSON object")
        if "pair" in item:
            pair = item["pair"]
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
                raise GoldError(f"{where}: 'pair' must be a list of two document ids")
            if not isinstance(item.get("copy"), bool):
                raise GoldError(f"{where}: a pair needs \"copy\": true or false")
            gold.pairs[tuple(sorted(pair))] = item["copy"]
            continue
        doc_id = item.get("id")
        if not isinstance(doc_id, str) or not doc_id:
            raise GoldError(f"{where}: a document label needs a string 'id' (or use 'pair')")
        attribution = item.get("attribution")
        if attribution is not None and attribution not in ATTRIBUTION_LABELS:
            raise GoldError(f"{where}: attribution must be one of {', '.join(ATTRIBUTION_LABELS)}, got {attribution!r}")
        for key in ("story", "origin", "source"):
            if item.get(key) is not None and not isinstance(item[key], str):
                raise GoldError(f"{where}: {key!r} must be a string or null")
        gold.documents[doc_id] = {
            "story": item.get("story"),
            "origin": _node(item.get("origin")),
            "source": _node(item.get("source")),
            "attribution": attribution,
            "has": {k for k in ("story", "origin", "source", "attribution") if k in item},
        }
    if not gold.documents and not gold.pairs:
        raise GoldError(f"{path}: no labels found")
    return gold


def load_packaged_labels(name: str) -> list[dict[str, Any]]:
    """The records of a JSONL label file shipped beside this module (labels
    made by reading: ids and spans, no text), in file order."""
    text = resources.files("wiretrace.evaluation").joinpath(name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]
