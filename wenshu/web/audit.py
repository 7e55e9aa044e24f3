"""Writing the access log (审计日志): one function for every view and command, plus the login
signals, so a login or a failed login is logged however it happens."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver


def remote_addr(request) -> str:
    return (request.META.get("REMOTE_ADDR", "") if request is not None else "")[:64]


def log(request, action: str, obj: str = "", detail: str = "", username: str | None = None) -> None:
    from wenshu.web.models import AccessLog

    if username is None:
        user = getattr(request, "user", None)
        username = user.get_username() if user is not None and user.is_authenticated else ""
    AccessLog.objects.create(username=username[:150], action=action, remote_addr=remote_addr(request),
                             object=str(obj)[:500], detail=str(detail)[:1000])


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kw):
    log(request, "login", username=user.get_username())


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kw):
    if user is not None:
        log(request, "logout", username=user.get_username())


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kw):
    log(request, "login_failed", username=str(credentials.get("username", "")), detail="用户名或密码不正确")
