"""Manifests that seal a carrier (其他/manifest-sha256.txt) or a bag, and the one digest a 登记表 names.

A carrier's manifests list every file of the carrier but themselves, in the ``sha256sum`` line
format (``<hex>  <path>``, sorted by path), so a receiver without wenshu checks them with
``sha256sum -c`` from the carrier root. The 登记表 and the 四性检测报告 are written after the
export's own check and so cannot be inside the digest they state: the 电子档案数字摘要 is the
digest of the manifest lines of every other file (the "sealed" set), which the receiver reproduces
with ``grep -v '  其他/交接信息/' 其他/manifest-sha256.txt | sha256sum``.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from archive.errors import WenshuError
from archive.transfer.digest import new_hasher
from archive.transfer.names import DATA, HANDOVER_DIR, OTHER_DIR, nfc

MANIFEST_RE = re.compile(r"(tag)?manifest-(\w+)\.txt")
HANDOVER_PREFIX = f"{OTHER_DIR}/{HANDOVER_DIR}/"


def carrier_manifest(alg: str) -> str:
    return f"{OTHER_DIR}/manifest-{alg}.txt"


def is_manifest(rel: str) -> bool:
    return rel.startswith(f"{OTHER_DIR}/") and bool(MANIFEST_RE.fullmatch(rel[len(OTHER_DIR) + 1:]))


def sealed(rel: str) -> bool:
    """``rel`` (relative to the carrier root) counts toward the 登记表's 数据量 and 数字摘要."""
    return not rel.startswith(HANDOVER_PREFIX) and not is_manifest(rel)


def manifest_text(entries: dict[str, str]) -> str:
    return "".join(f"{hexd}  {rel}\n" for rel, hexd in sorted(entries.items()))


def seal_digest(entries: dict[str, str], alg: str) -> str:
    """The 电子档案数字摘要: ``alg`` over the manifest lines of the sealed files (carrier-relative
    paths), the same bytes in a carrier and in a bag."""
    h = new_hasher(alg)
    h.update(manifest_text({p: d for p, d in entries.items() if sealed(p)}).encode("utf-8"))
    return h.hexdigest()


def read_manifest(path: Path) -> list[tuple[str, str]]:
    """→ (NFC path, lower-case hex) per line, in file order (duplicates kept, for the caller to name)."""
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2:
            out.append((nfc(parts[1].lstrip("*")), parts[0].lower()))
    return out


def write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_bag(root: Path, entries: dict[str, dict[str, str]], sizes: dict[str, int], info: dict[str, str]) -> None:
    """Make ``root`` (whose data/ already holds the carrier) a BagIt 0.97 bag from digests computed
    while writing: ``entries`` carrier path → {alg: hex}. bagit.make_bag would hash everything again."""
    algs = sorted({a for h in entries.values() for a in h})
    write_text(root / "bagit.txt", "BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n")
    oxum = f"{sum(sizes.values())}.{len(sizes)}"
    lines = {"Bagging-Date": date.today().isoformat(), **info, "Payload-Oxum": oxum}
    write_text(root / "bag-info.txt", "".join(f"{k}: {v}\n" for k, v in sorted(lines.items())))
    for alg in algs:
        write_text(root / f"manifest-{alg}.txt",
                   manifest_text({f"{DATA}/{p}": h[alg] for p, h in entries.items() if alg in h}))
    for alg in algs:
        tags = {}
        for p in sorted(root.iterdir()):
            if p.is_file() and not p.name.startswith("tagmanifest-"):
                h = new_hasher(alg)
                h.update(p.read_bytes())
                tags[p.name] = h.hexdigest()
        write_text(root / f"tagmanifest-{alg}.txt", manifest_text(tags))


_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """``--volume-size``: 4.7G, 700M, 300K or bytes. Disc makers count 4.7 GB as 4.7×10⁹ bytes, so the
    suffixes here are decimal (K = 1000) unless written KiB/MiB/GiB."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(I?B?)\s*", str(text).upper())
    if not m:
        raise WenshuError(f"--volume-size “{text}”无法识别：请写成 4.7G、700M、300K 或字节数。")
    value, unit, binary = float(m.group(1)), m.group(2), m.group(3).startswith("I")
    factor = _UNITS[unit] if binary else 1000 ** "_KMGT".index(unit) if unit else 1
    size = int(value * factor)
    if size < 1:
        raise WenshuError(f"--volume-size “{text}”应大于 0。")
    return size
