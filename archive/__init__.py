"""The records store: numbering registry, records, 档号, audit, export/import.

This package imports neither ``generator`` nor ``indexer``; they build on its domain types.
"""
