"""The background worker of the 移交 and 批量 pages: an export, a verify, an import or a batch runs
in a thread of the server process, writing its progress into its task row (TransferTask,
BatchTask — any model with the fields of models.BackgroundTask) that the page polls. The request
returns at once; a closed tab changes nothing; the end (report or error) stays in the row.

A task found "running" by a process that did not start it was cut off by a restart: it is
marked failed with that reason rather than shown as running forever.
"""

from __future__ import annotations

import json
import threading
import traceback

_mine: set[tuple] = set()  # (model, id) of the tasks this process started
_lock = threading.Lock()


def start(task, work) -> None:
    """Run ``work(task, progress)`` in a thread; ``work`` returns (result dict, report text)."""
    with _lock:
        _mine.add((type(task), task.pk))
    threading.Thread(target=_run, args=(type(task), task.pk, work), name=f"wenshu-task-{task.pk}",
                     daemon=True).start()


def _run(model, pk: int, work) -> None:
    from django.db import close_old_connections

    from archive.errors import WenshuError

    close_old_connections()
    task = model.objects.get(pk=pk)
    model.objects.filter(pk=pk).update(state="running", stage="开始")
    last = [-1]

    def progress(stage: str, done: int, total: int) -> None:
        if done == last[0] and done not in (0, total):
            return
        last[0] = done
        model.objects.filter(pk=pk).update(stage=str(stage)[:200], done=done, total=total)

    def end(**fields) -> None:  # .update() skips auto_now: ``updated`` is set here, the task's end
        from django.utils import timezone

        model.objects.filter(pk=pk).update(updated=timezone.now(), **fields)

    try:
        result, text = work(task, progress)
        end(state="done", stage="完成", report_text=text or "", result=json.dumps(result, ensure_ascii=False, default=str))
    except WenshuError as e:
        end(state="failed", error=str(e))
    except Exception as e:  # the row must end; the traceback goes to the server log
        traceback.print_exc()
        end(state="failed", error=f"程序错误（{type(e).__name__}: {e}），请把此说明交给维护人员。")
    finally:
        with _lock:
            _mine.discard((model, pk))
        from wenshu.web.settings import release_thread_archive

        release_thread_archive()  # the worker thread ends: its registry connection with it
        close_old_connections()


def settle(task):
    """``task`` as it is: a queued/running task no thread of this process runs was interrupted."""
    if task.state in ("queued", "running"):
        with _lock:
            alive = (type(task), task.pk) in _mine
        if not alive:
            type(task).objects.filter(pk=task.pk, state__in=("queued", "running")).update(
                state="failed", error="任务被中断（服务已重启），未完成。请重新开始。")
            task.refresh_from_db()
    return task


def settled(model, pk):
    """The task ``pk`` of ``model`` as it is (see settle), or 404: a task page's one lookup."""
    from django.http import Http404

    try:
        return settle(model.objects.get(pk=pk))
    except model.DoesNotExist:
        raise Http404("没有这个任务。") from None


def result_of(task) -> dict:
    return json.loads(task.result) if task.result else {}
