"""Deadlines (到2027年 → "2027"), quantitative targets, and the document's horizon year."""

from __future__ import annotations

import bisect
import calendar
import re
from collections.abc import Iterable

from .models import Target
from .normalize import normalize

_Y = r"(?:19|20)\d{2}"
YEAR_RE = re.compile(
    rf"(?<![\d.])(?P<y1>{_Y})\s*(?:年\s*)?(?:-+|~|至|到)\s*(?P<y2>{_Y})\s*年"
    rf"|(?<![\d.])(?P<y>{_Y})\s*年"
    r"(?:\s*(?P<mo>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日|\s*(?P<eom>底|末))?)?"
)
_BASELINE_BEFORE = re.compile(
    r"(比|较|比较|与|同|截至|截止|截止到|截至到|自|从|始于|早在|对比|相比|即|截止至|于是)\s*$"
)
_DEADLINE_BEFORE = re.compile(r"(到|至|在|于|力争|争取|确保|计划|预计|力争到|力争在|争取到|确保到|截至|前|后)\s*$")
_BASELINE_AFTER = re.compile(
    r"^\s*(以来|起|开始|及以前|及之前|度|版|的|为基|基础|水平|同期|相比|比|同比|春节|第|前后|上半年的)"
)
_DEADLINE_AFTER = re.compile(
    r"^\s*(底前|底|末|前|以前|之前|内|上半年|下半年|年底|年末|,|:|全面|基本|实现|完成|建成|达到|力争|累计|新增|"
    r"形成|培育|打造|全市|全省|全区|全县|全国|争取|确保)"
)
_PAST_AFTER = re.compile(r"^\s*(?:年底|底|末|\d{1,2}\s*月(?:底|末)?)?\s*(?:以前|之前|前)?\s*(?:已经|已|业已)")
_BUILT_BEFORE = re.compile(r"^\s*(?:底|末)?(?:以前|之前|前|以后|之后)[^,。;:,]{0,10}的")
_FORWARD_BEFORE = re.compile(r"(到|至|力争|争取|确保|计划|预计)\s*$")
# 2024年启动试点, 2024年开工建设: the year work begins, not an outcome it must reach (unseen3/README.md).
# 2024年底前启动 keeps its year: 底前 makes it a time limit.
_START_AFTER = re.compile(r"^\s*(?:\d{1,2}\s*月(?:份)?)?\s*(?:启动|开工|动工|开始|起步|着手|起)")
_STATEMENT_START = set("。;:!?,\n(")


def _quote_spans(norm: str, s: int, e: int) -> list[tuple[int, int]]:
    spans = []
    for m in re.finditer(r"《[^《》\n]{0,120}》", norm[s:e]):
        spans.append((s + m.start(), s + m.end()))
    return spans


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    i = bisect.bisect_right(spans, (pos, 10**12)) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def _iso(y: str, mo: str | None, d: str | None, eom: str | None) -> str:
    if mo:
        try:
            month = int(mo)
            if d:
                day = int(d)
                calendar.weekday(int(y), month, day)  # validates
                return f"{y}-{month:02d}-{day:02d}"
            if eom:
                return f"{y}-{month:02d}-{calendar.monthrange(int(y), month)[1]:02d}"
        except (ValueError, calendar.IllegalMonthError):
            return y
    return y


def deadline_mentions(norm: str, s: int, e: int, min_year: int | None = None, lenient: bool = False):
    """(offset, iso) for every year the text ties to an outcome; baselines and cited titles left out."""
    quotes = _quote_spans(norm, s, e)
    out: list[tuple[int, str]] = []
    for m in YEAR_RE.finditer(norm, s, e):
        pos = m.start()
        if _inside(quotes, pos):
            continue
        before = norm[max(s, pos - 6) : pos]
        after = norm[m.end() : min(e, m.end() + 12)]
        if _BASELINE_BEFORE.search(before):
            continue
        if _PAST_AFTER.match(after) and not _FORWARD_BEFORE.search(before):
            continue  # 2023年已完成, 2023年底前已拨付的: done already, not a deadline
        if _BUILT_BEFORE.match(after) and not _FORWARD_BEFORE.search(before):
            continue  # 2000年(底)前建成的小区, 2000年以后建成的: a baseline, not a deadline
        if _START_AFTER.match(after) and not _FORWARD_BEFORE.search(before):
            continue  # 2024年启动…, 2024年起…: when the work starts
        if m.group("y2"):
            year, iso = m.group("y2"), m.group("y2")
            if re.match(r"^\s*(以来|的|度)", after):
                continue
        else:
            year = m.group("y")
            iso = _iso(year, m.group("mo"), m.group("d"), m.group("eom"))
            if not m.group("mo") and _BASELINE_AFTER.search(after):
                continue
            if m.group("mo") and re.match(r"^\s*(以来|起|开始)", after):
                continue
            prev = before.rstrip(" \t")
            opens = not prev or prev[-1] in _STATEMENT_START
            tied = bool(_DEADLINE_BEFORE.search(before)) or bool(_DEADLINE_AFTER.search(after)) or m.group("mo")
            if not (tied or opens or lenient):
                continue
            if before.endswith(("截至", "截止")):
                continue
        if min_year is not None and int(year) < min_year:
            continue
        out.append((pos, iso))
    return out


def deadlines(mentions: Iterable[tuple[int, str]]) -> list[str]:
    seen: list[str] = []
    for _, iso in mentions:
        if iso not in seen:
            seen.append(iso)
    return seen


