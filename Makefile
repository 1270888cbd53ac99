# Two entry points (the README's Quickstart): `make demo` and `make test`.
# Each builds .venv on first use; nothing else needs to be installed by hand.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-suites bench-peers clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) (Python 3.11+); set PYTHON=..."; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/wiretrace scan data/corpus --out out/demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_throughput.py

# text-dedup, a peer in `wiretrace bench --suite peers`, needs its own environment:
# its dependencies (datasets, pyspark, ...) clash with wiretrace's.
TEXT_DEDUP := .venv-text-dedup/bin/python
$(TEXT_DEDUP):
	$(PYTHON) -m venv .venv-text-dedup
	.venv-text-dedup/bin/pip install --quiet text-dedup==0.4.0

bench-suites: $(STAMP) $(TEXT_DEDUP)
	WIRETRACE_TEXT_DEDUP_PYTHON=$(TEXT_DEDUP) $(BIN)/wiretrace bench --json out/bench.json

# datatrove, rensa and datasketch side by side with wiretrace at scale
# (benchmarks/bench_peers_scale.py), in an environment of their own: datatrove's
# MinHash needs xxhash<4, which wiretrace's own xxhash use outgrew.
PEERS := .venv-peers/bin/python
$(PEERS):
	$(PYTHON) -m venv .venv-peers
	.venv-peers/bin/pip install --quiet datatrove==0.10.1 'xxhash<4' regex orjson tokenizers rensa==0.5.0 datasketch==2.0.0

bench-peers: $(STAMP) $(PEERS)
	$(BIN)/python benchmarks/bench_peers_scale.py --sizes 100000 --peer-python $(PEERS) --json out/peers_scale.json

clean:
	rm -rf $(VENV) .venv-text-dedup .venv-peers out .pytest_cache
