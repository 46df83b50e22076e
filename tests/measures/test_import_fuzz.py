"""Generated files through the services the import page calls (upload, then the parse task's
body): each is parsed or refused with a message that names the file and says why — never an
exception, never the catch-all of an unexpected one — and a refusal leaves nothing behind.
The large run is bench/fuzz_import.py (figures in docs/reliability.md)."""

import codecs
from pathlib import Path

import pytest
from django.apps import apps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from measures import services
from measures.models import ImportDraft
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SAMPLES = [
    (FIXTURES / "formats" / "measures.docx").read_bytes(),
    (FIXTURES / "formats" / "measures.pdf").read_bytes(),
    (FIXTURES / "formats" / "policy_page.html").read_bytes(),
    (FIXTURES / "seeds" / "000_0931c75b694a60a7.txt").read_bytes(),
]
SUFFIXES = [".txt", ".docx", ".pdf", ".html", ".doc", ""]
ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "big5"]


@st.composite
def mutated(draw) -> bytes:
    """A real file, cut short or with bytes overwritten, cut out or repeated."""
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["set", "cut", "repeat"]))
        if op == "set":
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 4096))]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 256))] * draw(st.integers(1, 8))
        if not data:
            break
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@st.composite
def encoded_text(draw) -> bytes:
    text = draw(st.text(st.characters(codec="utf-8"), max_size=400))
    encoding = draw(st.sampled_from(ENCODINGS))
    prefix = draw(st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE]))
    return prefix + text.encode(encoding, errors="replace")


def _counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models() if m is not ImportDraft}


SLOW = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]


@settings(max_examples=60, deadline=None, suppress_health_check=SLOW)
@given(
    data=st.one_of(mutated(), encoded_text(), st.binary(max_size=4096)),
    suffix=st.sampled_from(SUFFIXES),
)
def test_generated_files_are_parsed_or_refused_clearly(directory, data, suffix):
    user = UserFactory(username="fuzz", role="coordinator", is_superuser=True)
    name = f"fuzz{suffix}"
    before = _counts()
    try:
        draft = services.import_draft_create(user=user, data=data, name=name)
    except services.DocumentImportError as exc:
        assert str(exc).startswith(name) and len(str(exc)) > len(name) + 2
        assert _counts() == before
        return
    draft = services.import_draft_parse_run(draft_id=draft.pk)
    assert draft.upload is None  # parsed or refused, the bytes are not kept
    if draft.status == ImportDraft.Status.FAILED:
        assert draft.error.startswith(name) and "解析时出错" not in draft.error
        assert _counts() == before
    else:
        assert draft.status == ImportDraft.Status.READY and draft.parsed["measures"]
    ImportDraft.objects.all().delete()
