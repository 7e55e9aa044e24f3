"""Received text is untrusted (issue 12): size limits, control characters, metadata lengths, and
no traceback from a damaged index, a read-only registry or a full or read-only disk.

Every test runs the real thing: `wenshu` in a subprocess where memory is measured (ru_maxrss of
that process), real SQLite, real whoosh files overwritten on disk, a real read-only tmpfs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.errors import WenshuError
from archive.extract import extract_text
from archive.filing import iter_records
from archive.limits import Limits
from archive.record import Record
from tests.conftest import write_docx
from wenshu.cli import main

ROOT = Path(__file__).resolve().parents[1]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NOTICE = ["晋城市教育局文件", "晋市教字〔2022〕15号", "关于进一步规范校外培训机构管理的通知",
          "各县（市、区）教育局：", "为进一步规范校外培训机构管理，现就有关事项通知如下。",
          "晋城市教育局", "2022年3月10日"]


def run(archive, *args):
    return CliRunner().invoke(main, [*args, "--archive", str(archive.root)])


def set_limits(archive, **limits) -> None:
    with open(archive.config_path, "a", encoding="utf-8") as f:
        f.write("\n[limits]\n" + "".join(f"{k} = {v}\n" for k, v in limits.items()))


def records(archive):
    return [r for _, r in iter_records(archive)]


# A process that runs one wenshu command and reports its own peak memory: RUSAGE_SELF of a fresh
# interpreter, so what other tests' children used cannot leak into the figure.
_MEASURED = """
import resource, sys
from wenshu.cli import main
try:
    main(sys.argv[1:], standalone_mode=True)
except SystemExit as e:
    code = e.code or 0
else:
    code = 0
sys.stderr.write(f"\\nRSS_KB={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n")
sys.exit(code)
"""


def fresh_python(*args: str) -> subprocess.CompletedProcess:
    """``python args`` forked from a small shell, not from pytest: Linux carries the RSS a process
    had at fork into the child's ru_maxrss across exec, so a child of a 300 MB pytest would
    report 300 MB whatever it did. The shell's "; exit" keeps it from exec-ing python itself."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(["sh", "-c", '"$@"; exit $?', "sh", sys.executable, *args], capture_output=True,
                          text=True, env=env, timeout=600)


def measured(*args) -> tuple[int, str, int]:
    """(exit code, stderr+stdout, peak RSS in MB) of ``wenshu args`` in its own process."""
    p = fresh_python("-c", _MEASURED, *args)
    rss = int(p.stderr.rsplit("RSS_KB=", 1)[1].split()[0]) // 1024
    return p.returncode, p.stdout + p.stderr, rss


