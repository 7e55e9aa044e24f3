"""The index schema (索引结构): one whoosh document per FILE of the archive.

Each file carries its record's metadata (档号, 文号, 题名, 责任者 …) so a hit is self-contained,
plus path + size + mtime + sha256 as sortable columns so ``reconcile`` can compare the index
with the disk without loading stored bodies (DESIGN §7).

Bump ``SCHEMA_VERSION`` whenever fields or analysis change: an index built by another
version is rebuilt automatically when it is opened.
"""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, Schema

from indexer.analysis import GRAMS

SCHEMA_VERSION = 13

# Fields the searcher shows for a hit (stored).
SHOWN = ("path", "record", "code", "docnum", "title", "author", "date", "year", "doctype",
         "retention", "classification", "case", "format")


def make_schema() -> Schema:
    return Schema(
        # where the file is and what it was when indexed (root-relative POSIX path)
        path=ID(stored=True, unique=True, sortable=True),
        record=ID(stored=True),  # root-relative record folder, "" for a loose file
        size=NUMERIC(int, bits=64, stored=True, sortable=True),
        mtime=NUMERIC(int, bits=64, stored=True, sortable=True),  # st_mtime_ns
        sha256=ID(stored=True, sortable=True),
        error=STORED(),  # why the file's text could not be read ("" when it could)
        format=ID(stored=True),
        # record metadata
        code=ID(stored=True, sortable=True),  # 档号; a column so hits collapse to one per record
        docnum=ID(stored=True),  # 文号, normalised (DocNumber.normalize)
        numkeys=KEYWORD(commas=True),  # the terms its own 文号 is found under: 国令第195号, 高教字〔〕8号
        cites=KEYWORD(commas=True),  # the 文号/令号 the text cites (依据, 转发), as numkeys
        form=NUMERIC(int, stored=True, sortable=True),  # 1: a form of a series (承诺书), ranked after 公文
        title=STORED(),  # 题名 (searched through title_gram)
        title_gram=GRAMS(),
        author=KEYWORD(stored=True, commas=True, scorable=False, sortable=True),  # 责任者 / 机关
        date=NUMERIC(int, stored=True, sortable=True),  # 日期 as yyyymmdd
        year=NUMERIC(int, stored=True, sortable=True),  # 年度
        doctype=ID(stored=True, sortable=True),  # 文种
        retention=ID(stored=True),  # 保管期限 code: Y / D30 / D10
        classification=ID(stored=True),  # 密级
        case=ID(stored=True),  # 案件
        origcode=ID(stored=True),  # 原档号: the sender's 档号 of a received (移交接收) record
        status=ID(stored=True),  # 状态: "撤销" for a withdrawn record (left out of search unless asked)
        rmtime=NUMERIC(int, bits=64, stored=True, sortable=True),  # record.json st_mtime_ns when read
        # the text of the file
        body=STORED(),  # snippets are cut from it; searched through gram
        # recall: the grams of 题名 + 责任者/关键词/案件/主送 + the text, in one field, so a query
        # word is one AND of a few posting lists (DESIGN §11: multi-term queries are the slow ones)
        gram=GRAMS(unigrams=False),
    )
