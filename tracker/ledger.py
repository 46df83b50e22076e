"""The 台账: the Excel ledger a coordinator hands to a leader, one row per task.

It has to stay cheap for any number of tasks: the workbook is write-only (rows go straight to a
temporary file, strings inline, nothing kept per row), the tasks come through a chunked iterator,
and each chunk costs the same two queries whatever its size."""

import csv
import datetime
import io
from collections.abc import Iterator
from typing import BinaryIO

from django.db.models import Case, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from .models import Assignment, ProgressReport, Task
from .workflow import OPEN

LEDGER_COLUMNS = (
    _("序号"),
    _("任务内容"),
    _("牵头单位"),
    _("配合单位"),
    _("完成时限"),
    _("进展情况"),
    _("状态"),
    _("逾期天数"),
    _("完成比例(%)"),
    # The key that lets an agency send the filled ledger back (tracker.ledger_import): keep as is.
    _("任务ID"),
)
# In LEDGER_COLUMNS order; sized for an A4 landscape print of Chinese text.
_COLUMN_WIDTHS = (6, 60, 18, 30, 12, 50, 10, 9, 10, 8)

# Shown instead of a date for work with no deadline (常态化 / 长期推进 measures).
NO_DUE_DATE = _("长期")

# A cell is not a place to read a whole measure; the document is there for that. Far below
# Excel's own limit of 32,767 characters per cell.
_MAX_TEXT = 2000
# Rows fetched per round trip; each chunk is one task query plus one assignment query.
_CHUNK_SIZE = 2000
_NAME_SEPARATOR = "、"

# Text that a spreadsheet program would run as a formula (CSV/formula injection, OWASP): measure
# texts and reports are typed by users of many agencies, so none of it may execute on a leader's PC.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Named styles, one per kind of cell (see _add_styles).
_TITLE, _HEADER, _TEXT, _CENTRED, _DATE, _OVERDUE = (
    "ledger title",
    "ledger header",
    "ledger text",
    "ledger centred",
    "ledger date",
    "ledger overdue",
)
# SimSun ships with every Chinese Windows and WPS install, so the sheet looks the same everywhere.
_FONT_NAME = "宋体"


