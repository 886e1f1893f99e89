"""lossbook: loss functions for machine learning, exact and stable.

Every loss of the book is importable from here; see the API reference.
"""

__version__ = "0.1.0"
