"""Who reaches which page: sign-in, home redirects per role, 403 for the wrong role, 404 for
another agency's task."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ["pages:my-tasks", "pages:board", "pages:rounds", "pages:import", "pages:dashboard", "pages:agencies"]

# role → page → status
EXPECTED = {
    "lead": {"pages:board": 403, "pages:rounds": 403, "pages:import": 403, "pages:dashboard": 403},
    "support": {"pages:board": 403, "pages:rounds": 403, "pages:import": 403, "pages:dashboard": 403},
    "coordinator": {},
    "leader": {"pages:board": 403, "pages:rounds": 403, "pages:import": 403},
    "outsider": {"pages:board": 403, "pages:rounds": 403, "pages:import": 403, "pages:dashboard": 403},
}


@pytest.mark.parametrize("name", [*PAGES, "pages:home", "pages:unknown-names"])
def test_anonymous_is_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("pages:login"))


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize("name", PAGES)
def test_status_per_role(client_for, who, name):
    assert client_for(who).get(reverse(name)).status_code == EXPECTED[who].get(name, 200)


@pytest.mark.parametrize(
    ("who", "target"),
    [("lead", "pages:my-tasks"), ("coordinator", "pages:board"), ("leader", "pages:dashboard")],
)
def test_home_sends_each_role_where_it_works(client_for, who, target):
    response = client_for(who).get(reverse("pages:home"))
    assert response.status_code == 302 and response["Location"] == reverse(target)


def test_sign_in_page_is_chinese_and_signs_in(world):
    client = Client()
    page = client.get(reverse("pages:login"))
    assert page.status_code == 200
    assert '<html lang="zh-hans">' in page.content.decode()
    assert "登录" in page.content.decode() and 'for="id_username"' in page.content.decode()
    world.lead.set_password("s3cret-pass")
    world.lead.save()
    response = client.post(reverse("pages:login"), {"username": "lead", "password": "s3cret-pass"})
    assert response.status_code == 302 and response["Location"] == reverse("pages:home")
    wrong = Client().post(reverse("pages:login"), {"username": "lead", "password": "nope"})
    assert "用户名或密码不正确" in wrong.content.decode()


def test_sign_out_is_a_post(client_for):
    client = client_for("lead")
    assert client.post(reverse("pages:logout")).status_code == 302
    assert client.get(reverse("pages:my-tasks")).status_code == 302


@pytest.mark.parametrize("who", ["outsider", "support"])
def test_another_agencys_task_is_404(world, client_for, who):
    # The support agency is not on other_task; the outsider is not on task.
    task = world.task if who == "outsider" else world.other_task
    client = client_for(who)
    assert client.get(reverse("pages:task", args=[task.pk])).status_code == 404
    posted = client.post(reverse("pages:task-comment", args=[task.pk]), {"comment-text": "x"})
    assert posted.status_code == 404


@pytest.mark.parametrize("who", ["lead", "support", "coordinator", "leader"])
def test_task_page_for_every_role_on_the_task(world, client_for, who):
    assert client_for(who).get(reverse("pages:task", args=[world.task.pk])).status_code == 200


def test_language_switch_to_english(client_for):
    client = client_for("lead")
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("pages:my-tasks")})
    assert response.status_code == 302
    page = client.get(reverse("pages:my-tasks"))
    assert '<html lang="en">' in page.content.decode()
