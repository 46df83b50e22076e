"""Task-division tables whose line breaks were lost: the whole table is one run of text.

    序号 重点任务 牵头单位 配合单位 完成时限 1 建设数据共享平台 市大数据局 市发展改革委、市财政局 2024年底前 2 …
    序号重点任务牵头单位配合单位完成时限1建设数据共享平台市大数据局市发展改革委、市财政局2024年底前2…

Nothing marks a cell or a row any more, so the table is read from what its parts look like:

1. The header is 序号 followed by column names (a two-row header, 责任单位 over 牵头单位/配合单位,
   arrives as one sequence and is folded back; a name broken by a space, 完成 时限, is rejoined).
2. Rows are cut at the running 序号: the next number n+1 counts only where it is followed by
   task text (not a unit: 5G, 3个, 10%) and the text before it ends the way a row ends (a
   time limit after an agency name, or an agency name).  Group rows (二、数字产业化), page
   numbers and a header repeated on a new page are peeled off that text.
3. Inside a row, cells are peeled from the right: the time limit (dates, 持续推进, 长期 …), then
   agency names ending in 局/委/办/政府/中心/公司 …; names joined by 、 stay in one cell, two
   names glued together are two cells.  Where a name starts is taken from a separator or a
   gap, else from names the document writes cleanly elsewhere, else from its admin prefix
   (市/县/各/place names of the document/国网/人民银行 …).  What is left is the task.

All analysis runs on a compact copy without whitespace, mapped back to offsets in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .agencies import is_placeholder
from .clauses import Clause
from .normalize import cn_to_int

# ---- header ---------------------------------------------------------------------------------

_COLUMN_WORDS: list[tuple[str, str]] = [
    ("lead", "牵头责任单位|牵头单位|牵头部门|主责单位|主责部门|牵头处室|牵头"),
    ("support", "配合单位|配合部门|参与单位|参与部门|协办单位|参加单位|协作单位|协同单位|配合处室|配合"),
    ("generic", "主要责任单位|责任单位|责任部门|责任主体|实施主体|实施单位|责任处室|落实单位"),
    ("deadline", "完成时限|完成时间|完成期限|完成年限|时间节点|时间安排|进度安排|时限要求|时间要求|时限"),
    (
        "task",
        "重点任务|工作任务|主要任务|具体任务|任务内容|工作内容|重点工作|工作措施|主要措施|具体措施|政策措施|"
        "改革举措|重点事项|工作事项|改革事项|任务事项|任务名称|项目名称|目标任务|任务措施|主要内容|具体内容|"
        "任务|措施|事项|内容|举措",
    ),
    ("other", "备注|工作目标|预期目标|预期成果|成果形式"),
]
_WORD_KIND = {w: k for k, ws in _COLUMN_WORDS for w in ws.split("|")}
_WORDS_RE = "|".join(sorted(_WORD_KIND, key=len, reverse=True))
_COL_RE = re.compile(_WORDS_RE)
# Header search on the raw text: characters of a word may be split by spaces or a line break.
_LOOSE_SEQ = re.compile(r"序[ \t]*号")

# ---- cells ----------------------------------------------------------------------------------

_Y = r"(?:19|20)\d{2}"
_ATOM = (
    rf"(?:(?:到|在|于|力争|确保)?{_Y}年?(?:[-~至到]{_Y}年)?(?:\d{{1,2}}月(?:\d{{1,2}}日)?)?[^\d,、;。()]{{0,8}}"
    r"|长期坚持|长期推进|长期|持续推进|持续开展|持续实施|持续|常态化推进|常态化开展|常态化"
    r"|每年|每季度|每半年|每月|逐年推进|分年度推进|年内完成|按年度推进)"
)
_TIME_CELL = re.compile(rf"{_ATOM}(?:[,、;和及]?{_ATOM})*$")
_NAME_END = re.compile(
    r"(局|委|办|厅|政府|中心|公司|集团|银行|行|小组|单位|部门|部|院|会|社|所|站|队|处|室|关|署|馆|校|团|组|联|协|"
    r"街道|各地|专班|指挥部|机构|企业|办公室|委员会|管委会)$"
)
# Characters that never occur inside an agency name.
_NOT_IN_NAME = set('0123456789。,;:!?“”"《》%‰、·…')
_SEPARATORS = "、,及/"
_STRONG_START = re.compile(
    r"中国|国家|人民银行|中国人民银行|国网|南方电网|共青团|中共|团(?=[省市县区]委)|"
    r"各(?=[省市县区州乡镇街有相级行商成部单地直])"
)
_ADMIN = "省市县区州"
# A single admin character is a name start unless it continues a word: 城市, 开发区, 市场 …
_NOT_BEFORE_ADMIN = set("城都超新园社景发开经高贸税保全本该我各县市区省州乡镇的")
_PROSE = re.compile(
    r"推进|推动|加快|开展|加强|完善|实施|落实|提升|实现|打造|培育|支持|组织|建立|健全|深化|优化|扩大|鼓励|"
    r"引导|强化|共享|应用|达到|完成|覆盖|新增|新建|改造|举办|创建|申报|以上|以内|全面|体系|平台|机制|行动|"
    r"试点|示范|工程|项目|服务事项|等(?!$)|的"
)
# A digit run is no row number when a unit or a letter follows it (5G, 3个, 10%, 6月).
# Only units that never open a task: 组织/部署/支持/场景/处置/类似 may follow a row number.
_UNIT_AFTER = set("个家项次件台座条户套辆张倍栋床年月日天周时分秒万亿元吨亩米号期级届季余多.%‰、,:;-~)")
_NO_NUMBER_BEFORE = set(".-~至到第、/:(")
_GLUED = re.compile(r"(?<=[局委办厅府心司行组位门部院会社所站队处室关署馆校联协])(?:[市省县各](?!场)|中国|国家|国网)")
_HEAD_OFFICE = re.compile(r"(总局|总行|银行|公司|集团|总队|总站|总社)$")
_GROUP_TAIL = re.compile(r"([一二三四五六七八九十]{1,3})[、.]([^\d、,。;:]{1,30})$")

_MAX_ROW = 1200  # compact characters a row may span
_WINDOW = 60000


@dataclass
class _Compact:
    text: str
    pos: list[int]  # compact index -> offset in norm
    gap: list[int]  # 0: glued to the previous character, 1: whitespace before it, 2: a line break


def _compact(norm: str, s: int, e: int) -> _Compact:
    chunks, pos, gap = [], [], []
    prev_end = None
    for m in re.finditer(r"[^ \t\n]+", norm[s:e]):
        a, b = s + m.start(), s + m.end()
        chunks.append(norm[a:b])
        pos.extend(range(a, b))
        g = 2 if prev_end is None or "\n" in norm[prev_end:a] else 1
        gap.append(g)
        gap.extend([0] * (b - a - 1))
        prev_end = b
    return _Compact("".join(chunks), pos, gap)


def fold_columns(kinds: list[str]) -> list[str]:
    """责任单位 over 牵头单位/配合单位 (a two-row header read row by row) becomes the sub-columns."""
    if "generic" in kinds and "lead" in kinds and kinds.index("lead") > kinds.index("generic"):
        g = kinds.index("generic")
        subs = [k for k in kinds[g + 1 :] if k in ("lead", "support")]
        rest = [k for k in kinds if k not in ("lead", "support")]
        i = rest.index("generic")
        return rest[:i] + subs + rest[i + 1 :]
    return kinds


class _Reader:
    def __init__(self, c: _Compact, cols: list[str], spaced: bool, places: frozenset[str], lexicon: set[str]):
        self.c = c
        self.t = c.text
        self.cols = cols
        self.spaced = spaced
        self.places = sorted(places, key=len, reverse=True)
        self.lexicon = lexicon
        self.has_deadline = "deadline" in cols

    # -- names --------------------------------------------------------------------------------

    def _skip_note(self, s: int, e: int) -> int:
        """End of a name once a trailing (…) is skipped: 市财政局(资金保障), 各县(区)."""
        t = self.t
        if e - s >= 3 and t[e - 1] == ")":
            depth, i = 0, e - 1
            while i >= max(s, e - 32):
                if t[i] == ")":
                    depth += 1
                elif t[i] == "(":
                    depth -= 1
                    if depth == 0:
                        return i
                i -= 1
        return e

    def ends_with_name(self, s: int, e: int) -> bool:
        e2 = self._skip_note(s, e)
        if e2 - s < 2:
            return False
        tail = self.t[max(s, e2 - 12) : e2]
        return (
            bool(_NAME_END.search(tail))
            or is_placeholder(tail[-6:])
            or (e2 < e and bool(re.search(r"[省市县区州]$", tail)))
        )

    def _plausible(self, s: int, e: int, gap_bounded: bool = False) -> bool:
        name = self.t[s:e]
        if not 2 <= len(name) <= 24 or _PROSE.search(re.sub(r"\([^()]*\)", "", name)):
            return False
        if gap_bounded:
            return True
        # Two names glued together (市交通运输局市财政局, 市大数据局株洲高新区管委会) are two
        # cells; a branch after its head office (人民银行湘潭市分行) is one name.
        if _GLUED.search(name, 2):
            return False
        for p in self.places:
            i = name.find(p, 2)
            while i != -1:
                if _NAME_END.search(name[:i]) and not _HEAD_OFFICE.search(name[:i]):
                    return False
                i = name.find(p, i + 1)
        return True

    def _extend_left(self, lo: int, c: int) -> int:
        """Admin prefixes and place names right before a start belong to the name (市市场监管局,
        人民银行湘潭市分行)."""
        t = self.t
        for _ in range(4):
            moved = False
            if c - 1 >= lo and t[c - 1] in _ADMIN and not (c - 2 >= lo and t[c - 2] in _NOT_BEFORE_ADMIN - set(_ADMIN)):
                c -= 1
                moved = True
            else:
                for p in self.places:
                    if c - len(p) >= lo and t.startswith(p, c - len(p)):
                        c -= len(p)
                        moved = True
                        break
                if not moved:
                    m = None
                    for k in range(2, 7):
                        if c - k >= lo and _STRONG_START.fullmatch(t, c - k, c):
                            m = k
                    if m:
                        c -= m
                        moved = True
            if not moved:
                break
        return c

    def name_start(self, s: int, e: int) -> int | None:
        """Start of the agency name ending at e (no earlier than s), or None."""
        t = self.t
        if not self.ends_with_name(s, e):
            return None
        e2 = self._skip_note(s, e)
        lo = e2
        while lo > s and e2 - lo < 25 and t[lo - 1] not in _NOT_IN_NAME:
            if self.spaced and lo < e2 and self.c.gap[lo]:
                break
            lo -= 1
        if e2 - lo < 2:
            return None
        by_gap = self.spaced and bool(self.c.gap[lo])
        clean = lo == s or t[lo - 1] in _NOT_IN_NAME or by_gap
        if (
            clean
            and self._plausible(lo, e2, by_gap)
            and (by_gap or t[lo - 1 : lo] in _SEPARATORS or lo == s or self._marked(lo, e2))
        ):
            return lo
        for k in range(min(e2 - lo, 20), 1, -1):  # names the document writes cleanly elsewhere
            if t[e2 - k : e2] in self.lexicon and self._plausible(e2 - k, e2):
                return self._extend_left(lo, e2 - k)
        strong = [m.start() for m in _STRONG_START.finditer(t, lo, e2 - 1)]
        for p in self.places:
            i = t.find(p, lo, e2 - 1)
            while i != -1:
                strong.append(i)
                i = t.find(p, i + 1, e2 - 1)
        for c in sorted(strong):
            if self._plausible(c, e2) and e2 - c >= 3:
                return self._extend_left(lo, c)
        weak = [
            i
            for i in range(lo, e2 - 2)
            if t[i] in _ADMIN
            and not (i > lo and t[i - 1] in _NOT_BEFORE_ADMIN)
            and not t.startswith(("市场", "区域", "县域", "市域", "省域"), i)
        ]
        for c in reversed(weak):
            c = self._extend_left(lo, c)
            if self._plausible(c, e2):
                return c
        return None

    def _marked(self, s: int, e: int) -> bool:
        t = self.t
        return bool(
            t[s] in _ADMIN
            or _STRONG_START.match(t, s)
            or any(t.startswith(p, s) for p in self.places)
            or t[s:e] in self.lexicon
        )

    def peel_cell(self, s: int, e: int) -> int | None:
        """Start of the agency cell ending at e: names joined by 、 (or 及) stay together."""
        t = self.t
        start = None
        k = e
        while k - s >= 2:
            ns = self.name_start(s, k)
            if ns is None or ns - s < 1:
                break
            start = ns
            if ns - 1 > s and t[ns - 1] in _SEPARATORS and not (self.spaced and self.c.gap[ns]):
                k = ns - 1
                continue
            break
        return start

    # -- rows ---------------------------------------------------------------------------------

    def time_cell(self, s: int, e: int) -> int | None:
        """Start of a time-limit cell closing t[s:e], or None."""
        if not self.has_deadline or e - s < 2:
            return None
        lo = max(s, e - 40)
        m = _TIME_CELL.search(self.t, lo, e)
        while m and m.start() < e:
            cell = m.group(0)
            at_gap = not self.spaced or self.c.gap[m.start()] or m.start() == s
            if not _NAME_END.search(cell) and not cell.endswith(")") and at_gap:
                return m.start()
            m = _TIME_CELL.search(self.t, m.start() + 1, e)
        return None

    def row_ends_well(self, s: int, e: int) -> bool:
        if e - s < 4:
            return False
        k = self.time_cell(s, e)
        if k is not None and k - s >= 4:
            return self.name_start(s, k) is not None
        return self.name_start(s, e) is not None

    def strip_tail(self, s: int, e: int, header: str, group: int | None) -> tuple[int, int | None, str | None]:
        """Peel a repeated header and a group row off the end of a row; returns the new end and
        the group number (and title) that begins there."""
        t = self.t
        new_group, title = None, None
        for _ in range(2):
            if header and t.endswith(header, s, e):
                e -= len(header)
                continue
            m = _GROUP_TAIL.search(t, max(s, e - 36), e)
            if m and m.start() > s:
                n = cn_to_int(m.group(1))
                if n == (group or 0) + 1 or (new_group is None and n == 1 and group is None):
                    new_group, title = n, m.group(2)
                    e = m.start()
                    continue
            break
        return e, new_group, title

    def number_at(self, k: int, n: int) -> bool:
        t = self.t
        digits = str(n)
        if not t.startswith(digits, k):
            return False
        a, b = k - 1, k + len(digits)
        if a >= 0 and (t[a].isdigit() or t[a] in _NO_NUMBER_BEFORE or (t[a].isascii() and t[a].isalpha())):
            return False
        if b >= len(t):
            return False
        nxt = t[b]
        if nxt.isdigit() or nxt in _UNIT_AFTER or (nxt.isascii() and nxt.isalpha()):
            return False
        return not (self.spaced and k > 0 and not self.c.gap[k])

    def find_number(self, start: int, n: int, header: str, group: int | None) -> tuple[int, int, int | None] | None:
        """The next row number n after start: (its offset, where the previous row ends, group)."""
        t = self.t
        digits = str(n)
        limit = min(len(t), start + _MAX_ROW)
        k = t.find(digits, start + 2, limit)
        while k != -1:
            if self.number_at(k, n):
                end, g, _ = self.strip_tail(start, k, header, group)
                if self.row_ends_well(start, end):
                    return k, end, g
            k = t.find(digits, k + 1, limit)
        return None

    def last_row_end(self, start: int) -> int:
        t, gap = self.t, self.c.gap
        limit = min(len(t), start + _MAX_ROW)
        for k in range(start + 1, limit):
            if gap[k] == 2:
                limit = k
                break
        if self.has_deadline:
            for m in re.finditer(_ATOM, t[start:limit]):
                e = start + m.end()
                # the longest time cell ending here
                while e < limit:
                    m2 = re.match(rf"[,、;和及]?{_ATOM}", t[e:limit])
                    if not m2:
                        break
                    e += m2.end()
                k = self.time_cell(start, e)
                if k is not None and k - start >= 4 and self.name_start(start, k) is not None:
                    return e
        e = limit
        while e - start > 4 and self.name_start(start, e) is None:
            e -= 1
        return e if e - start > 4 else limit

    # -- cells --------------------------------------------------------------------------------

    def cells(self, s: int, e: int) -> dict[str, list[tuple[int, int]]]:
        cols = self.cols
        ti = cols.index("task") if "task" in cols else 0
        right = [k for k in cols[ti + 1 :] if k != "other"]
        out: dict[str, list[tuple[int, int]]] = {}
        end = e
        agency_cols = [k for k in right if k in ("lead", "support", "generic")]
        taken: list[tuple[int, int]] = []
        if "deadline" in right:
            k = self.time_cell(s, end)
            if k is not None and k - s >= 2 and self.ends_with_name(s, k):
                out["deadline"] = [(k, end)]
                end = k
        while len(taken) < len(agency_cols):
            cs = self.peel_cell(s, end)
            if cs is None or cs - s < 2:
                break
            taken.insert(0, (cs, end))
            end = cs
        for kind, cell in zip(agency_cols, taken, strict=False):
            out.setdefault(kind, []).append(cell)
        if end > s:
            out["task"] = [(s, end)]
        return out


def _header_at(norm: str, k: int) -> tuple[list[str], int] | None:
    """Column kinds and the end offset of a header whose 序号 starts at k (spaces tolerated)."""
    c = _compact(norm, k, min(len(norm), k + 160))
    t = c.text
    if not t.startswith("序号"):
        return None
    i, kinds, starts = 2, ["seq"], []
    while True:
        m = _COL_RE.match(t, i)
        if not m:
            break
        kinds.append(_WORD_KIND[m.group(0)])
        starts.append(i)
        i = m.end()
    kinds = fold_columns(kinds)
    body = [x for x in kinds if x != "seq"]
    if len(body) < 2 or not ({"lead", "generic"} & set(body)):
        return None
    return kinds, c.pos[i - 1] + 1


_PLACE_STEM = re.compile(r"(?:^|(?<=[\s,。;:、(“《]))([\u4e00-\u9fff]{2})(?=[市县](?![场级长委区]))")
_NOT_PLACE = set("各全本该我城省市县区州乡镇新老")


def learned_places(norm: str, known: frozenset[str]) -> frozenset[str]:
    """Place stems of the document: 株洲 from 株洲市… opening a line or a clause, used 3 times or more."""
    counts: dict[str, int] = {}
    for m in _PLACE_STEM.finditer(norm):
        stem = m.group(1)
        if not _NOT_PLACE & set(stem):
            counts[stem] = counts.get(stem, 0) + 1
            if len(counts) > 200:
                break
    found = {p for p in counts if norm.count(p) >= 3}
    return frozenset(found | set(known))


def _lexicon(norm: str) -> set[str]:
    """Agency names the document writes with clean edges (after 、 or a bracket, before a role word)."""
    out: set[str] = set()
    rx = re.compile(
        r"(?<=[、,;:(\s])([^\s、,;:()。\d“”《》]{2,18}?"
        + _NAME_END.pattern[:-1]
        + r")(?=[、,;)\s]|\d|牵头|负责|配合|等|$)"
    )
    for m in rx.finditer(norm):
        name = m.group(1)
        if not _PROSE.search(name) and not _GLUED.search(name, 2):
            out.add(name)
            if len(out) > 3000:
                break
    return out


@dataclass
class FlatTable:
    region: tuple[int, int]
    clauses: list[Clause]


def find_flat_tables(norm: str, original: str, places: frozenset[str], limit: int = 50) -> list[FlatTable]:
    out: list[FlatTable] = []
    placed = False
    lexicon: set[str] | None = None
    done = 0
    tried = 0
    for m in _LOOSE_SEQ.finditer(norm):
        if m.start() < done:
            continue
        tried += 1
        if tried > limit:
            break
        head = _header_at(norm, m.start())
        if head is None:
            continue
        if lexicon is None:
            lexicon = _lexicon(norm)
        if not placed:
            places, placed = learned_places(norm, places), True
        table = _read_table(norm, original, m.start(), head, places, lexicon)
        if table is not None:
            out.append(table)
            done = table.region[1]
    return out


def _read_table(norm, original, hstart, head, places, lexicon) -> FlatTable | None:
    kinds, hend = head
    cols = [k for k in kinds if k != "seq"]
    window = _WINDOW
    while True:
        c = _compact(norm, hstart, min(len(norm), hstart + window))
        rows, reached = _segment(c, cols, hend, places, lexicon)
        if reached or hstart + window >= len(norm):
            break
        window *= 4
    if not rows:
        return None
    reader = rows[0][4]
    clauses: list[Clause] = []
    for ref, num_s, s, e, _ in rows:
        clause = _row_clause(reader, norm, original, num_s, s, e)
        if clause is not None:
            clause.ref = ref
            clauses.append(clause)
    if not clauses:
        return None
    return FlatTable((hstart, c.pos[rows[-1][3] - 1] + 1), clauses)


def _segment(c: _Compact, cols, hend, places, lexicon):
    t = c.text
    hk = 0
    while hk < len(c.pos) and c.pos[hk] < hend:
        hk += 1
    header = t[:hk]
    col_gaps = sum(1 for m in _COL_RE.finditer(t, 2, hk) if c.gap[m.start()])
    spaced = col_gaps >= max(1, len(cols) - 1)
    reader = _Reader(c, cols, spaced, places, lexicon)
    # Row 1 follows the header, perhaps after a group row.
    group: int | None = None
    k = hk
    m = re.compile(r"([一二三四五六七八九十]{1,3})[、.]([^\d、,。;:]{1,30}?)(?=1(?!\d))").match(t, k)
    if m and cn_to_int(m.group(1)) == 1:
        group = 1
        k = m.end()
    if not reader.number_at(k, 1):
        return [], True
    rows = []
    n = 1
    num_s = k
    while True:
        s = num_s + len(str(n))
        nxt = reader.find_number(s, n + 1, header, group)
        if nxt is None and group is not None:
            # numbering may restart in each group: 二、… 1 …
            cand = reader.find_number(s, 1, header, group)
            if cand is not None and cand[2] is not None:
                nxt = cand
        if nxt is None:
            e = reader.last_row_end(s)
            e, _, _ = reader.strip_tail(s, e, header, group)
            rows.append((_ref(group, n), num_s, s, e, reader))
            return rows, e + 50 < len(t) or len(t) < _WINDOW - 100
        k, e, g = nxt
        rows.append((_ref(group, n), num_s, s, e, reader))
        if g is not None:
            group = g
        n = int(t[k : k + len(str(n + 1))]) if t.startswith(str(n + 1), k) else 1
        num_s = k
        if len(rows) > 2000:
            return rows, True


def _ref(group: int | None, n: int) -> str:
    return f"{group}.{n}" if group else str(n)


def _row_clause(reader: _Reader, norm: str, original: str, num_s: int, s: int, e: int) -> Clause | None:
    pos = reader.c.pos
    cells = reader.cells(s, e)
    segs = []
    for kind in ("lead", "generic", "support", "deadline"):
        for a, b in cells.get(kind, []):
            segs.append((kind, pos[a], pos[b - 1] + 1))
    if not any(k != "deadline" for k, _, _ in segs):
        return None
    start, end = pos[num_s], pos[e - 1] + 1
    clause = Clause(start, end, segs, "table")
    clause.text_start = start
    task = cells.get("task")
    if task:
        ts, te = pos[task[0][0]], pos[task[0][1] - 1] + 1
        clause.body = (ts, te)
        first = norm[ts:te]
        stop = len(first)
        for ch in "。;\n":
            i = first.find(ch)
            if i != -1:
                stop = min(stop, i)
        clause.title = re.sub(r"\s+", "", original[ts : ts + min(stop, 60)]).strip()
    return clause
