"""The Ray engine: the plan run on a real local Ray (2 CPUs, started here;
never a mock) writes the report the local executor writes.

Compared "minus timings": run id, stage timings and the worker count aside,
every field of report.json is equal. Without Ray installed the tests skip
saying why -- or fail, when WIRETRACE_REQUIRE_RAY is set (as .ci/run sets it).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from wiretrace import scan
from wiretrace.cli import main
from wiretrace.config import Config
from wiretrace.errors import ConfigError
from wiretrace.index import Index

from test_index import _same

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "corpus"


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray with 2 CPUs for this module (stopped at its end)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
        import ray.data  # noqa: F401 - the group steps run on Ray Data
    except ImportError:
        if os.environ.get("WIRETRACE_REQUIRE_RAY"):
            pytest.fail("Ray is not installed (pip install 'wiretrace[ray]')")
        pytest.skip("Ray is not installed: pip install 'wiretrace[ray]'; .ci/run installs it")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
             object_store_memory=300 * 2**20)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """20,000 synthetic news documents with known copies (benchmarks' corpus)."""
    from wiretrace.evaluation.synthetic import generate_corpus, write_jsonl

    path = tmp_path_factory.mktemp("synthetic") / "docs.jsonl"
    write_jsonl(generate_corpus(20_000, seed=7), path)
    return path


def _on_ray(inputs, **overrides):
    from wiretrace.ray_executor import connect

    with connect() as executor:
        assert executor.workers == 2
        return scan(inputs, executor=executor, workers=1, **overrides)  # workers: the local engine's, not used


def test_the_demo_on_ray_is_the_local_report(ray_cluster):
    report = _on_ray([DEMO])
    _same(report, scan([DEMO], workers=1))
    assert report.clusters and report.to_dict()["stats"]["workers"] == 2


def test_the_simulated_web_on_ray_is_the_local_report(ray_cluster, tmp_path):
    from wiretrace.evaluation.simulate import simulate

    from test_simulate import _invented_articles

    records = simulate(_invented_articles(40, seed=61), n_stories=24, seed=5).records
    _same(_on_ray(records), scan(records, workers=1))


def test_twenty_thousand_synthetic_documents_on_ray_are_the_local_report(ray_cluster, synthetic, monkeypatch):
    # large enough that every parallel step (fingerprint windows, the credits,
    # provenance and align maps over thousands of clustered pages) runs on Ray
    from wiretrace.ray_executor import RayExecutor

    import pickle

    from wiretrace.ray_executor import RayWindow

    steps, shared_bytes = [], []
    group, window = RayExecutor.group, RayWindow.__init__
    monkeypatch.setattr(RayExecutor, "group", lambda self, *a, **k: steps.append(a[1].__name__) or group(self, *a, **k))
    monkeypatch.setattr(RayWindow, "__init__", lambda self, func, shared, workers: (
        shared_bytes.append(len(pickle.dumps(shared))), window(self, func, shared, workers))[1])
    report = _on_ray(str(synthetic))
    # the group steps ran on Ray Data: chrome lines per site, LSH buckets, anchors, the rewrite step's anchors
    assert steps == ["_line_rows", "_band_rows", "_anchor_rows", "_anchor_rows"]
    # every task fetches its window's shared data: never the corpus (45 MB of text here),
    # which made fingerprinting quadratic; a task carries its own texts
    assert shared_bytes and max(shared_bytes) < 100_000
    assert sum(c["size"] for c in report.clusters) > 2000
    _same(report, scan(str(synthetic), workers=1))


def _random_sets(seed: int, n: int):
    """Sorted distinct shingle sets: cuts of a few stories (so anchors and
    LSH buckets are shared, some by more documents than ``max_df`` or
    ``MAX_BUCKET``), unrelated pages, and empty ones."""
    import numpy as np

    rng = np.random.default_rng(seed)
    stories = [np.unique(rng.integers(0, 2**64, int(rng.integers(50, 600)), dtype=np.uint64)) for _ in range(12)]
    sets = []
    for i in range(n):
        kind = rng.integers(0, 10)
        if kind == 0:
            sets.append(np.empty(0, dtype=np.uint64))
        elif kind < 3:
            sets.append(np.unique(rng.integers(0, 2**64, int(rng.integers(1, 400)), dtype=np.uint64)))
        else:
            story = stories[int(rng.integers(0, len(stories)))]
            start = int(rng.integers(0, len(story) // 2))
            sets.append(story[start : start + int(rng.integers(1, len(story)))])
    return sets


@pytest.mark.parametrize("seed", [1, 2])
def test_the_candidates_group_steps_on_ray_data_equal_the_local_ones(ray_cluster, seed):
    import numpy as np

    from wiretrace.candidates import anchor_candidates, lsh_candidates
    from wiretrace.minhash import MinHasher
    from wiretrace.ray_executor import connect
    from wiretrace.spill import Blanked

    sets = _random_sets(seed, 2500 if seed == 1 else 9000)  # the second: more than two input batches
    signatures = MinHasher(num_perm=64, seed=seed).signatures([s for s in sets if len(s)])
    signatures = np.vstack([signatures, np.repeat(signatures[:3], 80, axis=0)])  # buckets past MAX_BUCKET
    with connect() as executor:
        assert executor.remote
        for rate, min_shared, max_df in ((8, 3, 100), (3, 2, 5), (2, 1, 2)):  # 3: not a power of two
            local = anchor_candidates(sets, rate, min_shared, max_df)
            assert len(local)
            assert np.array_equal(anchor_candidates(sets, rate, min_shared, max_df, executor), local)
        with pytest.MonkeyPatch.context() as patch:  # many partitions, as a large corpus is cut
            patch.setattr("wiretrace.candidates.ANCHOR_PARTITION_BYTES", 4096)
            assert np.array_equal(anchor_candidates(sets, 4, 2, 5, executor), anchor_candidates(sets, 4, 2, 5))
        blanked = Blanked(sets, set(range(0, len(sets), 3)))  # the rewrite step's view
        assert np.array_equal(anchor_candidates(blanked, 4, 2, 50, executor), anchor_candidates(blanked, 4, 2, 50))
        for bands, rows in ((16, 4), (8, 8)):
            local = lsh_candidates(signatures, bands, rows)
            assert np.array_equal(lsh_candidates(signatures, bands, rows, executor), local)


@pytest.mark.parametrize("min_pages", [2, 3])
def test_chrome_counted_by_a_group_step_strips_what_one_process_strips(ray_cluster, min_pages):
    from wiretrace.chrome import strip_chrome
    from wiretrace.ray_executor import connect
    from wiretrace.records import Document

    # templates of a few lines per site, a long legal notice, a wire sign-off on a few pages,
    # pages without a site, and hostile text: a lone surrogate in a site and in a line
    rng = np.random.default_rng(min_pages)
    template = ["Home | World | Sport", "Subscribe to our newsletter", "© 2024 Site \ud800 Ltd", "notice " * 45]
    pages = []
    for i in range(9000):  # more than two batches of REMOTE_BATCH
        site = "" if i % 13 == 0 else ("bad\ud800site" if i % 17 == 0 else f"s{i % 41}.example")
        lines = [line for line in template if rng.random() < 0.7]
        lines += [f"story {i} " + "word " * int(rng.integers(3, 40)), f"(Reuters) sign-off {i % 7}"]
        pages.append(Document(id=str(i), text="\n".join(rng.permutation(lines).tolist()), site=site))
    # lines on exactly 1-4 pages of one site: around the threshold
    of_site = [i for i, page in enumerate(pages) if page.site == "s1.example"]
    for k in range(1, 5):
        for i in of_site[:k]:
            pages[i] = Document(id=pages[i].id, text=pages[i].text + f"\nRelated: topic {k}", site=pages[i].site)
    local = strip_chrome(pages, min_pages, 40, 0.5, 5)
    with connect() as executor:
        remote = strip_chrome(pages, min_pages, 40, 0.5, 5, executor=executor)
    assert sum(local.lines_removed) > 10_000 and local.template
    assert list(remote.texts) == list(local.texts)
    assert remote.lines_removed == local.lines_removed
    assert (remote.sites_with_chrome, remote.template) == (local.sites_with_chrome, local.template)


def test_a_group_step_with_no_rows_gives_nothing(ray_cluster):
    import numpy as np

    from wiretrace.candidates import anchor_candidates
    from wiretrace.ray_executor import connect

    with connect() as executor:
        assert executor.group(iter([]), len, len) == {}
        # rows go in, none come out of map_batches: Ray Data has nothing to group
        # (a nested function: Ray ships it by value, the workers cannot import this test module)
        def no_rows(batch, shared):
            return {"part": np.empty(0, dtype=np.int64), "key": np.empty(0, dtype=np.int64)}

        nothing = executor.group(iter([{"doc": np.arange(50)}]), no_rows, no_rows, parts=2)
        assert nothing == {}
        empty = [np.empty(0, dtype=np.uint64)] * 10
        assert len(anchor_candidates(empty, 4, 2, 5, executor)) == 0



def test_an_index_added_in_parts_on_ray_reports_what_one_scan_does(ray_cluster, synthetic):
    from wiretrace.ray_executor import connect

    lines = synthetic.read_text(encoding="utf-8").splitlines(keepends=True)[:6000]
    first, second = synthetic.parent / "first.jsonl", synthetic.parent / "second.jsonl"
    first.write_text("".join(lines[:3500]), encoding="utf-8")
    second.write_text("".join(lines[3500:]), encoding="utf-8")
    config = Config().replace(workers=1)  # the local engine's workers, not used: the same report config
    with connect() as executor, Index.open("memory:", config, executor=executor) as index:
        index.add(str(first))
        index.add(str(second))  # batches of 2,048 and more: fingerprinted on Ray
        report = index.report()
    _same(report, scan([str(first), str(second)], workers=1))


def test_scan_engine_ray_writes_the_local_report(ray_cluster, tmp_path):
    assert main(["scan", str(DEMO), "--engine", "ray", "-o", str(tmp_path / "ray"), "-q", "--no-html"]) == 0
    assert main(["scan", str(DEMO), "-o", str(tmp_path / "local"), "-q", "--no-html", "--workers", "1"]) == 0
    ray_report, local = (json.loads((tmp_path / name / "report.json").read_text(encoding="utf-8"))
                         for name in ("ray", "local"))
    for report in (ray_report, local):
        report.pop("run_id")
        report.pop("stats")
        report["config"]["run"].pop("workers", None)
    assert ray_report == local


def test_ray_address_without_the_ray_engine_is_an_error(capsys, tmp_path):
    for argv in (["scan", str(DEMO)], ["index", "report", "--db", str(tmp_path / "x.wtidx")]):
        out = tmp_path / argv[0]
        assert main([*argv, "--ray-address", "auto", "-o", str(out), "-q"]) == 2
        assert "--ray-address needs --engine ray" in capsys.readouterr().err
        assert not out.exists()  # a usage error, found before the output folder is taken


def test_without_ray_the_engine_says_how_to_install_it(monkeypatch):
    from wiretrace.ray_executor import connect

    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed: its import fails
    with pytest.raises(ConfigError, match=r"pip install 'wiretrace\[ray\]'"):
        with connect():
            pass


def test_ray_without_ray_data_says_how_to_install_it_before_any_work(monkeypatch):
    pytest.importorskip("ray")
    from wiretrace.ray_executor import connect

    # plain `pip install ray` has no pyarrow: Ray Data cannot be imported
    monkeypatch.setitem(sys.modules, "ray.data", None)
    with pytest.raises(ConfigError, match=r"pip install 'wiretrace\[ray\]'.*Ray Data"):
        with connect():
            pass


def test_index_add_and_report_with_engine_ray(ray_cluster, tmp_path, capsys):
    parts = sorted(DEMO.iterdir())
    db = str(tmp_path / "demo.wtidx")
    assert main(["index", "add", str(parts[0]), "--db", db, "--engine", "ray"]) == 0
    assert main(["index", "add", *map(str, parts[1:]), "--db", db, "--engine", "ray"]) == 0
    assert main(["index", "report", "--db", db, "--engine", "ray", "-o", str(tmp_path / "out"),
                 "-q", "--no-html"]) == 0
    capsys.readouterr()
    written = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    expected = scan(parts).to_dict()  # ids of records without one come from the inputs as named
    for report in (written, expected):
        report.pop("run_id")
        report.pop("stats")
    assert written == expected


def test_a_users_registry_reaches_the_ray_workers(ray_cluster, tmp_path):
    # (found by a review) the registry is module state of the driver; workers are fresh
    # processes: the wire markers found during fingerprinting must know the user's agency
    from conftest import story

    registry = tmp_path / "mine.toml"
    registry.write_text('[[agency]]\nid = "zetawire"\nname = "Zeta Wire"\naliases = ["Zetawire"]\n', encoding="utf-8")
    text = "PARIS (Zetawire) - " + story(44, 300)
    records = [{"id": "a", "text": text}, {"id": "b", "text": text + " x"}]
    on_ray = _on_ray(records, registry_files=(str(registry),))
    assert on_ray.to_dict()["documents"][0]["wire"]  # the dateline of the user's agency
    _same(on_ray, scan(records, registry_files=(str(registry),), workers=1))
