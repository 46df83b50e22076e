"""Reads for notifications: what is due, who receives it, what a digest says.

Everything here works on batches of ids with a fixed number of queries per batch, and streams
over indexed columns (tasks by status + due date, users by primary key), so memory does not grow
with the size of the province."""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from django.db import connection
from django.db.models import Count, Q

from agencies.models import Agency, User
from agencies.selectors import group_members
from tracker.models import Assignment, DocumentAccess, ReportingRound, RoundEntry, SupervisionNotice, Task
from tracker.workflow import OPEN

from .models import Notification

S = Task.Status
DIGEST_LIST_LIMIT = 20
WAITING = (S.CLOSURE_REQUESTED, S.EXTENSION_REQUESTED)


def tasks_due_between(
    start: datetime.date, end: datetime.date, *, batch_size: int
) -> Iterator[list[tuple[int, int, datetime.date]]]:
    """Open tasks due in [start, end] as batches of (task id, document id, due date).

    Keyset pagination on (due_date, id): every query is a range on the (status, due_date) index
    bounded by the window (a few weeks of deadlines) and returns at most batch_size rows."""
    base = Task.objects.filter(status__in=OPEN, due_date__gte=start, due_date__lte=end).order_by("due_date", "pk")
    after: Q = Q()
    while True:
        rows = list(base.filter(after).values_list("pk", "document_id", "due_date")[:batch_size])
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return
        last_pk, _, last_due = rows[-1]
        after = Q(due_date__gt=last_due) | Q(due_date=last_due, pk__gt=last_pk)


def unreceived_before(moment: datetime.datetime, *, batch_size: int) -> Iterator[list[tuple[int, int, int, int]]]:
    """Assignments of open tasks handed over before `moment` and not signed for, as batches of
    (assignment id, task id, agency id, document id); keyset on id over assignment_unreceived_idx."""
    base = (
        Assignment.objects.filter(received_at__isnull=True, assigned_at__lt=moment, task__status__in=OPEN)
        .order_by("pk")
        .values_list("pk", "task_id", "agency_id", "task__document_id")
    )
    last = 0
    while True:
        rows = list(base.filter(pk__gt=last)[:batch_size])
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return
        last = rows[-1][0]


def rounds_due_between(start: datetime.date, end: datetime.date) -> list[ReportingRound]:
    """Open rounds due in the window; there are few rounds, so a list is fine."""
    return list(
        ReportingRound.objects.filter(closed_at__isnull=True, due_date__gte=start, due_date__lte=end).order_by("pk")
    )


def recorded_keys(
    targets: Iterable[str], kinds: Iterable[str], periods: Iterable[str] | None = None
) -> set[tuple[str, str, str]]:
    """(target, kind, period) already in the ledger for these targets: lets the sweep skip work
    it did on an earlier run without computing recipients again. Uses the unique index prefix."""
    queryset = Notification.objects.filter(target__in=list(targets), kind__in=list(kinds))
    if periods is not None:
        queryset = queryset.filter(period__in=list(periods))
    return set(queryset.values_list("target", "kind", "period").distinct())


def staff_by_agency(agency_ids: Iterable[int]) -> dict[int, list[int]]:
    """Agency id → ids of active staff users who can receive mail or see in-app notices.

    An assigned group (各区县人民政府) reaches the staff of its member agencies."""
    agency_ids = set(agency_ids)
    members = group_members(agency_ids)
    reach = {a: {a} | members.get(a, set()) for a in agency_ids}
    everyone = set().union(*reach.values()) if reach else set()
    users: dict[int, list[int]] = defaultdict(list)
    for user_id, agency_id in (
        User.objects.filter(agency_id__in=everyone, role=User.Role.STAFF, is_active=True)
        .order_by("pk")
        .values_list("pk", "agency_id")
    ):
        users[agency_id].append(user_id)
    # The liaison hears what the staff hear, whatever their own role.
    for agency_id, liaison_id in Agency.objects.filter(
        pk__in=everyone, liaison__isnull=False, liaison__is_active=True
    ).values_list("pk", "liaison_id"):
        users[agency_id].append(liaison_id)
    return {a: sorted({u for member in reach[a] for u in users.get(member, [])}) for a in agency_ids}


