"""通报模板: a coordinator's own Word layout for the bulletin, checked on upload, rendered in a
sandbox with the bulletin's figures, read back; removing it restores the built-in layout."""

import datetime
import io

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker import services
from tracker.bulletin_template import sample_template
from tracker.models import BulletinTemplate, Task

pytestmark = pytest.mark.django_db
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _docx(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def _text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.fixture
def round_(world):
    round_ = services.round_open(
        document=world.task.document,
        user=world.coordinator,
        title="第四季度调度",
        due_date=datetime.date.today() + datetime.timedelta(days=10),
    )
    services.report_submit(task=world.task, user=world.lead, text="已完成方案")
    Task.objects.filter(pk=world.other_task.pk).update(due_date=datetime.date.today() - datetime.timedelta(days=40))
    return round_


def test_the_sample_template_renders_the_round_figures(world, round_, client_for, tmp_path):  # noqa: F811
    coordinator = client_for("coordinator")
    place = world.task.document.jurisdiction
    page = reverse("pages:bulletin-template")
    sample = b"".join(coordinator.get(reverse("pages:bulletin-template-download")).streaming_content)
    assert "{{ title }}" in _text(sample)
    uploaded = coordinator.post(
        page, {"jurisdiction": place.pk, "file": SimpleUploadedFile("本市通报.docx", sample, content_type=DOCX)}
    )
    assert uploaded.status_code == 303 and BulletinTemplate.objects.get(jurisdiction=place).name == "本市通报.docx"
    word = coordinator.get(reverse("pages:bulletin-docx", args=[round_.pk]))
    text = _text(word.content)
    assert "第四季度调度 落实情况通报" in text and "{{" not in text
    assert "应报送 3 项" in text and "已报送 1 项" in text
    assert "市教育局" in text and "逾期 40 天" in text
    removed = coordinator.post(reverse("pages:bulletin-template-remove"), {"jurisdiction": place.pk})
    assert removed.status_code == 303 and not BulletinTemplate.objects.exists()
    assert "督办通报" in _text(coordinator.get(reverse("pages:bulletin-docx", args=[round_.pk])).content)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (_docx("{{ title "), "模板有误"),
        (_docx("{{ secret_key }}"), "模板有误"),  # an unknown name is an error, not a blank
        (_docx("{{ title.__class__.__mro__ }}"), "模板有误"),  # the sandbox refuses internals
        (b"not a zip at all", "不是有效的 Word"),
    ],
)
def test_a_broken_or_unsafe_template_is_refused_and_not_kept(world, client_for, content, reason):  # noqa: F811
    response = client_for("coordinator").post(
        reverse("pages:bulletin-template"),
        {"file": SimpleUploadedFile("bad.docx", content, content_type=DOCX)},
    )
    assert response.status_code == 400 and reason in response.content.decode()
    assert not BulletinTemplate.objects.exists()


def test_only_coordinators_of_the_jurisdiction_change_it(world, client_for):  # noqa: F811
    stream = io.BytesIO()
    sample_template(stream)
    for who in ("lead", "leader", "outsider"):
        response = client_for(who).post(
            reverse("pages:bulletin-template"),
            {"file": SimpleUploadedFile("x.docx", stream.getvalue(), content_type=DOCX)},
        )
        assert response.status_code in (403, 404)
    assert not BulletinTemplate.objects.exists()
