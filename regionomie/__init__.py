"""Regionomie: a region's public data -> ranked, explainable circular business cases."""

__version__ = "0.1.0"