def ledger_queryset(tasks: QuerySet[Task], *, as_of: datetime.date | None = None) -> QuerySet[Task]:
    """Everything a ledger row shows, in a fixed number of queries: the measure and document joined,
    the agencies prefetched (lead first), the newest lead report annotated. Applying it twice is
    harmless: callers that prepare the queryset (the API does) still pass it to ledger_write, which
    prepares whatever it gets, and Django refuses a second Prefetch to the same attribute.

    `as_of` a past day: each task's status and due date as its history had them at the end of that
    day, the newest report filed by then, and only the tasks that existed then (agencies are today's)."""
    if "ledger_report" in tasks.query.annotations:
        return tasks
    reports = ProgressReport.objects.filter(task=OuterRef("pk"), kind=ProgressReport.Kind.REPORT)
    if as_of is None:
        reports = reports.filter(returned_at__isnull=True)
        tasks = tasks.annotate(ledger_status=F("status"), ledger_due=F("due_date"))
    else:
        end = timezone.make_aware(datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time()))
        reports = reports.filter(Q(returned_at__isnull=True) | Q(returned_at__gte=end), created_at__lt=end)
        history = Task.history.model.objects.filter(id=OuterRef("pk"), history_date__lt=end).order_by(
            "-history_date", "-history_id"
        )
        tasks = tasks.annotate(
            ledger_status=Subquery(history.values("status")[:1]), ledger_due=Subquery(history.values("due_date")[:1])
        ).filter(ledger_status__isnull=False)
    # id breaks ties between reports filed within the same clock tick.
    latest_report = reports.order_by("-created_at", "-id").values("text")[:1]
    latest_percent = reports.order_by("-created_at", "-id").values("percent")[:1]
    assignments = Assignment.objects.select_related("agency").order_by(
        Case(When(role=Assignment.Role.LEAD, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "position",
        "id",
    )
    return (
        tasks.select_related("measure", "document")
        # The document's full text would otherwise travel with every row.
        .defer("document__raw_text")
        # to_attr keeps this clear of any other prefetch of "assignments" the caller made.
        .prefetch_related(Prefetch("assignments", queryset=assignments, to_attr="ledger_assignments"))
        .annotate(ledger_report=Subquery(latest_report), ledger_percent=Subquery(latest_percent))
    )


def ledger_write(
    tasks: QuerySet[Task],
    stream: BinaryIO,
    *,
    today: datetime.date,
    title: str | None = None,
    as_of: datetime.date | None = None,
) -> None:
    """Write the ledger of `tasks` (in their queryset order) as .xlsx to `stream`. Overdue days count
    up to `today`; `title`, if given, heads the sheet in a merged row; `as_of`: see ledger_queryset."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=gettext("台账"))
    header_row = 2 if title else 1
    # Column widths and panes go out with the sheet's first row, so they are set before any append.
    for index, width in enumerate(_COLUMN_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    # One page wide, as many pages tall as it takes.
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0

    _add_styles(workbook)
    if title:
        sheet.row_dimensions[1].height = 32
        sheet.append([_cell(sheet, title, _TITLE)])
        sheet.merged_cells.add(CellRange(min_col=1, min_row=1, max_col=len(LEDGER_COLUMNS), max_row=1))
    sheet.append([_cell(sheet, str(header), _HEADER) for header in LEDGER_COLUMNS])
    # Resolved once in the active language rather than once per row.
    labels = {status: str(label) for status, label in Task.Status.choices}
    no_due_date = str(NO_DUE_DATE)
    for number, task in enumerate(ledger_queryset(tasks, as_of=as_of).iterator(chunk_size=_CHUNK_SIZE), start=1):
        sheet.append(_row(sheet, _values(number, task, today, labels, no_due_date)))
    workbook.save(stream)


def ledger_filename(today: datetime.date) -> str:
    return f"{gettext('台账')}-{today.isoformat()}.xlsx"


def _add_styles(workbook: Workbook) -> None:
    """Styles are registered once per workbook and cells only name them: setting font, fill, border
    and alignment cell by cell hashes each of them every time, which made styling most of the cost
    of a large ledger."""
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    top = Alignment(wrap_text=True, vertical="top")
    centred = Alignment(wrap_text=True, horizontal="center", vertical="center")
    font = Font(name=_FONT_NAME, size=11)
    for style in (
        NamedStyle(_TITLE, font=Font(name=_FONT_NAME, size=16, bold=True), alignment=centred),
        NamedStyle(
            _HEADER,
            font=Font(name=_FONT_NAME, size=11, bold=True),
            fill=PatternFill(fill_type="solid", fgColor="DDEBF7"),
            border=border,
            alignment=centred,
        ),
        NamedStyle(_TEXT, font=font, border=border, alignment=top),
        NamedStyle(_CENTRED, font=font, border=border, alignment=centred),
        NamedStyle(_DATE, font=font, border=border, alignment=centred, number_format="yyyy-mm-dd"),
        NamedStyle(_OVERDUE, font=Font(name=_FONT_NAME, size=11, color="C00000"), border=border, alignment=centred),
    ):
        workbook.add_named_style(style)


def _values(number: int, task: Task, today: datetime.date, labels: dict[str, str], no_due_date: str) -> list:
    """One ledger row's values in LEDGER_COLUMNS order, for the workbook and the CSV alike."""
    measure = task.measure
    content = f"{measure.ref} {measure.title}".strip()
    if measure.text:
        content += "\n" + _truncate(measure.text)
    leads = [a.agency.name for a in task.ledger_assignments if a.role == Assignment.Role.LEAD]
    supports = [a.agency.name for a in task.ledger_assignments if a.role == Assignment.Role.SUPPORT]
    # Derived like TaskQuerySet.overdue: open work only, and never for work without a deadline.
    status, due = task.ledger_status, task.ledger_due
    overdue = (today - due).days if status in OPEN and due and due < today else None
    return [
        number,
        content,
        _NAME_SEPARATOR.join(leads),
        _NAME_SEPARATOR.join(supports),
        due or no_due_date,
        task.ledger_report or "",
        labels[status],
        overdue,
        task.ledger_percent,
        task.pk,
    ]


def _row(sheet: WriteOnlyWorksheet, values: list) -> list[WriteOnlyCell]:
    number, content, leads, supports, due, report, status, overdue, percent, task_id = values
    return [
        _cell(sheet, number, _CENTRED),
        _cell(sheet, content, _TEXT),
        _cell(sheet, leads, _TEXT),
        _cell(sheet, supports, _TEXT),
        _cell(sheet, due, _DATE if isinstance(due, datetime.date) else _CENTRED),
        _cell(sheet, report, _TEXT),
        _cell(sheet, status, _CENTRED),
        _cell(sheet, overdue, _OVERDUE if overdue else _CENTRED),
        _cell(sheet, percent, _CENTRED),
        _cell(sheet, task_id, _CENTRED),
    ]


def ledger_csv_lines(
    tasks: QuerySet[Task], *, today: datetime.date, as_of: datetime.date | None = None
) -> Iterator[str]:
    """The ledger as CSV lines, streamed (a province's ledger never sits in memory): UTF-8 with a
    byte-order mark so that Excel opens the Chinese correctly, formulas neutralised as in the workbook."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(["" if v is None else safe_text(v) if isinstance(v, str) else v for v in values])
        return buffer.getvalue()

    yield "\ufeff" + line([str(h) for h in LEDGER_COLUMNS])
    labels = {status: str(label) for status, label in Task.Status.choices}
    no_due_date = str(NO_DUE_DATE)
    for number, task in enumerate(ledger_queryset(tasks, as_of=as_of).iterator(chunk_size=_CHUNK_SIZE), start=1):
        yield line(_values(number, task, today, labels, no_due_date))


def _cell(sheet: WriteOnlyWorksheet, value: str | int | datetime.date | None, style: str) -> WriteOnlyCell:
    if isinstance(value, str):
        value = safe_text(value)
    cell = WriteOnlyCell(sheet, value=value)
    cell.style = style
    return cell


def safe_text(value: str) -> str:
    """Text a spreadsheet program shows as text: no formula start, no characters XML forbids."""
    # Control characters (form feeds from PDF extraction, say) are not allowed in the XML at all.
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"
