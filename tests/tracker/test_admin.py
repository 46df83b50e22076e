import pytest
from django.urls import reverse

from tracker.models import Task, TaskEvent


@pytest.fixture
def admin_client_for(client):
    def login(user):
        user.is_staff = True
        user.save()
        client.force_login(user)
        return client

    return login


def test_admin_transition_action_goes_through_the_workflow(world, admin_client_for, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client = admin_client_for(admin)
    Task.objects.filter(pk=world.task.pk).update(status=Task.Status.CLOSURE_REQUESTED)
    url = reverse("admin:tracker_task_changelist")
    # First post shows the form; the second applies it.
    page = client.post(url, {"action": "transition_return_closure", "_selected_action": [world.task.pk]})
    assert page.status_code == 200 and "理由或意见" in page.content.decode()
    client.post(
        url,
        {
            "action": "transition_return_closure",
            "_selected_action": [world.task.pk],
            "apply": "1",
            "comment": "材料不全",
        },
    )
    world.task.refresh_from_db()
    assert world.task.status == Task.Status.RETURNED
    event = TaskEvent.objects.filter(task=world.task, kind="status").get()
    assert (event.actor, event.comment) == (admin, "材料不全")


def test_admin_refuses_a_transition_the_table_does_not_allow(world, admin_client_for, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client = admin_client_for(admin)
    url = reverse("admin:tracker_task_changelist")
    response = client.post(
        url,
        {"action": "transition_accept_closure", "_selected_action": [world.task.pk], "apply": "1"},
        follow=True,
    )
    world.task.refresh_from_db()
    assert world.task.status == Task.Status.NOT_STARTED
    assert "不能" in response.content.decode()


def test_admin_pages_render(world, admin_client_for, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client = admin_client_for(admin)
    for name in [
        "tracker_task",
        "tracker_reportinground",
        "tracker_taskevent",
        "measures_policydocument",
        "measures_measureagency",
        "agencies_agency",
    ]:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:tracker_task_change", args=[world.task.pk])).status_code == 200
