"""Pure name normalisation shared by the resolver and the directory loader."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    """Fold the variants a name takes across documents: full-width forms, spaces, bracket shapes."""
    folded = unicodedata.normalize("NFKC", name)
    folded = folded.replace("〔", "[").replace("〕", "]")
    return _SPACES.sub("", folded).strip()


def place_stem(jurisdiction_name: str) -> str:
    """济南市 → 济南, 湖北省 → 湖北: the part of a place name that documents repeat inside agency names."""
    for suffix in ("特别行政区", "自治区", "自治州", "省", "市", "州", "盟", "县", "区"):
        if jurisdiction_name.endswith(suffix) and len(jurisdiction_name) > len(suffix) + 1:
            return jurisdiction_name[: -len(suffix)]
    return jurisdiction_name
