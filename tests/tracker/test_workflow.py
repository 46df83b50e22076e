import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from tracker import services
from tracker.models import Task, TaskEvent
from tracker.workflow import TRANSITIONS, Actor

S = Task.Status
FUTURE = datetime.date.today() + datetime.timedelta(days=60)

ROLE_USER = {Actor.LEAD: "lead", Actor.SUPPORT: "support", Actor.COORDINATOR: "coordinator", Actor.LEADER: "leader"}


def _set_status(task: Task, status: str) -> Task:
    Task.objects.filter(pk=task.pk).update(status=status)
    task.refresh_from_db()
    return task


def _kwargs(transition):
    return {
        "comment": "理由" if transition.needs_comment else "",
        "due_date": FUTURE if transition.needs_due_date else None,
    }


CASES = [(name, status) for name in TRANSITIONS for status in S.values]


@pytest.mark.parametrize(("action", "status"), CASES)
def test_every_transition_from_every_status_for_every_role(world, action, status):
    """The table decides: allowed from its sources for its actor only; everything else refused, unchanged."""
    transition = TRANSITIONS[action]
    for actor, attr in ROLE_USER.items():
        task = _set_status(world.task, status)
        user = getattr(world, attr)
        before = task.version
        allowed = status in transition.sources and actor == transition.actor
        if allowed:
            done = services.task_transition(
                task=task, user=user, action=action, expected_version=before, **_kwargs(transition)
            )
            assert done.status == transition.target
            assert done.version == before + 1
            event = TaskEvent.objects.filter(task=task, kind=TaskEvent.Kind.STATUS).latest("id")
            assert (event.from_status, event.to_status, event.actor) == (status, transition.target, user)
        else:
            expected = PermissionDenied if actor != transition.actor else services.WorkflowError
            with pytest.raises(expected):
                services.task_transition(
                    task=task, user=user, action=action, expected_version=before, **_kwargs(transition)
                )
            task.refresh_from_db()
            assert (task.status, task.version) == (status, before)


def test_stale_version_changes_nothing(world):
    task = world.task
    with pytest.raises(services.StaleVersion):
        services.task_transition(
            task=task, user=world.lead, action="request_closure", expected_version=task.version + 5, comment="完成"
        )
    task.refresh_from_db()
    assert task.status == S.NOT_STARTED and task.version == 1
    assert not TaskEvent.objects.filter(task=task, kind=TaskEvent.Kind.STATUS).exists()


def test_comment_and_due_date_required(world):
    with pytest.raises(ValidationError):
        services.task_transition(task=world.task, user=world.lead, action="request_closure", expected_version=1)
    with pytest.raises(ValidationError):
        services.task_transition(
            task=world.task, user=world.lead, action="request_extension", expected_version=1, comment="原因"
        )


def test_extension_approved_moves_due_date(world):
    task = world.task
    task = services.task_transition(
        task=task,
        user=world.lead,
        action="request_extension",
        expected_version=1,
        comment="需要更多时间",
        due_date=FUTURE,
    )
    task = services.task_transition(
        task=task,
        user=world.coordinator,
        action="approve_extension",
        expected_version=task.version,
        due_date=FUTURE,
    )
    assert task.due_date == FUTURE and task.status == S.IN_PROGRESS
    event = TaskEvent.objects.filter(task=task).latest("id")
    assert event.data["new_due_date"] == FUTURE.isoformat()


def test_report_starts_task_and_contribution_does_not(world):
    services.report_submit(task=world.task, user=world.support, text="配合单位提供数据")
    world.task.refresh_from_db()
    assert world.task.status == S.NOT_STARTED
    report = services.report_submit(task=world.task, user=world.lead, text="已完成方案", percent=40)
    world.task.refresh_from_db()
    assert world.task.status == S.IN_PROGRESS
    assert report.kind == "report" and report.agency == world.lead_agency
    kinds = list(TaskEvent.objects.filter(task=world.task).values_list("kind", flat=True))
    assert kinds == ["contribution", "report", "status"]


