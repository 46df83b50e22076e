"""Accounts that resist guessing: lockout, throttling, password change and reset, session expiry,
the content security policy, request size limits, and the audit trail of each."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from agencies.models import User
from tests.factories import UserFactory
from tracker.models import AuditEntry

PASSWORD = "right-horse-battery-7"
LOGIN = "/login/"


@pytest.fixture
def person(db) -> User:
    user = UserFactory(username="zhang")
    user.set_password(PASSWORD)
    user.save()
    return user


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_forty_wrong_passwords_lock_the_account_and_are_all_recorded(person, settings):
    client = Client()
    # Frozen from now (not a fixed date): the session the last sign-in opens must outlive the block.
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(40):
            client.post(LOGIN, {"username": "zhang", "password": "guess"})
        right = client.post(LOGIN, {"username": "zhang", "password": PASSWORD})

        assert right.status_code == 429
        assert "登录已锁定" in right.content.decode()
        assert not signed_in(client)
        failed = AuditEntry.objects.filter(kind=AuditEntry.Kind.LOGIN_FAILED)
        # The 40 guesses and the right password refused while locked.
        assert failed.count() == 41
        assert set(failed.values_list("username", "ip_address", "path")) == {("zhang", "127.0.0.1", LOGIN)}
        assert AuditEntry.objects.filter(kind=AuditEntry.Kind.LOCKOUT, username="zhang").count() == 1
        assert not AuditEntry.objects.filter(kind=AuditEntry.Kind.LOGIN).exists()

        # Every attempt restarts the cool-off: 15 minutes after the last one, the right password works.
        clock.shift(settings.AXES_COOLOFF_TIME + datetime.timedelta(seconds=1))
        client.post(LOGIN, {"username": "zhang", "password": PASSWORD})
    assert signed_in(client)
    assert AuditEntry.objects.get(kind=AuditEntry.Kind.LOGIN).user == person


def test_the_lock_is_per_username_and_address(person):
    for _ in range(5):
        Client(REMOTE_ADDR="10.0.0.1").post(LOGIN, {"username": "zhang", "password": "guess"})
    locked = Client(REMOTE_ADDR="10.0.0.1")
    locked.post(LOGIN, {"username": "zhang", "password": PASSWORD})
    elsewhere = Client(REMOTE_ADDR="10.0.0.2")
    elsewhere.post(LOGIN, {"username": "zhang", "password": PASSWORD})
    assert not signed_in(locked)
    assert signed_in(elsewhere)


def test_four_failures_then_success_does_not_lock_and_resets_the_count(person):
    client = Client()
    for _ in range(4):
        client.post(LOGIN, {"username": "zhang", "password": "guess"})
    client.post(LOGIN, {"username": "zhang", "password": PASSWORD})
    assert signed_in(client)
    client.post(reverse("pages:logout"))
    for _ in range(4):
        client.post(LOGIN, {"username": "zhang", "password": "guess"})
    client.post(LOGIN, {"username": "zhang", "password": PASSWORD})
    assert signed_in(client)


def test_a_refused_page_and_a_refused_api_call_are_recorded(world):
    page = Client()
    page.force_login(world.lead)
    assert page.get(reverse("pages:board")).status_code == 403
    token = Token.objects.create(user=world.lead)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    answer = api.post("/api/rounds/", {"document": world.task.document_id, "title": "x", "due_date": "2027-01-01"})
    assert answer.status_code == 403
    rows = list(AuditEntry.objects.filter(kind=AuditEntry.Kind.PERMISSION_DENIED).order_by("id"))
    assert [(r.user, r.method, r.path) for r in rows] == [
        (world.lead, "GET", reverse("pages:board")),
        (world.lead, "POST", "/api/rounds/"),
    ]


def test_api_throttles_anonymous_and_token_requests(person, settings):
    settings.API_THROTTLE_RATES = {"anon": "3/minute", "user": "5/minute"}
    cache.clear()
    anonymous = Client()
    assert [anonymous.get("/api/schema/").status_code for _ in range(4)] == [200, 200, 200, 429]
    token = Token.objects.create(user=person)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    answers = [api.get("/api/tasks/").status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    assert "Retry-After" in api.get("/api/tasks/")


def test_password_reset_by_email(person):
    client = Client()
    sent = client.post(reverse("pages:password-reset"), {"email": person.email})
    assert sent.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [person.email]
    link = re.search(r"https?://[^/\s]+(/password/reset/[^\s]+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "设置新密码" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "a-new-long-secret-9", "new_password2": "a-new-long-secret-9"}
    )
    assert done.url == reverse("pages:password-reset-complete")
    assert client.post(LOGIN, {"username": "zhang", "password": "a-new-long-secret-9"}).status_code == 302
    assert signed_in(client)
    # The link is single use.
    assert "重设链接无效" in Client().get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(db):
    answer = Client().post(reverse("pages:password-reset"), {"email": "nobody@example.org"}, follow=True)
    assert "如果该邮箱登记了账号" in answer.content.decode()
    assert mail.outbox == []


def test_password_change(person):
    client = Client()
    client.force_login(person)
    short = client.post(
        reverse("pages:password-change"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert short.status_code == 200
    changed = client.post(
        reverse("pages:password-change"),
        {"old_password": PASSWORD, "new_password1": "a-new-long-secret-9", "new_password2": "a-new-long-secret-9"},
    )
    assert changed.url == reverse("pages:password-change-done")
    person.refresh_from_db()
    assert person.check_password("a-new-long-secret-9")


def test_the_session_ends_with_the_browser_and_after_a_working_day(person, settings):
    client = Client()
    client.post(LOGIN, {"username": "zhang", "password": PASSWORD})
    assert client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 8 * 60 * 60


def test_pages_carry_a_content_security_policy_without_inline_script(world):
    client = Client()
    client.force_login(world.coordinator)
    policy = client.get(reverse("pages:board"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_an_oversized_form_body_is_refused(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = Client()
    client.force_login(world.lead)
    answer = client.post(reverse("pages:task-comment", args=[world.task.pk]), {"text": "长" * 2000})
    assert answer.status_code == 400
    assert not world.task.events.filter(comment__startswith="长").exists()


def test_the_audit_page_is_for_superusers(person, world):
    Client().post(LOGIN, {"username": "zhang", "password": "guess"})
    Client().post(LOGIN, {"username": "zhang", "password": PASSWORD})
    coordinator = Client()
    coordinator.force_login(world.coordinator)
    assert coordinator.get(reverse("pages:audit")).status_code == 403
    admin = Client()
    admin.force_login(UserFactory(username="root", agency=None, is_superuser=True))
    failed = admin.get(reverse("pages:audit"), {"kind": "login_failed"}).content.decode()
    assert "登录失败" in failed and "zhang" in failed and "127.0.0.1" in failed
    assert (
        admin.get(reverse("pages:audit"), {"kind": "login_failed", "username": "nobody"})
        .context["page_obj"]
        .paginator.count
        == 0
    )
    everything = admin.get(reverse("pages:audit")).context["page_obj"].paginator.count
    # zhang's refused and accepted sign-ins, the coordinator's and the superuser's sign-ins (the test
    # client's force_login signs in like the form), the coordinator's refused page.
    assert everything == 5
