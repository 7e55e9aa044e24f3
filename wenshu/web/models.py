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
        # part 2 (收文登记, 案件, 移交)
        "upload": "上传收文", "receive": "收文登记", "discard": "放弃收文", "case_link": "关联案件",
        "export": "移交导出", "verify": "四性检测", "import": "接收导入", "pkg_download": "下载数据包",
        # part 2 (拟文/发文, 文号, 批量)
        "preview": "预览", "issue": "发文", "number_reserve": "预留文号", "number_void": "作废文号",
        "number_offline": "登记线下文号", "batch": "批量生成", "prefix_add": "新增机关代字",
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


class BackgroundTask(models.Model):
    """What every background task row has (wenshu/web/tasks.py writes it): who started it, where
    it is, and its end — the result, a report or the error — which stays after the tab is closed."""

    STATES = {"queued": "排队中", "running": "进行中", "done": "完成", "failed": "失败"}

    username = models.CharField("用户", max_length=150)
    created = models.DateTimeField("创建时间", auto_now_add=True)
    updated = models.DateTimeField("更新时间", auto_now=True)
    state = models.CharField("状态", max_length=8, default="queued", choices=list(STATES.items()))
    stage = models.CharField("阶段", max_length=200, blank=True, default="")
    done = models.IntegerField("已完成", default=0)
    total = models.IntegerField("总数", default=0)
    result = models.TextField("结果", blank=True, default="")  # JSON written by the task's work
    report_text = models.TextField("检测报告", blank=True, default="")
    error = models.TextField("错误", blank=True, default="")

    class Meta:
        abstract = True
        ordering = ["-created", "-id"]

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def running(self) -> bool:
        return self.state in ("queued", "running")


class TransferTask(BackgroundTask):
    """One 移交 job run outside the request (export, verify or import of a package): the page polls
    it, so closing the tab does not stop it, and its end — the verify report or the error — stays."""

    KINDS = {"export": "导出数据包", "verify": "检测数据包", "import": "导入数据包"}

    kind = models.CharField("类型", max_length=8, choices=list(KINDS.items()))
    selection = models.TextField("选择条件", blank=True, default="")
    source = models.CharField("数据包", max_length=1000, blank=True, default="")  # file the task built or checked

    class Meta(BackgroundTask.Meta):
        verbose_name = verbose_name_plural = "移交任务"


class BatchTask(BackgroundTask):
    """One 批量生成 from an uploaded roster (generator/batch.run_batch): the roster and the common
    data it was checked with, and the folder its combined PDFs and zip are written to."""

    template = models.CharField("模板", max_length=64)
    template_label = models.CharField("模板名称", max_length=64, blank=True, default="")
    roster = models.CharField("名册", max_length=255)  # the name as uploaded
    source = models.CharField("名册文件", max_length=1000)  # where the upload is kept
    common = models.TextField("公共数据", blank=True, default="")  # JSON
    allow_duplicates = models.BooleanField("允许重复", default=False)
    out_dir = models.CharField("输出目录", max_length=1000, blank=True, default="")

    class Meta(BackgroundTask.Meta):
        verbose_name = verbose_name_plural = "批量生成任务"
