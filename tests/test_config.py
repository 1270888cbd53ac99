"""The LSH banding chosen for a threshold (wiretrace.config.lsh_params):
the fast screen picks what scoring every banding by the plain formula picks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.config import Config, _band_error, _band_errors, _optimal_bands, _OPTIMAL_CACHE, _SCREEN, lsh_params


def _reference(threshold: float, num_perm: int) -> tuple[int, int]:
    """Every banding scored by the plain formula (what the code did before the screen)."""
    return min(((b, r) for r in range(1, num_perm + 1) for b in range(1, num_perm // r + 1)),
               key=lambda br: (round(_band_error(threshold, *br), 12), -br[0]))


def _fresh(threshold: float, num_perm: int) -> tuple[int, int]:
    _OPTIMAL_CACHE.pop((threshold, num_perm), None)
    return _optimal_bands(threshold, num_perm)


@pytest.mark.parametrize("num_perm", [16, 64, 128])
@pytest.mark.parametrize("threshold", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
def test_the_screened_banding_is_the_one_the_plain_formula_picks(threshold, num_perm):
    assert _fresh(threshold, num_perm) == _reference(threshold, num_perm)


@settings(max_examples=25, deadline=None)
@given(st.floats(0.02, 0.98), st.integers(1, 96))
def test_the_screened_banding_is_the_plain_formulas_for_any_threshold(threshold, num_perm):
    assert _fresh(threshold, num_perm) == _reference(threshold, num_perm)


@pytest.mark.parametrize("threshold", [0.05, 0.5, 0.95])
def test_numpy_scores_every_banding_as_the_plain_formula_does_within_a_small_part_of_the_screen(threshold):
    pairs = [(b, r) for r in range(1, 257) for b in range(1, 256 // r + 1)]
    fast = _band_errors(threshold, np.array(pairs, dtype=np.float64))
    plain = np.array([_band_error(threshold, b, r) for b, r in pairs])
    assert np.abs(fast - plain).max() < _SCREEN / 1000


def test_the_default_settings_band_as_the_plain_formula_does():
    config = Config()
    assert lsh_params(config) == _reference(config.lsh_threshold, config.num_perm)
