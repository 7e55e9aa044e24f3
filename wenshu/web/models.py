"""The app's own tables: who a user is in the office (Profile) and what was done (AccessLog).

The records themselves stay in the archive folder; nothing here duplicates their metadata.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from wenshu.web.access import CLEARANCE_LABEL, ROLES


class Profile(models.Model):
    """A user's role (角色), 密级 clearance (涉密等级) and department (机构)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField("角色", max_length=8, choices=[(r, r) for r in ROLES])
    clearance = models.CharField("可见密级", max_length=4, blank=True, default="",
                                 choices=list(CLEARANCE_LABEL.items()))
    department = models.CharField("机构", max_length=32, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "用户资料"

    def __str__(self):
        return f"{self.user.username}（{self.role}）"


class AccessLog(models.Model):
    """审计日志: one row per login, failed login, search, record view, download, user change.
    Rows are only ever inserted: the app has no view that edits or deletes them."""

    ACTIONS = {
        "login": "登录", "login_failed": "登录失败", "logout": "退出", "search": "检索",
        "view": "查看文件", "download": "下载", "page": "查看页面图像", "user": "用户变更",
        "audit_export": "导出审计日志",
    }

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    username = models.CharField("用户", max_length=150, db_index=True)
    action = models.CharField("操作", max_length=16, db_index=True, choices=list(ACTIONS.items()))
    remote_addr = models.CharField("来源地址", max_length=64, blank=True, default="")
    object = models.CharField("对象", max_length=500, blank=True, default="")
    detail = models.CharField("说明", max_length=1000, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "审计日志"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("审计日志只能新增，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计日志不能删除。")

    @property
    def action_label(self) -> str:
        return self.ACTIONS.get(self.action, self.action)
