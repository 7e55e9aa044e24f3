"""Serving the app with waitress (a production WSGI server that also runs on Windows)."""

from __future__ import annotations

THREADS = 4


def application(root):
    """The WSGI app for the archive at ``root``: Django configured and migrated first."""
    from wenshu.web.settings import setup

    setup(root)
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def serve(app, host: str, port: int, threads: int = THREADS) -> None:
    from waitress import serve as waitress_serve

    waitress_serve(app, host=host, port=port, threads=threads, ident="wenshu", clear_untrusted_proxy_headers=True,
                   _quiet=True)
