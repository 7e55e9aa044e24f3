"""Who may see what (密级 clearance) and do what (roles) — the one place the server decides.

Clearance decides visibility: a record whose 密级 is above the user's clearance does not exist
for that user. Every way to a record goes through here: ``search_text`` puts the exclusion into
the query itself (so hits, totals and facets all lack the record), and ``visible`` guards the
record, file and page-image views, which answer 404 — not 403, which would leak existence.

Roles decide actions: 文书 issues, generates and files; 档案员 also edits, exports and manages
users; 领导 and 查阅 search and read.
"""

from __future__ import annotations

from archive.config import CLASSIFICATIONS

ROLES = ("文书", "档案员", "领导", "查阅")
CLERK, ARCHIVIST, LEADER, READER = ROLES
CLEARANCE_LABEL = {"": "无（仅非密）", "秘密": "秘密", "机密": "机密", "绝密": "绝密"}

# action → roles allowed. Part 1 has reading and administration; part 2 adds its own rows here.
ACTIONS = {
    "search": set(ROLES),
    "read": set(ROLES),
    "download": set(ROLES),
    "audit": {ARCHIVIST},
    "manage_users": {ARCHIVIST},
    "issue": {CLERK, ARCHIVIST},
    "file": {CLERK, ARCHIVIST},
    "edit": {ARCHIVIST},
    "export": {ARCHIVIST},
    # part 2: 收文登记, 案件/督办, 移交 (wenshu/web/receiving.py, casesview.py, transferview.py)
    "receive": {CLERK, ARCHIVIST},
    "cases": set(ROLES),
    "link_case": {CLERK, ARCHIVIST},
    "import": {ARCHIVIST},
}


def rank(classification: str) -> int:
    """0 for a record without 密级, then 秘密 < 机密 < 绝密; an unknown mark ranks highest, so a
    record with a 密级 this code does not know stays hidden from everyone below 绝密+."""
    try:
        return CLASSIFICATIONS.index(classification or "")
    except ValueError:
        return len(CLASSIFICATIONS)


def profile_of(user):
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "profile", None)


def clearance_of(user) -> str:
    p = profile_of(user)
    return p.clearance if p else ""


def role_of(user) -> str:
    p = profile_of(user)
    return p.role if p else ""


def can(user, action: str) -> bool:
    return bool(getattr(user, "is_active", False)) and role_of(user) in ACTIONS.get(action, ())


def visible(user, classification: str) -> bool:
    """Whether a record of this 密级 exists for ``user``."""
    if not getattr(user, "is_active", False) or profile_of(user) is None:
        return False
    return rank(classification) <= rank(clearance_of(user))


def hidden_marks(user) -> list[str]:
    """The 密级 values above the user's clearance."""
    mine = rank(clearance_of(user)) if profile_of(user) else -1
    return [c for c in CLASSIFICATIONS if c and rank(c) > mine]


def allowed_marks(user) -> list[str]:
    """The 密级 values the user may give a record (registering 收文): none above their clearance."""
    mine = rank(clearance_of(user)) if profile_of(user) else -1
    return [c for c in CLASSIFICATIONS if c and rank(c) <= mine]


def search_text(user, text: str, extra_clauses: list[str] = ()) -> str:
    """The query actually run for ``user``: ``NOT 密级:… (text)``.

    The exclusions come FIRST and the user's text is one parenthesised group, so nothing typed
    can get out from under them: an unclosed quote can only swallow the closing parenthesis
    (the group then runs to the end, still AND-ed), and a stray ``)`` is refused because the
    caller parses ``text`` alone first (``indexer.query.parse`` rejects unbalanced brackets).
    """
    head = [f"NOT 密级:{c}" for c in hidden_marks(user)] + list(extra_clauses)
    if not head:
        return text
    return " ".join(head) + f" ( {text} )"
