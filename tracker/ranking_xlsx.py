"""The ranking (考核排名) as an Excel workbook: the figures of tracker.assessment.ranking_table."""

from typing import BinaryIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from .assessment import Ranking, period_label, ranking_table
from .ledger import safe_text


def ranking_title(result: Ranking) -> str:
    return _("%(place)s%(period)s考核排名") % {"place": result.jurisdiction.name, "period": period_label(result.period)}


def ranking_filename(result: Ranking) -> str:
    return f"{ranking_title(result)}-{result.cutoff:%Y%m%d}.xlsx"


def ranking_write(result: Ranking, stream: BinaryIO) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("考核排名")
    sheet.append([safe_text(ranking_title(result))])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([safe_text(_("统计截至 %(day)s") % {"day": result.cutoff.isoformat()})])
    header, rows = ranking_table(result)
    sheet.append([safe_text(str(h)) for h in header])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_text(v) if isinstance(v, str) else v for v in row])
    for index, width in enumerate((6, 28, 8, 16, 6, 8, 8, 16, 8, 10, 6)):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A4"
    workbook.save(stream)
