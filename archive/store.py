"""An archive on disk: a folder a clerk can open in a file manager (DESIGN §3).

::

    <root>/wenshu.toml  收件箱/  <年度>/<档号> <题名>/  .wenshu/{registry.sqlite, index/, log/}

Commands find their archive the way git finds a repository: ``--archive``, then the
``WENSHU_ARCHIVE`` environment variable, then the current directory and its parents.
"""

from __future__ import annotations

import os
import tomllib
from functools import cached_property
from pathlib import Path

from archive.config import CONFIG_NAME, ArchiveConfig, Prefix
from archive.errors import NotAnArchiveError, WenshuError
from archive.fsutil import atomic_write_text
from archive.registry import Registry

INBOX = "收件箱"
STATE_DIR = ".wenshu"
ENV_VAR = "WENSHU_ARCHIVE"

_HOW_TO = ("请用 wenshu init 目录 --name 机关名称 --fonds 全宗号 新建档案库，"
           f"或用 --archive 目录 / 环境变量 {ENV_VAR} 指定已有的档案库。")


class Archive:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        if not (self.root / CONFIG_NAME).is_file() or not (self.root / STATE_DIR).is_dir():
            raise NotAnArchiveError(f"{self.root} 不是 wenshu 档案库（缺少 {CONFIG_NAME} 或 {STATE_DIR}/）。" + _HOW_TO)

    # -- where ----------------------------------------------------------------------------

    @classmethod
    def find(cls, explicit: str | os.PathLike | None = None, cwd: Path | None = None) -> "Archive":
        if explicit:
            return cls(Path(explicit))
        env = os.environ.get(ENV_VAR)
        if env:
            return cls(Path(env))
        here = Path(cwd or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_NAME).is_file() and (folder / STATE_DIR).is_dir():
                return cls(folder)
        raise NotAnArchiveError(f"当前目录 {here} 及其上级目录中没有 wenshu 档案库。" + _HOW_TO)

    @classmethod
    def init(cls, root: Path, config: ArchiveConfig) -> "Archive":
        root = Path(root)
        if (root / CONFIG_NAME).exists() or (root / STATE_DIR).exists():
            raise WenshuError(f"{root} 已经是一个 wenshu 档案库，未做任何更改。")
        # Validate the configuration as it will be read back before writing anything.
        text = config.to_toml()
        ArchiveConfig.from_dict(tomllib.loads(text))
        root.mkdir(parents=True, exist_ok=True)
        (root / INBOX).mkdir(exist_ok=True)
        for sub in ("index", "log"):
            (root / STATE_DIR / sub).mkdir(parents=True, exist_ok=True)
        Registry.create(root / STATE_DIR / "registry.sqlite").close()
        atomic_write_text(root / CONFIG_NAME, text)
        return cls(root)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def inbox(self) -> Path:
        return self.root / INBOX

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def index_dir(self) -> Path:
        return self.state_dir / "index"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "log"

    # -- what -----------------------------------------------------------------------------

    @cached_property
    def config(self) -> ArchiveConfig:
        return ArchiveConfig.load(self.config_path)

    @cached_property
    def registry(self) -> Registry:
        return Registry(self.state_dir / "registry.sqlite", database=self.config.database)

    def prefix(self, code: str) -> Prefix:
        return self.config.prefix(code)

    def close(self) -> None:
        if "registry" in self.__dict__:
            self.registry.close()
            del self.__dict__["registry"]
