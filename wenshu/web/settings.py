"""Django settings built at run time from the archive (档案库) the app serves.

One process serves one archive: ``setup(root)`` configures Django once, migrates the app's
tables (users, sessions, the access log, axes' login attempts) in ``<archive>/.wenshu/web.sqlite3``
(or on the office server, ``database`` below) and remembers the archive for the views. The secret key is generated on first start and kept,
readable by its owner only, beside the database, so sessions survive a restart.
"""

from __future__ import annotations

import os
import threading
import secrets
from datetime import timedelta
from pathlib import Path

from archive.fsutil import atomic_write_text
from archive.store import Archive

HERE = Path(__file__).resolve().parent
DB_NAME = "web.sqlite3"
SECRET_NAME = "web-secret-key"
SESSION_AGE = 8 * 3600  # a working day; the cookie also ends with the browser
FAILURE_LIMIT = 5  # failed logins in a row that lock the account
LOCKOUT = timedelta(minutes=15)

_archive: Archive | None = None


_local = threading.local()


def archive() -> Archive:
    """The archive this process serves (set by ``setup``), opened once per thread: the registry's
    SQLite connection belongs to the thread that opened it, and waitress answers from several
    threads (the background tasks run in their own), so no Archive is shared between threads."""
    if _archive is None:
        raise RuntimeError("wenshu.web.settings.setup() has not been called")
    if threading.current_thread() is threading.main_thread():
        return _current_config(_archive)
    mine = getattr(_local, "archive", None)
    if mine is None or mine.root != _archive.root:
        mine = _local.archive = Archive(_archive.root)
    return _current_config(mine)


def _current_config(arch: Archive) -> Archive:
    """``arch`` with its wenshu.toml re-read if the file changed since it was read: a 机关代字 added
    on the 文号 page (archive/prefixes.py, in whichever thread took that request) or by hand must
    be seen by every thread's Archive, not only the writer's. One stat per call; the file is
    replaced atomically, so its inode changes even where mtimes are coarse. (The registry keeps
    its database: moving [server] database still needs a restart.)"""
    try:
        st = arch.config_path.stat()
    except OSError:
        return arch
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    if arch.__dict__.get("_config_stamp") != stamp:
        arch.__dict__.pop("config", None)
        arch.__dict__["_config_stamp"] = stamp
    return arch


def release_thread_archive() -> None:
    """Close this thread's Archive (a background task's thread is about to end)."""
    mine = getattr(_local, "archive", None)
    if mine is not None:
        mine.close()
        _local.archive = None


def secret_key(state_dir: Path) -> str:
    path = state_dir / SECRET_NAME
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(50)
    atomic_write_text(path, key + "\n")
    os.chmod(path, 0o600)
    return key


def sqlite_database(arch: Archive) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(arch.state_dir / DB_NAME),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}}


def database(arch: Archive) -> dict:
    """The app's tables: beside the archive in SQLite, or on the office server when wenshu.toml's
    [server] database names one (the same database as the number ledger; libpq finds the password
    in PGPASSWORD or ~/.pgpass, so none is written here)."""
    url = arch.config.database
    if not url:
        return sqlite_database(arch)
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(url)
    named = {"NAME": info.pop("dbname", ""), "USER": info.pop("user", ""), "HOST": info.pop("host", ""),
             "PORT": str(info.pop("port", ""))}
    return {"ENGINE": "django.db.backends.postgresql", **named, "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": True, "OPTIONS": {**info, "application_name": "wenshu-web"}}


def django_settings(arch: Archive, debug: bool = False) -> dict:
    return dict(
        DEBUG=debug,
        SECRET_KEY=secret_key(arch.state_dir),
        ALLOWED_HOSTS=["*"],  # the office LAN: bound to 127.0.0.1 unless --host says otherwise
        ROOT_URLCONF="wenshu.web.urls",
        INSTALLED_APPS=[
            "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
            "django.contrib.messages", "django.contrib.staticfiles", "django_htmx", "axes",
            "wenshu.web.apps.WebConfig",
        ],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "django_htmx.middleware.HtmxMiddleware",
            "axes.middleware.AxesMiddleware",
        ],
        AUTHENTICATION_BACKENDS=["axes.backends.AxesStandaloneBackend",
                                 "django.contrib.auth.backends.ModelBackend"],
        DATABASES={"default": database(arch)},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [],
                    "APP_DIRS": True,
                    "OPTIONS": {"context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                        "wenshu.web.views.context"]}}],
        LANGUAGE_CODE="zh-hans", TIME_ZONE="Asia/Shanghai", USE_I18N=True, USE_TZ=True,
        STATIC_URL="/static/",
        LOGIN_URL="login", LOGIN_REDIRECT_URL="search", LOGOUT_REDIRECT_URL="login",
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_AGE=SESSION_AGE,
        SESSION_EXPIRE_AT_BROWSER_CLOSE=True, SESSION_COOKIE_NAME="wenshu_session",
        CSRF_COOKIE_HTTPONLY=True, CSRF_COOKIE_SAMESITE="Lax", CSRF_FAILURE_VIEW="wenshu.web.views.csrf_failure",
        X_FRAME_OPTIONS="DENY", SECURE_CONTENT_TYPE_NOSNIFF=True, SECURE_REFERRER_POLICY="same-origin",
        AXES_FAILURE_LIMIT=FAILURE_LIMIT, AXES_COOLOFF_TIME=LOCKOUT, AXES_LOCKOUT_PARAMETERS=["username"],
        SILENCED_SYSTEM_CHECKS=["axes.W006"],  # locking the ACCOUNT is the point (issue 20), not the IP
        AXES_RESET_ON_SUCCESS=True, AXES_LOCKOUT_CALLABLE="wenshu.web.views.locked_out", AXES_VERBOSE=False,
        LOGGING={"version": 1, "disable_existing_loggers": False,
                 "loggers": {"axes": {"level": "WARNING"}, "django.request": {"level": "ERROR"}}},
    )


def setup(root: str | os.PathLike | None, *, migrate: bool = True, debug: bool = False) -> Archive:
    """Configure Django for the archive at ``root`` (or the one ``Archive.find`` finds) and bring
    its tables up to date. Idempotent for the same archive within one process."""
    global _archive
    import django
    from django.conf import settings

    arch = Archive.find(root)
    if settings.configured:
        if _archive is None or _archive.root != arch.root:
            raise RuntimeError(f"Django is already configured for {_archive and _archive.root}")
        return _archive
    settings.configure(**django_settings(arch, debug))
    _archive = arch
    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    return arch