def docx_bomb(path: Path, mib: int) -> Path:
    """A .docx of a few hundred KB whose document.xml inflates to ``mib`` MiB of paragraphs."""
    para = "<w:p><w:r><w:t>关于做好课后服务工作的通知，请各校认真落实。</w:t></w:r></w:p>".encode()
    block = para * ((1 << 20) // len(para))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="r1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>'.encode())
            for _ in range(mib):
                f.write(block)
            f.write(b"</w:body></w:document>")
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    path = docx_bomb(tmp_path_factory.mktemp("bomb") / "来文.docx", 100)
    assert path.stat().st_size < 1 << 20  # < 1 MB on disk, 100 MiB inflated
    return path


# -- 1. limits on received documents ----------------------------------------------------------


def test_a_file_over_max_file_mb_is_refused_naming_the_limit(archive, tmp_path):
    set_limits(archive, max_file_mb=1)
    big = tmp_path / "大文件.txt"
    big.write_text("关于课后服务的通知\n" + "课后服务。" * 120_000, encoding="utf-8")  # 1.8 MB
    res = run(archive, "file", str(big))
    assert res.exit_code == 1
    assert "limits.max_file_mb" in res.output and "1 MB" in res.output and "大文件.txt" in res.output
    assert records(archive) == [] and archive.registry.entries(kind="all") == []
    assert big.exists()
    # the one check the inbox uses too
    from archive.extract import check_size

    with pytest.raises(WenshuError, match="limits.max_file_mb"):
        check_size(big, Limits(max_file_mb=1))
    assert check_size(big, Limits()) == big.stat().st_size


def test_docx_bomb_over_max_part_mb_is_refused_with_bounded_memory(archive, bomb):
    set_limits(archive, max_part_mb=16, max_text_chars=100_000_000)
    code, out, rss = measured("file", str(bomb), "--archive", str(archive.root))
    assert code == 1, out
    assert "limits.max_part_mb" in out and "word/document.xml" in out and "Traceback" not in out
    assert rss < 150, f"{rss} MB"  # the part is inflated as a stream and stopped at 16 MiB
    assert records(archive) == []


def test_docx_bomb_text_is_capped_with_a_note_in_the_record(archive, bomb):
    set_limits(archive, max_text_chars=20_000)
    code, out, rss = measured("file", str(bomb), "--archive", str(archive.root))
    assert code == 0, out
    assert rss < 150, f"{rss} MB"  # reading stops at the cap: 100 MiB of XML are never inflated
    (record,) = records(archive)
    note = record.history[-1].detail
    assert "limits.max_text_chars" in note and "20000" in note
    assert len(extract_text(bomb, Limits(max_text_chars=20_000))) == 20_000


def test_large_txt_is_read_as_a_stream_up_to_the_cap(tmp_path):
    path = tmp_path / "汇编.txt"
    line = ("关于做好课后服务工作的通知，请各校认真落实。" * 4 + "\n").encode("utf-8")
    with open(path, "wb") as f:
        for _ in range(60 * (1 << 20) // (len(line) * 1000)):
            f.write(line * 1000)
    assert path.stat().st_size > 55 << 20
    code = f"""
import resource, sys
from archive.extract import extract_text
t = extract_text(sys.argv[1])
print(len(t), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, t.note)
"""
    p = fresh_python("-c", code, str(path))
    assert p.returncode == 0, p.stderr
    out = p.stdout.split(maxsplit=2)
    assert int(out[0]) == Limits().max_text_chars
    assert "limits.max_text_chars" in out[2]
    assert int(out[1]) < 120, f"{out[1]} MB"  # 60 MB of text is not read whole


def test_docx_parser_keeps_huge_tree_off(tmp_path):
    """lxml's own 10 MB text-node guard stays on: one 12 MB run is refused, not parsed."""
    path = tmp_path / "巨段.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>'
                   + "通" * (12 << 20) + "</w:t></w:r></w:p></w:body></w:document>")
    with pytest.raises(WenshuError, match="巨段.docx"):
        extract_text(path, Limits(max_part_mb=64, max_text_chars=100_000_000))


def test_small_documents_read_as_before(tmp_path):
    p = write_docx(tmp_path / "通知.docx", NOTICE)
    text = extract_text(p)
    assert text.splitlines() == NOTICE and text.note == ""


# -- 2. control characters and bidi overrides --------------------------------------------------

DIRTY_TITLE = "关于\x01控制\x1b[31m字符\x7f的通知"


@pytest.mark.parametrize("dirty, clean", [
    (DIRTY_TITLE, "关于控制字符的通知"),
    ("报告\u202excod.docx", "报告xcod.docx"),
    ("a\u2066b\u2069c\u200ed\u200ff\u202ag", "abcdfg"),
    ("题\ud800名\ufeff", "题名"),
    ("第一行\r\n第二行\t完", "第一行 第二行 完"),
    ("\x9b31m红\x85字", "红 字"),
    ("e\u0301", "é"),  # NFC
])
def test_clean_text(dirty, clean):
    from archive.cleaning import clean_text

    assert clean_text(dirty) == clean


def test_clean_text_keeps_lines_where_text_has_lines():
    from archive.cleaning import clean_text

    assert clean_text("第一段\r\n\t第二段\x0c", multiline=True) == "第一段\n\t第二段"


def test_control_characters_in_a_received_title_are_removed_and_export_succeeds(archive, tmp_path):
    src = tmp_path / "来文.txt"
    src.write_text("\n".join(["晋城市教育局文件", "晋市教字〔2022〕15号", DIRTY_TITLE, "各县（市、区）教育局：",
                              "现就有关事项通知如下。", "晋城市教育局", "2022年3月10日"]), encoding="utf-8")
    res = run(archive, "file", str(src), "--set", "责任者=晋城市\x1b]0;pwn\x07教育局\u202e")
    assert res.exit_code == 0, res.output
    (folder,) = (archive.root / "2022").iterdir()
    raw = (folder / "record.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    assert data["题名"] == "关于控制字符的通知" and data["责任者"] == "晋城市教育局"
    assert not any(ord(c) < 0x20 and c not in "\n\t" or 0x7f <= ord(c) <= 0x9f or c == "\u202e"
                   for c in json.dumps(data, ensure_ascii=False))
    out = tmp_path / "2022.zip"
    res = run(archive, "export", "--year", "2022", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert zipfile.ZipFile(out).testzip() is None


def test_a_record_json_written_before_the_fix_still_exports(archive, tmp_path):
    """Old record.json files hold the raw title: loading cleans it, so the year can be handed over."""
    write_docx(tmp_path / "x.docx", NOTICE)
    assert run(archive, "file", str(tmp_path / "x.docx")).exit_code == 0
    (folder,) = (archive.root / "2022").iterdir()
    data = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    data["题名"], data["主送"] = DIRTY_TITLE, ["各县\x08教育局"]
    (folder / "record.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert Record.load(folder).title == "关于控制字符的通知"
    res = run(archive, "export", "--year", "2022", "-o", str(tmp_path / "p.zip"))
    assert res.exit_code == 0, res.output


def test_a_bidi_override_in_a_file_name_is_not_in_the_folder_name(archive, tmp_path):
    """The file's own name, and the folder named after its title when the text gives none."""
    src = tmp_path / "整改报告\u202excod.txt"
    src.write_text("已按要求整改。\n", encoding="utf-8")
    res = run(archive, "file", str(src), "--set", "日期=2022-05-01")
    assert res.exit_code == 0, res.output
    names = [p.name for p in archive.root.rglob("*")]
    assert names and not any("\u202e" in n for n in names)
    (folder,) = (archive.root / "2022").iterdir()
    assert folder.name == "A001-WS·2022-D30-0001 整改报告xcod"
    assert (folder / "整改报告xcod.txt").is_file()
    assert "\u202e" not in (folder / "record.json").read_text(encoding="utf-8")


def test_the_numbering_ledger_keeps_no_terminal_escapes(archive):
    res = run(archive, "number", "issue", "高教字", "--title", "关于\x1b[2J\x1b[31m清屏\u202e的通知")
    assert res.exit_code == 0, res.output
    (entry,) = archive.registry.entries(kind="all")
    assert entry.title == "关于清屏的通知"
    assert "\x1b" not in run(archive, "number", "list").output


# -- 3. metadata lengths at edit time ----------------------------------------------------------


def test_a_40000_character_author_is_refused_by_file_and_edit(archive, tmp_path):
    p = write_docx(tmp_path / "通知.docx", NOTICE)
    long_author = "某" * 40_000
    res = run(archive, "file", str(p), "--set", f"责任者={long_author}")
    assert res.exit_code == 1
    assert "责任者过长（40000 字）" in res.output and "最多 200 字" in res.output
    assert records(archive) == []

    assert run(archive, "file", str(p)).exit_code == 0
    (folder,) = (archive.root / "2022").iterdir()
    before = (folder / "record.json").read_bytes()
    res = run(archive, "edit", "A001-WS·2022-D30-0001", "--set", f"责任者={long_author}")
    assert res.exit_code == 1 and "责任者过长" in res.output and "最多 200 字" in res.output
    res = run(archive, "edit", "A001-WS·2022-D30-0001", "--set", "文种=" + "通" * 21)
    assert res.exit_code == 1 and "文种过长（21 字）" in res.output and "最多 20 字" in res.output
    assert (folder / "record.json").read_bytes() == before
    res = run(archive, "edit", "A001-WS·2022-D30-0001", "--set", "责任者=" + "某" * 200)
    assert res.exit_code == 0, res.output


def test_edit_maxima_are_what_the_receiver_verifies():
    """A value wenshu accepts must pass the receiver's 元数据项数据长度检测."""
    from archive.fields import LABELS, MAX_CHARS
    from archive.transfer import verify

    checked = verify.METADATA_MAX_CHARS
    by_label = {LABELS[a]: n for a, n in MAX_CHARS.items()}
    for label, limit in checked.items():
        assert by_label.get(label, limit) <= limit, label


# -- 4. no traceback: a damaged index, a read-only registry, a refusing disk -------------------


def _indexed(archive, tmp_path, n=4):
    from indexer.index import ArchiveIndex

    for i in range(1, n + 1):
        p = write_docx(tmp_path / f"n{i}.docx", ["晋城市教育局文件", f"晋市教字〔2022〕{i}号",
                                                 f"关于课后服务第{i}批试点的通知", "课后服务工作要做好。",
                                                 "晋城市教育局", "2022年3月10日"])
        assert run(archive, "file", str(p)).exit_code == 0
    ai = ArchiveIndex(archive, notify=lambda m: None)
    ai.rebuild()
    return ai


def test_index_deleted_under_a_running_searcher_is_rebuilt(archive, tmp_path):
    from indexer.search import search

    ai = _indexed(archive, tmp_path)
    assert search(ai, "课后服务").total == 4  # a searcher is open and cached, as in the watcher or web app
    shutil.rmtree(archive.index_dir)
    assert search(ai, "课后服务").total == 4
    shutil.rmtree(archive.index_dir)
    res = run(archive, "search", "课后服务")
    assert res.exit_code == 0 and "Traceback" not in res.output and "找到 4 件" in res.output


def test_index_columns_overwritten_under_a_running_searcher_are_rebuilt(archive, tmp_path):
    """Bytes of the 档号 column overwritten: whoosh raises UnicodeDecodeError while reading it."""
    from indexer.search import search

    ai = _indexed(archive, tmp_path)
    for offset in (7, 10, 44, 46, 66, 93):
        assert search(ai, "课后服务").total == 4
        live = json.loads((archive.index_dir / "state.json").read_text(encoding="utf-8"))["indexname"]
        cols = list(archive.index_dir.glob(f"{live}_*.code.col"))
        assert cols
        for col in cols:
            data = bytearray(col.read_bytes())
            for i in range(offset, min(offset + 4, len(data))):
                data[i] ^= 0xA5
            col.write_bytes(bytes(data))
        ai.close()
        assert search(ai, "课后服务").total == 4, offset


def _no_dac(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """``cmd`` with file permissions enforced even for root (CAP_DAC_OVERRIDE dropped): what a
    clerk's ordinary account meets."""
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("以 root 运行且没有 setpriv，无法模拟普通用户的文件权限")
        cmd = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *cmd]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, **kw)


def test_a_read_only_shm_file_is_named_with_the_fix(archive):
    import sqlite3

    db = archive.state_dir / "registry.sqlite"
    # a process that died with the registry open leaves -wal and -shm behind; a read-only spell
    # (a restore from a read-only copy, another account) leaves them unwritable
    subprocess.run([sys.executable, "-c", "import os, sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\n"
                    "c.execute('PRAGMA journal_mode=WAL'); c.execute('SELECT * FROM meta').fetchall()\n"
                    "os._exit(0)", str(db)], check=True)
    shm = Path(str(db) + "-shm")
    assert shm.exists()
    archive.close()
    shm.chmod(0o444)
    try:
        p = _no_dac([sys.executable, "-m", "wenshu", "number", "issue", "高教字", "--title", "关于测试的通知",
                     "--archive", str(archive.root)])
    finally:
        shm.chmod(0o644)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "registry.sqlite-shm" in p.stderr and "只读" in p.stderr and "chmod" in p.stderr
    assert sqlite3.connect(db).execute("SELECT count(*) FROM ledger").fetchone() == (0,)


def _in_namespace(script: str) -> subprocess.CompletedProcess:
    """``script`` in its own user and mount namespace (unshare -rm): real mounts, no root needed."""
    if not shutil.which("unshare"):
        pytest.skip("没有 unshare，无法挂载文件系统")
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt 2>/dev/null || "
                            "mount -t tmpfs tmpfs /tmp"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"无法在命名空间中挂载：{probe.stderr.decode(errors='replace')[:80]}")
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


def test_a_read_only_disk_gives_a_message_naming_the_file(archive, tmp_path):
    """EROFS for real: the archive bind-mounted read-only, as after a disk error remounted it."""
    p = write_docx(tmp_path / "通知.docx", NOTICE)
    root = archive.root
    archive.close()
    res = _in_namespace(f"mount --bind '{root}' '{root}' && mount -o remount,ro,bind '{root}' && "
                        f"{sys.executable} -m wenshu number issue 高教字 --title 关于测试的通知 --archive '{root}'; "
                        f"echo rc=$?; exec {sys.executable} -m wenshu file '{p}' --archive '{root}'")
    out = res.stdout + res.stderr
    assert "Traceback" not in out, out
    assert "rc=1" in res.stdout and res.returncode == 1
    assert out.count("只读") >= 2 and "registry.sqlite" in out
    assert records(archive) == [] and archive.registry.entries(kind="all") == []


def test_disk_full_while_filing_gives_a_message_naming_the_file(archive, tmp_path):
    """ENOSPC for real: the staging folder on a 64 KiB tmpfs, a 300 KB document filed into it."""
    src = tmp_path / "大报告.txt"
    src.write_text("关于课后服务的报告\n" + "课后服务开展情况良好。" * 10_000, encoding="utf-8")
    staging = archive.state_dir / "staging"
    staging.mkdir(exist_ok=True)
    res = _in_namespace(f"mount -t tmpfs -o size=64k tmpfs '{staging}' && "
                        f"exec {sys.executable} -m wenshu file '{src}' --set 日期=2022-05-01 --archive '{archive.root}'")
    out = res.stdout + res.stderr
    assert "Traceback" not in out, out
    assert res.returncode == 1 and "磁盘空间不足" in out and str(staging) in out
    assert records(archive) == []
    (entry,) = archive.registry.entries(kind="all")  # the 件号 taken is voided with the reason
    assert entry.status == "void" and ("No space" in entry.reason or "空间" in entry.reason), entry.reason


def test_a_year_folder_without_write_permission_gives_a_message_naming_it(archive, tmp_path):
    p = write_docx(tmp_path / "通知.docx", NOTICE)
    year = archive.root / "2022"
    year.mkdir()
    year.chmod(0o555)
    try:
        res = _no_dac([sys.executable, "-m", "wenshu", "file", str(p), "--archive", str(archive.root)])
    finally:
        year.chmod(0o755)
    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode == 1 and "没有权限" in res.stderr and str(year) in res.stderr
    assert records(archive) == [] and list(year.iterdir()) == []


def test_a_full_disk_in_an_atomic_write_names_the_target(tmp_path):
    """write() reports ENOSPC without a file name; the message must still say which file."""
    from wenshu.commands.common import os_error_message

    code = ("import sys\nfrom pathlib import Path\nfrom archive.fsutil import atomic_write_bytes\n"
            "from wenshu.commands.common import os_error_message\n"
            "try:\n    atomic_write_bytes(Path(sys.argv[1]) / '说明.txt', b'x' * 1000000)\n"
            "except OSError as e:\n    print(os_error_message(e))\n")
    mnt = tmp_path / "满"
    mnt.mkdir()
    res = _in_namespace(f"mount -t tmpfs -o size=64k tmpfs '{mnt}' && exec {sys.executable} -c \"$0\" '{mnt}'"
                        .replace("\"$0\"", "'" + code.replace("'", "'\\''") + "'"))
    assert "磁盘空间不足" in res.stdout and str(mnt / "说明.txt") in res.stdout, res.stdout + res.stderr
    assert os_error_message(PermissionError(13, "Permission denied", "/x/y")).startswith("没有权限读写 /x/y")
