from archive.ignore import JUNK_DIRS, JUNK_NAMES, JUNK_PATTERNS, is_ignored, is_junk_name  # noqa: F401  moved: one junk rule in archive/ignore.py