def notice_recipients(notices: Sequence[SupervisionNotice]) -> dict[int, tuple[list[tuple[int, bool]], bool]]:
    """notice id → ([(user id, copied?)], no liaison?): the agency's liaison (联络员), or, where it has
    none (a gap the board lists), its staff; a copy to its responsible leader (分管领导) where the rung
    says so, and to the coordinating agency's leader where the rung says so (red by default).
    Expects each notice's `level` set by the issuer."""
    agency_ids = {n.agency_id for n in notices}
    task_ids = {n.task_id for n in notices}
    coordinating = dict(Task.objects.filter(pk__in=task_ids).values_list("pk", "document__coordinator_id"))
    duties = {
        a["pk"]: (a["liaison_id"], a["responsible_leader_id"])
        for a in Agency.objects.filter(pk__in=agency_ids | set(coordinating.values())).values(
            "pk", "liaison_id", "responsible_leader_id"
        )
    }
    gaps = {a for a in agency_ids if duties.get(a, (None, None))[0] is None}
    staff = staff_by_agency(gaps) if gaps else {}
    result: dict[int, tuple[list[tuple[int, bool]], bool]] = {}
    for notice in notices:
        liaison, leader = duties.get(notice.agency_id, (None, None))
        to = [liaison] if liaison else staff.get(notice.agency_id, [])
        copies = []
        if notice.level.copy_leader and leader:
            copies.append(leader)
        if notice.level.copy_coordinator_leader:
            copies.append(duties.get(coordinating.get(notice.task_id), (None, None))[1])
        seen: dict[int, bool] = {u: False for u in to}
        for u in copies:
            if u and u not in seen:
                seen[u] = True
        result[notice.pk] = (list(seen.items()), notice.agency_id in gaps)
    return result


def assignments_of(task_ids: Iterable[int]) -> dict[int, list[int]]:
    """task id → assigned agency ids (lead and supporting)."""
    result: dict[int, list[int]] = defaultdict(list)
    for task_id, agency_id in Assignment.objects.filter(task_id__in=list(task_ids)).values_list("task_id", "agency_id"):
        result[task_id].append(agency_id)
    return result


def task_staff(task_ids: Iterable[int]) -> dict[int, list[int]]:
    """task id → staff user ids of its lead and supporting agencies; three queries for the batch."""
    assigned = assignments_of(task_ids)
    staff = staff_by_agency({a for agencies in assigned.values() for a in agencies})
    return {t: sorted({u for a in agencies for u in staff.get(a, [])}) for t, agencies in assigned.items()}


def document_coordinators(document_ids: Iterable[int]) -> dict[int, list[int]]:
    """document id → user ids of its coordinators: coordinators at the coordinating agency, plus
    users granted the coordinator role on the document."""
    from measures.models import PolicyDocument

    document_ids = list(document_ids)
    coordinating = dict(
        PolicyDocument.objects.filter(pk__in=document_ids, coordinator__isnull=False).values_list(
            "pk", "coordinator_id"
        )
    )
    by_agency: dict[int, list[int]] = defaultdict(list)
    for user_id, agency_id in User.objects.filter(
        agency_id__in=set(coordinating.values()), role=User.Role.COORDINATOR, is_active=True
    ).values_list("pk", "agency_id"):
        by_agency[agency_id].append(user_id)
    result: dict[int, set[int]] = {d: set(by_agency.get(coordinating.get(d), [])) for d in document_ids}
    for document_id, user_id in DocumentAccess.objects.filter(
        document_id__in=document_ids, role=DocumentAccess.Role.COORDINATOR, user__is_active=True
    ).values_list("document_id", "user_id"):
        result[document_id].add(user_id)
    return {d: sorted(users) for d, users in result.items()}


