"""Document-level facts: title, issuer, 文号, dates, draft status, coordinator, mechanisms."""

from __future__ import annotations

import re

DOC_TYPES = (
    r"(实施意见|指导意见|若干意见|意见|实施方案|行动方案|工作方案|方案|实施办法|管理办法|办法|实施细则|细则|"
    r"行动计划|工作计划|计划|规划|纲要|若干措施|措施|规定|决定|通知|要点|工作要点|政策|条例|指引|清单)"
)
DRAFT_RE = re.compile(r"征求意见稿|送审稿|会签稿|讨论稿|代拟稿|审议稿|修改稿|草案|征求意见的公告|公开征求意见")
_DRAFT_MARK_RE = re.compile(
    r"\s*[(【\[]?\s*(公开)?(征求意见稿|送审稿|会签稿|讨论稿|代拟稿|审议稿|修改稿|草案)\s*[)】\]]?\s*$"
)
_TITLE_RE = re.compile(rf"^.{{4,80}}?{DOC_TYPES}(\s*\((试行|暂行|修订|修订版|\d{{4}}.{{0,12}}年?)\))?$")
_NOTICE_RE = re.compile(r"关于(?:印发|转发|对|公布|发布|公开征求)?《(?P<t>[^《》\n]{4,120})》")
_NOTICE_PLAIN_RE = re.compile(rf"关于(?:印发|转发)(?P<t>.{{4,80}}?{DOC_TYPES}(?:\([^()]{{1,20}}\))?)的通知")
# 转发市甲委、市乙局《关于…的实施意见》的通知: a forwarded plan, named after its authors.
_FORWARD_RE = re.compile(r"(?:印发|转发)[^《》\n。]{0,60}?《(?P<t>[^《》\n]{4,120})》(?:的)?通知")
_ATTACH_RE = re.compile(r"附件\s*[0-9]*\s*[::]?\s*《(?P<t>[^《》\n]{4,120})》")
DOC_NO_RE = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[(【]\s*(?:19|20)\d{2}\s*[〕\])】]\s*\d{1,4}\s*号")
_ORG_END = r"(人民政府|政府|办公厅|办公室|局|委员会|委|厅|部|中心|小组|办)"
SIGN_LINE_RE = re.compile(
    rf"(?m)^[ \t]*(?P<org>[\u4e00-\u9fff()]{{2,40}}?{_ORG_END})[ \t]*\n(?:[ \t]*\n){{0,3}}[ \t]*"
    r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<mo>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
)
SIGN_FLAT_RE = re.compile(
    rf"(?:^|[。)\n 》])(?P<org>[\u4e00-\u9fff]{{2,30}}?{_ORG_END})\s*"
    r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<mo>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
)
EFFECTIVE_RE = re.compile(
    r"自\s*(?P<y>(?:19|20)\d{2})\s*年\s*(?P<mo>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日\s*起\s*(施行|实施|执行|生效)"
)
_ISSUED_LABEL_RE = re.compile(
    r"(成文日期|发布日期|印发日期|发文日期)\s*[::]?\s*(?P<y>(?:19|20)\d{2})\s*[年\-./]\s*(?P<mo>\d{1,2})\s*[月\-./]\s*(?P<d>\d{1,2})"
)
_AGENCY = r"[\u4e00-\u9fff]{2,30}?(?:局|委|办|厅|政府|小组|中心|专班|指挥部|办公室|委员会)"
COORD_RES = [
    re.compile(
        rf"(?:^|[,。;:)\n由])(?P<a>{_AGENCY})(?:负责|牵头)?"
        r"(?:统筹协调|统一协调|牵头抓总|总牵头|统筹调度|统筹指导|牵头协调|综合协调|统筹推进全)"
    ),
    re.compile(rf"由(?P<a>{_AGENCY})牵头[,,]?[^。;]{{0,30}}?(?:调度|督促|督查|督导|考核|协调)"),
    re.compile(r"成立(?:了)?(?P<a>[\u4e00-\u9fff]{2,40}?(?:领导小组|工作专班|指挥部|联席会议))"),
]
_MECH_RES = [
    re.compile(r"(?:建立健全|建立|健全|完善|实施|实行|落实|推行|构建|用好)(?P<m>[^,。;:、]{2,24}?(?:机制|制度))"),
    re.compile(r"(?P<m>定期)[^,。;]{0,20}?(?P<v>调度督促|调度|督促|督查|通报|评估)"),
    re.compile(r"(?P<m>向[\u4e00-\u9fff]{2,12}?(?:报告|汇报))"),
    re.compile(r"(?P<m>统计监测|监测预警|监测和通报|考核评价|督查考核|督导检查|评估考核|跟踪评估|统筹协调|统一协调)"),
    re.compile(r"(?P<m>(?:领导小组|联席会议)[^,。;]{0,4}?(?:统一协调|统筹))"),
    re.compile(r"(?P<m>按照?职责分工[^,。;]{0,12}?落实|(?:密切)?协作配合|各司其职[、,]?互相配合|齐抓共管)"),
    re.compile(r"发挥(?P<m>[\u4e00-\u9fff]{2,20}?(?:领导小组|工作专班|联席会议))(?:职能|作用)"),
]


