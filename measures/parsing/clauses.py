"""Responsibility clauses: where they are, and who leads or supports in each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .agencies import (
    AGENCY_SUFFIX_RE,
    Name,
    _split_top,
    continues_collective,
    find_places,
    looks_like_agency,
    restore_prefixes,
    split_names,
    strip_marker,
)

# 牵头单位 and the words offices insert into it: 牵头责任单位, 牵头考核单位, 牵头督办单位.
_LEAD_LABELS = (
    "牵头[\u4e00-\u9fff]{0,3}?单位|牵头[\u4e00-\u9fff]{0,3}?部门|主责单位|主责部门|主办单位|主办部门|牵头处室"
)
_SUPPORT_LABELS = (
    "配合单位|配合部门|参加单位|参加部门|参与单位|参与部门|协办单位|协办部门|"
    "协作单位|协同单位|支持单位|配合处室|协助单位"
)
_GENERIC_LABELS = (
    "主要责任单位|责任单位|责任部门|责任主体|实施单位|落实单位|承办单位|责任处室|主体单位|负责单位|完成单位|实施主体"
)
_DEADLINE_LABELS = "完成时限|完成时间|时间节点|时间安排|完成期限|时限要求|时间要求|时限"
_ALL = f"{_LEAD_LABELS}|{_SUPPORT_LABELS}|{_GENERIC_LABELS}|{_DEADLINE_LABELS}"
LABEL_RE = re.compile(rf"【\s*(?P<b>{_ALL})\s*】\s*[:]?|\[\s*(?P<q>{_ALL})\s*\]\s*[:]?|(?P<c>{_ALL})\s*[:]")
_LABEL_ROLE = {}
for _names, _role in (
    (_LEAD_LABELS, "lead"),
    (_SUPPORT_LABELS, "support"),
    (_GENERIC_LABELS, "generic"),
    (_DEADLINE_LABELS, "deadline"),
):
    _LABEL_ROLE[_role] = re.compile(f"(?:{_names})$")


def _label_role(name: str) -> str:
    for role in ("lead", "support", "generic", "deadline"):
        if _LABEL_ROLE[role].match(name):
            return role
    raise ValueError(name)  # pragma: no cover - LABEL_RE matches only these


# A parenthesis without a label is a clause when it ends by saying who does the work.
_RESP_END_RE = re.compile(r"(负责|牵头|配合|落实|承担|分工负责|分别负责|负责落实|牵头落实)$")
FIRST_LEADS_RE = re.compile(
    r"(列|排|位|居)(在)?(第一|首)(位|个|家)?(的|者)?(单位|部门)?(为|是)(牵头|主责)(单位|部门)?"
    r"|(第一|首)(个|位|家)?(单位|部门)(为|是)牵头"
)
# 逗号前的单位为牵头单位: in every later clause the names before the first comma lead.
FIRST_PIECE_LEADS_RE = re.compile(r"(逗号|分号|“,”|“;”)(之|以)?前(面)?(的|所列)?(单位|部门)?(为|是|均为)(牵头|主责)")
# The scope of a statement about every later item: 以下各项任务, 本方案所有任务, 下列工作.
_SCOPE = (
    r"(?:以下|下列|下述|本方案|本实施方案|本行动方案|本计划)?(?:的)?"
    r"(?:所有|全部|各项|每项|每一项|各)(?:重点)?(?:任务|工作|措施|事项)"
)
_SCOPE_LOOSE = r"(?:以下|下列|下述)(?:的)?(?:所有|全部|各项|每项)?(?:重点)?(?:任务|工作|措施|事项)"
_UNLISTED = r"(?:[,,]?(?:不再|不|均不)(?:一一|逐一|单独|重复|另行)?(?:列出|列明|标注|注明|列举|写明))"
_JOIN_VERB = r"(?:负责落实|共同落实|参与落实|配合落实|负责推进|共同推进|落实|参与|配合|实施|推进|负责|牵头负责|牵头)"
# Who joins (or leads) every later item, however it is worded: 以下各项任务均需X落实,不再一一列出;
# 以下任务均由X牵头; X负责落实以下所有任务,不再单独列出; 各项任务X均为责任单位.
JOIN_ALL_RES = [
    re.compile(
        rf"(?:{_SCOPE}|{_SCOPE_LOOSE})(?:中)?(?:均|都|皆|全部|也|亦)?(?:需|须|由|要|需要|请|应)?"
        rf"(?P<who>[^,。;:\n]{{2,60}}?)(?:均|都)?(?:共同)?(?P<verb>{_JOIN_VERB})(?:[^,。;]{{0,6}})?{_UNLISTED}?(?=[,。;)\n]|$)"
    ),
    re.compile(
        rf"(?:(?<=[。;:\n,(])|^)\s*(?P<who>[^,。;:\n]{{2,60}}?)(?:均|都)?(?:要|须|需|应)?(?:共同)?(?P<verb>{_JOIN_VERB})(?:本方案)?(?:的)?"
        rf"(?:{_SCOPE}|{_SCOPE_LOOSE}){_UNLISTED}?"
    ),
    re.compile(
        rf"(?:{_SCOPE}|{_SCOPE_LOOSE})(?P<who>[^,。;:\n]{{2,60}}?)(?:均|都)(?:为|是)(?P<verb>牵头|责任|配合|参与)(?:单位|部门)"
    ),
]
_RULE_NOISE_RE = re.compile(r"下同|不再一一列出|以下同|余同")
# A comma piece inside a clause that is a sentence, not a name: a remark or a rule after the list.
_REMARK_RE = re.compile(
    r"要|应当|应|须|务必|确保|抓好|做好|加强|切实|进一步|结合|按照|纳入|列入|作为|每年|每季度|定期|及时|此项|该项|本项"
)


@dataclass
class Clause:
    start: int
    end: int
    segments: list[tuple[str | None, int, int]]  # (label role, start, end) in the text
    kind: str = "paren"
    ref: str | None = None  # set by tables, which carry their own numbering
    title: str | None = None
    lead: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)
    others: bool = False
    lead_inferred: bool = False
    restored: list[str] = field(default_factory=list)
    rules_applied: list[str] = field(default_factory=list)  # document-wide rules that changed this clause
    dropped: list[str] = field(default_factory=list)  # pieces read as remarks, not names
    deadline_text: list[tuple[int, int]] = field(default_factory=list)
    text_start: int | None = None
    body: tuple[int, int] | None = None  # table rows: the task cell, where deadlines and targets live


# Brackets a clause may stand in: (…) most often, 〔…〕 [ … ] 【…】 in some offices' style.
_BRACKETS = {"(": ")", "〔": "〕", "[": "]", "【": "】"}
_BRACKET_RE = re.compile(r"[()〔〕\[\]【】]")
_OPENERS = {v: k for k, v in _BRACKETS.items()}


def _paren_groups(norm: str) -> list[tuple[int, int]]:
    """Bracketed spans at any depth, outer first, O(n).  A group may wrap over lines (PDF text); an
    unclosed opener is forgotten after 400 characters so it cannot swallow the clauses after it."""
    groups: list[tuple[int, int]] = []
    stacks: dict[str, list[int]] = {k: [] for k in _BRACKETS}
    for m in _BRACKET_RE.finditer(norm):
        pos, ch = m.start(), m.group(0)
        if ch in _BRACKETS:
            stack = stacks[ch]
            if stack and pos - stack[0] > 400:
                stack[:] = [p for p in stack if pos - p <= 400]
            stack.append(pos)
        elif stacks[_OPENERS[ch]]:
            open_pos = stacks[_OPENERS[ch]].pop()
            if pos - open_pos <= 402:
                groups.append((open_pos, pos + 1))
    groups.sort()
    return groups


# What may open a clause before its label: when the work is due, or how it runs
# (6月底完成, 持续推进, 5月底取得阶段性成效并持续推进).
_LEAD_IN_WORDS_RE = re.compile(r"月|年|季度|底|前|推进|完成|持续|长期|成效|启动|常态")


def _lead_in(piece: str) -> bool:
    return 0 < len(piece) <= 30 and bool(_LEAD_IN_WORDS_RE.search(piece)) and not looks_like_agency(piece)


# A time limit closing a clause after its names: …负责,2025年底前完成 / …,长期坚持.
_TRAILING_WHEN_RE = re.compile(
    r"[,;]\s*(?P<when>(?:(?:到|在|于|力争|确保)?(?:19|20)\d{2}\s*年[^,;()]{0,14}"
    r"|长期坚持|持续推进|长期推进|常态化推进|持续开展)(?:完成|实现|落实)?)$"
)


_STRICT_SUFFIX_RE = re.compile(
    r"(局|委|办|厅|政府|中心|公司|集团|银行|分局|支行|分行|小组|部|院|社|管委会|办公室|委员会|各地|海关|总队)$"
)


def _bare_list(norm: str, ps: int, pe: int, s: int, e: int) -> bool:
    """(市发改委、市财政局) closing a paragraph: a clause with no verb at all."""
    i = ps - 1
    while i >= 0 and norm[i] in " \t":
        i -= 1
    if i >= 0 and norm[i] not in "。;!?\n":
        return False
    j = pe
    while j < len(norm) and norm[j] in " \t。.;":
        j += 1
    if (
        j < len(norm)
        and norm[j] != "\n"
        and not re.match(r"[一二三四五六七八九十]{1,3}、|\(|\d{1,2}[.、]", norm[j : j + 4])
    ):
        return False
    # 各县(市、区)人民政府: the parenthesis is part of one name.
    flat = re.sub(r"\([^()]{0,20}\)", "", norm[s:e])
    pieces = [p.strip() for p in re.split(r"[,;、]|及", flat) if p.strip()]
    if not pieces:
        return False
    for p in pieces:
        p = re.sub(r"等(各|其他)?(有关|相关)?(部门|单位)?$", "", p)
        if not p:
            continue
        if len(p) > 30 or not (_STRICT_SUFFIX_RE.search(p) or re.fullmatch(r"(各|其他)?(有关|相关)(部门|单位)", p)):
            return False
    return True


def _label_segments(norm: str, s: int, e: int) -> list[tuple[str | None, int, int]]:
    """Cut norm[s:e] at labels; text before the first label gets no label."""
    segs: list[tuple[str | None, int, int]] = []
    labels = list(LABEL_RE.finditer(norm, s, e))
    if not labels:
        return [(None, s, e)]
    if norm[s : labels[0].start()].strip(" \t,;"):
        segs.append((None, s, labels[0].start()))
    for i, m in enumerate(labels):
        name = m.group("b") or m.group("q") or m.group("c")
        seg_end = labels[i + 1].start() if i + 1 < len(labels) else e
        segs.append((_label_role(name), m.end(), seg_end))
    return segs


def _agencyish(norm: str, s: int, e: int) -> bool:
    pieces = [p for p in re.split(r"[,;、]|及", norm[s:e]) if p.strip()]
    if not pieces:
        return False
    good = 0
    for p in pieces:
        p = p.strip()
        if len(p) > 45:
            return False
        end, _ = strip_marker(p, 0, len(p))
        core = re.sub(r"^(由|请|具体由)", "", p[:end])
        core = re.sub(r"等(各|其他)?(有关|相关)?(部门|单位)?$", "", core)
        if looks_like_agency(core) or core.endswith(("有关单位", "相关部门", "有关部门", "相关单位")):
            good += 1
    return good >= 1


_PROSE_RE = re.compile(r"要|应当|应|须|务必|确保|抓好|做好|加强|切实|进一步|结合|按照")
_NEW_SUBJECT_RE = re.compile(r"(?<=[局委办厅])各")


def _list_end(norm: str, s: int, e: int) -> int:
    """Where a label's list of names ends.  Without line breaks the next paragraph runs on
    (责任单位:市财政局、市商务局各区县、各部门要细化方案…), so the list stops at a piece that is
    plainly prose, or where a name is glued to a new subject opening with 各."""
    if e - s < 12:
        return e
    for ps, pe, _sep in _split_top(norm, s, e, re.compile(r"[、,;]")):
        piece = norm[ps:pe].strip()
        if not piece:
            continue
        glued = _NEW_SUBJECT_RE.search(norm, ps, pe)
        if glued and looks_like_agency(norm[ps : glued.start()].strip()):
            rest = norm[glued.start() : e]
            if _PROSE_RE.search(rest[:40]):
                return glued.start()
        end, _ = strip_marker(norm, ps, pe)
        core = re.sub(r"\([^()]*\)$", "", norm[ps:end].strip())
        core = re.sub(r"等(各|其他)?(有关|相关)?(部门|单位)?$", "", core)
        if core and not looks_like_agency(core) and (len(core) > 12 or _PROSE_RE.search(core)):
            if FIRST_LEADS_RE.search(norm, ps, e) or _RULE_NOISE_RE.search(norm, ps, e):
                return e
            return ps
    return e


def find_clauses(norm: str, boundaries: list[int], mask: list[tuple[int, int]] | None = None) -> list[Clause]:
    """All responsibility clauses, in order.  `boundaries` are heading offsets that end a label clause."""
    import bisect

    mask = sorted(mask or [])

    def masked(pos: int) -> bool:
        i = bisect.bisect_right(mask, (pos, 10**12)) - 1
        return i >= 0 and mask[i][0] <= pos < mask[i][1]

    clauses: list[Clause] = []
    taken: list[tuple[int, int]] = []
    last_taken_end = -1
    for ps, pe in _paren_groups(norm):
        if ps < last_taken_end:
            continue  # inside a clause already taken (各区、县(市)政府)
        s, e = ps + 1, pe - 1
        while e > s and norm[e - 1] in " 。.;,":
            e -= 1
        while s < e and norm[s] in " ":
            s += 1
        if e - s < 2 or e - s > 400 or "。" in norm[s:e] or masked(ps):
            continue
        first = LABEL_RE.match(norm, s)
        inner = None if first else LABEL_RE.search(norm, s, e)
        if inner is not None and not _lead_in(norm[s : inner.start()].strip(" ,;")):
            inner = None
        when = None if first or inner else _TRAILING_WHEN_RE.search(norm[s:e])
        who_e = s + when.start() if when else e
        if (
            when
            and who_e - s >= 2
            and ":" not in norm[s:who_e]
            and (
                (_RESP_END_RE.search(norm[s:who_e]) and _agencyish(norm, s, who_e))
                or _bare_list(norm, ps, pe, s, who_e)
            )
        ):
            # (市商务局负责,2025年底前完成): the names, then when the work is due.
            segs = [(None, s, who_e), ("deadline", s + when.start("when"), e)]
        elif first:
            segs = _label_segments(norm, s, e)
        elif inner:
            # (6月底完成,牵头考核单位:市审批服务局): a time note, then the labelled clause.
            segs = [("deadline", s, inner.start()), *_label_segments(norm, inner.start(), e)]
        elif _RESP_END_RE.search(norm[s:e]) and _agencyish(norm, s, e):
            if ":" in norm[s:e]:
                continue
            segs = [(None, s, e)]
        elif _bare_list(norm, ps, pe, s, e):
            segs = [(None, s, e)]
        else:
            continue
        clauses.append(Clause(ps, pe, segs, "paren"))
        taken.append((ps, pe))
        last_taken_end = pe

    bounds = sorted(boundaries)
    taken.sort()

    def inside_taken(pos: int) -> bool:
        i = bisect.bisect_right(taken, (pos, 10**12)) - 1
        return i >= 0 and taken[i][0] <= pos < taken[i][1]

    # Offsets of everything that can end a label's content, so each label costs O(log n).
    enders = sorted([m.start() for m in re.finditer(r"[\n。【]", norm)] + [b for b in bounds])
    labels = [m for m in LABEL_RE.finditer(norm) if not inside_taken(m.start()) and not masked(m.start())]
    current: Clause | None = None
    current_roles: set[str] = set()
    for idx, m in enumerate(labels):
        name = m.group("b") or m.group("q") or m.group("c")
        role = _label_role(name)
        # The label's content runs to the line end, a full stop, the next heading or label.
        stop = len(norm)
        j = bisect.bisect_right(enders, m.end() - 1)
        while j < len(enders) and enders[j] < m.end():
            j += 1
        if j < len(enders):
            stop = enders[j]
        for _ in range(3):
            # A list broken by the line width (…、\n市财政局) continues on the next line.
            if stop < len(norm) and norm[stop] == "\n" and norm[m.end() : stop].rstrip(" \t")[-1:] in ("、", ",", "及"):
                j = bisect.bisect_right(enders, stop)
                stop = enders[j] if j < len(enders) else len(norm)
            else:
                break
        if idx + 1 < len(labels) and labels[idx + 1].start() < stop:
            stop = labels[idx + 1].start()
        if role != "deadline":
            stop = _list_end(norm, m.end(), stop)
        gap = norm[current.end : m.start()] if current else ""
        adjacent = current is not None and len(gap) < 20 and not gap.strip(" \t\n;,")
        if adjacent and role == "generic" and "lead" in current_roles and not current_roles & {"generic", "support"}:
            # 牵头单位:A 责任单位:B — after an explicit lead, the responsible units are its helpers.
            role = "support"
        seg = (role, m.end(), stop)
        joinable = (
            adjacent
            and role not in current_roles
            and not (role in ("lead", "generic") and current_roles & {"lead", "generic"})
        )
        if joinable and current is not None:
            current.segments.append(seg)
            current.end = stop
            current_roles.add(role)
        else:
            current = Clause(m.start(), stop, [seg], "label")
            clauses.append(current)
            current_roles = {role}
    clauses = [c for c in clauses if any(r != "deadline" for r, _, _ in c.segments)]
    clauses.sort(key=lambda c: c.start)
    return clauses


# A sentence about every later item and who does it, whatever the rules above made of it: where
# none of them read it, the coordinator is told that a rule may have been missed.
RULE_LIKE_RE = re.compile(
    r"(?:以下|下列|下述)(?:各项|所有|全部)?(?:重点)?(?:任务|工作|措施|事项)[^。\n]{0,40}?(?:牵头|配合|参与|负责|落实)"
    r"|不再(?:一一|逐一|单独|重复)?(?:列出|列明|标注|注明)|下同"
    r"|(?:标|带|加|注)[^。\n]{0,6}?(?:的|者)(?:单位|部门)?(?:为|是)(?:牵头|主责)"
)


@dataclass
class DocRules:
    first_leads_from: int | None = None  # offset where 列第一位的为牵头单位 was stated
    first_piece_leads_from: int | None = None  # offset where 逗号前的单位为牵头单位 was stated
    join_all: list[tuple[int, list[Name]]] = field(default_factory=list)  # who supports every later item
    lead_all: list[tuple[int, list[Name]]] = field(default_factory=list)  # who leads every later item
    unread: list[int] = field(default_factory=list)  # offsets of rule-like sentences no rule read
    places: frozenset[str] = frozenset()


def join_rule_match(piece: str) -> re.Match | None:
    for rx in JOIN_ALL_RES:
        m = rx.search(piece)
        if m:
            return m
    return None


_RULE_VERB_RE = re.compile(r"督促|组织|指导|推动|协调|支持|鼓励|引导|加快|统筹|实施|建立|开展|完善|发挥|强化")


def _rule_names(norm: str, original: str, s: int, e: int) -> list[Name]:
    """The agencies a rule sentence names; none unless every piece of it is a name (a sentence
    that merely mentions tasks and departments states no rule)."""
    names, _ = split_names(norm, original, s, e)
    if not names or any(
        not looks_like_agency(n.norm) or _RULE_VERB_RE.search(n.norm) or _REMARK_RE.search(n.norm) for n in names
    ):
        return []
    # 各牵头单位, 各责任单位: the rule speaks of the clauses' own agencies, not of a further one.
    return [n for n in names if not re.search(r"牵头|责任|配合|有关|相关|本方案|各地各部门", n.norm)]


def find_rules(norm: str, original: str) -> DocRules:
    rules = DocRules(places=find_places(norm))
    m = FIRST_LEADS_RE.search(norm)
    if m:
        # The statement usually sits inside the first clause it governs, so start at its clause.
        line_start = max(norm.rfind("\n", 0, m.start()), norm.rfind("。", 0, m.start()))
        rules.first_leads_from = max(0, line_start)
    m = FIRST_PIECE_LEADS_RE.search(norm)
    if m:
        line_start = max(norm.rfind("\n", 0, m.start()), norm.rfind("。", 0, m.start()))
        rules.first_piece_leads_from = max(0, line_start)
    seen: set[int] = set()
    for rx in JOIN_ALL_RES:
        for jm in rx.finditer(norm):
            if len(rules.join_all) + len(rules.lead_all) >= 10:
                break
            if jm.start() in seen:
                continue
            seen.add(jm.start())
            names = _rule_names(norm, original, *jm.span("who"))
            if names:
                target = rules.lead_all if jm.group("verb") in ("牵头", "牵头负责") else rules.join_all
                target.append((jm.start(), names))
    read = [pos for pos, _ in rules.join_all + rules.lead_all]
    read += [p for p in (rules.first_leads_from, rules.first_piece_leads_from) if p is not None]
    for m in RULE_LIKE_RE.finditer(norm):
        sentence = max(norm.rfind("\n", 0, m.start()), norm.rfind("。", 0, m.start()))
        if any(sentence <= pos <= m.end() for pos in read) or FIRST_LEADS_RE.search(norm, sentence + 1, m.end() + 20):
            continue
        if re.search(r"[*★☆※△▲]", norm[sentence + 1 : m.end() + 10]):
            continue  # marked names are read as leads wherever they stand
        rules.unread.append(m.start())
        if len(rules.unread) >= 10:
            break
    return rules


def _pieces(norm: str, s: int, e: int) -> list[tuple[int, int]]:
    """The comma pieces of a list, with 各区,县级市 (a collective name cut by a comma) kept whole."""
    out: list[tuple[int, int]] = []
    for ps, pe, _sep in _split_top(norm, s, e, re.compile(r"[,;]")):
        after_comma = out and norm[out[-1][1] : out[-1][1] + 1] == ","
        if after_comma and continues_collective(norm[slice(*out[-1])], norm[ps:pe]):
            out[-1] = (out[-1][0], pe)
        else:
            out.append((ps, pe))
    return out


def _is_remark(norm: str, s: int, e: int) -> bool:
    """A piece that is a sentence (各区县要结合实际抓好落实, 2025年底前完成), not a list of names."""
    piece = norm[s:e].strip()
    if not piece:
        return False
    if re.fullmatch(r"(?:到|在|于|力争|确保)?(?:19|20)\d{2}\s*年.{0,16}", piece):
        return True
    if not _REMARK_RE.search(piece):
        return False
    cores = [p[: strip_marker(p, 0, len(p))[0]].strip() for p in re.split(r"[、及]", piece) if p.strip()]
    # A real list here ends every name with a body's suffix (市应急管理局 holds 应 and is one).
    return not all(len(c) <= 25 and AGENCY_SUFFIX_RE.search(c) for c in cores)


def _key(n: Name) -> str:
    return re.sub(r"\s+", "", n.norm)


_INNER_SPACE_RE = re.compile(r"(?<=[\u4e00-\u9fff()()])\s+(?=[\u4e00-\u9fff()()])")


def _tidy(name: str) -> str:
    """Spaces a scan or a blanked page break left inside a Chinese name are not part of it."""
    return _INNER_SPACE_RE.sub("", name)


def resolve_roles(clause: Clause, norm: str, original: str, rules: DocRules) -> None:
    """Fill lead/support/others/lead_inferred on a clause (rules 1-5 of the contract)."""
    entries: list[tuple[str, Name]] = []
    lists: list[list[Name]] = []  # one per labelled list: prefixes are restored within one only
    others = False
    first_piece = rules.first_piece_leads_from is not None and clause.start >= rules.first_piece_leads_from
    if first_piece:
        clause.rules_applied.append("first_piece_leads")
    for label_role, s, e in clause.segments:
        if label_role == "deadline":
            clause.deadline_text.append((s, e))
            continue
        lists.append([])
        for piece_no, (ss, se) in enumerate(_pieces(norm, s, e)):
            piece = norm[ss:se]
            if FIRST_LEADS_RE.search(piece) or FIRST_PIECE_LEADS_RE.search(piece) or _RULE_NOISE_RE.search(piece):
                continue
            if join_rule_match(piece):
                continue
            if _is_remark(norm, ss, se):
                if re.search(r"(19|20)\d{2}\s*年", piece):
                    clause.deadline_text.append((ss, se))
                else:
                    clause.dropped.append(original[ss:se].strip())
                continue
            while ss < se and norm[ss] in " \t":
                ss += 1
            se, marker = strip_marker(norm, ss, se)
            if se <= ss:
                continue
            k = norm.find("会同", ss, se)
            # A会同B负责: A leads, B works with it.
            groups: list[tuple[str | None, int, int]] = (
                [("lead", ss, k), ("support", k + 2, se)] if k > ss else [(marker, ss, se)]
            )
            for g_marker, gs, ge in groups:
                if label_role in ("lead", "support"):
                    role = label_role
                elif g_marker in ("lead", "support"):
                    role = g_marker
                elif first_piece:
                    role = "lead" if piece_no == 0 else "support"
                else:
                    role = "generic"
                names, ph = split_names(norm, original, gs, ge)
                others = others or ph
                for n in names:
                    if n.note and label_role != "deadline":
                        clause.deadline_text.append(n.note)
                    r = n.role if n.role in ("lead", "support") and label_role not in ("lead", "support") else role
                    entries.append((r, n))
                    lists[-1].append(n)
    for names in lists:
        restore_prefixes(names, rules.places)
    seen: set[str] = set()
    uniq: list[tuple[str, Name]] = []
    for r, n in entries:
        key = re.sub(r"\s+", "", n.norm)
        if key in seen or not key:
            continue
        seen.add(key)
        uniq.append((r, n))
    lead: list[Name] = [n for r, n in uniq if r == "lead"]
    marked = bool(lead)
    support: list[Name] = []
    inferred = False
    if lead:
        support = [n for r, n in uniq if r != "lead"]
    else:
        generic = [n for r, n in uniq if r == "generic"]
        if generic:
            lead = [generic[0]]
            support = [n for _, n in uniq if n is not generic[0]]
            rule_applies = rules.first_leads_from is not None and clause.start >= rules.first_leads_from
            inferred = len(uniq) > 1 and not rule_applies
            if rule_applies and len(uniq) > 1:
                clause.rules_applied.append("first_leads")
        else:
            support = [n for _, n in uniq]
    earlier = [names for pos, names in rules.lead_all if pos < clause.start]
    if earlier:
        # Who leads every later item leads this one; the clause's own names help, unless marked lead.
        keys = {_key(n) for n in earlier[-1]}
        explicit = [n for n in lead if marked and _key(n) not in keys]
        support = [n for n in lead + support if _key(n) not in keys and n not in explicit]
        lead = earlier[-1] + explicit
        inferred = False
        seen |= keys
        clause.rules_applied.append("lead_all")
    for pos, join_names in rules.join_all:
        if pos < clause.start:
            for n in join_names:
                if _key(n) not in seen:
                    seen.add(_key(n))
                    support.append(n)
                    if "join_all" not in clause.rules_applied:
                        clause.rules_applied.append("join_all")
    clause.lead = [_tidy(n.text) for n in lead]
    clause.support = [_tidy(n.text) for n in support]
    clause.others = others
    clause.lead_inferred = inferred
    clause.restored = [n.text for n in lead + support if n.restored]
