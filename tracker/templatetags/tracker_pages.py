"""Small template helpers of the pages: deadline and status badges, links to other apps' pages."""

import datetime

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tracker.progress import schedule
from tracker.workflow import OPEN

register = template.Library()


@register.inclusion_tag("tracker/_due.html")
def due_badge(task, today: datetime.date) -> dict:
    """Days left or overdue. Only open work can be overdue; finished work just shows its date."""
    due = task.due_date
    if due is None:
        return {"kind": "none"}
    days = (due - today).days
    if task.status not in OPEN:
        return {"kind": "date", "due": due}
    if days < 0:
        return {"kind": "overdue", "days": -days, "due": due}
    if days == 0:
        return {"kind": "today", "due": due}
    return {"kind": "soon" if days <= 14 else "left", "days": days, "due": due}


@register.inclusion_tag("tracker/_status.html")
def status_badge(task) -> dict:
    return {"status": task.status, "label": task.get_status_display()}


@register.simple_tag
def page_url(name: str, fallback: str) -> str:
    """A link to a page another app owns (notifications); its fixed path until that app is wired."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def names_joined(names: list[str], *, others: bool = False) -> str:
    """Agency names as a sentence of the active language: 市商务局、市发展改革委及有关单位 in Chinese,
    "市商务局, 市发展改革委 and other agencies concerned" in English — never a seam like 管委会and."""
    joined = pgettext("list separator", "、").join(names)
    if not others:
        return joined
    return _("%(names)s及有关单位") % {"names": joined} if names else str(_("有关单位"))


@register.filter
def agencies_in(task, role: str) -> str:
    """Names of the task's agencies in one role, from the prefetched assignments."""
    return names_joined([a.agency.name for a in task.assignments.all() if a.role == role])


@register.simple_tag
def agency_names(assignments, others: bool = False) -> str:
    """The names of these assignments' agencies, with 及有关单位 when the text adds "others"."""
    return names_joined([a.agency.name for a in assignments], others=others)


def task_schedule(task, today: datetime.date):
    """序时进度 of an open task, from the `latest_percent` the lists annotate (task_list)."""
    if task.status not in OPEN:
        return None
    return schedule(
        start=timezone.localtime(task.created_at).date(),
        due=task.due_date,
        today=today,
        done=getattr(task, "latest_percent", None),
        working_days=task.document.working_days,
    )


@register.inclusion_tag("tracker/_schedule.html")
def schedule_badge(task, today: datetime.date, detail: bool = False) -> dict:
    return {"s": task_schedule(task, today), "detail": detail}
