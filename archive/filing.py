"""Filing a record (归档): files + record.json into ``<年度>/<档号> <题名>/``, all or nothing.

The 件号 comes from the registry (a ledger row, never max+1). Everything is assembled in a
staging folder inside the archive (``.wenshu/staging/``, same file system, so the final step is
one rename) and only then moved into its year folder. If anything fails on the way the staging
folder is removed and the 件号 is voided with the failure as its reason: the archive never holds
half a record and the ledger never has an unexplained gap. Source files are copied, and only
removed (``move=True``) after the record is in place.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

from archive.archival_code import ArchivalCode, Retention, item_series
from archive.docnumber import DocNumber
from archive.elements import LIST_ATTRS, RECORD_ATTRS, parse_date, split_value
from archive.errors import WenshuError
from archive.fsutil import fsync_dir, safe_name
from archive.record import RECEIVED, RECORD_JSON, HistoryEntry, Record, RecordFile
from archive.safe_paths import SourceChanged, printable, read_verified, unlink_entry, unsafe_entry
from archive.store import STATE_DIR, Archive
from archive.versions import start as keep_version

try:
    import fcntl
except ImportError:  # Windows: one clerk per archive there
    fcntl = None

STAGING = "staging"
_YEAR_DIR = re.compile(r"\d{4}")

# Record attributes a caller may set through ``fields`` (archive/elements.py).
FIELDS = RECORD_ATTRS


# Called with the paths of freshly filed files once filing is done; returns a line for the user.
# The shell passes the indexer's update here, so the archive itself never imports the indexer.
OnFiled = Callable[[Archive, list[Path]], str]


# -- reading the archive ---------------------------------------------------------------------


def _real_dirs(folder: Path) -> list[Path]:
    """Sub-folders of ``folder`` that are folders themselves, not links to one (a link planted in
    the archive must not bring a folder from elsewhere into listings, audits or exports)."""
    return sorted(Path(e.path) for e in os.scandir(folder) if e.is_dir(follow_symlinks=False))


def record_folders(archive: Archive) -> Iterator[Path]:
    """Every ``<年度>/<folder>`` that holds (or should hold) a record, in name order."""
    for year_dir in (p for p in _real_dirs(archive.root) if _YEAR_DIR.fullmatch(p.name)):
        for folder in (p for p in _real_dirs(year_dir) if not p.name.startswith(".")):
            yield folder


def iter_records(archive: Archive, errors: list | None = None) -> Iterator[tuple[Path, Record]]:
    """(folder, Record) for every readable record. A broken or missing record.json is skipped;
    when ``errors`` is a list, ``(folder, message)`` is appended to it instead of being lost."""
    for folder in record_folders(archive):
        try:
            yield folder, Record.load(folder / RECORD_JSON)
        except WenshuError as e:
            if errors is not None:
                errors.append((folder, str(e)))


def broken_records(archive: Archive) -> list[tuple[Path, str]]:
    errors: list = []
    for _ in iter_records(archive, errors):
        pass
    return errors


def find_records(archive: Archive, key: str) -> list[tuple[Path, Record]]:
    """Records whose 档号 is ``key``, or whose 文号 is ``key`` in any spelling."""
    key = str(key).strip()
    try:
        code = ArchivalCode.parse(key)
    except WenshuError:
        code = None
    if code is not None:
        return _by_code(archive, code)
    wanted = DocNumber.normalize(key)
    return [(f, r) for f, r in iter_records(archive)
            if r.doc_number and DocNumber.normalize(str(r.doc_number)) == wanted]


def _by_code(archive: Archive, code: ArchivalCode) -> list[tuple[Path, Record]]:
    """Looked up where the record is kept — its 年度's folder named ``<档号> <题名>``
    (Record.folder_name) — rather than by reading every record.json: a scan attaching 3,000 signed
    pledges looked each up among all 3,000 (9 million reads). A folder renamed by hand is still
    found, by the whole walk, when the name does not lead to it."""
    year_dir = archive.root / str(code.year)
    real = year_dir.is_dir() and not year_dir.is_symlink()  # as record_folders walks: no links
    named = [d for d in _real_dirs(year_dir)
             if d.name.startswith(f"{code} ") or d.name == str(code)] if real else []  # a title cut to nothing
    found = []
    for folder in named:
        try:
            record = Record.load(folder / RECORD_JSON)
        except WenshuError:
            continue
        if record.archival_code == code:
            found.append((folder, record))
    return found or [(f, r) for f, r in iter_records(archive) if r.archival_code == code]


def find_record(archive: Archive, key: str) -> tuple[Path, Record]:
    """The one record with this 档号 or 文号; a clear error when there is none or several."""
    found = find_records(archive, key)
    if not found:
        raise WenshuError(f"档案库中没有档号或文号为“{key}”的文件。可用 wenshu list 查看已归档的文件。")
    if len(found) > 1:
        codes = "、".join(str(r.archival_code) for _, r in found)
        raise WenshuError(f"文号“{key}”对应多份文件（{codes}），请改用档号指定。")
    return found[0]


class Holder(NamedTuple):
    """The record already holding a file: enough to name it in a message."""

    archival_code: str  # 档号
    title: str  # 题名


class _Digests(NamedTuple):
    signature: tuple  # record.json's (mtime_ns, size, inode)
    sha256s: frozenset
    holder: Holder


# Filing checks every new file against the whole archive; a batch of a thousand filings must not
# re-read (or even re-stat) every record each time. Per year folder we keep the digests of its
# records, trusted while the folder's mtime is unchanged (a record added, renamed or removed changes
# it). A hit is re-checked against its record.json before it is believed, so a record deleted by
# hand never blocks filing its document again.
_YEARS: dict[str, tuple[int, dict[str, _Digests]]] = {}


def _record_digests(folder: str, previous: _Digests | None) -> _Digests | None:
    path = os.path.join(folder, RECORD_JSON)
    try:
        st = os.stat(path)
    except OSError:
        return None
    signature = (st.st_mtime_ns, st.st_size, st.st_ino)
    if previous is not None and previous.signature == signature:
        return previous
    try:
        r = Record.load(Path(path))
    except WenshuError:
        return None
    return _Digests(signature, frozenset(f.sha256 for f in r.files), Holder(str(r.archival_code), r.title))


def _year_digests(year_dir: str) -> dict[str, _Digests]:
    mtime = os.stat(year_dir).st_mtime_ns
    cached = _YEARS.get(year_dir)
    if cached and cached[0] == mtime:
        return cached[1]
    old = cached[1] if cached else {}
    fresh = {}
    for entry in os.scandir(year_dir):
        if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
            d = _record_digests(entry.path, old.get(entry.path))
            if d is not None:
                fresh[entry.path] = d
    _YEARS[year_dir] = (mtime, fresh)
    return fresh


def _note_filed(year_dir: Path, folder: Path, mtime_before: int) -> None:
    """A record this process just renamed into ``year_dir``, added to the year's digests: when the
    folder was as the cache last read it up to the rename (filings take turns under the filing
    lock), the only change is this one, and the next filing need not re-stat the whole year —
    3,000 pledges filed in a row were 4.5 million stats."""
    cached = _YEARS.get(str(year_dir))
    if not cached or cached[0] != mtime_before:
        return
    d = _record_digests(str(folder), None)
    if d is not None:
        cached[1][str(folder)] = d
        _YEARS[str(year_dir)] = (os.stat(year_dir).st_mtime_ns, cached[1])


def find_by_sha256(archive: Archive, digests: set[str]) -> dict[str, Holder]:
    """sha256 → the record (档号, 题名) already holding a file with that content."""
    out: dict[str, Holder] = {}
    for entry in os.scandir(archive.root):
        if not (entry.is_dir(follow_symlinks=False) and _YEAR_DIR.fullmatch(entry.name)):
            continue
        records = _year_digests(entry.path)
        for folder, d in list(records.items()):
            hits = digests & d.sha256s
            if not hits:
                continue
            current = _record_digests(folder, d)  # believe a hit only if the record is still there
            if current is None:
                del records[folder]
                continue
            records[folder] = current
            for sha in digests & current.sha256s:
                out.setdefault(sha, current.holder)
    return out


@contextmanager
def filing_lock(archive: Archive, timeout: float = 60.0) -> Iterator[None]:
    """One filing (or edit) at a time per archive, across processes: the duplicate check, the
    folder name and the rename must not interleave. The kernel drops the lock if a process dies."""
    fd = os.open(archive.state_dir / "filing.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WenshuError(f"另一个 wenshu 进程正在归档，等待超过 {timeout:g} 秒，本次未做任何更改。"
                                          "请稍后重试。") from None
                    time.sleep(0.02)
        yield
    finally:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


# -- filing ----------------------------------------------------------------------------------


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def check_source(archive: Archive, path: Path) -> Path:
    """A source file must be a plain file (judged by the entry itself: a symbolic link, FIFO,
    socket or device is refused, never followed — `wenshu file` given a link asks for the real
    file), non-empty, within the size limit, and not already part of the archive (the inbox
    收件箱 is the one folder of the archive from which filing is allowed). Inside the inbox no
    folder on the way may be a link and a file with several hard links is refused too."""
    p = Path(path)
    shown = printable(str(p))
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        raise WenshuError(f"找不到文件 {shown}。") from None
    except OSError as e:
        raise WenshuError(f"无法读取 {shown}：{e.strerror or e}。") from None
    absolute = Path(os.path.abspath(p))
    in_inbox = _inside(absolute, archive.inbox)
    if in_inbox:
        for parent in absolute.relative_to(archive.inbox).parents:
            folder = archive.inbox / parent
            if parent != Path(".") and os.path.islink(folder):
                raise WenshuError(f"{shown} 所在的文件夹 {printable(str(parent))} 是符号链接（快捷方式）。"
                                  "wenshu 不跟随链接；请把真实的文件夹放入收件箱。")
    reason = unsafe_entry(p, st, strict=in_inbox)
    if reason:
        from archive.safe_paths import NotRegularFile

        raise NotRegularFile(reason)
    real = p.resolve()
    if _inside(real, archive.root) and not _inside(real, archive.inbox.resolve()):
        raise WenshuError(f"{shown} 位于档案库内部（{archive.root}），不能再次归档。"
                          "请先把它复制到档案库以外的位置，或放入收件箱。")
    if st.st_size == 0:
        raise WenshuError(f"{printable(p.name)} 是空文件（0 字节），未归档。")
    limits = archive.config.limits
    if st.st_size > limits.max_file_bytes:
        raise WenshuError(f"{printable(p.name)} 有 {st.st_size / (1 << 20):,.1f} MB，超过单个文件大小上限 "
                          f"{limits.max_file_mb} MB（wenshu.toml 中 [limits] 的 max_file_mb），未归档。"
                          "如确需归档，请调大 limits.max_file_mb。")
    return real


def build_record(archive: Archive, fields: dict, code: ArchivalCode) -> Record:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise WenshuError(f"不认识的著录项：{'、'.join(sorted(unknown))}。")
    f = dict(fields)
    if isinstance(f.get("date"), str):
        f["date"] = _to_date(f["date"], "日期")
    if isinstance(f.get("deadline"), str):
        f["deadline"] = _to_date(f["deadline"], "时限")
    dn = f.get("doc_number")
    if isinstance(dn, str):
        dn = dn.strip()
        try:
            f["doc_number"] = DocNumber.parse(dn) if dn else None
        except WenshuError:
            f["doc_number"] = dn
    for key in LIST_ATTRS:
        if isinstance(f.get(key), str):
            f[key] = split_value(key, f[key])
    if "pages" in f:
        try:
            f["pages"] = int(f["pages"] or 0)
        except (TypeError, ValueError):
            raise WenshuError(f"页数“{f['pages']}”应为整数。") from None
    f["title"] = re.sub(r"\s+", " ", str(f.get("title") or "")).strip()
    f.setdefault("classification", archive.config.classification)
    record = Record(archival_code=code, **f)
    _mark_undated(record)
    record.validate()
    return record


UNDATED = "日期待核"  # key in record.json 其他: the 成文日期 could not be read


def _mark_undated(record: Record) -> None:
    """A received document whose 成文日期 could not be read is filed under the year it was
    filed (its 年度 must be known for the 档号) and says so in record.json (其他 → 日期待核), so
    ``wenshu check`` lists it until ``wenshu edit 档号 --set 日期=…`` gives the date, which
    removes the mark. Guessing the year from another date in the text would put a wrong 年度
    into a 档号 that never changes; an explicit "to be checked" is honest and findable."""
    extra = dict(record.extra)
    if record.date is None and record.origin == RECEIVED:
        extra.setdefault(UNDATED, f"未能从文件中读出成文日期，年度暂按归档年度 {record.archival_code.year}；"
                                  f"核实后请用 wenshu edit 档号 --set 日期=… 补录")
    else:
        extra.pop(UNDATED, None)
    record.extra = extra


def _to_date(text: str, label: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    d = parse_date(text)
    if d is None:
        raise WenshuError(f"{label}“{text}”不正确：应写成 2022-03-25 或 2022年3月25日。")
    return d


def _unique_names(files: list[tuple[Path, str]]) -> list[str]:
    names, seen = [], set()
    for path, _ in files:
        stem, suffix = safe_name(path.stem, max_bytes=120), safe_name(path.suffix, max_bytes=20)
        suffix = suffix if suffix.startswith(".") else ""
        name, n = stem + suffix, 2
        while name.lower() in seen or name == RECORD_JSON:
            name, n = f"{stem}（{n}）{suffix}", n + 1
        seen.add(name.lower())
        names.append(name)
    return names


def file_record(archive: Archive, files: list[tuple[Path, str]], fields: dict, *, retention=None,
                org: str = "", move: bool = False, action: str = "归档", actor: str = "", note: str = "") -> Record:
    """File one record (件) made of ``files`` ((path, role) pairs) with metadata ``fields``.

    ``note`` is added to the history entry (e.g. which fields were read from the document)."""
    if not files:
        raise WenshuError("没有要归档的文件。")
    sources = [(check_source(archive, p), role) for p, role in files]
    read = [read_verified(p) for p, _ in sources]  # through O_NOFOLLOW: the entry, never a link's target
    digests = [sha for sha, _ in read]
    idents = [ident for _, ident in read]
    if len(set(digests)) < len(digests):
        raise WenshuError("同一个文件被重复给出了两次，未归档。")
    with filing_lock(archive):
        return _file_locked(archive, sources, digests, idents, fields, retention, org, move, action, actor, note)


def _file_locked(archive, sources, digests, idents, fields, retention, org, move, action, actor,
                 note) -> Record:
    existing = find_by_sha256(archive, set(digests))
    if existing:
        sha, (code, title) = next(iter(existing.items()))
        name = sources[digests.index(sha)][0].name
        raise WenshuError(f"{name} 已在档案库中（档号 {code}，题名：{title}），未重复归档。")

    ret = Retention.parse(retention) if retention else archive.config.retention
    if org and archive.config.departments and org not in archive.config.departments:
        known = "、".join(archive.config.departments)
        raise WenshuError(f"机构代码“{org}”未在 wenshu.toml 的 [departments] 中配置（已配置：{known}）。")
    fonds = archive.config.fonds_code
    # Validate everything that can be validated before a 件号 is taken.
    probe = build_record(archive, fields, ArchivalCode(fonds, 2000, ret, org, 1))
    year = probe.date.year if probe.date else date.today().year
    series = item_series(ret.value, org)
    if isinstance(probe.doc_number, DocNumber):
        entry = archive.registry.find(probe.doc_number)
        if entry is not None and entry.record and find_records(archive, entry.record):
            raise WenshuError(f"文号 {probe.doc_number} 已归档为 {entry.record}，未重复归档。同一份文件的其他格式"
                              "请与正本一起归档（wenshu file 正本 其他文件 --one）；如文号有误，请用 --set 文号=… 更正。")

    staging_root = archive.state_dir / STAGING
    staging_root.mkdir(parents=True, exist_ok=True)
    staging = staging_root / uuid.uuid4().hex
    seq = archive.registry.allocate_item(series, year, title=probe.title)
    dest: Path | None = None  # set only once the staging folder has been renamed into place
    attached: DocNumber | None = None
    previous_link = ""
    try:
        code = ArchivalCode(fonds, year, ret, org, seq)
        record = build_record(archive, fields, code)
        staging.mkdir()
        for (src, role), name, sha, ident in zip(sources, _unique_names(sources), digests, idents):
            target = staging / name
            read_verified(src, expect=ident, copy_to=target)
            copied = RecordFile.of(target, role)
            if copied.sha256 != sha:
                raise SourceChanged(f"复制 {printable(src.name)} 时内容发生变化（文件正在被修改？），"
                                    "本次未归档也未删除，稍后重试。")
            keep_version(archive, target, copied, action, actor)  # version 1, restorable (archive.versions)
            record.files.append(copied)
        if not record.pages:
            record.pages = _count_pages(staging, record.files)
        names = "、".join(f.name for f in record.files)
        detail = f"归档为 {code}；文件：{names}" + (f"；{note}" if note else "")
        record.history.append(HistoryEntry(action, detail, actor=actor))
        record.save(staging)
        fsync_dir(staging)

        year_dir = archive.root / str(year)
        year_dir.mkdir(exist_ok=True)
        target_dir = year_dir / record.folder_name
        if target_dir.exists():
            raise WenshuError(f"目标文件夹 {target_dir} 已存在，未归档。请运行 wenshu check 检查档案库。")
        before = os.stat(year_dir).st_mtime_ns
        os.rename(staging, target_dir)
        dest = target_dir
        fsync_dir(year_dir)
        _note_filed(year_dir, target_dir, before)

        if isinstance(record.doc_number, DocNumber):
            entry = archive.registry.find(record.doc_number)
            if entry is not None:
                previous_link = entry.record
                archive.registry.attach_record(record.doc_number, str(code))
                attached = record.doc_number
        if move:  # the source as it is *now* must be what was filed, else the record is undone
            for (src, _), sha, ident in zip(sources, digests, idents):
                if read_verified(src, expect=ident)[0] != sha:
                    raise SourceChanged(f"{printable(src.name)} 在归档过程中被修改，本次未归档也未删除，稍后重试。")
    except BaseException as e:
        _undo(archive, staging, dest, attached, previous_link)
        reason = f"归档失败，件号作废：{e}" if str(e) else f"归档中断（{type(e).__name__}），件号作废"
        archive.registry.void_item(series, year, seq, reason)
        raise

    if move:  # only the verified entry itself, never what a link points to
        for (src, _), ident in zip(sources, idents):
            unlink_entry(src, ident)  # a leftover (changed in the last instant) is kept: harmless
    return record


def _undo(archive: Archive, staging: Path, dest: Path | None, attached: DocNumber | None, previous: str) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    if dest is not None:  # the folder this call renamed into place, nothing else
        shutil.rmtree(dest, ignore_errors=True)
    if attached is not None:
        try:
            archive.registry.attach_record(attached, previous)
        except WenshuError:
            pass


def _count_pages(folder: Path, files: list[RecordFile]) -> int:
    from archive.extract import pdf_pages

    for f in files:
        if f.format == "pdf":
            return pdf_pages(folder / f.name)
    return 0


def save_record(folder: Path, record: Record) -> None:
    """Rewrite an existing record.json atomically (after an edit)."""
    record.validate()
    record.save(folder)


def staging_leftovers(archive: Archive) -> list[Path]:
    """Staging folders left by a filing that was killed (power cut): reported by check."""
    root = archive.state_dir / STAGING
    return sorted(p for p in root.iterdir()) if root.is_dir() else []


__all__ = ["file_record", "iter_records", "broken_records", "find_record", "find_records", "record_folders",
           "find_by_sha256", "check_source", "SourceChanged", "save_record", "staging_leftovers", "FIELDS", "STATE_DIR"]
