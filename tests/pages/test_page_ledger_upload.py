"""台账回传: an agency downloads its ledger, fills in progress and percent, uploads it, previews what
will change, confirms — one report per changed task, each on its timeline; a ledger with any bad
row writes nothing; another agency's task cannot be reported through it."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from tests.pages.conftest import client_for  # noqa: F401 - shared fixture
from tracker.models import LedgerUpload, ProgressReport, TaskEvent

pytestmark = pytest.mark.django_db


def _download(client) -> tuple:
    response = client.get(reverse("pages:my-ledger"))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return workbook, workbook.active


def _columns(sheet) -> dict[str, int]:
    return {str(c.value): c.column for c in sheet[2]}


def _upload(client, workbook, name="ledger.xlsx"):
    stream = io.BytesIO()
    workbook.save(stream)
    return client.post(reverse("pages:ledger-upload"), {"file": SimpleUploadedFile(name, stream.getvalue())})


def test_the_round_trip_reports_what_changed(world, client_for):  # noqa: F811
    lead = client_for("lead")
    workbook, sheet = _download(lead)
    cols = _columns(sheet)
    row = next(r for r in range(3, sheet.max_row + 1) if sheet.cell(r, cols["任务ID"]).value == world.task.pk)
    sheet.cell(row, cols["进展情况"]).value = "平台一期已上线"
    sheet.cell(row, cols["完成比例（%）"]).value = 60
    uploaded = _upload(lead, workbook)
    upload = LedgerUpload.objects.get()
    assert uploaded.status_code == 303 and uploaded["Location"] == reverse(
        "pages:ledger-upload-preview", args=[upload.pk]
    )
    preview = lead.get(uploaded["Location"])
    assert [c.text for c in preview.context["checked"].changes] == ["平台一期已上线"]
    assert not ProgressReport.objects.exists()  # nothing before the confirmation
    assert client_for("support").get(uploaded["Location"]).status_code == 404
    done = lead.post(reverse("pages:ledger-upload-confirm", args=[upload.pk]))
    assert done.status_code == 303
    report = ProgressReport.objects.get()
    assert (report.task, report.text, report.percent, report.author) == (world.task, "平台一期已上线", 60, world.lead)
    assert TaskEvent.objects.filter(task=world.task, kind=TaskEvent.Kind.REPORT).exists()
    # The same ledger again changes nothing.
    _upload(lead, workbook)
    assert (
        lead.get(reverse("pages:ledger-upload-preview", args=[LedgerUpload.objects.get().pk]))
        .context["checked"]
        .changes
        == []
    )


def test_a_bad_row_writes_nothing(world, client_for):  # noqa: F811
    lead = client_for("lead")
    workbook, sheet = _download(lead)
    cols = _columns(sheet)
    row = 3
    sheet.cell(row, cols["进展情况"]).value = "已推进"
    sheet.cell(row, cols["完成比例（%）"]).value = 150
    extra = sheet.max_row + 1
    sheet.cell(extra, cols["任务ID"]).value = world.other_task.pk  # 市教育局's, not 市商务局's
    sheet.cell(extra, cols["进展情况"]).value = "越权报送"
    _upload(lead, workbook)
    upload = LedgerUpload.objects.get()
    problems = lead.get(reverse("pages:ledger-upload-preview", args=[upload.pk])).context["checked"].problems
    assert any("150" in p for p in problems) and any(str(world.other_task.pk) in p for p in problems)
    refused = lead.post(reverse("pages:ledger-upload-confirm", args=[upload.pk]))
    assert refused.status_code == 303 and not ProgressReport.objects.exists()


def test_a_file_that_is_no_ledger_is_refused(world, client_for):  # noqa: F811
    lead = client_for("lead")
    response = lead.post(reverse("pages:ledger-upload"), {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")})
    assert response.status_code == 400 and "任务ID" in response.content.decode()
    assert not LedgerUpload.objects.exists()
