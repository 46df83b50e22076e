"""Length-preserving normalisation: every rule works on the normalised text, every output is
sliced from the original at the same offsets, so names come out as the document wrote them."""

from __future__ import annotations

import re

_TABLE: dict[int, str] = {}
for _cp in range(0xFF01, 0xFF5F):  # full-width ASCII block
    _TABLE[_cp] = chr(_cp - 0xFEE0)
_TABLE.update(
    {
        0x3000: " ",
        0x00A0: " ",
        0x2002: " ",
        0x2003: " ",
        0x2009: " ",
        0x200B: " ",
        0xFEFF: " ",
        ord("\r"): "\n",
        0x2028: "\n",
        0x2029: "\n",
        0x000B: "\n",
        0x000C: "\n",
        0x0085: "\n",
        # dashes used in ranges (2021—2023年, 1－2个)
        0x2014: "-",
        0x2013: "-",
        0x2015: "-",
        0x2212: "-",
        0x2010: "-",
        0x2011: "-",
        0x2012: "-",
        0x301C: "~",
        0x223C: "~",
        # GBK-era and small-form punctuation
        0x2236: ":",
        0xFE55: ":",
        0xFE54: ";",
        0xFE50: ",",
        0xFE51: "、",
        0xFF64: "、",
        0xFE52: ".",
        0xFF61: "。",
        0xFE59: "(",
        0xFE5A: ")",
        0x3014: "〔",
        0x3015: "〕",
        0x2018: "'",
        0x2019: "'",
    }
)


def normalize(text: str) -> str:
    """Return a same-length copy with width/punctuation variants folded to one spelling."""
    # Every entry of _TABLE maps one character to one character, so offsets never drift.
    return text.translate(_TABLE)


CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_to_int(s: str) -> int | None:
    """Chinese numerals up to 999 (一, 十二, 二十三, 一百零五); None when not a numeral."""
    if not s:
        return None
    if s.isdigit():
        return int(s)
    total, current = 0, 0
    seen = False
    for ch in s:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
            seen = True
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
            seen = True
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
            seen = True
        else:
            return None
    return total + current if seen else None


# Page numbers of a PDF page break: "— 3 —", "- 3 -", "-3-", "第3页 共10页".
_PAGE_NO_RE = re.compile(
    r"(?<![\dA-Za-z.\-])-{1,2}[ \t]{0,2}\d{1,3}[ \t]{0,2}-{1,2}(?![\d\-])"
    # "- 5 -" padded inside is a page number even when the next row's number follows it: …底前- 5 -6推进
    r"|(?<![\dA-Za-z.\-])-{1,2}[ \t]+\d{1,3}[ \t]+-{1,2}(?=\d{1,3}(?!\d))"
    r"|第[ \t]*\d{1,3}[ \t]*页(?:[ \t]*[,]?[ \t]*共[ \t]*\d{1,3}[ \t]*页)?"
)
_HEADER_MAX = 40


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def blank_artifacts(text: str) -> str:
    """Replace page numbers and the running headers stuck to them with spaces (same length).

    Text pasted from a PDF keeps "— 3 —" and the page's header line wherever the page broke,
    often in mid-sentence or inside an agency name.  A header is text that follows (or precedes)
    two or more page numbers identically, so it is found by comparison, never by a list.
    """
    norm = normalize(text)
    marks = [m.span() for m in _PAGE_NO_RE.finditer(norm)]
    if not marks:
        return text
    blank: list[tuple[int, int]] = list(marks)
    for side in ("after", "before"):
        snippets: dict[str, list[tuple[int, str]]] = {}
        for s, e in marks:
            if side == "after":
                k = e
                while k < len(norm) and norm[k] in " \t\n":
                    k += 1
                snip = norm[k : k + _HEADER_MAX].split("\n")[0]
            else:
                k = s
                while k > 0 and norm[k - 1] in " \t\n":
                    k -= 1
                snip = norm[max(0, k - _HEADER_MAX) : k].split("\n")[-1][::-1]
            if len(snip) >= 4:
                snippets.setdefault(snip[:4], []).append((k, snip))
        for group in snippets.values():
            if len(group) < 2:
                continue
            n = min(_common_prefix(group[0][1], g[1]) for g in group[1:])
            if n < 6 or not re.search(r"[\u4e00-\u9fff]{4}", group[0][1][:n]):
                continue
            for k, _ in group:
                blank.append((k, k + n) if side == "after" else (k - n, k))
    chars = list(text)
    for s, e in blank:
        for i in range(s, e):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)
