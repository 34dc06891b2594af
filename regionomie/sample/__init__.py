"""Deterministic synthetic sample region (see generator.py and data/sample/README.md)."""
