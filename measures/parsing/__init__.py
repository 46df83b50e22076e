"""Policy-document parser: pure functions, no Django; see docs in extraction.md."""

from .document import parse_document
from .models import ParsedDocument, ParsedMeasure, ParseError, Target

__all__ = ["ParseError", "ParsedDocument", "ParsedMeasure", "Target", "parse_document"]
