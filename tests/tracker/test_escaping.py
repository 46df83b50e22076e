"""Text typed by people (measure text, agency names, comments, reports, round titles) with HTML or
script in it is shown as text everywhere: pages, email HTML and text parts, the Excel ledger (no
formula injection), the bulletin's Excel and Word files."""

import datetime
import io
import zipfile

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.test import Client
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from agencies.models import User
from notifications.models import Notification
from tests.factories import AgencyFactory, AssignmentFactory, DocumentFactory, MeasureFactory, TaskFactory, UserFactory
from tracker import services
from tracker.bulletin import bulletin_write, round_bulletin
from tracker.bulletin_docx import bulletin_docx
from tracker.ledger import ledger_write
from tracker.models import DocumentAccess, Task

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, IMG)
# What a page must show instead (Django's escaping).
ESCAPED = {
    SCRIPT: "&lt;script&gt;alert(1)&lt;/script&gt;",
    IMG: "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;",
}
# Text a spreadsheet would run as a formula, each in a cell of its own.
FORMULAS = ('=HYPERLINK("http://evil.example/","click")', "+1+1", "-2+3", "@SUM(1,1)")


def hostile(label: str) -> str:
    return f"{label}{SCRIPT}{IMG}"


@pytest.fixture
def hostile_world(db, settings, tmp_path, django_capture_on_commit_callbacks, eager_celery):
    """Every action whose words reach a page, a mail or a file, each with hostile words; the mails
    are sent as they would be after each commit."""
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        return _hostile_world()


def _hostile_world() -> dict:
    coordinating = AgencyFactory(name=f"市发改委{SCRIPT}")
    lead_agency = AgencyFactory(name=f"市商务局{IMG}")
    support_agency = AgencyFactory(name=FORMULAS[1])
    document = DocumentFactory(title=hostile("实施意见"), coordinator=coordinating, horizon=2027)
    task = TaskFactory(
        # A form feed, as PDF extraction leaves them: XML (xlsx, docx) does not allow it at all.
        measure=MeasureFactory(document=document, title=hostile("措施") + "\x0c", text=hostile("正文")),
        due_date=timezone.localdate() - datetime.timedelta(days=10),
    )
    AssignmentFactory(task=task, agency=lead_agency, role="lead")
    AssignmentFactory(task=task, agency=support_agency, role="support")
    formula_task = TaskFactory(measure=MeasureFactory(document=document, ref="", title=FORMULAS[0], text=""))
    AssignmentFactory(task=formula_task, agency=AgencyFactory(name=FORMULAS[3]), role="lead")
    lead = UserFactory(username="lead", agency=lead_agency)
    coordinator = UserFactory(username="coord", agency=coordinating, role=User.Role.COORDINATOR)
    leader = UserFactory(username="leader", agency=None, role=User.Role.LEADER)
    DocumentAccess.objects.create(user=leader, document=document, role=DocumentAccess.Role.LEADER)
    # Filed before the round opens, so the round counts this task as missing (the bulletin lists it).
    formula_lead = UserFactory(username="formula", agency=formula_task.assignments.get().agency)
    services.report_submit(task=formula_task, user=formula_lead, text=FORMULAS[2], percent=10)
    round_ = services.round_open(
        document=document, user=coordinator, title=hostile("调度"), due_date=timezone.localdate()
    )
    services.report_submit(task=task, user=lead, text=hostile("进展"), percent=30)
    task.refresh_from_db()
    services.task_comment(task=task, user=coordinator, text=hostile("意见"))
    services.task_nudge(task=task, user=coordinator, comment=hostile("催办"))
    services.task_instruct(task=task, user=leader, text=hostile("批示"))
    task.refresh_from_db()
    services.task_transition(
        task=task, user=lead, action="request_closure", expected_version=task.version, comment=hostile("申请")
    )
    task.refresh_from_db()
    services.task_transition(
        task=task, user=coordinator, action="return_closure", expected_version=task.version, comment=hostile("退回")
    )
    services.round_chase(round=round_, user=coordinator, comment=hostile("催报"))
    task.refresh_from_db()
    return {"task": task, "round": round_, "document": document, "lead": lead, "coordinator": coordinator}


def assert_inert(html: str, where: str) -> None:
    """Read as a browser would: the payloads are text on the page, and made no element."""
    soup = BeautifulSoup(html, "lxml")
    # json_script's data block (the dashboard's charts) is data, never run; its "<" is \u003C.
    inline = [t for t in soup.find_all("script", src=False) if t.get("type") != "application/json"]
    assert not inline, f"{where}: an inline script"
    assert not soup.find_all("img", src="x"), f"{where}: the payload's <img>"
    assert not [t for t in soup.find_all(True) if any(a.startswith("on") for a in t.attrs)], f"{where}: on* attribute"
    text = soup.get_text()
    for payload in PAYLOADS:
        assert payload in text, f"{where}: {payload} not shown as text"


