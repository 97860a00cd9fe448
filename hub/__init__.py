"""Buurtbaken: an offline-first crisis hub for one neighbourhood."""

__version__ = "0.1.0"
