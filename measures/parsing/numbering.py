"""Heading tokens (一、 (一) 1. (1) ① 第一条 …) and the refs they spell.

Numbers inside sentences (3.5%, 1.2万, 一、二、三产业) look like tokens, and text pasted from
scanned PDFs has no line breaks to anchor headings.  So every candidate is scored by what
precedes it and then kept only if it continues the numbering already seen: a heading is the
next sibling of some open level, or the first child of the deepest one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import cn_to_int

_CN = "一二三四五六七八九十"

TOKEN_RE = re.compile(
    r"(?P<chap>第(?P<chap_n>[一二三四五六七八九十百零〇]{1,4})(?:章|部分))"
    r"|(?P<art>第(?P<art_n>[一二三四五六七八九十百零〇]{1,4})条)"
    rf"|(?P<cnp>\([ \t]?(?P<cnp_n>[{_CN}]{{1,3}})[ \t]?\))"
    rf"|(?P<cn>(?<![{_CN}第、])(?P<cn_n>[{_CN}]{{1,3}})[、.](?![{_CN}]{{1,2}}[、.]|\d))"
    r"|(?P<arp>\([ \t]?(?P<arp_n>\d{1,2})[ \t]?\))"
    r"|(?P<circ>[\u2460-\u2473])"
    r"|(?P<pcirc>[\u2474-\u2487])"
    r"|(?P<ar>(?<![\d.A-Za-z第])(?P<ar_n>\d{1,3})(?:\.|、)(?![\d%]))"
    # Read as headings only where the outline expects them: 11。 (a full stop for the 、) and
    # 2.12345热线 (an item whose own text opens with digits).
    r"|(?P<ars>(?<![\d.A-Za-z第])(?P<ars_n>\d{1,3})。)"
    r"|(?P<ard>(?<![\d.A-Za-z第])(?P<ard_n>\d{1,3})[.、](?=\d+[\u4e00-\u9fff])(?!\d+(?:万|亿|千|百|个|元|倍|米|吨|亩|天|公里|平方|立方)))"
)

INLINE_STYLES = ("circ", "arp")
_LOOSE_AR = ("ars", "ard")
_STRONG_BEFORE = set("。;!?:)】」』”\"'|") | {"\t"}
_SENTENCE_END = set("。;!?")


@dataclass
class Heading:
    start: int  # offset of the numbering token
    tok_end: int  # offset just after the token
    style: str
    number: int
    path: tuple[int, ...]
    title: str = ""
    title_end: int = 0

    @property
    def ref(self) -> str:
        return ".".join(str(n) for n in self.path)

    @property
    def depth(self) -> int:
        return len(self.path)


def _candidates(norm: str):
    for m in TOKEN_RE.finditer(norm):
        kind = m.lastgroup
        if kind is None:
            continue
        if kind.endswith("_n"):  # pragma: no cover - lastgroup is the outer group
            continue
        if kind in ("circ", "pcirc"):
            ch = m.group(kind)
            base = 0x2460 if kind == "circ" else 0x2474
            number = ord(ch) - base + 1
            style = "circ" if kind == "circ" else "arp"
        else:
            raw = m.group(kind + "_n")
            number = cn_to_int(raw) if not raw.isdigit() else int(raw)
            style = kind
        if kind in _LOOSE_AR:
            style = "ar"
        if not number or number > 999:
            continue
        yield m.start(), m.end(), style, number, kind in _LOOSE_AR


def _boundary(norm: str, pos: int) -> str:
    """'line' (first thing on a line), 'strong' (after a sentence or clause end, or a wide gap), or 'weak'."""
    i = pos - 1
    spaces = 0
    while i >= 0 and norm[i] in " \t":
        spaces += 1
        i -= 1
    if i < 0 or norm[i] == "\n":
        return "line"
    if spaces >= 1 or norm[i] in _STRONG_BEFORE:
        return "strong"
    return "weak"


def is_line_mode(norm: str) -> bool:
    """True when the text keeps its line breaks (then headings sit at line starts)."""
    lines = [ln for ln in norm.split("\n") if ln.strip()]
    if len(lines) < 5:
        return False
    return len(norm) / len(lines) < 400


def find_headings(
    norm: str, mask: list[tuple[int, int]] | None = None, restarts: list[int] | None = None
) -> list[Heading]:
    """Accept the numbering tokens that form a consistent outline, in document order. At each
    offset of `restarts` (an attached document begins) the outline starts afresh."""
    line_mode = is_line_mode(norm)
    stack: list[list] = []  # [style, number]
    last_seen: dict[str, int] = {}
    out: list[Heading] = []
    masked = sorted(mask or [])
    mi = 0
    pending = sorted(restarts or [])
    for start, end, style, number, loose in _candidates(norm):
        if pending and start >= pending[0]:
            while pending and start >= pending[0]:
                pending.pop(0)
            stack, last_seen, fresh_doc = [], {}, True
        else:
            fresh_doc = False
        while mi < len(masked) and masked[mi][1] <= start:
            mi += 1
        if mi < len(masked) and masked[mi][0] <= start < masked[mi][1]:
            continue
        where = _boundary(norm, start)
        if where == "weak" and style in ("art", "chap") and norm[end : end + 1] not in (" ", "\t"):
            # 第三条 in running text is a reference far more often than a heading; glued to the
            # text before it (a lost line break) it is still a heading when a gap follows it
            # (…若干规定第一章　总则第一条　为…).
            continue
        mid_line = where != "line"
        if line_mode and mid_line and not _sentence_before(norm, start):
            # Line breaks survive, so a real heading mid-line must at least follow a sentence end.
            continue
        styles = [s for s, _ in stack]
        accepted_at: int | None = None
        if loose:
            # Only as the next sibling of an open arabic level, or the first child, never after a weak join.
            if where == "weak":
                continue
            if style in styles:
                k = styles.index(style)
                if number == stack[k][1] + 1:
                    accepted_at = k
            elif number == 1 or (where == "line" and not out):
                accepted_at = len(stack)
        elif style in styles:
            k = styles.index(style)
            expected = stack[k][1] + 1
            if number == expected or (where == "line" and number == expected + 1):
                accepted_at = k
        elif not (line_mode and mid_line) or (style in INLINE_STYLES and number == 1):
            # ①…②… and (1)…(2)… run inside a paragraph even where line breaks survive.
            fresh = number == 1 or (style in last_seen and number == last_seen[style] + 1)
            if where == "line" and not out:
                fresh = True  # an excerpt may start mid-outline
            if fresh_doc and number != 1:
                fresh = False
            if fresh and where == "weak" and not _plausible_weak(norm, end):
                fresh = False
            if fresh:
                accepted_at = len(stack)
        if accepted_at is None:
            continue
        del stack[accepted_at:]
        stack.append([style, number])
        last_seen[style] = number
        out.append(Heading(start, end, style, number, tuple(n for _, n in stack)))
    return out


def _sentence_before(norm: str, pos: int) -> bool:
    i = pos - 1
    while i >= 0 and norm[i] in " \t":
        i -= 1
    return i < 0 or norm[i] in _SENTENCE_END or norm[i] in ")\n】"


def _plausible_weak(norm: str, end: int) -> bool:
    """A token glued to the previous word is a heading only if words follow it."""
    while end < len(norm) and norm[end] in " \t":
        end += 1
    nxt = norm[end : end + 1]
    return bool(nxt) and ("\u4e00" <= nxt <= "\u9fff" or nxt in '“"《(【')


def set_titles(norm: str, original: str, headings: list[Heading], stops: list[int]) -> None:
    """Title = the heading's text up to its first full stop, line end, or clause."""
    stops = sorted(stops)
    import bisect

    for i, h in enumerate(headings):
        limit = headings[i + 1].start if i + 1 < len(headings) else len(norm)
        j = bisect.bisect_left(stops, h.tok_end)
        if j < len(stops):
            limit = min(limit, stops[j])
        limit = min(limit, h.tok_end + 120)
        s = h.tok_end
        while s < limit and norm[s] in " \t":
            s += 1
        e = s
        while e < limit:
            ch = norm[e]
            if ch in "。\n;:" or (ch == " " and e + 1 < limit and norm[e + 1] in " \t"):
                break
            if ch == "!" or ch == "?":
                break
            e += 1
        if e - s > 60:
            comma = norm.find(",", s, s + 60)
            e = comma if comma > s else s + 60
        h.title = original[s:e].strip()
        h.title_end = e
