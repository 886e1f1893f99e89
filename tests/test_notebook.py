"""lossbook.notebook.glue: what a chapter stores is rounded, and checked."""

from __future__ import annotations

import numpy as np
import pytest

from lossbook.notebook import _rounded, glue


def test_default_keeps_ten_significant_digits():
    assert _rounded(np.float64(1.0986122886681096)) == 1.098612289
    assert _rounded(2.0 / 3.0) == 0.6666666667


def test_fewer_digits_absorb_a_drift_in_the_eighth():
    # two runs of one training loop on different processors
    a, b = 0.7999885309, 0.7999885654
    assert _rounded(a) != _rounded(b)
    assert _rounded(a, 6) == _rounded(b, 6) == 0.799989


def test_integers_and_other_values_are_left_alone():
    assert _rounded(12345678901234) == 12345678901234
    assert _rounded("text") == "text"


@pytest.mark.parametrize("digits", [0, 18, -3])
def test_digits_out_of_range_is_refused_by_name(digits):
    with pytest.raises(ValueError, match="digits"):
        glue("x", 1.0, display=False, digits=digits)


def test_digits_must_be_an_integer():
    with pytest.raises(TypeError, match="digits"):
        glue("x", 1.0, display=False, digits=6.0)
