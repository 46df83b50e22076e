"""A ledger sent back (台账回传): an agency downloads its ledger, fills in 进展情况 and 完成比例, and
uploads it. Every row is checked against the task it names (任务ID) — that the uploader may report
on it, that the figures are well formed — and what would change is previewed; confirming files one
progress report per changed task, all or none, each on the task's timeline."""

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from . import services
from .ledger import LEDGER_COLUMNS, ledger_queryset
from .models import LedgerUpload, Task
from .roles import task_roles
from .workflow import OPEN, Actor

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# The three columns read back, found by their heading in either language of the download.
TASK_ID, PROGRESS, PERCENT = LEDGER_COLUMNS[9], LEDGER_COLUMNS[5], LEDGER_COLUMNS[8]


class LedgerError(Exception):
    """The file as a whole cannot be read as a ledger."""


@dataclass
class Change:
    row: int
    task: Task
    text: str
    percent: int | None
    old_text: str
    old_percent: int | None


@dataclass
class Checked:
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unchanged: int = 0


def _headings(label) -> set[str]:
    names = set()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            names.add(str(label).strip())
    return names


def _rows(content: bytes, name: str) -> list[list]:
    if len(content) > MAX_BYTES:
        raise LedgerError(_("文件超过 5 MB"))
    if name.lower().endswith(".csv"):
        try:
            return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise LedgerError(_("CSV 文件应为 UTF-8 编码")) from exc
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 5)]
    except Exception as exc:  # a zip that is no workbook fails in many ways inside openpyxl
        raise LedgerError(_("不是有效的 Excel 文件(.xlsx)或 CSV 文件")) from exc


def _unescape(value) -> str:
    """The ledger writes a leading ' before text a spreadsheet would run as a formula; drop it."""
    text = "" if value is None else str(value).strip()
    return text[1:] if text.startswith("'") and text[1:2] in ("=", "+", "-", "@") else text


def _columns(rows: list[list]) -> tuple[int, dict[str, int]]:
    """The heading row (within the first ten) and where the three columns read back are."""
    wanted = {"id": _headings(TASK_ID), "text": _headings(PROGRESS), "percent": _headings(PERCENT)}
    for index, row in enumerate(rows[:10]):
        cells = [str(c).strip() if c is not None else "" for c in row]
        columns = {key: next((i for i, c in enumerate(cells) if c in names), None) for key, names in wanted.items()}
        if None not in columns.values():
            return index, columns
    raise LedgerError(_("找不到“任务ID”“进展情况”“完成比例”列:请上传从本系统下载的台账"))


def ledger_check(*, user, content: bytes, name: str) -> Checked:
    rows = _rows(content, name)
    index, columns = _columns(rows)
    body = [(index + 2 + n, row) for n, row in enumerate(rows[index + 1 :])]
    if len(body) > MAX_ROWS:
        raise LedgerError(_("台账超过 %(n)d 行") % {"n": MAX_ROWS})
    ids = {}
    checked = Checked()
    for line, row in body:
        cell = row[columns["id"]] if columns["id"] < len(row) else None
        if cell in (None, ""):
            continue
        try:
            ids[line] = int(str(cell).strip())
        except ValueError:
            checked.problems.append(_("第 %(n)d 行:任务ID“%(v)s”不是数字") % {"n": line, "v": cell})
    tasks = {
        t.pk: t
        for t in ledger_queryset(
            Task.objects.visible_to(user).filter(pk__in=set(ids.values())).prefetch_related("assignments")
        )
    }
    for line, row in body:
        if line not in ids:
            continue
        task = tasks.get(ids[line])
        if task is None or not task_roles(user, task) & {Actor.LEAD, Actor.SUPPORT}:
            checked.problems.append(
                _("第 %(n)d 行:任务ID %(id)d 不存在或您的单位不是其责任单位") % {"n": line, "id": ids[line]}
            )
            continue
        text = _unescape(row[columns["text"]] if columns["text"] < len(row) else "")
        raw = row[columns["percent"]] if columns["percent"] < len(row) else None
        percent = None
        if raw not in (None, ""):
            try:
                percent = int(float(str(raw).strip().rstrip("%")))
            except ValueError:
                percent = -1
            if not 0 <= percent <= 100:
                checked.problems.append(_("第 %(n)d 行:完成比例“%(v)s”应为 0 到 100 的整数") % {"n": line, "v": raw})
                continue
        if text == (task.ledger_report or "") and percent == task.ledger_percent:
            checked.unchanged += 1
            continue
        if not text:
            checked.problems.append(_("第 %(n)d 行:填写了完成比例,但进展情况为空") % {"n": line})
            continue
        if task.status not in OPEN:
            checked.problems.append(
                _("第 %(n)d 行:任务“%(ref)s”%(s)s,不能报送")
                % {"n": line, "ref": task.measure.ref, "s": task.get_status_display()}
            )
            continue
        checked.changes.append(Change(line, task, text, percent, task.ledger_report or "", task.ledger_percent))
    return checked


def ledger_upload_create(*, user, name: str, content: bytes) -> LedgerUpload:
    """Keep a readable ledger for its preview; one that cannot be read is refused with the reason."""
    if not name.lower().endswith((".xlsx", ".csv")):
        raise LedgerError(_("请上传 .xlsx 或 .csv 文件"))
    _columns(_rows(content, name))
    return LedgerUpload.objects.create(user=user, name=name[:255], content=content)


@transaction.atomic
def ledger_upload_confirm(*, upload: LedgerUpload, user) -> int:
    """File the reports the upload changes; refuses (LedgerError) if any row has a problem now."""
    checked = ledger_check(user=user, content=bytes(upload.content), name=upload.name)
    if checked.problems:
        raise LedgerError(_("台账有 %(n)d 处问题,未写入任何内容") % {"n": len(checked.problems)})
    for change in checked.changes:
        services.report_submit(task=change.task, user=user, text=change.text, percent=change.percent)
    upload.delete()
    return len(checked.changes)
