"""Measuring wiretrace: scoring a scan against labels, and benchmark suites."""

from wiretrace.evaluation.gold import Gold, GoldError, load_gold
from wiretrace.evaluation.metrics import adjusted_rand_index, evaluate

__all__ = ["Gold", "GoldError", "load_gold", "evaluate", "adjusted_rand_index"]
