"""Task-division tables flattened to text (序号 / 任务 / 牵头单位 / 配合单位 / 完成时限).

Two layouts survive copy-paste: one cell per line, or one row per line with cells split by
tabs or spaces.  Empty cells vanish in both, so cells are matched to columns by what they
look like (a date, a list of names, prose) whenever the count does not fit the header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .agencies import AGENCY_SUFFIX_RE, find_places, is_placeholder
from .clauses import Clause
from .flat_tables import find_flat_tables, fold_columns
from .normalize import cn_to_int

_SEQ = re.compile(r"^(序号|编号|序)$")
_KINDS: list[tuple[str, re.Pattern]] = [
    ("lead", re.compile(r"^(牵头单位|牵头部门|主责单位|主责部门|牵头)$")),
    ("support", re.compile(r"^(配合单位|配合部门|参与单位|参与部门|协办单位|参加单位|协作单位|配合)$")),
    ("generic", re.compile(r"^(责任单位|责任部门|责任主体|实施主体|实施单位|责任处室)$")),
    ("deadline", re.compile(r"^(完成时限|完成时间|时间节点|时限|时间安排|完成期限|进度安排)$")),
    ("task", re.compile(r"(任务|措施|内容|事项|工作|举措|目标|名称|项目)")),
]
_DATE_LIKE = re.compile(r"(19|20)\d{2}|长期|持续|季度|每年|年底|月底|底前|前完成|常态化")
_ROW_NUM = re.compile(r"^(\d{1,3})$")
_ROW_INLINE = re.compile(r"^\|?\s*(\d{1,3})(?:[.、])?(?:[ \t]*\|[ \t]*|[ \t]+)(\S.*)$")
_GROUP = re.compile(r"^([一二三四五六七八九十]{1,3})[、.]\s*(\S.*)?$")


@dataclass
class Table:
    region: tuple[int, int]
    clauses: list[Clause] = field(default_factory=list)


def _kind(cell: str) -> str | None:
    c = cell.strip()
    if _SEQ.match(c):
        return "seq"
    for kind, rx in _KINDS:
        if rx.search(c):
            return kind
    return None


def _lines(norm: str) -> list[tuple[int, int]]:
    out = []
    pos = 0
    for ln in norm.split("\n"):
        s, e = pos, pos + len(ln)
        while s < e and norm[s] in " \t":
            s += 1
        while e > s and norm[e - 1] in " \t":
            e -= 1
        if e > s:
            out.append((s, e))
        pos += len(ln) + 1
    return out


def _split_cells(norm: str, s: int, e: int) -> list[tuple[int, int]]:
    text = norm[s:e]
    if "|" in text:
        sep = re.compile(r"\s*\|\s*")
    elif "\t" in text:
        sep = re.compile(r"\t+\s*")
    elif re.search(r" {2,}", text):
        sep = re.compile(r" {2,}")
    else:
        sep = re.compile(r" +")
    cells, cur = [], 0
    for m in sep.finditer(text):
        if m.start() > cur:
            cells.append((s + cur, s + m.start()))
        cur = m.end()
    if cur < len(text):
        cells.append((s + cur, e))
    return cells


def _agency_cell(text: str) -> bool:
    pieces = [p.strip() for p in re.split(r"[、,;及 \t]+|以及", text) if p.strip()]
    if not pieces:
        return False
    for p in pieces:
        p = re.sub(r"\([^()]{1,30}\)$", "", p)  # 市财政局(资金保障): a note, or 各县(市、区)
        p = re.sub(r"(等(有关|相关)?(部门|单位)?|牵头|配合|负责)$", "", p)
        if not p:
            continue
        if len(p) > 30 or not (AGENCY_SUFFIX_RE.search(p) or is_placeholder(p) or p.startswith("各")):
            return False
    return True


def find_tables(norm: str, original: str) -> list[Table]:
    if "序号" not in norm and "编号" not in norm and not re.search(r"序[ \t]+号", norm):
        return []
    lines = _lines(norm)
    tables: list[Table] = []
    i = 0
    while i < len(lines):
        header, nxt = _header_at(norm, lines, i)
        if header is None:
            i += 1
            continue
        table, i = _rows(norm, original, lines, nxt, header, lines[i][0])
        if table.clauses:
            tables.append(table)
    # A table whose line breaks were lost (one run of text) is read by its parts instead; where
    # both readings find the same table, the one that finds more rows wins.
    for flat in find_flat_tables(norm, original, find_places(norm)):
        fs, fe = flat.region
        overlap = [t for t in tables if t.region[0] < fe and fs < t.region[1]]
        if sum(len(t.clauses) for t in overlap) >= len(flat.clauses):
            continue
        tables = [t for t in tables if t not in overlap]
        tables.append(Table(flat.region, flat.clauses))
    tables.sort(key=lambda t: t.region)
    return tables


def _header_at(norm: str, lines: list[tuple[int, int]], i: int) -> tuple[list[str] | None, int]:
    s, e = lines[i]
    cells = _split_cells(norm, s, e)
    kinds = [_kind(norm[a:b]) for a, b in cells]
    if len(cells) >= 3 and kinds[0] == "seq" and all(kinds) and {"lead", "generic"} & set(kinds):
        return fold_columns([k for k in kinds if k]), i + 1
    if _SEQ.match(norm[s:e].strip()):
        kinds = ["seq"]
        j = i + 1
        while j < len(lines) and j < i + 10:
            k = _kind(norm[lines[j][0] : lines[j][1]])
            if k is None or k == "seq" or len(norm[lines[j][0] : lines[j][1]]) > 12:
                break
            kinds.append(k)
            j += 1
        if len(kinds) >= 3 and {"lead", "generic"} & set(kinds):
            return fold_columns(kinds), j
    return None, i


def _rows(norm, original, lines, j, header, table_start):
    cols = [k for k in header if k != "seq"]
    table = Table((table_start, table_start))
    expected = 1
    group: int | None = None
    rows: list[tuple[str, list[tuple[int, int]], int, int]] = []  # ref, cells, start, end
    cur: list | None = None
    max_cells = len(cols) + 8
    while j < len(lines):
        s, e = lines[j]
        text = norm[s:e]
        m_num = _ROW_NUM.match(text)
        m_inline = _ROW_INLINE.match(text)
        m_group = _GROUP.match(text)
        if m_num and int(m_num.group(1)) in (expected, 1 if not rows and cur is None else expected):
            cur = [_ref(group, int(m_num.group(1))), [], s, e]
            rows.append(cur)
            expected = int(m_num.group(1)) + 1
        elif m_inline and int(m_inline.group(1)) == expected:
            cur = [_ref(group, expected), _split_cells(norm, s + m_inline.start(2), e), s, e]
            rows.append(cur)
            expected += 1
        elif m_group and (cur is None or len(cur[1]) >= 1) and len(text) <= 40 and not _agency_cell(text):
            group = cn_to_int(m_group.group(1))
            cur = None
        elif cur is not None and len(cur[1]) < max_cells:
            # A cell broken by a line break (a Word cell with two paragraphs) continues the row.
            split = _ROW_INLINE.match(text) or "\t" in text or "|" in text
            cur[1].extend(_split_cells(norm, s, e) if split else [(s, e)])
            cur[3] = e
        else:
            break
        j += 1
    for ref, cells, s, e in rows:
        clause = _row_clause(norm, original, cols, cells, s, e)
        if clause is not None:
            clause.ref = ref
            table.clauses.append(clause)
    if rows:
        table.region = (table_start, rows[-1][3])
    return table, j


def _ref(group: int | None, n: int) -> str:
    return f"{group}.{n}" if group else str(n)


def _row_clause(norm, original, cols, cells, s, e) -> Clause | None:
    if not cells:
        return None
    assigned: dict[str, list[tuple[int, int]]] = {}
    if len(cells) == len(cols):
        for kind, cell in zip(cols, cells, strict=True):
            assigned.setdefault(kind, []).append(cell)
    else:
        rest = list(cells)
        last = norm[rest[-1][0] : rest[-1][1]] if rest else ""
        if "deadline" in cols and _DATE_LIKE.search(last) and not _agency_cell(last):
            assigned["deadline"] = [rest.pop()]
        agency_cols = [k for k in cols if k in ("lead", "support", "generic")]
        taken: list[tuple[int, int]] = []
        while rest and len(taken) < len(agency_cols) and _agency_cell(norm[rest[-1][0] : rest[-1][1]]):
            taken.insert(0, rest.pop())
        for kind, cell in zip(agency_cols, taken, strict=False):
            assigned.setdefault(kind, []).append(cell)
        if rest:
            assigned["task"] = rest
    segs = []
    for kind in ("lead", "generic", "support", "deadline"):
        for a, b in assigned.get(kind, []):
            segs.append((kind, a, b))
    if not any(k != "deadline" for k, _, _ in segs):
        return None
    task = assigned.get("task", [])
    clause = Clause(s, e, segs, "table")
    clause.text_start = s
    if task:
        ts, te = task[0][0], task[-1][1]
        clause.body = (ts, te)
        first = norm[ts:te]
        stop = len(first)
        for ch in "。;\n":
            k = first.find(ch)
            if k != -1:
                stop = min(stop, k)
        clause.title = original[ts : ts + min(stop, 60)].strip()
    return clause
