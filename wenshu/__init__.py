"""wenshu (文书): generate, number, file, find and export Chinese official documents (公文)."""

__version__ = "0.1.0"
