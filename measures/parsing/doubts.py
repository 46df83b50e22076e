"""How sure the parser is of each measure, and why not: a wrong silent parse is worse than a
flagged one. Each doubt is a stable code (the pages translate it); the confidence falls with
every doubt by its weight, so the preview can put the weakest measures first."""

from __future__ import annotations

import re

from .agencies import looks_like_agency
from .clauses import Clause
from .models import ParsedMeasure

# code → how much it takes off a confidence of 1.0
WEIGHTS: dict[str, float] = {
    "not_a_name": 0.4,  # a lead or supporting "agency" that does not read as one
    "no_lead": 0.35,  # the clause names nobody who leads
    "rule_unread": 0.3,  # a sentence before it looks like a document-wide rule no rule read
    "duplicate_ref": 0.3,  # another measure has the same ref (two attached plans, a numbering slip)
    "no_heading": 0.25,  # the clause is under no numbered item
    "long_name": 0.25,  # a name long enough to hold a sentence
    "restored_prefix": 0.15,  # a name got a prefix the list's earlier names carry
    "remark_dropped": 0.1,  # text in the clause was read as a remark, not as names
    "inferred_lead": 0.1,  # no word marks the lead: the first-listed was taken
    "rule_applied": 0.05,  # a document-wide rule changed who leads or supports
    "shared_item": 0.05,  # one of several clauses of one item: where it starts is a guess
}
LONG_NAME = 25


def assess(measure: ParsedMeasure, clause: Clause, *, rule_unread: bool, duplicate: bool) -> None:
    """Fill measure.doubts and measure.confidence."""
    names = [*measure.lead, *measure.support]
    doubts = []
    if any(not looks_like_agency(re.sub(r"\s+", "", n)) for n in names):
        doubts.append("not_a_name")
    if not measure.lead:
        doubts.append("no_lead")
    if rule_unread:
        doubts.append("rule_unread")
    if duplicate:
        doubts.append("duplicate_ref")
    if measure.ref.split("-")[0] == "0":
        doubts.append("no_heading")
    if any(len(n) > LONG_NAME for n in names):
        doubts.append("long_name")
    if measure.restored:
        doubts.append("restored_prefix")
    if clause.dropped:
        doubts.append("remark_dropped")
    if measure.lead_inferred:
        doubts.append("inferred_lead")
    if clause.rules_applied:
        doubts.append("rule_applied")
    if re.search(r"-\d+$", measure.ref):
        doubts.append("shared_item")
    measure.doubts = doubts
    measure.confidence = round(max(0.05, 1.0 - sum(WEIGHTS[d] for d in doubts)), 2)
