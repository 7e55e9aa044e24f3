"""``wenshu watch``: keep the index current and file what lands in the inbox, until stopped."""

from __future__ import annotations

import logging
import signal
import sys
import threading

import click

from archive.errors import WenshuError
from archive.safe_paths import printable
from watch.stability import DEFAULT_INBOX_STABILITY
from watch.stats import SafeFormatter
from wenshu.commands.common import archive_option, open_archive


def setup_logging(archive, quiet: bool = False) -> None:
    """One Chinese line per action on stderr (journald adds its own time) and in .wenshu/log/watch.log;
    names in it are escaped (a newline or a terminal escape in a file name stays visible text)."""
    log = logging.getLogger("wenshu.watch")
    log.setLevel(logging.INFO)
    log.propagate = False
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(SafeFormatter("%(asctime)s %(message)s", "%H:%M:%S"))
    console.setLevel(logging.WARNING if quiet else logging.INFO)
    log.addHandler(console)
    try:
        archive.log_dir.mkdir(parents=True, exist_ok=True)
        file = logging.FileHandler(archive.log_dir / "watch.log", encoding="utf-8")
        file.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
        log.addHandler(file)
    except OSError:
        pass


@click.command()
@archive_option
@click.option("--polling", is_flag=True, help="轮询文件夹而不依赖系统通知（网络共享盘 NFS/SMB 上请用此项）。")
@click.option("--interval", type=click.FloatRange(min=1), default=300, show_default=True,
              help="定期复查整个档案库的间隔（秒），补上可能漏掉的变动。")
@click.option("--stability", type=click.FloatRange(min=0), default=0.5, show_default=True,
              help="文件多少秒内无变动、大小和修改时间不变才处理（扫描仪、网络拷贝可调大）。")
@click.option("--inbox-stability", type=click.FloatRange(min=0), default=DEFAULT_INBOX_STABILITY,
              show_default=True,
              help="收件箱中的文件多少秒内无变动、且没有程序正在写入才归档（扫描仪、网络拷贝停顿较长时调大）。")
@click.option("--poll-interval", type=click.FloatRange(min=0.1), default=1.0, show_default=True,
              help="轮询模式下两次扫描的间隔（秒）。")
@click.option("--once", is_flag=True, help="对账一次、处理收件箱后退出（适合定时任务）。")
@click.option("--quiet", "-q", is_flag=True, help="只输出警告和错误。")
def watch(archive_dir, polling, interval, stability, inbox_stability, poll_interval, once, quiet):
    """监视档案库：新增、修改、移动、删除的文件随时更新索引，收件箱中的文件自动归档。

    按 Ctrl-C（或 systemctl stop 发出的 SIGTERM）停止：手头的一批处理完、索引提交后退出。
    """
    from watch.watcher import Watcher

    archive = open_archive(archive_dir)
    setup_logging(archive, quiet)
    watcher = Watcher(archive, polling=polling, interval=interval, stability=stability,
                      poll_interval=poll_interval, inbox_stability=inbox_stability)
    if once:
        stats = watcher.run_once()
        click.echo(f"对账完成：收件箱归档 {stats.filed} 件，未能归档 {stats.set_aside} 件。", err=True)
        if stats.errors:
            raise WenshuError("处理中出现错误：" + "；".join(printable(e) for e in stats.errors[:5]))
        return
    stop = threading.Event()

    def _on_signal(signum, frame):
        if stop.is_set():
            return
        logging.getLogger("wenshu.watch").info("收到%s，正在停止……", "Ctrl-C" if signum == signal.SIGINT else "停止信号")
        stop.set()

    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        watcher.start()
        while not stop.wait(0.5):
            if watcher.failed:
                break
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        watcher.stop()
