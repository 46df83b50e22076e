"""The outer shape of a document: a covering notice (关于印发…的通知) with its list of attachments,
and where each attached document starts.

A covering letter's 附件:1.…方案 2.…清单 is not numbering, and an attached plan's outline starts at
the plan, not at the letter: numbering found before it (the letter's own 一、二、) or in an earlier
attached document must not shift the plan's refs."""

from __future__ import annotations

import re

from .metadata import DOC_TYPES

# 附件:1.某某方案 2.某某清单 — the items of the list, numbered or not, up to the letter's end.
_LIST_START_RE = re.compile(r"附\s*件\s*[::]\s*")
_LIST_ITEM_RE = re.compile(r"\s*(?P<n>\d{1,2})\s*[.、.]\s*")
# What an attached document's title ends with: a kind of document, or of table.
_TITLE_END = rf"(?:{DOC_TYPES}|表|目录|名单|名录|明细|指标|台账|模板|样式)"
_ITEM_TITLE_RE = re.compile(rf"[^。;:\n]{{2,80}}?{_TITLE_END}(?:\([^()]{{1,20}}\))?")
# 附件1 / 附件 2 / 附件: standing alone before the attached document's title.
_MARKER_RE = re.compile(
    r"(?:(?<=\n)|(?<=[ \t。)》日]))[ \t]*附\s*件\s*(?P<n>\d{1,2})?\s*(?=\n|[ \t]*[\u4e00-\u9fff《])"
)
# A top-level heading opening an attached document: 一、 or 第一章 / 第一条.
_TOP_RE = re.compile(r"(?:一\s*[、.]|第一(?:章|部分|条))")


def attachment_lists(norm: str) -> list[tuple[int, int]]:
    """Spans of the covering letter's attachment lists, to keep their numbers out of the outline."""
    spans: list[tuple[int, int]] = []
    for m in _LIST_START_RE.finditer(norm):
        pos = m.end()
        expected = 1
        end = None
        while True:
            item = _LIST_ITEM_RE.match(norm, pos)
            if item is None or int(item.group("n")) != expected:
                break
            title = _ITEM_TITLE_RE.match(norm, item.end())
            if title is None:
                break
            end = pos = title.end()
            expected += 1
        if end is not None:
            spans.append((m.start(), end))
    return spans


# A line holding nothing but a document's title (no numbering token before it, no sentence in it).
_TITLE_LINE_RE = re.compile(
    rf"(?m)^[ \t]*(?![一二三四五六七八九十]+\s*[、.]|\(|\d|第|附)"
    rf"[^。;:,、\n]{{4,60}}?{_TITLE_END}(?:\s*\([^()\n]{{1,20}}\))?[ \t]*$"
)
_LINE_TOP_RE = re.compile(r"(?m)^[ \t]*一\s*[、.]")
# The same where line breaks were lost: …(省经信厅负责)某某行动计划(2021-2023年)一、总体要求…
# Anchored at the end (\Z with endpos): it is only tried in the stretch before each 一、, because
# tried at every whitespace of the text it cost seconds per 10,000 characters of spaced-out text
# (the import fuzz found a 30 KB file taking 13 s; PDF text with a space between characters
# would have run into the parse's time limit).
_FLAT_TITLE_RE = re.compile(
    rf"(?<=[。)\s])[ \t]*(?![一二三四五六七八九十]+\s*[、.]|\(|\d|第|附)"
    rf"[^。;:,、()\n]{{4,60}}?{_TITLE_END}(?:\s*\([^()\n]{{1,20}}\))?[ \t]*\Z"
)
_FLAT_TOP_RE = re.compile(r"一\s*[、.]")
# How far before a 一、 a flat title can begin: 60 characters of title, its kind, a bracketed
# note of up to 20 and some spaces.
_FLAT_TITLE_REACH = 160


def _flat_titles(norm: str) -> list[int]:
    """Starts of _FLAT_TITLE_RE matches as finditer with a lookahead for 一、 would give them:
    the leftmost start from where the last match ended, for it the nearest 一、, and on."""
    tops = [m.start() for m in _FLAT_TOP_RE.finditer(norm)]
    starts: list[int] = []
    pos = 0
    while True:
        best = None
        for end in tops:
            if end < pos:
                continue
            if best is not None and end - _FLAT_TITLE_REACH > best.start():
                break  # a later 一、 cannot have a title starting further left
            m = _FLAT_TITLE_RE.search(norm, max(pos, end - _FLAT_TITLE_REACH), end)
            if m is not None and (best is None or m.start() < best.start()):
                best = m
        if best is None:
            return starts
        starts.append(best.start())
        pos = max(best.end(), best.start() + 1)


_TOP_ANYWHERE_RE = re.compile(r"(?<![一二三四五六七八九十])一\s*[、.]")


def document_starts(norm: str, lists: list[tuple[int, int]]) -> list[int]:
    """Offsets where an attached document begins: its 附件N marker followed by a title and a
    top-level heading, or (where line breaks survive) a second document's title line followed by
    its 一、 when an outline came before. The outline restarts at each."""
    starts: list[int] = []
    for m in _TITLE_LINE_RE.finditer(norm):
        top = _LINE_TOP_RE.search(norm, m.end(), m.end() + 400)
        if top is not None and _LINE_TOP_RE.search(norm, 0, m.start()):
            starts.append(m.start())
    for start in _flat_titles(norm):
        if _TOP_ANYWHERE_RE.search(norm, 0, start):
            starts.append(start)
    starts += _announced_starts(norm)
    for m in _MARKER_RE.finditer(norm):
        if any(s <= m.start() < e for s, e in lists):
            continue
        after = norm[m.end() : m.end() + 300]
        title = re.match(rf"\s*《?[^。;:\n]{{2,80}}?{_TITLE_END}", after)
        if title is None:
            continue
        top = _TOP_RE.search(after, title.end())
        if top is None or "。" in after[title.end() : top.start()].strip()[:1]:
            continue
        starts.append(m.start())
    return sorted(set(starts))


def _announced_starts(norm: str) -> list[int]:
    """A covering notice names what it attaches (现将《甲》《乙》印发给你们): where such a title later
    stands on its own, before a preamble and a 一、, that document starts — lines or none."""
    head = norm[:2000]
    titles = {m.group(1).strip() for m in re.finditer(r"《([^《》\n]{4,80})》", head)}
    starts = []
    for title in titles:
        pos = norm.find(title, len(head) // 4)
        while pos != -1:
            standalone = (
                norm[pos - 1 : pos] not in ("《", "于", "发", "和", "、")
                and norm[pos + len(title) : pos + len(title) + 1] != "》"
            )
            if standalone and _TOP_ANYWHERE_RE.search(norm, pos + len(title), pos + len(title) + 600):
                if _TOP_ANYWHERE_RE.search(norm, 0, pos):
                    starts.append(pos)
                break
            pos = norm.find(title, pos + 1)
    return starts
