"""Top-level assembly: text in, ParsedDocument out."""

from __future__ import annotations

import bisect
import re

from . import dates, doubts, metadata
from .attachments import attachment_lists, document_starts
from .clauses import Clause, find_clauses, find_rules, resolve_roles
from .models import ParsedDocument, ParsedMeasure, ParseError
from .normalize import blank_artifacts, normalize
from .numbering import INLINE_STYLES, Heading, find_headings, is_line_mode, set_titles
from .tables import find_tables


def parse_document(text: str, source: str = "") -> ParsedDocument:
    """Parse one policy document; raises ParseError when it holds no responsibility clause."""
    if not isinstance(text, str) or not text.strip():
        raise ParseError("empty document")
    text = blank_artifacts(text)
    norm = normalize(text)
    tables = find_tables(norm, text)
    lists = attachment_lists(norm)
    mask = [t.region for t in tables] + lists
    headings = find_headings(norm, mask, document_starts(norm, lists))
    rules = find_rules(norm, text)
    clauses = find_clauses(norm, [h.start for h in headings], mask)
    for t in tables:
        clauses.extend(t.clauses)
    clauses.sort(key=lambda c: c.start)
    kept: list[Clause] = []
    for c in clauses:
        resolve_roles(c, norm, text, rules)
        if c.lead or c.support or c.others:
            kept.append(c)
    if not kept:
        raise ParseError("no responsibility clause found")
    set_titles(norm, text, headings, [c.start for c in kept])

    issued_year = None
    title = metadata.find_title(norm, text, headings[0].start if headings else min(len(norm), 3000))
    issuer, issued = metadata.find_issuer_and_date(norm, text, title)
    if issued:
        issued_year = int(issued[:4])

    measures = _assemble(norm, text, headings, kept, issued_year)
    _disambiguate_refs(measures)
    for m, c in zip(measures, kept, strict=True):
        unread = any(pos < c.start for pos in rules.unread)
        doubts.assess(m, c, rule_unread=unread, duplicate="#" in m.ref)

    measure_spans = sorted((m_start, m_end) for m_start, m_end in _spans(kept))
    outside = _complement(measure_spans, len(norm))
    head_end = headings[0].start if headings else min(len(norm), 3000)
    horizon = dates.horizon(norm, outside, title, issued_year)
    mech_spans = _mechanism_spans(norm, headings, kept)
    return ParsedDocument(
        source=source,
        title=title,
        issuer=issuer,
        doc_number=metadata.find_doc_number(norm, text),
        issued=issued,
        effective=metadata.find_effective(norm),
        horizon=horizon,
        draft=metadata.is_draft(norm, head_end, title),
        coordinator=metadata.find_coordinators(norm, text),
        mechanisms=metadata.find_mechanisms(norm, mech_spans),
        measures=measures,
        cadence=metadata.find_cadence(norm, mech_spans),
    )


def _disambiguate_refs(measures: list[ParsedMeasure]) -> None:
    """Two measures with one ref (two attached plans numbered alike, a slip in the numbering) would
    collide in the database: the later ones get #2, #3 … and are flagged for the coordinator."""
    seen: dict[str, int] = {}
    for m in measures:
        seen[m.ref] = seen.get(m.ref, 0) + 1
        if seen[m.ref] > 1:
            m.ref = f"{m.ref}#{seen[m.ref]}"


def _spans(clauses: list[Clause]) -> list[tuple[int, int]]:
    return [(c.text_start if c.text_start is not None else c.start, c.end) for c in clauses]


def _complement(spans: list[tuple[int, int]], n: int) -> list[tuple[int, int]]:
    out, cur = [], 0
    for s, e in spans:
        if s > cur:
            out.append((cur, s))
        cur = max(cur, e)
    if cur < n:
        out.append((cur, n))
    return out


def _owner(headings: list[Heading], starts: list[int], pos: int) -> int | None:
    i = bisect.bisect_right(starts, pos) - 1
    return i if i >= 0 else None


def _assemble(norm: str, text: str, headings: list[Heading], clauses: list[Clause], issued_year: int | None):
    starts = [h.start for h in headings]
    line_mode = is_line_mode(norm)
    owners: list[int | None] = []
    for c in clauses:
        owners.append(None if c.ref is not None else _owner(headings, starts, c.start))
    _lift_trailing_clauses(norm, headings, clauses, owners, line_mode)

    counts: dict[int | None, int] = {}
    for c, o in zip(clauses, owners, strict=True):
        if c.ref is None:
            counts[o] = counts.get(o, 0) + 1
    seen: dict[int | None, int] = {}
    last_end: dict[int | None, int] = {}
    measures: list[ParsedMeasure] = []
    min_year = issued_year
    for order, (c, o) in enumerate(zip(clauses, owners, strict=True)):
        if c.ref is not None:
            ref, title = c.ref, c.title or ""
            start = c.text_start if c.text_start is not None else c.start
        else:
            h = headings[o] if o is not None else None
            base = h.ref if h else "0"
            seen[o] = seen.get(o, 0) + 1
            ref = base if counts[o] == 1 else f"{base}-{seen[o]}"
            title = h.title if h else ""
            start = last_end.get(o, h.start if h else 0)
            last_end[o] = c.end
            c.text_start = start
        body_s, body_e = c.body if c.body else (start, c.start)
        end = c.end
        if c.ref is None and o is not None and counts[o] == 1 and _leads_item(norm, headings[o], c):
            # 1.【牵头单位】市商务局 then the task: the item's text follows its clause.
            end = body_e = headings[o + 1].start if o + 1 < len(headings) else len(norm)
        mentions = dates.deadline_mentions(norm, body_s, body_e, min_year)
        for ds, de in c.deadline_text:
            mentions.extend(dates.deadline_mentions(norm, ds, de, None, lenient=True))
        targets = dates.targets_in(norm, text, body_s, body_e, min_year)
        if not title:
            title = _fallback_title(text, norm, start, c.start)
        measures.append(
            ParsedMeasure(
                ref=ref,
                title=title,
                lead=c.lead,
                support=c.support,
                others=c.others,
                lead_inferred=c.lead_inferred,
                deadlines=dates.deadlines(mentions),
                targets=targets,
                text=text[start:end].strip(),
                order=order,
                restored=c.restored,
            )
        )
    return measures


