"""Shared test helpers: the ulp measure and central differences.

Both live in the package, where the book uses them too; this module only
fixes the tolerance the tests hold every loss to.
"""

from lossbook.gradients import central_difference
from lossbook.symbolic import ulp_error

__all__ = ["MAX_ULP", "central_difference", "ulp_error"]

#: The worst error allowed against the 50-digit oracle, in float64 ulps.
MAX_ULP = 8.0
