"""Length-preserving normalisation: every rule works on the normalised text, every output is
sliced from the original at the same offsets, so names come out as the document wrote them."""

from __future__ import annotations

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
