"""Plain data produced by the parser; no Django here so the parser stays importable anywhere."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


class ParseError(ValueError):
    """Raised with a one-line, human-readable message when a text holds no measure."""


@dataclass
class Target:
    text: str
    value: float | int
    unit: str
    by: str | None

    def to_dict(self) -> dict:
        return {"text": self.text, "value": self.value, "unit": self.unit, "by": self.by}


@dataclass
class ParsedMeasure:
    ref: str
    title: str
    lead: list[str]
    support: list[str]
    others: bool
    lead_inferred: bool
    deadlines: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    text: str = ""
    order: int = 0
    restored: list[str] = field(default_factory=list)
    doubts: list[str] = field(default_factory=list)  # codes of parsing.doubts.WEIGHTS
    confidence: float = 1.0

    def to_dict(self) -> dict:
        # text/order/restored/doubts/confidence are for the database, not part of the extraction contract.
        return {
            "ref": self.ref,
            "title": self.title,
            "lead": list(self.lead),
            "support": list(self.support),
            "others": self.others,
            "lead_inferred": self.lead_inferred,
            "deadlines": list(self.deadlines),
            "targets": [t.to_dict() for t in self.targets],
        }


@dataclass
class ParsedDocument:
    source: str
    title: str | None
    issuer: str | None
    doc_number: str | None
    issued: str | None
    effective: str | None
    horizon: int | None
    draft: bool
    coordinator: list[str]
    mechanisms: list[str]
    measures: list[ParsedMeasure]
    # How often the document has progress reported (定期调度, 每月5日前报送): {"every": "month" |
    # "quarter" | "half_year", "day": 5 or None}; not part of the extraction contract.
    cadence: dict | None = None

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "title": self.title,
            "issuer": self.issuer,
            "doc_number": self.doc_number,
            "issued": self.issued,
            "effective": self.effective,
            "horizon": self.horizon,
            "draft": self.draft,
            "coordinator": list(self.coordinator),
            "mechanisms": list(self.mechanisms),
            "measures": [m.to_dict() for m in self.measures],
        }

    def to_record(self) -> dict:
        """Everything, for storing a parse (an import draft) and reading it back with from_record."""
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict) -> ParsedDocument:
        measures = [ParsedMeasure(**{**m, "targets": [Target(**t) for t in m["targets"]]}) for m in record["measures"]]
        return cls(**{**record, "measures": measures})
