import datetime
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from tests.factories import AgencyFactory, AssignmentFactory, DocumentFactory, MeasureFactory, TaskFactory
from tracker import services
from tracker.ledger import LEDGER_COLUMNS, ledger_filename, ledger_queryset, ledger_write
from tracker.models import Task

TODAY = datetime.date(2026, 11, 22)
HEADERS = [
    "序号",
    "任务内容",
    "牵头单位",
    "配合单位",
    "完成时限",
    "进展情况",
    "状态",
    "逾期天数",
    "完成比例（%）",
    "任务ID",
]


def _ledger(tasks, *, today=TODAY, title=None) -> Worksheet:
    stream = BytesIO()
    ledger_write(tasks, stream, today=today, title=title)
    stream.seek(0)
    return load_workbook(stream).active


def _values(sheet: Worksheet, row: int) -> list:
    return [cell.value for cell in sheet[row]]


def _ordered(*tasks: Task):
    return Task.objects.filter(pk__in=[t.pk for t in tasks]).order_by("measure__order")


def test_headers_widths_and_frozen_header_without_title(world):
    sheet = _ledger(_ordered(world.task))

    assert _values(sheet, 1) == HEADERS
    assert all(cell.font.bold and cell.fill.fgColor.rgb.endswith("DDEBF7") for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.orientation == "landscape"
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEFGH"}
    assert widths == {"A": 6, "B": 60, "C": 18, "D": 30, "E": 12, "F": 50, "G": 10, "H": 9}


def test_title_row_is_merged_and_the_header_below_it_frozen(world):
    sheet = _ledger(_ordered(world.task), title="关于加快建设平台的实施意见 落实台账")

    assert sheet["A1"].value == "关于加快建设平台的实施意见 落实台账"
    assert sheet["A1"].font.bold and sheet["A1"].font.size == 16
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:J1"]
    assert _values(sheet, 2) == HEADERS
    assert sheet.freeze_panes == "A3"
    assert sheet.print_title_rows == "$2:$2"
    assert sheet["A3"].value == 1


def test_rows_cell_by_cell(world):
    task = world.task
    task.measure.ref, task.measure.title, task.measure.text = "(一)", "建设平台", "加快建设公共服务平台。"
    task.measure.save()
    third = AgencyFactory(name="市财政局")
    first = AgencyFactory(name="市科技局")
    # Positions, not creation order, decide the order of supporting agencies; the lead comes first.
    AssignmentFactory(task=task, agency=third, role="support", position=3)
    AssignmentFactory(task=task, agency=first, role="support", position=0)
    task.assignments.filter(agency=world.support_agency).update(position=1)
    Task.objects.filter(pk=task.pk).update(due_date=datetime.date(2026, 11, 17))

    services.report_submit(task=task, user=world.lead, text="已起草方案")
    services.report_submit(task=task, user=world.lead, text="方案已印发")
    # A supporter's contribution is not the lead's progress report.
    services.report_submit(task=task, user=world.support, text="配合提供数据")

    sheet = _ledger(_ordered(task, world.other_task))

    row = _values(sheet, 2)
    assert row[0] == 1
    assert row[1] == "(一) 建设平台\n加快建设公共服务平台。"
    assert row[2] == "市商务局"
    assert row[3] == "市科技局、市工业和信息化局、市财政局"
    assert row[4] == datetime.datetime(2026, 11, 17)
    assert sheet["E2"].number_format == "yyyy-mm-dd"
    assert row[5] == "方案已印发"
    assert row[6] == "推进中"  # reporting on a task not yet started starts it
    assert row[7] == 5

    other = _values(sheet, 3)
    assert other[0] == 2
    assert other[1].startswith(f"{world.other_task.measure.ref} {world.other_task.measure.title}\n")
    assert other[2:-1] == ["市教育局", None, "长期", None, "未开始", None, None]
    assert sheet.max_row == 3


@pytest.mark.parametrize(
    ("status", "due_date", "expected"),
    [
        (Task.Status.IN_PROGRESS, datetime.date(2026, 11, 21), 1),
        (Task.Status.EXTENSION_REQUESTED, datetime.date(2026, 10, 23), 30),
        (Task.Status.IN_PROGRESS, TODAY, None),
        (Task.Status.IN_PROGRESS, None, None),
        (Task.Status.CLOSED, datetime.date(2026, 1, 1), None),
        (Task.Status.SUSPENDED, datetime.date(2026, 1, 1), None),
        (Task.Status.CANCELLED, datetime.date(2026, 1, 1), None),
    ],
)
def test_overdue_days_count_open_work_only(world, status, due_date, expected):
    Task.objects.filter(pk=world.task.pk).update(status=status, due_date=due_date)

    sheet = _ledger(_ordered(world.task))

    assert sheet["H2"].value == expected
    assert sheet["G2"].value == Task.Status(status).label


def test_text_that_would_run_as_a_formula_is_kept_as_text(world):
    services.report_submit(task=world.task, user=world.lead, text="=SUM(A1)")
    world.task.measure.ref = "+1"
    world.task.measure.save()
    world.lead_agency.name = "@市商务局"
    world.lead_agency.save()

    sheet = _ledger(_ordered(world.task))

    assert sheet["F2"].value == "'=SUM(A1)"
    assert sheet["B2"].value.startswith("'+1 ")
    assert sheet["C2"].value == "'@市商务局"
    assert all(cell.data_type != "f" for cell in sheet[2])


def test_very_long_measure_text_is_capped(world):
    world.task.measure.text = "长" * 5000
    world.task.measure.save()

    content = _ledger(_ordered(world.task))["B2"].value

    assert content.endswith("长…")
    assert len(content) < 2100


def _populate(n: int, document) -> None:
    for _ in range(n):
        task = TaskFactory(measure=MeasureFactory(document=document), due_date=datetime.date(2026, 1, 1))
        AssignmentFactory(task=task, role="lead")
        AssignmentFactory(task=task, role="support")
        AssignmentFactory(task=task, role="support", position=1)
        task.reports.create(agency=task.assignments.first().agency, kind="report", text="进展")


def _queries(tasks) -> int:
    with CaptureQueriesContext(connection) as captured:
        ledger_write(tasks, BytesIO(), today=TODAY)
    return len(captured)


def test_query_count_does_not_grow_with_rows(db, django_assert_max_num_queries):
    document = DocumentFactory()
    _populate(3, document)
    few = _queries(Task.objects.filter(document=document))

    _populate(27, document)
    tasks = Task.objects.filter(document=document)
    assert tasks.count() == 30
    with django_assert_max_num_queries(few):
        ledger_write(tasks, BytesIO(), today=TODAY)
    # One query for the tasks (measure, document, latest report joined in), one for their agencies.
    assert few == _queries(tasks) == 2


def test_a_prepared_queryset_is_taken_as_it_is(world):
    """The API prepares the queryset itself before handing it over; other prefetches do not clash."""
    tasks = ledger_queryset(_ordered(world.task).prefetch_related("assignments"))

    with CaptureQueriesContext(connection) as captured:
        sheet = _ledger(tasks)

    assert _values(sheet, 2)[2:4] == ["市商务局", "市工业和信息化局"]
    assert len(captured) == 3  # the caller's own prefetch of assignments comes on top


def test_filename():
    assert ledger_filename(datetime.date(2026, 11, 22)) == "台账-2026-11-22.xlsx"


def test_english_labels_when_translations_are_compiled(world):
    with translation.override("en"):
        if str(LEDGER_COLUMNS[0]) == "序号":
            pytest.skip("no compiled English catalogue yet")
        sheet = _ledger(_ordered(world.task))
        assert _values(sheet, 1) == [str(header) for header in LEDGER_COLUMNS]
        assert _values(sheet, 1) != HEADERS
        assert sheet["G2"].value == str(Task.Status.NOT_STARTED.label) != "未开始"
        assert sheet["E2"].value == translation.gettext("长期") != "长期"


def test_the_ledger_as_csv_opens_in_excel_and_runs_no_formula(world, client):
    import csv
    import io

    measure = world.task.measure
    measure.ref, measure.title = "", '=HYPERLINK("http://x")'
    measure.save()
    Task.objects.filter(pk=world.task.pk).update(due_date=datetime.date(2020, 1, 1))
    client.force_login(world.coordinator)
    response = client.get("/dashboard/ledger.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号", "任务内容", "牵头单位"]
    (row,) = [r for r in rows[1:] if "HYPERLINK" in r[1]]
    assert row[1].startswith("'=HYPERLINK") and row[2] == "市商务局" and row[6] == "未开始" and int(row[7]) > 2000