def _clean_title(t: str) -> str:
    t = t.strip()
    t = re.sub(r"^(原标题|标题|题目)\s*[::]\s*", "", t)
    prev = None
    while prev != t:
        prev = t
        t = _DRAFT_MARK_RE.sub("", t).strip()
    return t


def find_title(norm: str, original: str, head_end: int) -> str | None:
    """The plan's own title: the attachment's when a covering notice wraps it."""
    head_n = norm[:head_end]
    flat = "\n" not in head_n.strip()
    for rx in (_NOTICE_RE, _FORWARD_RE, _ATTACH_RE):
        m = rx.search(head_n)
        if m and (_line_is_heading(head_n, m.start()) or (flat and m.start() < 300)):
            return _clean_title(original[m.start("t") : m.end("t")])
    if flat:
        m = _NOTICE_PLAIN_RE.search(head_n, 0, 300)
        if m:
            return _clean_title(original[m.start("t") : m.end("t")])
        # No line breaks: a title opens the text and an addressee line (…各部门:) follows it.
        m = re.match(rf"\s*(?P<t>[^。,;:]{{4,60}}?{DOC_TYPES}(?:\([^()]{{1,20}}\))?)(?=[^。]{{0,60}}?:)", head_n)
        if m:
            return _clean_title(original[m.start("t") : m.end("t")])
        return None
    lines: list[tuple[int, int]] = []
    pos = 0
    for ln in head_n.split("\n"):
        if ln.strip():
            lines.append((pos, pos + len(ln)))
        pos += len(ln) + 1
    for i, (s, _e) in enumerate(lines[:40]):
        # A title may be broken over up to three short lines.
        for j in range(i, min(i + 3, len(lines))):
            parts = [norm[a:b].strip() for a, b in lines[i : j + 1]]
            if any(len(p) > 40 for p in parts[1:]) or (j > i and len(parts[0]) > 40):
                break
            joined = "".join(parts)
            cand = _DRAFT_MARK_RE.sub("", joined).strip()
            cand = re.sub(r"^(原标题|标题)\s*:\s*", "", cand)
            if re.search(r"[。,;:!?]", cand) or len(cand) > 80:
                continue
            if _TITLE_RE.match(cand):
                m = _NOTICE_PLAIN_RE.search(cand)
                orig = "".join(original[a:b].strip() for a, b in lines[i : j + 1])
                if m:
                    off = norm.find(m.group("t"), s)
                    if off != -1 and j == i:
                        return _clean_title(original[off : off + len(m.group("t"))])
                return _clean_title(orig)
    return None


def _line_is_heading(norm: str, pos: int) -> bool:
    ls = norm.rfind("\n", 0, pos) + 1
    le = norm.find("\n", pos)
    line = norm[ls : le if le != -1 else len(norm)]
    return len(line.strip()) <= 160 and "。" not in line


def find_issuer_and_date(norm: str, original: str, title: str | None) -> tuple[str | None, str | None]:
    for rx in (SIGN_LINE_RE, SIGN_FLAT_RE):
        for m in rx.finditer(norm):
            org = original[m.start("org") : m.end("org")].strip()
            if len(org) < 3:
                continue
            try:
                y, mo, d = int(m.group("y")), int(m.group("mo")), int(m.group("d"))
            except ValueError:  # pragma: no cover - regex guarantees digits
                continue
            if 1 <= mo <= 12 and 1 <= d <= 31:
                return org, f"{y:04d}-{mo:02d}-{d:02d}"
    issued = None
    m = _ISSUED_LABEL_RE.search(norm)
    if m and 1 <= int(m.group("mo")) <= 12 and 1 <= int(m.group("d")) <= 31:
        issued = f"{int(m.group('y')):04d}-{int(m.group('mo')):02d}-{int(m.group('d')):02d}"
    issuer = None
    head = norm[:3000]
    for src in ([title] if title else []) + [head]:
        m = re.search(rf"(?:^|\n|:)\s*(?P<o>[\u4e00-\u9fff]{{2,30}}?{_ORG_END})关于", src)
        if m:
            issuer = (title if src is title else original)[m.start("o") : m.end("o")]
            break
    return issuer, issued