def round_missing_by_user(round_id: int) -> dict[int, int]:
    """user id → number of reports their agency has not filed in the round (staff only)."""
    missing = dict(
        RoundEntry.objects.filter(round_id=round_id, report__isnull=True)
        .values("agency_id")
        .annotate(n=Count("pk"))
        .values_list("agency_id", "n")
    )
    staff = staff_by_agency(missing)
    per_user: dict[int, int] = defaultdict(int)
    for agency_id, users in staff.items():
        for user_id in users:
            per_user[user_id] += missing[agency_id]
    return dict(per_user)


def lead_agencies(task_id: int) -> list[int]:
    return list(
        Assignment.objects.filter(task_id=task_id, role=Assignment.Role.LEAD)
        .order_by("position")
        .values_list("agency_id", flat=True)
    )


def rounds_opened_between(start, end) -> list[int]:
    """Open rounds opened in [start, end]; rounds are few (a handful per document)."""
    return list(
        ReportingRound.objects.filter(closed_at__isnull=True, opened_at__range=(start, end))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def nudge_recipients(task_id: int, agency_id: int | None) -> list[int]:
    """A hand nudge aimed at one agency reaches its staff; one without an agency reaches all."""
    if agency_id is not None:
        return staff_by_agency([agency_id]).get(agency_id, [])
    return task_staff([task_id]).get(task_id, [])


# --- digests -------------------------------------------------------------------------------


def digest_users(weekday: int, *, default_weekday: int, batch_size: int) -> Iterator[list[User]]:
    """Active users with an address whose digest day is `weekday`, in batches, ordered by agency.

    Users who never saved preferences get the default day. Agency order puts an agency's users in
    the same batch (their digest is one computation and one rendering) without a cache that grows
    with the province; one server-side cursor streams them, so the sort happens once."""
    condition = Q(notification_preference__digest_weekday=weekday, notification_preference__digest_enabled=True)
    if weekday == default_weekday:
        condition |= Q(notification_preference__isnull=True)
    queryset = (
        User.objects.filter(condition, is_active=True)
        .exclude(email="")
        .select_related("notification_preference")
        .order_by("agency_id", "pk")
    )
    batch: list[User] = []
    for user in queryset.iterator(chunk_size=batch_size):
        batch.append(user)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _task_rows(queryset) -> list[dict]:
    return [
        {
            "id": row["pk"],
            "ref": row["measure__ref"],
            "title": row["measure__title"] or row["measure__text"][:60],
            "due": row["due_date"].isoformat() if row["due_date"] else None,
            "status": row["status"],
        }
        for row in queryset.values("pk", "measure__ref", "measure__title", "measure__text", "due_date", "status")
    ]


def _limited(queryset) -> tuple[list[dict], int]:
    """The first DIGEST_LIST_LIMIT rows and the total; the count query only when there are more."""
    rows = _task_rows(queryset[: DIGEST_LIST_LIMIT + 1])
    if len(rows) <= DIGEST_LIST_LIMIT:
        return rows, len(rows)
    return rows[:DIGEST_LIST_LIMIT], queryset.count()


def agency_ids_for(agency_id: int) -> list[int]:
    """The agency and the groups it belongs to: staff of 历下区 see what 各区县人民政府 must do."""
    groups = Agency.members.through.objects.filter(to_agency_id=agency_id).values_list("from_agency_id", flat=True)
    return [agency_id, *groups]


def staff_digest(agency_id: int, today: datetime.date, due_soon_days: int) -> dict:
    """What a staff user's weekly digest says about their agency; empty lists mean nothing to say."""
    return staff_digests([agency_id], today, due_soon_days)[agency_id]


def _reach(agency_ids: Iterable[int]) -> dict[int, list[int]]:
    """agency id → the agency and the groups it belongs to (batch form of agency_ids_for)."""
    reach = {a: [a] for a in agency_ids}
    for member_id, group_id in Agency.members.through.objects.filter(to_agency_id__in=list(reach)).values_list(
        "to_agency_id", "from_agency_id"
    ):
        reach[member_id].append(group_id)
    return reach


def staff_digests(agency_ids: Iterable[int], today: datetime.date, due_soon_days: int) -> dict[int, dict]:
    """staff_digest for a batch of agencies in three queries, whatever the batch size.

    Raw SQL for the task lists: for each agency (through its groups) the first DIGEST_LIST_LIMIT
    overdue and due-soon tasks and their totals, with a window function, so only the rows the
    mail shows come back. The ORM cannot express "per reaching agency" on one queryset."""
    from measures.models import Measure

    reach = _reach(agency_ids)
    if not reach:
        return {}
    pairs = [(viewer, agency) for viewer, agencies in reach.items() for agency in agencies]
    q = connection.ops.quote_name
    open_statuses = sorted(OPEN)
    sql = f"""
        WITH reach (viewer, agency) AS (VALUES {", ".join(["(%s, %s)"] * len(pairs))}),
        hits AS (
            SELECT DISTINCT r.viewer, t.id, t.due_date, t.status, t.measure_id,
                   CASE WHEN t.due_date < %s THEN 0 ELSE 1 END AS bucket
            FROM reach r
            JOIN {q(Assignment._meta.db_table)} a ON a.agency_id = r.agency
            JOIN {q(Task._meta.db_table)} t ON t.id = a.task_id
            WHERE t.status IN ({", ".join(["%s"] * len(open_statuses))}) AND t.due_date <= %s
        ),
        ranked AS (
            SELECT hits.*,
                   ROW_NUMBER() OVER (PARTITION BY viewer, bucket ORDER BY due_date, id) AS rn,
                   COUNT(*) OVER (PARTITION BY viewer, bucket) AS total
            FROM hits
        )
        SELECT r.viewer, r.bucket, r.total, r.id, m.ref, m.title, m.text, r.due_date, r.status
        FROM ranked r JOIN {q(Measure._meta.db_table)} m ON m.id = r.measure_id
        WHERE r.rn <= %s
        ORDER BY r.viewer, r.bucket, r.rn
    """
    params: list = [v for pair in pairs for v in pair]
    params += [today, *open_statuses, today + datetime.timedelta(days=due_soon_days), DIGEST_LIST_LIMIT]
    lists: dict[int, tuple[list[dict], list[dict]]] = {a: ([], []) for a in reach}
    totals: dict[tuple[int, int], int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for viewer, bucket, total, pk, ref, title, text, due, status in cursor.fetchall():
            if isinstance(due, str):  # SQLite hands raw SQL dates back as text
                due = datetime.date.fromisoformat(due)
            totals[viewer, bucket] = total
            lists[viewer][bucket].append(
                {"id": pk, "ref": ref, "title": title or text[:60], "due": due.isoformat(), "status": status}
            )
    missing: dict[int, dict[int, dict]] = defaultdict(dict)
    everyone = {a for agencies in reach.values() for a in agencies}
    entries = (
        RoundEntry.objects.filter(agency_id__in=everyone, report__isnull=True, round__closed_at__isnull=True)
        .values("agency_id", "round_id", "round__title", "round__due_date")
        .annotate(n=Count("pk"))
    )
    by_agency: dict[int, list[dict]] = defaultdict(list)
    for row in entries:
        by_agency[row["agency_id"]].append(row)
    result: dict[int, dict] = {}
    for viewer, agencies in reach.items():
        rounds = missing[viewer]
        for agency in agencies:
            for row in by_agency.get(agency, []):
                entry = rounds.setdefault(
                    row["round_id"],
                    {"round": row["round_id"], "title": row["round__title"],
                     "due": row["round__due_date"].isoformat(), "n": 0},
                )  # fmt: skip
                entry["n"] += row["n"]
        overdue, soon = lists[viewer]
        result[viewer] = {
            "audience": "staff",
            "overdue": overdue,
            "overdue_count": totals.get((viewer, 0), 0),
            "due_soon": soon,
            "due_soon_count": totals.get((viewer, 1), 0),
            "missing": sorted(rounds.values(), key=lambda r: (r["due"], r["round"]))[:DIGEST_LIST_LIMIT],
        }
        del missing[viewer]
    return result


def overseen_documents(user: User) -> list[int]:
    """Documents a coordinator or leader oversees: those their agency coordinates, and grants."""
    from measures.models import PolicyDocument

    ids = set(DocumentAccess.objects.filter(user=user).values_list("document_id", flat=True))
    if user.role == User.Role.COORDINATOR and user.agency_id:
        ids.update(PolicyDocument.objects.filter(coordinator_id=user.agency_id).values_list("pk", flat=True))
    return sorted(ids)


def coordinator_digest(document_ids: list[int], today: datetime.date, *, with_requests: bool) -> dict:
    """Overdue by lead agency, requests waiting for a decision, and on-time rate by agency.

    On-time rate: of the lead assignments whose due date has passed (cancelled work excluded),
    the share not overdue now, i.e. closed or awaiting closure sign-off. The closing date is not
    stored on the task, so "closed late" counts as done; the bulletin has the exact history."""
    leads = Assignment.objects.filter(role=Assignment.Role.LEAD, task__document_id__in=document_ids)
    overdue_by_agency = [
        {"agency": row["agency__name"], "n": row["n"]}
        for row in leads.filter(task__status__in=OPEN, task__due_date__lt=today)
        .values("agency_id", "agency__name")
        .annotate(n=Count("task_id"))
        .order_by("-n", "agency__name")[:DIGEST_LIST_LIMIT]
    ]
    overdue_total = Task.objects.filter(document_id__in=document_ids).overdue(on=today).count()
    behind_by_agency = [
        {"agency": row["agency__name"], "n": row["n"]}
        for row in leads.filter(task__status__in=OPEN, task__schedule_state="behind")
        .values("agency_id", "agency__name")
        .annotate(n=Count("task_id"))
        .order_by("-n", "agency__name")[:DIGEST_LIST_LIMIT]
    ]
    requests: list[dict] = []
    requests_count = 0
    if with_requests:
        requests, requests_count = _limited(
            Task.objects.filter(document_id__in=document_ids, status__in=WAITING).order_by("updated_at", "pk")
        )
    rates = []
    if overdue_total or requests_count:
        for row in (
            leads.filter(task__due_date__lt=today)
            .exclude(task__status=S.CANCELLED)
            .values("agency_id", "agency__name")
            .annotate(
                total=Count("task_id"), late=Count("task_id", filter=Q(task__status__in=OPEN - {S.CLOSURE_REQUESTED}))
            )
            .order_by("agency__name")
        ):
            rates.append(
                {"agency": row["agency__name"], "rate": round(100 * (row["total"] - row["late"]) / row["total"])}
            )
        rates.sort(key=lambda r: (r["rate"], r["agency"]))
    return {
        "audience": "coordinator",
        "overdue_by_agency": overdue_by_agency,
        "overdue_count": overdue_total,
        "behind_by_agency": behind_by_agency,
        "requests": requests,
        "requests_count": requests_count,
        "on_time": rates[:DIGEST_LIST_LIMIT],
    }


def digest_has_news(content: dict) -> bool:
    if content["audience"] == "staff":
        return bool(content["overdue"] or content["due_soon"] or content["missing"])
    return bool(content["overdue_count"] or content["requests_count"] or content["behind_by_agency"])


# --- in-app and calendar ------------------------------------------------------------------------


def inbox(user: User):
    """A user's own notifications, newest first, with what the titles need joined in."""
    return (
        Notification.objects.filter(recipient=user)
        .select_related("task__measure", "round")
        .order_by("-created_at", "-id")
    )


def agency_calendar(agency_id: int, *, today: datetime.date, limit: int) -> tuple[list[dict], list[dict]]:
    """An agency's open tasks with a due date (from 30 days ago on) and its open rounds' due dates."""
    ids = agency_ids_for(agency_id)
    since = today - datetime.timedelta(days=30)
    tasks = _task_rows(
        Task.objects.for_agencies(ids).open().filter(due_date__gte=since).order_by("due_date", "pk")[:limit]
    )
    rounds = [
        {"id": r["pk"], "title": r["title"], "due": r["due_date"].isoformat(), "document": r["document__title"]}
        for r in ReportingRound.objects.filter(
            closed_at__isnull=True, pk__in=RoundEntry.objects.filter(agency_id__in=ids).values("round_id")
        )
        .values("pk", "title", "due_date", "document__title")
        .order_by("due_date")[:limit]
    ]
    return tasks, rounds
