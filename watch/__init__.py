"""The watcher (``wenshu watch``): keeps the index true to the disk and files what is dropped into the inbox.

A package of its own beside ``indexer/``: wenshu → watch → indexer, archive. It reaches the
index only through ``indexer.index.ArchiveIndex``'s public methods (and ``indexer.merging``'s
policy of when to merge segments), and files inbox documents through ``archive.inbox``. Nothing
is imported here, so ``wenshu --help`` does not pay for the watcher.
"""