def find_doc_number(norm: str, original: str) -> str | None:
    for m in DOC_NO_RE.finditer(norm[:3000]):
        before = norm[max(0, m.start() - 1) : m.start()]
        after = norm[m.end() : m.end() + 1]
        if before in ("(", "》") or after == ")":
            continue
        return original[m.start() : m.end()].strip()
    return None


def find_effective(norm: str) -> str | None:
    m = EFFECTIVE_RE.search(norm)
    if not m:
        return None
    y, mo, d = int(m.group("y")), int(m.group("mo")), int(m.group("d"))
    if 1 <= mo <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def is_draft(norm: str, head_end: int, title_line_text: str | None) -> bool:
    return bool(DRAFT_RE.search(norm[:head_end])) or bool(title_line_text and DRAFT_RE.search(title_line_text))


def find_coordinators(norm: str, original: str) -> list[str]:
    out: list[str] = []
    for rx in COORD_RES:
        for m in rx.finditer(norm):
            name = original[m.start("a") : m.end("a")].strip()
            name = re.sub(r"^(由|发挥|成立|健全|建立)", "", name)
            if name and name not in out and not re.search(r"(机制|制度)", name):
                out.append(name)
    return out


def find_mechanisms(norm: str, spans: list[tuple[int, int]]) -> list[str]:
    out: list[str] = []
    for s, e in spans:
        seg = norm[s:e]
        for rx in _MECH_RES:
            for m in rx.finditer(seg):
                text = m.group("m") + (m.group("v") if "v" in rx.groupindex and m.group("v") else "")
                text = text.strip()
                if not 2 <= len(text) <= 30 or text in ("工作机制", "机制", "制度"):
                    continue
                if any(text in o for o in out):
                    continue
                out = [o for o in out if o not in text]
                out.append(text)
    return out


_CADENCE_RES = [
    (re.compile(r"每(?:个)?月(?P<day>\d{1,2})日(?:前|之前|以前)"), "month"),
    (re.compile(r"每(?:个)?季度(?:末|结束后)?(?:(?:次月|后)(?P<day>\d{1,2})日(?:前|之前))?"), "quarter"),
    (re.compile(r"每半年"), "half_year"),
    (re.compile(r"每(?:个)?月"), "month"),
]
_CADENCE_CONTEXT = re.compile(r"调度|报送|报告|汇报|通报|督查|督促")


def find_cadence(norm: str, spans: list[tuple[int, int]]) -> dict | None:
    """How often the plan wants its progress reported, from the mechanism paragraphs: a stated
    rhythm (每月5日前报送, 每季度, 每半年) near a word of reporting; a bare 定期调度 reads as monthly."""
    for s, e in spans:
        seg = norm[s:e]
        for rx, every in _CADENCE_RES:
            for m in rx.finditer(seg):
                context = seg[max(0, m.start() - 20) : m.end() + 20]
                if _CADENCE_CONTEXT.search(context):
                    day = m.groupdict().get("day")
                    return {"every": every, "day": int(day) if day and 1 <= int(day) <= 28 else None}
        if re.search(r"定期[^。;]{0,20}?调度", seg):
            return {"every": "month", "day": None}
    return None


_ASSESSED_RE = re.compile(
    r"(纳入|列入|作为)[^。；;]{0,24}(考核|考评|绩效)|考核(评价|问责|办法|机制|制度)|(绩效|目标|督查)考核"
)
_WARNINGS_RE = re.compile(r"监测预警|预警(机制|制度|提醒)|(统计|跟踪|动态|运行)监测|序时进度|进度(监测|预警)")
_REPORT_RE = re.compile(
    r"向(省|市|县|区)?(委|政府|人民政府|委员会|领导小组)[^。；;]{0,10}(报告|报送|汇报)"
    r"|(定期|及时|按季度|按月)(通报|报告)|通报(制度|机制|工作进展|落实情况)"
)


def find_switches(text: str, mechanisms: list[str]) -> dict[str, bool]:
    """The supervision a document asks for, read from its text and its mechanisms: assessment
    (考核), schedule warnings (监测预警, 序时进度), a bulletin to the government after each round
    (向市政府报告, 定期通报). Plain words like 监测 alone are left out: measures speak of 环境监测."""
    both = text + "\n" + "\n".join(mechanisms)
    return {
        "assessed": bool(_ASSESSED_RE.search(both)),
        "schedule_warnings": bool(_WARNINGS_RE.search(both)),
        "bulletin_after_round": bool(_REPORT_RE.search(both)),
    }
