"""The digests that seal a transfer package: SHA-256 and SM3 (国密杂凑算法), which hashlib only
has when OpenSSL provides it, hence the pure-Python fallback."""

from __future__ import annotations

import hashlib
from pathlib import Path

DIGESTS = ("sha256", "sm3")
DIGEST_LABELS = {"sha256": "SHA-256", "sm3": "SM3"}


class _Sm3Fallback:
    """SM3 over gmssl's compression function, fed block by block so big files need no big memory."""

    name = "sm3"

    def __init__(self):
        from gmssl import sm3  # noqa: F401  (imported here: only needed without OpenSSL SM3)

        self._sm3 = sm3
        self._v = list(sm3.IV)
        self._buf = b""
        self._len = 0

    def update(self, data: bytes) -> None:
        self._len += len(data)
        buf = self._buf + bytes(data)
        cut = len(buf) - len(buf) % 64
        for i in range(0, cut, 64):
            self._v = self._sm3.sm3_cf(self._v, buf[i:i + 64])
        self._buf = buf[cut:]

    def hexdigest(self) -> str:
        tail = self._buf + b"\x80"
        tail += b"\x00" * ((56 - len(tail)) % 64)
        tail += (self._len * 8).to_bytes(8, "big")
        v = list(self._v)
        for i in range(0, len(tail), 64):
            v = self._sm3.sm3_cf(v, tail[i:i + 64])
        return "".join(f"{x:08x}" for x in v)


def hashlib_has(alg: str) -> bool:
    try:
        hashlib.new(alg)
        return True
    except ValueError:
        return False


def new_hasher(alg: str, force_fallback: bool = False):
    if alg == "sm3" and (force_fallback or not hashlib_has("sm3")):
        try:
            return _Sm3Fallback()
        except ImportError:
            from archive.errors import WenshuError

            raise WenshuError("本机的 OpenSSL 不提供 SM3，也未安装 gmssl：请运行 pip install gmssl，"
                              "或改用 --digest sha256。") from None
    return hashlib.new(alg)


def file_digests(path: Path, algs: tuple[str, ...] | list[str], chunk: int = 1 << 20) -> dict[str, str]:
    hashers = {a: new_hasher(a) for a in algs}
    with open(path, "rb") as f:
        while block := f.read(chunk):
            for h in hashers.values():
                h.update(block)
    return {a: h.hexdigest() for a, h in hashers.items()}
