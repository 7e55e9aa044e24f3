"""Full-text search over the archive (全文检索): analysis, schema, the index writer, queries.

Modules import whoosh lazily where they can: ``wenshu search`` must start in well under a second.
"""
