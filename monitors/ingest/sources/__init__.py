"""Source kinds, one module each; the registry of kinds is monitors.ingest.sources.registry.

This package imports nothing itself, so importing a kind's shared types (base.py) never pulls in every kind.
"""
