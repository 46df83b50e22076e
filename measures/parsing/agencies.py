"""Agency lists inside a responsibility clause: splitting, trimming, placeholders, prefixes.

Everything is decided on the normalised text and sliced from the original, so a name comes
out exactly as the document spells it (scan typos included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Generic endings of government bodies, firms and collectives; used only to judge whether a
# piece of text is a name at all, never to look a name up.
AGENCY_SUFFIX_RE = re.compile(
    r"(局|委|办|厅|政府|中心|公司|集团|银行|分局|支行|分行|小组|单位|部|院|会|社|所|站|队|处|关|署|室|馆|校|团|组|"
    r"街道|各地|门|行|司|台|盟|区|县|市|州|旗|乡|镇|专班|指挥部|法院|检察院|党委|管委会|机构|企业|协会|联合会)$"
)

# 有关单位, 各相关部门, 市直各有关部门, 省级有关部门, 市各有关单位: unnamed helpers at any level.
_LEVEL = r"(?:市直|省直|区直|县直|市级|省级|区级|县级|市|省|区|县)"
_PLACEHOLDER_RE = re.compile(
    rf"^(各|其他|其它|其余)?{_LEVEL}?(各|其他)?(有关|相关)(的)?(单位|部门|方面|机构|处室|科室)$"
)
_ETC_PLACEHOLDER_RE = re.compile(
    rf"等(各|其他|其它|其余)?{_LEVEL}?(各|其他)?(有关|相关)(的)?(单位|部门|方面|机构|处室|科室)$"
)
_ETC_RE = re.compile(r"等(部门|单位|机构|处室|科室)?$")
_LEAD_MARKS = "*★☆※△▲"
_LEAD_NOTE_RE = re.compile(r"\((牵头|牵头单位|牵头部门|主责)\)$")
_SUPPORT_NOTE_RE = re.compile(r"\((配合|配合单位|参与)\)$")

# Words that only end a list or tell how to act; stripped from the end of a piece.
MARKERS: list[tuple[str, re.Pattern]] = [
    ("lead", re.compile(r"(牵头负责|负责牵头|牵头落实|牵头实施|牵头推进|牵头抓总|牵头组织|为牵头单位|牵头)$")),
    (
        "support",
        re.compile(
            r"((按照|按|依|根据)?(各自)?(职责|职能)(分工)?)?(配合落实|配合实施|配合推进|协助落实|协助|配合|参与|参加|协办)$"
        ),
    ),
    (
        "generic",
        re.compile(
            r"((按照|按|依|根据)?(各自)?(职责|职能)?(分工)?(分别|共同|协同)?(负责落实|负责实施|负责推进|负责|落实|实施|推进|承担))$"
        ),
    ),
]
_SEP_RE = re.compile(r"以及|、|及|/")

# Bodies managed vertically (or firms) keep their own place name; never give them the list's prefix.
_NO_RESTORE_RE = re.compile(
    r"分局|支行|分行|银行|人行|集团|公司|海关|调查|银保监|银监|证监|保监|国家|中国|中央|人民|大学|学院|医院|总队|支队|大队"
)
_ADMIN_WORDS_RE = re.compile(r"市场|城市|超市|都市")
_PREFIX_RE = re.compile(r"^((?:[\u4e00-\u9fff]{2,4}?)?(?:自治区|自治州|省|市|区|县|州|旗))")
# The levels a collective name lists: 各区、县级市, 各市(州)、县(市、区), 各镇、街道, 各开发区、园区.
_LEVELS = r"(?:县级市|地级市|省|市|州|盟|县|区|旗|乡|镇|街道|乡镇|县市|市县|区县|县区|开发区|园区|功能区|新区)"
_ADMIN_ONLY_RE = re.compile(rf"^(各)?(有关|相关)?{_LEVELS}(\([^)]*\))?$")
# What may follow an admin-level fragment inside one collective name: 各区、县(市)政府,
# 各市(州)、县(市、区)人民政府, 各市、州、县人民政府.
_ADMIN_TAIL_RE = re.compile(
    rf"^(?:{_LEVELS}(?:\([^)]*\))?)+"
    r"(?:人民政府|政府|党委|党委和政府|党委政府|管委会|办事处|管理机构)?$"
)
# A trailing parenthesis that only lists admin levels is part of a name: 各县(市、区), 各市(州).
_ADMIN_PAREN_RE = re.compile(r"^[省市州盟县区旗乡镇街道、,]+$")
# Words that make a trailing parenthesis a note about the work, not a part of the name.
_NOTE_WORDS_RE = re.compile(
    r"\d|年|月|前|后|负责|牵头|配合|参与|协助|保障|完成|落实|资金|属地|指导|督促|统筹|具体|按|含|包括|实施|推进|承担|分工"
)
_DEPARTMENT_END_RE = re.compile(r"(局|委|办|厅|部|中心|社|站|所|院|会|室|处|队|署|委员会|办公室)$")


# When or how the work runs, standing where a name would (…;持续推进): never an agency.
WHEN_PHRASE_RE = re.compile(
    r"^(?:持续|长期|常态化|逐年|每年|定期|逐步|分年度|分阶段|年度|全年|长期持续)(?:推进|坚持|开展|实施|落实|进行|完成|推动)?$"
    r"|^(?:到|在|于|力争)?(?:19|20)\d{2}\s*年[^局委办厅府]*$"
)


@dataclass
class Name:
    text: str  # as output (original spelling, possibly with a restored prefix)
    norm: str  # normalised spelling used for decisions
    role: str | None = None  # lead / support from an inline note like (牵头)
    restored: bool = False
    note: tuple[int, int] | None = None  # a trailing note stripped from the name: (2025年底前完成)


def continues_collective(first: str, second: str) -> bool:
    """各区 followed by 县级市政府: two fragments of one collective name, whatever separates them."""
    first, second = first.strip(), second.strip()
    return bool(_ADMIN_ONLY_RE.match(first)) and bool(_ADMIN_ONLY_RE.match(second) or _ADMIN_TAIL_RE.match(second))


def is_placeholder(norm_name: str) -> bool:
    return bool(_PLACEHOLDER_RE.match(norm_name))


def looks_like_agency(norm_name: str) -> bool:
    n = norm_name.strip()
    if not n or len(n) > 40:
        return False
    return bool(AGENCY_SUFFIX_RE.search(n)) or is_placeholder(n) or n.startswith("各")


def _split_top(norm: str, s: int, e: int, sep: re.Pattern) -> list[tuple[int, int, str]]:
    """Split norm[s:e] on sep outside parentheses; returns (start, end, separator-before)."""
    parts: list[tuple[int, int, str]] = []
    depth = 0
    i = s
    cur = s
    prev_sep = ""
    while i < e:
        ch = norm[i]
        if ch in "(【《“":
            depth += 1
        elif ch in ")】》”" and depth:
            depth -= 1
        elif depth == 0:
            m = sep.match(norm, i, e)
            if m:
                parts.append((cur, i, prev_sep))
                prev_sep = m.group(0)
                i = m.end()
                cur = i
                continue
        i += 1
    parts.append((cur, e, prev_sep))
    return parts


def strip_marker(norm: str, s: int, e: int) -> tuple[int, str | None]:
    """Strip trailing role words; returns the new end and the role they mark (first one wins)."""
    role: str | None = None
    for _ in range(4):
        while e > s and norm[e - 1] in " \t,;。.、:":
            e -= 1
        hit = False
        for name, rx in MARKERS:
            m = rx.search(norm, s, e)
            if m and m.end() == e and m.start() > s:
                e = m.start()
                role = role or name
                hit = True
                break
        if not hit:
            break
    return e, role


def split_names(norm: str, original: str, s: int, e: int) -> tuple[list[Name], bool]:
    """Names in norm[s:e] (one role's list); returns them and whether a placeholder was present."""
    others = False
    raw = _split_top(norm, s, e, _SEP_RE)
    # Admin-level fragments (各区、县(市)政府, 各市、州、县人民政府) are one collective name.
    merged: list[tuple[int, int]] = []
    pending: int | None = None
    for k, (ps, pe, _sep) in enumerate(raw):
        frag = norm[ps:pe].strip()
        if pending is None:
            pending = ps
        if norm[pe : pe + 1] == "、" and k + 1 < len(raw) and continues_collective(frag, norm[slice(*raw[k + 1][:2])]):
            continue
        merged.append((pending, pe))
        pending = None
    if pending is not None:
        merged.append((pending, e))
    names: list[Name] = []
    prev_left: Name | None = None
    for ps, pe in merged:
        while ps < pe and norm[ps] in " \t,;、":
            ps += 1
        while pe > ps and norm[pe - 1] in " \t,;、。.":
            pe -= 1
        text_n = norm[ps:pe]
        if WHEN_PHRASE_RE.match(text_n.strip()):
            continue
        # 市商务局 持续推进 (a table row's cells run together): the time is not part of the name.
        parts = text_n.rsplit(None, 1)
        if len(parts) == 2 and WHEN_PHRASE_RE.match(parts[1]):
            pe = ps + len(text_n.rstrip()) - len(parts[1])
            while pe > ps and norm[pe - 1] in " \t":
                pe -= 1
            text_n = norm[ps:pe]
        role: str | None = None
        note: tuple[int, int] | None = None
        pe2 = _strip_note(norm, ps, pe)
        if pe2 < pe:
            note, pe = (pe2, pe), pe2
            text_n = norm[ps:pe]
        # A mark on the name (*市商务局, 市商务局*, ★) makes it the lead; the mark is not part of it.
        if norm[ps:pe].strip(_LEAD_MARKS) != norm[ps:pe]:
            role = "lead"
            while ps < pe and norm[ps] in _LEAD_MARKS:
                ps += 1
            while pe > ps and norm[pe - 1] in _LEAD_MARKS:
                pe -= 1
            text_n = norm[ps:pe]
        m = _LEAD_NOTE_RE.search(text_n)
        if m:
            role, pe = "lead", ps + m.start()
        else:
            m = _SUPPORT_NOTE_RE.search(text_n)
            if m:
                role, pe = "support", ps + m.start()
        # A piece may still carry its own marker (A牵头、B配合 without a comma is rare but real).
        pe2, mrole = strip_marker(norm, ps, pe)
        if mrole and pe2 > ps:
            pe, role = pe2, role or (mrole if mrole != "generic" else None)
        for lead_word in ("由", "请", "其中", "并"):
            if norm.startswith(lead_word, ps) and pe - ps > len(lead_word) + 1:
                ps += len(lead_word)
        text_n = norm[ps:pe]
        m = _ETC_PLACEHOLDER_RE.search(text_n)
        if m:
            others = True
            pe = ps + m.start()
        else:
            m = _ETC_RE.search(text_n)
            if m and m.start() > 0:
                pe = ps + m.start()
        text_n = norm[ps:pe].strip()
        if not text_n:
            continue
        if is_placeholder(text_n):
            others = True
            continue
        if text_n in ("等", "等部门", "等单位"):
            continue
        # Whitespace between names (table cells) splits only when every part is a name.
        parts = [p for p in re.split(r"[ \t]+", text_n) if p]
        if len(parts) > 1 and all(AGENCY_SUFFIX_RE.search(p) for p in parts):
            offs = ps
            for p in parts:
                idx = norm.find(p, offs, pe)
                names.append(Name(original[idx : idx + len(p)], p, role))
                offs = idx + len(p)
            continue
        name = Name(original[ps:pe].strip(), text_n, role, note=note)
        # 领导小组办公室及成员单位: the bare 成员单位 belongs to the same group.
        if prev_left is not None and re.fullmatch(r"(各)?(成员单位|成员部门)", text_n):
            stem = re.search(r"^(.*(领导小组|小组|委员会|联席会议|指挥部))", prev_left.norm)
            if stem:
                keep = len(stem.group(1))
                name = Name(prev_left.text[:keep] + name.text, prev_left.norm[:keep] + text_n, role)
        names.append(name)
        prev_left = name
    return names, others


def _strip_note(norm: str, s: int, e: int) -> int:
    """End of a name once a trailing note is cut off: 市财政局(资金保障), 市商务局(2025年底前完成).

    Parentheses that belong to the name stay: 各县(市、区), 市委宣传部(市新闻出版局)."""
    while e > s and norm[e - 1] in " \t":
        e -= 1
    if e - s < 4 or norm[e - 1] != ")":
        return e
    depth, i = 0, e - 1
    while i >= s:
        if norm[i] == ")":
            depth += 1
        elif norm[i] == "(":
            depth -= 1
            if depth == 0:
                break
        i -= 1
    if i <= s:
        return e
    inner = norm[i + 1 : e - 1].strip()
    if _LEAD_NOTE_RE.search(norm[i:e]) or _SUPPORT_NOTE_RE.search(norm[i:e]):
        return e  # (牵头) and (配合) are read as roles by the caller
    if _ADMIN_PAREN_RE.match(inner):
        return e
    if looks_like_agency(inner) and not _NOTE_WORDS_RE.search(inner):
        return e
    head = norm[s:i].rstrip()
    if not head or not looks_like_agency(head):
        return e
    return s + len(norm[s:i].rstrip())


def prefix_of(norm_name: str) -> str | None:
    if _ADMIN_WORDS_RE.match(norm_name):
        return None
    m = _PREFIX_RE.match(norm_name)
    if not m:
        return None
    rest = norm_name[m.end() :]
    if not rest or rest.startswith(("场", "级", "县", "区")):
        return None
    return m.group(1)


_PLACE_RE = re.compile(r"(?=([\u4e00-\u9fff]{2,3})(?:市|省|自治区)(?:人民政府|政府|委员会|人大|政协))")


def find_places(norm: str) -> frozenset[str]:
    """Place names the document governs (成都 from 成都市人民政府): a name opening with one is not a
    bare department that lost its prefix (成都住房公积金管理中心 stays as written)."""
    out: set[str] = set()
    for m in _PLACE_RE.finditer(norm):
        stem = m.group(1)
        out.add(stem)
        out.add(stem[-2:])
        if len(out) > 200:
            break
    return frozenset(out)


def _is_bare(norm_name: str, places: frozenset[str] = frozenset()) -> bool:
    if norm_name.startswith(("各", "全", "本", "其他", "有关", "相关", "领导小组", "团")):
        return False
    if any(norm_name.startswith(p) for p in places):
        return False
    if prefix_of(norm_name):
        return False
    if re.search(r"[省市区县州旗]", _ADMIN_WORDS_RE.sub("", norm_name)):
        return False
    if re.search(r"街道|乡|镇|村|社区|开发区|园区", norm_name):
        return False  # a sub-district body is named for its own place (城东街道管理办)
    if _NO_RESTORE_RE.search(norm_name):
        return False
    return bool(_DEPARTMENT_END_RE.search(norm_name)) and len(norm_name) <= 12


def restore_prefixes(names: list[Name], places: frozenset[str] = frozenset()) -> None:
    """市农业农村局、商务局 → 市商务局: give a bare department the prefix an earlier name carries."""
    prefix: str | None = None
    for n in names:
        p = prefix_of(n.norm)
        if p and not re.search(r"(政府|管委会|人大|政协)$", n.norm):
            prefix = n.text[: len(p)]
            continue
        if prefix and _is_bare(n.norm, places):
            n.text = prefix + n.text
            n.norm = prefix + n.norm
            n.restored = True