_UNITS = (
    "个百分点|百分点|%|‰|"
    "亿美元|万美元|美元|万亿元|亿元|万元|千元|元|"
    "万平方米|平方米|平方公里|公顷|万亩|亩|万吨|吨|千瓦时|万千瓦|千瓦|兆瓦|公里|千米|"
    "万人次|人次|万户|万家|万个|万台|万辆|万人|万件|万套|万条|万张|万名|"
    "个|家|项|次|件|台|组|座|所|条|人|名|户|套|辆|张|场|批|种|款|部|处|间|份|篇|例|株|头|只|倍|支|栋|床|位|类|门|"
    "亿|万"
)
QTY_RE = re.compile(
    rf"(?<![\dA-Za-z.])(?P<v>\d+(?:\.\d+)?)(?:\s*(?:-|~|至|到)\s*\d+(?:\.\d+)?)?\s*(?P<u>{_UNITS})"
    r"(?![A-Za-z])"
)
_POLICY_WORDS = re.compile(r"给予|资助|奖励|补贴|补助|最高|不超过|扶持|贴息|减免|按照|按每|每个|每家|每人|每次")
_CONTEXT_STARTS = re.compile(r"^(围绕|依托|按照|根据|针对|结合|利用|对|聚焦|立足|基于|借助|通过|以)")


def _has_qty(text: str) -> re.Match | None:
    for m in QTY_RE.finditer(text):
        tail = text[m.end() : m.end() + 1]
        if m.group("u") in ("万", "亿") and tail and tail in "年月日":
            continue
        return m
    return None


def targets_in(norm: str, original: str, s: int, e: int, min_year: int | None = None) -> list[Target]:
    """Quantitative outcomes: one per clause (or per 、-item when each has its own number)."""
    out: list[Target] = []
    quotes = _quote_spans(norm, s, e)
    for sm in re.finditer(r"[^。;!?\n]+", norm[s:e]):
        ss, se = s + sm.start(), s + sm.end()
        by: str | None = None
        for cm in re.finditer(r"[^,:]+", norm[ss:se]):
            cs, ce = ss + cm.start(), ss + cm.end()
            years = deadline_mentions(norm, cs, ce, min_year)
            if years:
                by = years[-1][1][:4]
            clause = norm[cs:ce]
            # Drop a leading time phrase: 到2027年 / 2020年 / 2025年底前.
            lead = re.match(rf"^\s*(到|至|在|力争到|力争在|争取到|确保到)?\s*{_Y}\s*年(底前|底|末|前)?\s*", clause)
            if lead and lead.end() < len(clause):
                cs += lead.end()
                clause = norm[cs:ce]
            if not _has_qty(clause) or _POLICY_WORDS.search(clause) or _CONTEXT_STARTS.match(clause.strip()):
                continue
            if _inside(quotes, cs):
                continue
            for ps, pe in _split_items(norm, cs, ce):
                while ps < pe and norm[ps] in " \t":
                    ps += 1
                while pe > ps and norm[pe - 1] in " \t":
                    pe -= 1
                m = _has_qty(norm[ps:pe])
                if not m:
                    continue
                value_s = m.group("v")
                value: float | int = float(value_s) if "." in value_s else int(value_s)
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                unit = original[ps + m.start("u") : ps + m.end("u")]
                out.append(Target(original[ps:pe], value, unit, by))
    return out


def _split_items(norm: str, s: int, e: int) -> list[tuple[int, int]]:
    """Split on 、 only where both sides carry their own number (农业产业大脑4个、未来农场8个)."""
    parts: list[tuple[int, int]] = []
    depth = 0
    cur = s
    for i in range(s, e):
        ch = norm[i]
        if ch in "(“《":
            depth += 1
        elif ch in ")”》" and depth:
            depth -= 1
        elif ch == "、" and depth == 0:
            parts.append((cur, i))
            cur = i + 1
    parts.append((cur, e))
    merged: list[list[int]] = []
    pending_start: int | None = None
    for ps, pe in parts:
        has = bool(_has_qty(norm[ps:pe]))
        if has:
            merged.append([pending_start if pending_start is not None else ps, pe])
            pending_start = None
        elif merged and pending_start is None:
            merged[-1][1] = pe
        elif pending_start is None:
            pending_start = ps
    if pending_start is not None and merged:
        merged[-1][1] = e
    return [(a, b) for a, b in merged]


HORIZON_RE = re.compile(
    rf"(?:到|至|力争到|争取到|确保到)\s*(?P<y>{_Y})\s*年(?!\s*\d{{1,2}}\s*月)"
    rf"|(?P<y2>{_Y})\s*年\s*(?:底前|年底前|前)"
)
TITLE_RANGE_RE = re.compile(rf"(?P<y1>{_Y})\s*(?:年)?\s*(?:-+|~|至)\s*(?P<y2>{_Y})\s*年")


def horizon(norm: str, spans: list[tuple[int, int]], title: str | None, min_year: int | None) -> int | None:
    """Latest goal year stated outside the measures (到2027年 in the goals)."""
    years: list[int] = []
    for s, e in spans:
        quotes = _quote_spans(norm, s, e)
        for m in HORIZON_RE.finditer(norm, s, e):
            if _inside(quotes, m.start()):
                continue
            y = int(m.group("y") or m.group("y2"))
            if min_year is None or y >= min_year:
                years.append(y)
    if years:
        return max(years)
    if title:
        m = TITLE_RANGE_RE.search(normalize(title))
        if m:
            return int(m.group("y2"))
    return None
