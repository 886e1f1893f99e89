"""SymPy definitions of lossbook's losses: one source of truth per loss.

Each definition is a :class:`LossDefinition`. The book shows its LaTeX,
differentiates it and takes its limits; the tests evaluate it at 50 digits
as the oracle for the NumPy functions; :func:`lossbook.gradient` implements
its derivative in closed form.
"""

from lossbook.symbolic._core import ORACLE_DIGITS, LossDefinition, ulp_error

__all__ = ["ORACLE_DIGITS", "LossDefinition", "ulp_error"]
