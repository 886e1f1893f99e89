"""Placeholder: filled in by the library work."""

GRADIENTS: dict = {}
