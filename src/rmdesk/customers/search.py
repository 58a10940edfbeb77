"""Search helpers: pinyin initials and classification of a free-text query (SPEC §2 search)."""

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from .validators import USCC_CHARSET


@lru_cache(maxsize=65536)
def initials_of(name: str) -> str:
    """Lower-case pinyin initials of a Chinese name ("张伟明" -> "zwm"); other letters and digits kept."""
    parts = lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors=lambda s: list(s))
    out = "".join(p[:1] if len(p) > 1 and not p.isascii() else p for p in parts)
    return re.sub(r"[^0-9a-z]", "", out.lower())[:60]


def classify(q: str):
    """What kind of query this is: ("credit_code"|"id_number"|"mobile"|"tail"|"initials"|"name", value)."""
    q = (q or "").strip()
    if not q:
        return None, ""
    upper = q.upper()
    if len(upper) == 18 and all(c in USCC_CHARSET for c in upper) and not upper[:17].isdigit():
        return "credit_code", upper
    if re.fullmatch(r"\d{17}[\dXx]", q):
        return "id_number", upper
    if re.fullmatch(r"1\d{10}", q):
        return "mobile", q
    if re.fullmatch(r"\d{3}[\dXx]", q):
        return "tail", upper
    if re.fullmatch(r"[A-Za-z]{1,20}", q):
        return "initials", q.lower()
    return "name", q