def test_report_refused_for_others_and_bad_values(world):
    with pytest.raises(PermissionDenied):
        services.report_submit(task=world.task, user=world.outsider, text="x")
    with pytest.raises(PermissionDenied):
        services.report_submit(task=world.task, user=world.coordinator, text="x")
    with pytest.raises(ValidationError):
        services.report_submit(task=world.task, user=world.lead, text="x", percent=140)
    with pytest.raises(ValidationError):
        services.report_submit(task=world.task, user=world.lead, text="   ")
    assert not world.task.reports.exists()


def test_round_lists_who_filed_and_freezes(world):
    document = world.task.document
    round_ = services.round_open(document=document, user=world.coordinator, title="第三季度调度", due_date=FUTURE)
    entries = {(e.task_id, e.agency_id, e.role) for e in round_.entries.all()}
    assert (world.task.pk, world.lead_agency.pk, "lead") in entries
    assert (world.task.pk, world.support_agency.pk, "support") in entries
    assert len(entries) == 3
    services.report_submit(task=world.task, user=world.lead, text="进展")
    filed = set(round_.entries.filter(report__isnull=False).values_list("agency_id", flat=True))
    assert filed == {world.lead_agency.pk}
    with pytest.raises(PermissionDenied):
        services.round_close(round=round_, user=world.lead)
    services.round_close(round=round_, user=world.coordinator)
    with pytest.raises(services.WorkflowError):
        services.report_submit(task=world.task, user=world.support, text="晚了", round=round_)
    report = services.report_submit(task=world.task, user=world.support, text="不计入已关闭轮次")
    assert report.round is None


def test_reassign_and_due_date_are_versioned_and_recorded(world, django_assert_max_num_queries):
    task = world.task
    task = services.task_reassign(
        task=task,
        user=world.coordinator,
        expected_version=1,
        lead=[world.support_agency],
        support=[world.lead_agency],
        comment="调整分工",
    )
    roles = dict(task.assignments.values_list("agency_id", "role"))
    assert roles == {world.support_agency.pk: "lead", world.lead_agency.pk: "support"}
    with pytest.raises(services.StaleVersion):
        services.task_set_due_date(task=task, user=world.coordinator, expected_version=1, due_date=FUTURE)
    with pytest.raises(PermissionDenied):
        services.task_set_due_date(task=task, user=world.lead, expected_version=task.version, due_date=FUTURE)
    task = services.task_set_due_date(task=task, user=world.coordinator, expected_version=task.version, due_date=FUTURE)
    assert task.due_date == FUTURE
    assert set(TaskEvent.objects.filter(task=task).values_list("kind", flat=True)) == {"assignment", "due_date"}
    assert task.history.count() >= 3


def test_overdue_is_derived(world):
    today = datetime.date(2026, 11, 22)
    Task.objects.filter(pk=world.task.pk).update(due_date=today - datetime.timedelta(days=1))
    Task.objects.filter(pk=world.other_task.pk).update(due_date=None)
    assert list(Task.objects.overdue(on=today)) == [world.task]
    Task.objects.filter(pk=world.task.pk).update(status=S.CLOSED)
    assert not Task.objects.overdue(on=today).exists()


def test_visible_to_scopes_by_agency_document_and_role(world):
    def visible(user):
        return set(Task.objects.visible_to(user).values_list("pk", flat=True))

    both = {world.task.pk, world.other_task.pk}
    assert visible(world.lead) == {world.task.pk}
    assert visible(world.support) == {world.task.pk}
    assert visible(world.outsider) == {world.other_task.pk}
    assert visible(world.coordinator) == both
    assert visible(world.leader) == both


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_updates_one_wins(world):
    """Two people save the same version at once: one succeeds, the other gets a conflict."""
    task = world.task
    results: list[str] = []
    barrier = threading.Barrier(2)

    def act(user, action):
        barrier.wait()
        try:
            services.task_transition(task=task, user=user, action=action, expected_version=1, comment="并发")
            results.append("ok")
        except (services.StaleVersion, services.WorkflowError):
            results.append("conflict")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(world.lead, "request_closure")),
        threading.Thread(target=act, args=(world.coordinator, "suspend")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    task.refresh_from_db()
    assert task.version == 2
