"""The office's accounts (用户): the functions ``wenshu user …`` and the web pages share.

Passwords are hashed by Django's hashers and checked by its validators; every change is in the
access log with who made it (the CLI logs as ``命令行``).
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.errors import WenshuError
from wenshu.web.access import CLEARANCE_LABEL, ROLES

CLI_ACTOR = "命令行"


@dataclass
class Account:
    username: str
    role: str
    clearance: str
    department: str
    active: bool
    last_login: str

    @classmethod
    def of(cls, user) -> "Account":
        p = getattr(user, "profile", None)
        return cls(user.username, p.role if p else "", p.clearance if p else "", p.department if p else "",
                   user.is_active, user.last_login.strftime("%Y-%m-%d %H:%M") if user.last_login else "")


def _check(role: str | None, clearance: str | None) -> None:
    if role is not None and role not in ROLES:
        raise WenshuError(f"角色“{role}”不正确：应为 {'、'.join(ROLES)} 之一。")
    if clearance is not None and clearance not in CLEARANCE_LABEL:
        raise WenshuError(f"可见密级“{clearance}”不正确：应为空、秘密、机密或绝密。")


def _validate_password(password: str, user=None) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    if not password:
        raise WenshuError("密码不能为空。")
    if len(password) < 8:
        raise WenshuError("密码太短：至少 8 个字符。")
    try:
        validate_password(password, user)
    except ValidationError as e:
        raise WenshuError("密码不符合要求：" + "；".join(e.messages)) from None


def count() -> int:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.count()


def add_user(username: str, password: str, role: str, clearance: str = "", department: str = "",
             actor: str = CLI_ACTOR, request=None) -> Account:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from wenshu.web.audit import log
    from wenshu.web.models import Profile

    username = (username or "").strip()
    if not username:
        raise WenshuError("用户名不能为空。")
    if len(username) > 150:
        raise WenshuError("用户名过长：至多 150 个字符。")
    _check(role, clearance)
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise WenshuError(f"用户“{username}”已经存在，未做任何更改。")
    _validate_password(password)
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password)
        Profile.objects.create(user=user, role=role, clearance=clearance or "", department=department or "")
        log(request, "user", username, f"新增用户：角色 {role}，可见密级 {clearance or '无'}，机构 {department or '无'}",
            username=actor)
    return Account.of(user)


def _get(username: str):
    from django.contrib.auth import get_user_model

    try:
        return get_user_model().objects.select_related("profile").get(username=username)
    except get_user_model().DoesNotExist:
        raise WenshuError(f"没有用户“{username}”。可用 wenshu user list 查看已有用户。") from None


def list_users() -> list[Account]:
    from django.contrib.auth import get_user_model

    return [Account.of(u) for u in get_user_model().objects.select_related("profile").order_by("username")]


def set_password(username: str, password: str, actor: str = CLI_ACTOR, request=None) -> None:
    from wenshu.web.audit import log

    user = _get(username)
    _validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    log(request, "user", username, "修改密码", username=actor)


def set_active(username: str, active: bool, actor: str = CLI_ACTOR, request=None) -> None:
    """Disable (停用) keeps the user and its log entries; it only refuses logins and ends sessions."""
    from django.contrib.sessions.models import Session

    from wenshu.web.audit import log

    user = _get(username)
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:  # end the user's open sessions at once
        for s in Session.objects.all():
            if s.get_decoded().get("_auth_user_id") == str(user.pk):
                s.delete()
    log(request, "user", username, "启用用户" if active else "停用用户", username=actor)