def _leads_item(norm: str, h: Heading, c: Clause) -> bool:
    """True when the clause comes before the item's first sentence ends."""
    stop = norm.find("。", h.tok_end, c.start)
    return stop == -1 and c.start - h.tok_end < 80


def _fallback_title(text: str, norm: str, s: int, e: int) -> str:
    m = re.search(r"[^\s。;\n]{1,60}", norm[s:e])
    return text[s + m.start() : s + m.end()] if m else ""


def _outline(headings: list[Heading]) -> tuple[list[int | None], dict[int | None, list[int]], list[int]]:
    """Parent of each heading, children of each parent, and the index where each subtree ends."""
    parents: list[int | None] = []
    children: dict[int | None, list[int]] = {}
    ends = [len(headings)] * len(headings)
    stack: list[int] = []
    for k, h in enumerate(headings):
        while stack and headings[stack[-1]].depth >= h.depth:
            ends[stack.pop()] = k
        parent = stack[-1] if stack and headings[stack[-1]].path == h.path[:-1] else None
        parents.append(parent)
        children.setdefault(parent, []).append(k)
        stack.append(k)
    return parents, children, ends


def _lift_trailing_clauses(
    norm: str, headings: list[Heading], clauses: list[Clause], owners: list[int | None], line_mode: bool
) -> None:
    """A clause standing after the last sub-item, when no sibling has one, speaks for the parent."""
    by_owner: dict[int, list[int]] = {}
    for i, o in enumerate(owners):
        if o is not None and clauses[i].ref is None:
            by_owner.setdefault(o, []).append(i)
    parents, children, _ = _outline(headings)
    for o, idxs in list(by_owner.items()):
        parent = parents[o]
        if len(idxs) != 1 or parent is None:
            continue
        sib = children.get(parent, [])
        if len(sib) < 2 or sib[-1] != o:
            continue
        if any(k in by_owner for k in sib if k != o) or parent in by_owner:
            continue
        at = clauses[idxs[0]].start
        if not (_starts_paragraph(norm, at, line_mode) or _inline_enumeration(norm, [headings[k] for k in sib], at)):
            continue
        owners[idxs[0]] = parent


def _inline_enumeration(norm: str, items: list[Heading], clause_start: int) -> bool:
    """(1)…;(2)…;(3)…。(责任单位:…): an enumeration inside one sentence is not an outline level, so
    the clause after it speaks for the item the sentence belongs to."""
    first = items[0].start
    return (
        all(h.style in INLINE_STYLES for h in items)
        and "\n" not in norm[first:clause_start]
        and norm.count("。", first, clause_start) <= 1
    )


def _starts_paragraph(norm: str, pos: int, line_mode: bool) -> bool:
    i = pos - 1
    while i >= 0 and norm[i] in " \t":
        i -= 1
    if i < 0 or norm[i] == "\n":
        return True
    # Without line breaks a paragraph start cannot be told from a sentence start, unless the
    # lost break left a space behind (text pasted from a PDF): "…以上。 (市科技局牵头…)".
    return not line_mode and i < pos - 1 and norm[i] in "。;!?"


def _mechanism_spans(norm: str, headings: list[Heading], clauses: list[Clause]) -> list[tuple[int, int]]:
    """Safeguard sections, items about coordination or supervision, and the closing paragraphs."""
    spans: list[tuple[int, int]] = []
    _, _, ends = _outline(headings)
    for i, h in enumerate(headings):
        title = h.title or norm[h.tok_end : h.tok_end + 12]
        top = h.depth == 1 and re.search(r"保障|组织实施|工作要求|组织领导|实施保障", title)
        item = h.depth >= 2 and re.search(r"机制|组织领导|协调|考核|督查|督导|监测|统计", title)
        if top or item:
            end = headings[ends[i]].start if ends[i] < len(headings) else len(norm)
            spans.append((h.start, end))
        if len(spans) > 50:
            break
    if clauses:
        spans.append((clauses[-1].end, len(norm)))
    return spans
