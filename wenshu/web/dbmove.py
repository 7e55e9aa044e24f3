"""The web app's tables (users, groups, sessions, the access log, axes' login records) copied from
``.wenshu/web.sqlite3`` to the office server by ``wenshu server migrate``. Run in a process of its
own: Django is configured here with both databases, the server one as ``default``."""

from __future__ import annotations

from archive.errors import WenshuError
from archive.store import Archive


def _models():
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog as AxesLog
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.models import Session

    from wenshu.web.models import AccessLog, Profile

    # parents before children; content types and permissions are made afresh by migrate
    return [Group, User, User.groups.through, Profile, Session, AccessLog, AccessAttempt, AccessFailureLog, AxesLog]


def move_web_tables(arch: Archive) -> dict[str, tuple[int, int]]:
    """table → (rows in SQLite, of them found on the server). Idempotent: rows already there are kept."""
    import django
    from django.conf import settings

    from wenshu.web.settings import DB_NAME, database, django_settings, sqlite_database

    if not arch.config.database:
        raise WenshuError(f"{arch.config_path} 中没有 [server] database，未做任何更改。")
    have_sqlite = (arch.state_dir / DB_NAME).exists()
    dbs = {"default": database(arch)}
    if have_sqlite:
        dbs["old"] = sqlite_database(arch)
    settings.configure(**{**django_settings(arch), "DATABASES": dbs})
    django.setup()
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connections, transaction

    call_command("migrate", database="default", verbosity=0, interactive=False)
    if not have_sqlite:
        return {}
    call_command("migrate", database="old", verbosity=0, interactive=False)  # an older file: same columns
    counts = {}
    models = _models()
    with transaction.atomic(using="default"):
        for model in models:
            rows = list(model.objects.using("old").all())
            model.objects.using("default").bulk_create(rows, ignore_conflicts=True, batch_size=500)
        with connections["default"].cursor() as cur:
            for stmt in connections["default"].ops.sequence_reset_sql(no_style(), models):
                cur.execute(stmt)
    for model in models:
        mine = set(model.objects.using("old").values_list("pk", flat=True))
        theirs = set(model.objects.using("default").filter(pk__in=list(mine)).values_list("pk", flat=True))
        counts[model._meta.db_table] = (len(mine), len(theirs))
        if mine - theirs:
            raise WenshuError(f"网页数据表 {model._meta.db_table} 有 {len(mine - theirs)} 行没有复制到服务器。")
    return counts
