"""The normalise and fingerprint stages: shingle sets and MinHash signatures.

Both stages are plain functions of their arguments (no global state), so any
executor can run them: in-process, the process pool of
:func:`fingerprint_all`, or a distributed engine.

The normalise stage also finds each text's quotes, captions, tweets and
statements (:mod:`wiretrace.quotes`) as byte spans of its word buffer, and
the fingerprint stage turns them into each document's *free* shingle set,
the shingles it has outside them, which verification uses to decide
contained copies. Sets and signatures are those of the whole text, quotes
included, bit for bit as without them.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wiretrace import compiled
from wiretrace.executor import LocalExecutor
from wiretrace.minhash import MinHasher
from wiretrace.quotes import discounted_spans
from wiretrace.shingles import free_shingle_sets, shingle_sets_of_words, word_buffer_with_spans, word_buffers

__all__ = ["Fingerprints", "normalise_batch", "normalise_quoted_batch", "fingerprint_batch", "fingerprint_all", "Known",
           "shingle_sets"]

_STAGES = ("normalise", "fingerprint", "wire")
# Below this many documents a process pool costs more than it saves.
PARALLEL_MIN_DOCS = 4000
EMPTY_SLOT = np.uint32(0xFFFFFFFF)  # datasketch's value for "no element seen"


@dataclass
class Fingerprints:
    """Fingerprints of documents, row ``i`` for document ``i``.

    Attributes:
        sets: Sorted distinct uint64 shingle hashes of each document.
        words: Word count of each document.
        signatures: ``(n, num_perm)`` uint32 MinHash signatures (datasketch
            affine32 compatible); a document without shingles has all
            slots at ``0xFFFFFFFF``, as an empty datasketch MinHash.
        seconds: CPU seconds spent per stage (``normalise``, ``fingerprint``,
            ``wire``).
        markers: Wire markers of each document's full text, when asked for
            (the wire stage runs in the same batches, on the same workers).
        free_sets: Each document's shingles outside quotes, captions, tweets
            and statements (sorted, distinct); for a document without any,
            the very array of ``sets`` (no copy).
        leftovers: Leftover generator text of each document's full text
            (:func:`wiretrace.leftovers.generator_leftovers`), with the markers.
    """

    sets: list[np.ndarray]
    words: list[int]
    signatures: np.ndarray
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(_STAGES, 0.0))
    markers: list[list[Any]] = field(default_factory=list)
    free_sets: list[np.ndarray] = field(default_factory=list)
    leftovers: list[list[dict[str, Any]]] = field(default_factory=list)


def normalise_batch(texts: Sequence[str]) -> list[bytes]:
    """The normalise stage for a batch: texts to normalised word buffers."""
    return word_buffers(list(texts))


def normalise_quoted_batch(texts: Sequence[str]) -> tuple[list[bytes], list[list[tuple[int, int]] | None]]:
    """The normalise stage, quotes included: each text's word buffer (the
    same words as :func:`normalise_batch`) and the byte spans in it of its
    quotes, captions, tweets and statements (None when it has none).

    Example:
        >>> normalise_quoted_batch(['He said "we stay" today.', "No quotes."])
        ([b'he said  we stay  today ', b'no quotes '], [[(8, 17)], None])
    """
    words: list[bytes] = []
    quoted: list[list[tuple[int, int]] | None] = []
    for text in texts:
        spans = discounted_spans(text)
        if spans:
            buffer, offsets = word_buffer_with_spans(text, spans)
            words.append(buffer)
            quoted.append(offsets)
        else:
            words.append(word_buffers([text])[0])
            quoted.append(None)
    return words, quoted


def fingerprint_batch(
    words: Sequence[bytes],
    shingle_size: int,
    num_perm: int,
    seed: int,
    quoted: Sequence[list[tuple[int, int]] | None] | None = None,
) -> Fingerprints:
    """The fingerprint stage for a batch: word buffers to shingle sets and signatures.

    With ``quoted`` (from :func:`normalise_quoted_batch`), ``free_sets``
    holds each document's shingles outside its quotes; without, every
    shingle is free.

    Example:
        >>> fp = fingerprint_batch(normalise_batch(["the same five words here", "other"]), 5, 16, 1)
        >>> fp.words, fp.signatures.shape
        ([5, 1], (2, 16))
    """
    sets, free, counts = free_shingle_sets(list(words), shingle_size, list(quoted or [None] * len(words)))
    signatures = np.full((len(sets), num_perm), EMPTY_SLOT, dtype=np.uint32)
    present = [i for i, s in enumerate(sets) if len(s)]
    if present:
        signatures[present] = _hasher(num_perm, seed).signatures([sets[i] for i in present])
    return Fingerprints(sets, counts, signatures, free_sets=free)


_HASHERS: dict[tuple[int, int], MinHasher] = {}


def _hasher(num_perm: int, seed: int) -> MinHasher:
    # Permutations are a pure function of (num_perm, seed); each process
    # draws them once per pair.
    key = (num_perm, seed)
    if key not in _HASHERS:
        _HASHERS[key] = MinHasher(num_perm, seed)
    return _HASHERS[key]


def _both_stages(
    texts: Sequence[str], originals: Sequence[str] | None, shingle_size: int, num_perm: int, seed: int
) -> Fingerprints:
    # CPU time of this process, not wall time: with as many processes as
    # cores, wall time would also count waiting for a core.
    start = time.process_time()
    words, quoted = normalise_quoted_batch(texts)
    middle = time.process_time()
    fp = fingerprint_batch(words, shingle_size, num_perm, seed, quoted)
    done = time.process_time()
    if originals is not None:
        fp.markers, fp.leftovers = _wire_stage(originals)
    fp.seconds = {"normalise": middle - start, "fingerprint": done - middle, "wire": time.process_time() - done}
    return fp


def _wire_stage(originals: Sequence[str | None]) -> tuple[list[list[Any]], list[list[dict[str, Any]]]]:
    """Each original text's wire markers and leftover generator text; none
    for a None original (a text whose markers are known already: a memo's,
    :mod:`wiretrace.memo`)."""
    from wiretrace.leftovers import generator_leftovers
    from wiretrace.wire import find_markers

    return ([find_markers(text) if text is not None else [] for text in originals],
            [generator_leftovers(text) if text is not None else [] for text in originals])


def _chunk(span: tuple[int, int], shared: tuple) -> tuple:
    """Worker: fingerprint texts[span] and return them packed for cheap
    pickling. ``shared`` (the texts and the run's settings) is inherited
    from the main process, so only the span crosses the process boundary.
    With a spill's :class:`~wiretrace.spill.SharedEnd` in it, the worker
    writes the sets to the spill and returns where they are (:func:`_written`)."""
    all_texts, all_originals, batch_size, args, end = shared
    texts = all_texts[span[0] : span[1]]
    originals = all_originals[span[0] : span[1]] if all_originals is not None else None
    packed = _pack(texts, originals, batch_size, args)
    return _written(packed, end) if end is not None else packed


def _written(packed: tuple, end: Any) -> tuple:
    """``packed`` with its sets written through ``end`` (a
    :class:`~wiretrace.spill.SharedEnd`): the sets one after the other,
    then the free sets that differ from their set; in the sets' place, the
    offset of the first, and in the free sets' place their rows and sizes."""
    flat, sizes, words, signatures, seconds, markers, own_free, leftovers = packed
    rows = np.fromiter((i for i, _ in own_free), dtype=np.int64, count=len(own_free))
    free_sizes = np.fromiter((len(f) for _, f in own_free), dtype=np.int64, count=len(own_free))
    base = end.write([flat] + [f for _, f in own_free])
    return _WRITTEN, base, sizes, words, signatures, seconds, markers, (rows, free_sizes), leftovers


_WRITTEN = "written"  # the first item of a packed chunk whose sets are in the spill (_written)


def _received(packed: tuple) -> Fingerprints | tuple:
    """What a worker sent, for ``collect``: a chunk it wrote to the spill as
    it came (:func:`_add_written` makes its rows), any other unpacked."""
    return packed if isinstance(packed[0], str) and packed[0] == _WRITTEN else _unpack(packed)


def _add_written(packed: tuple, sets: Any, free_sets: Any) -> Fingerprints:
    """Rows of ``sets`` and ``free_sets`` (spilled columns) for a chunk
    :func:`_written` wrote; its other fingerprints as they came."""
    _, base, sizes, words, signatures, seconds, markers, (rows, free_sizes), leftovers = packed
    starts = base + 8 * (np.cumsum(sizes) - sizes)
    sets.add_rows(starts, 8 * sizes)
    free_starts, free_lengths = starts.copy(), 8 * sizes
    free_base = base + 8 * int(sizes.sum())
    free_starts[rows] = free_base + 8 * (np.cumsum(free_sizes) - free_sizes)
    free_lengths[rows] = 8 * free_sizes
    free_sets.add_rows(free_starts, free_lengths)
    # the sets are rows now: collect needs only how many there are
    return Fingerprints(range(len(sizes)), words, signatures, seconds, markers, [], leftovers)


def _shipped_chunk(task: tuple, shared: tuple) -> tuple:
    """Worker of a remote executor (Ray's), which inherits nothing: the task
    carries its texts, ``shared`` the run's settings only."""
    texts, originals = task
    batch_size, args, documents = shared
    compiled.expect(documents)  # the stage's size, which a worker of its own does not see
    return _pack(texts, originals, batch_size, args)


def _pack(texts: Sequence[str], originals: Sequence[str] | None, batch_size: int, args: tuple) -> tuple:
    parts = [
        _both_stages(texts[i : i + batch_size], originals[i : i + batch_size] if originals is not None else None, *args)
        for i in range(0, len(texts), batch_size)
    ]
    sets = [s for fp in parts for s in fp.sets]
    sizes = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
    flat = np.concatenate(sets) if sets else np.empty(0, dtype=np.uint64)
    words = [w for fp in parts for w in fp.words]
    signatures = np.concatenate([fp.signatures for fp in parts])
    seconds = {stage: sum(fp.seconds[stage] for fp in parts) for stage in _STAGES}
    markers = [m for fp in parts for m in fp.markers]
    leftovers = [found for fp in parts for found in fp.leftovers]
    # Free sets that differ from their set travel as (document, array); the
    # others are rebuilt as the set itself.
    own_free = [(i, f) for i, (s, f) in enumerate(zip(sets, (f for fp in parts for f in fp.free_sets))) if f is not s]
    return flat, sizes, words, signatures, seconds, markers, own_free, leftovers


def _unpack(packed) -> Fingerprints:
    flat, sizes, words, signatures, seconds, markers, own_free, leftovers = packed
    # Views into one array per chunk: no copy, and cheap to send back.
    sets = np.split(flat, np.cumsum(sizes)[:-1]) if len(sizes) else []
    free = list(sets)
    for i, array in own_free:
        free[i] = array
    return Fingerprints(sets, words, signatures, seconds, markers, free, leftovers)


def resolve_workers(workers: int, n_docs: int) -> int:
    """Processes to use: ``workers``, or for 0 one per core (one on small inputs)."""
    if workers:
        return workers
    return (os.cpu_count() or 1) if n_docs >= PARALLEL_MIN_DOCS else 1


def fingerprint_all(
    texts: Sequence[str],
    shingle_size: int,
    num_perm: int,
    seed: int,
    batch_size: int = 128,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    originals: Sequence[str] | None = None,
    executor: Any = None,
    spill: Any = None,
    known: Known | None = None,
) -> Fingerprints:
    """Normalise and fingerprint every text, in batches, on ``workers`` processes.

    With ``originals`` (each document's full text), the wire stage runs in
    the same batches and ``markers`` holds each document's wire markers
    (``leftovers`` its leftover generator text); a None original gets none.
    ``executor`` (:mod:`wiretrace.executor`; a Ray cluster's), when given,
    runs the batches instead of ``workers`` forked processes.
    ``spill`` (a :class:`wiretrace.spill.Spill`), when given, receives the
    shingle sets as they come: ``sets`` and ``free_sets`` are its columns.
    ``known`` (without a spill): fingerprints made before of some texts, by
    the same settings (a :class:`Known`); those texts are not fingerprinted
    again (their wire markers are still looked for).

    Returns:
        One :class:`Fingerprints` for all texts in input order; identical
        whatever ``workers`` and ``batch_size`` are. ``seconds`` holds the
        CPU time of each stage summed over batches (over all workers when
        parallel).
    """
    if known is not None and known.settings != (shingle_size, num_perm, seed):
        raise ValueError(f"fingerprints made with shingle size, permutations and seed {known.settings} cannot stand "
                         f"for those of {(shingle_size, num_perm, seed)}: make them with the same settings")
    if known is not None and spill is None and len(known):
        def make(todo: list[str], their_originals: list[str | None] | None) -> Fingerprints:
            return fingerprint_all(todo, shingle_size, num_perm, seed, batch_size, workers, progress, their_originals,
                                   executor)

        return _around_known(texts, known, originals, progress, make)
    sets: Any = spill.sets() if spill is not None else []
    free_sets: Any = spill.sets() if spill is not None else []
    words: list[int] = []
    signatures = np.empty((len(texts), num_perm), dtype=np.uint32)
    seconds = dict.fromkeys(_STAGES, 0.0)
    markers: list[list[Any]] = []
    leftovers: list[list[dict[str, Any]]] = []
    args = (shingle_size, num_perm, seed)

    def collect(fp: Fingerprints | tuple) -> None:
        at = len(sets)
        if isinstance(fp, tuple):  # a chunk a worker wrote to the spill
            fp = _add_written(fp, sets, free_sets)
        else:
            sets.extend(fp.sets)
            if spill is not None:
                free_sets.extend_aliased(fp.free_sets, fp.sets, sets)
            else:
                free_sets.extend(fp.free_sets)
        signatures[at : at + len(fp.sets)] = fp.signatures
        words.extend(fp.words)
        markers.extend(fp.markers)
        leftovers.extend(fp.leftovers)
        for stage, value in fp.seconds.items():
            seconds[stage] += value
        if progress is not None:
            progress(len(fp.sets))

    executor = executor or LocalExecutor(workers)
    compiled.expect(len(texts))  # enough documents to load the compiled kernels for (forked workers inherit it)
    if executor.workers <= 1:
        for start in range(0, len(texts), batch_size):
            batch_originals = originals[start : start + batch_size] if originals is not None else None
            collect(_both_stages(texts[start : start + batch_size], batch_originals, *args))
    else:
        # A bounded window of chunks in flight keeps memory flat; results
        # come back in submission order, so output order is fixed.
        chunk = batch_size * 16
        # forked workers inherit the texts and get bounds; a remote one's tasks
        # carry their texts (else each task would fetch the whole corpus)
        ship = getattr(executor, "remote", False)
        # forked workers write the sets they make into the spill themselves (SharedEnd)
        with (spill.shared_sets() if spill is not None and not ship else contextlib.nullcontext()) as shared_end:
            job, shared = ((_shipped_chunk, (batch_size, args, len(texts))) if ship
                           else (_chunk, (texts, originals, batch_size, args, shared_end)))
            with executor.window(job, shared) as window:
                for start in range(0, len(texts), chunk):
                    end = min(start + chunk, len(texts))
                    task = ((list(texts[start:end]), list(originals[start:end]) if originals is not None else None)
                            if ship else (start, end))
                    for packed in window.submit(task):
                        collect(_received(packed))
                for packed in window.drain():
                    collect(_received(packed))
    if spill is not None:
        spill.flush()
    return Fingerprints(sets, words, signatures, seconds, markers, free_sets, leftovers)


class Known:
    """Fingerprints already made, by text: what :func:`fingerprint_all`
    need not make again (an index's walk fingerprints the pages a report of
    an add then analyses). A fingerprint is a function of the text alone
    for given settings, so a text found here gives the same row it would
    be given; the maker keeps the settings the same.

    Example:
        >>> fp = fingerprint_all(["one two three four five six"], 5, 16, 1)
        >>> known = Known(5, 16, 1)
        >>> known.keep(["one two three four five six"], fp)
        >>> fingerprint_all(["one two three four five six"], 5, 16, 1, known=known).signatures.tolist() \\
        ...     == fp.signatures.tolist()
        True
    """

    def __init__(self, shingle_size: int, num_perm: int, seed: int) -> None:
        self.settings = (shingle_size, num_perm, seed)  # what the rows were made with
        self._rows: dict[str, tuple[np.ndarray, int, np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def keep(self, texts: Sequence[str], fp: Fingerprints) -> None:
        """Keep row ``i`` of ``fp`` as the fingerprints of ``texts[i]``."""
        for i, text in enumerate(texts):
            self._rows[text] = (fp.sets[i], fp.words[i], fp.signatures[i], fp.free_sets[i])

    def get(self, text: str) -> tuple[np.ndarray, int, np.ndarray, np.ndarray] | None:
        return self._rows.get(text)


def _around_known(texts: Sequence[str], known: Known, originals: Sequence[str | None] | None,
                  progress: Callable[[int], None] | None,
                  make: Callable[[list[str], list[str | None] | None], Fingerprints]) -> Fingerprints:
    """:func:`fingerprint_all` of ``texts``, the rows of those ``known`` holds
    taken from it, the others made by ``make(texts, originals)``; the wire
    stage on every original (here, for the known rows)."""
    rows = [known.get(text) for text in texts]
    todo = [i for i, row in enumerate(rows) if row is None]
    made = make([texts[i] for i in todo], [originals[i] for i in todo] if originals is not None else None)
    start = time.process_time()
    out = Fingerprints([], [], np.empty((len(texts), made.signatures.shape[1]), dtype=np.uint32), dict(made.seconds))
    taken = iter(range(len(todo)))
    for i, row in enumerate(rows):
        if row is None:
            j = next(taken)
            row = (made.sets[j], made.words[j], made.signatures[j], made.free_sets[j])
        out.sets.append(row[0])
        out.words.append(row[1])
        out.signatures[i] = row[2]
        out.free_sets.append(row[3])
    out.seconds["fingerprint"] += time.process_time() - start
    if originals is not None:
        start = time.process_time()
        taken_rows = [i for i, row in enumerate(rows) if row is not None]
        out.markers, out.leftovers = [None] * len(texts), [None] * len(texts)  # every row set below
        for i, markers, leftovers in zip(todo, made.markers, made.leftovers):
            out.markers[i], out.leftovers[i] = markers, leftovers
        for i, markers, leftovers in zip(taken_rows, *_wire_stage([originals[i] for i in taken_rows])):
            out.markers[i], out.leftovers[i] = markers, leftovers
        out.seconds["wire"] += time.process_time() - start
    if progress is not None:
        progress(len(texts) - len(todo))
    return out


def shingle_sets(texts: Sequence[str], shingle_size: int, batch_size: int = 128,
                 free: bool = False) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The shingle sets :func:`fingerprint_all` makes of ``texts``, without
    their MinHash signatures: for a caller that only compares sets (the
    candidates an index's walk verifies). With ``free``, also each text's
    free set (its shingles outside quotes, as ``free_sets``); without, the
    quotes are not looked for, and the second list is empty.

    Example:
        >>> sets, free = shingle_sets(['He said "we all stay here" today.'], 3, free=True)
        >>> len(sets[0]), len(free[0])
        (5, 0)
    """
    sets: list[np.ndarray] = []
    free_sets: list[np.ndarray] = []
    for start in range(0, len(texts), batch_size):
        batch = texts[start:start + batch_size]
        if free:
            words, quoted = normalise_quoted_batch(batch)
            found, found_free, _ = free_shingle_sets(words, shingle_size, quoted)
            free_sets.extend(found_free)
        else:
            found, _ = shingle_sets_of_words(normalise_batch(batch), shingle_size)
        sets.extend(found)
    return sets, free_sets