def assert_escaped(html: str, where: str) -> None:
    for payload in PAYLOADS:
        assert payload not in html, f"{where}: {payload} unescaped"
        assert ESCAPED[payload] in html, f"{where}: {payload} not escaped as Django does"
    assert_inert(html, where)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("lead", "/tasks/{task}/"),
        ("lead", "/tasks/"),
        ("coordinator", "/tasks/{task}/"),
        ("coordinator", "/board/"),
        ("coordinator", "/documents/{document}/"),
        ("coordinator", "/rounds/{round}/"),
        ("coordinator", "/rounds/{round}/bulletin/"),
        ("coordinator", "/dashboard/"),
        ("lead", "/notifications/"),
    ],
)
def test_pages_show_hostile_text_as_text(hostile_world, who, path):
    client = Client()
    client.force_login(hostile_world[who])
    url = path.format(
        task=hostile_world["task"].pk, document=hostile_world["document"].pk, round=hostile_world["round"].pk
    )
    response = client.get(url)
    assert response.status_code == 200
    assert_escaped(response.content.decode(), url)


def test_emails_escape_html_parts_and_keep_text_parts_plain(hostile_world):
    kinds = set(Notification.objects.filter(status=Notification.Status.SENT).values_list("kind", flat=True))
    # Each notification a person's words reach: nudge, instruction, request, decision, round, chase.
    assert {"manual_nudge", "instruction", "request", "decision", "round_opened", "round_chased"} <= kinds
    assert len(mail.outbox) == Notification.objects.filter(status=Notification.Status.SENT).count()
    for message in mail.outbox:
        html = next(body for body, kind in message.alternatives if kind == "text/html")
        for payload in PAYLOADS:
            assert payload not in html, message.subject
        # css-inline re-serialises the HTML (a quote in text stays a quote), so it is read, not matched.
        assert_inert(html, message.subject)
        # The text part is plain text: the words as typed, never entity-encoded.
        assert all(p in message.body for p in PAYLOADS), message.subject
        assert "&lt;" not in message.body and "&quot;" not in message.body, message.subject
        assert "\n" not in message.subject


def _cells(workbook_bytes: bytes):
    workbook = load_workbook(io.BytesIO(workbook_bytes))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


def assert_no_formula(workbook_bytes: bytes, where: str) -> list[str]:
    values = []
    for cell in _cells(workbook_bytes):
        assert cell.data_type != "f", f"{where} {cell.coordinate}: {cell.value!r} is a formula"
        if isinstance(cell.value, str):
            assert not cell.value.startswith(("=", "+", "-", "@")), f"{where} {cell.coordinate}: {cell.value!r}"
            values.append(cell.value)
    # No cell may hold a formula in the file itself either, whatever openpyxl makes of it.
    with zipfile.ZipFile(io.BytesIO(workbook_bytes)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), f"{where} {name}"
    return values


def test_the_ledger_neutralises_formulas_and_keeps_the_text(hostile_world):
    stream = io.BytesIO()
    ledger_write(
        Task.objects.filter(document=hostile_world["document"]).order_by("pk"), stream, today=timezone.localdate()
    )
    values = assert_no_formula(stream.getvalue(), "ledger")
    text = "\n".join(values)
    for formula in FORMULAS:
        assert "'" + formula in text, formula
    assert SCRIPT in text and IMG in text  # a spreadsheet shows markup as the characters typed


def test_the_bulletin_workbook_neutralises_formulas(hostile_world):
    stream = io.BytesIO()
    bulletin_write(round_bulletin(hostile_world["round"], today=timezone.localdate()), stream)
    values = assert_no_formula(stream.getvalue(), "bulletin.xlsx")
    text = "\n".join(values)
    assert "'" + FORMULAS[3] in text  # the agency that has not filed
    assert SCRIPT in text and IMG in text


def test_the_bulletin_document_holds_hostile_text_as_text(hostile_world):
    stream = io.BytesIO()
    bulletin_docx(round_bulletin(hostile_world["round"], today=timezone.localdate()), stream)
    document = Document(io.BytesIO(stream.getvalue()))
    texts = [p.text for p in document.paragraphs] + [
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    ]
    joined = "\n".join(texts)
    assert SCRIPT in joined and IMG in joined
    with zipfile.ZipFile(io.BytesIO(stream.getvalue())) as archive:
        xml = archive.read("word/document.xml")
    # Word's XML holds the characters escaped; a raw tag would be markup, not text.
    assert b"<script>" not in xml and b"<img " not in xml
    assert b"&lt;script&gt;" in xml


def test_the_bulletin_download_through_the_page(hostile_world):
    client = Client()
    client.force_login(hostile_world["coordinator"])
    response = client.get(f"/rounds/{hostile_world['round'].pk}/bulletin.xlsx")
    assert response.status_code == 200
    assert_no_formula(response.content, "bulletin.xlsx page")
    response = client.get("/dashboard/ledger.xlsx")
    assert response.status_code == 200
    assert_no_formula(b"".join(response.streaming_content), "ledger page")
