"""The upload's parse on a real Celery worker (prefork, Redis, the test's PostgreSQL database): the
request returns at once, the worker parses, and a parse past its limit ends with a message."""

import os
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from agencies.models import Agency, Jurisdiction, User
from measures.models import ImportDraft, PolicyDocument
from tests.celery_worker import Worker
from tests.conftest import SEEDS
from tests.factories import UserFactory
from tracker.celery import app as celery_app

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _worker(**env):
    queue = f"import-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    full_env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **env,
    }
    return queue, full_env


@pytest.fixture
def start_worker():
    started = []
    previous = celery_app.conf.task_default_queue

    def start(**env) -> Worker:
        queue, full_env = _worker(**env)
        celery_app.conf.task_default_queue = queue
        tmp = tempfile.mkdtemp()
        w = Worker(full_env, queue, Path(tmp) / "worker.log")
        w.start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()
        print(w.log.read_text(errors="replace")[-4000:])
    celery_app.conf.task_default_queue = previous


@pytest.fixture
def coordinator(directory):
    jinan = Jurisdiction.objects.get(name="济南市")
    user = UserFactory(
        username="importer",
        agency=Agency.objects.get(jurisdiction=jinan, name="市发展改革委"),
        role=User.Role.COORDINATOR,
    )
    client = Client()
    client.force_login(user)
    return client


def _wait(draft_pk: int, timeout: float = 60) -> ImportDraft:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        draft = ImportDraft.objects.get(pk=draft_pk)
        if draft.status != ImportDraft.Status.PARSING:
            return draft
        time.sleep(0.2)
    raise AssertionError("the worker did not finish the parse")


def _upload(client, path=SEEDS[0]):
    return client.post(reverse("pages:import"), {"file": SimpleUploadedFile(path.name, path.read_bytes())})


def test_the_worker_parses_the_upload_and_the_preview_follows(coordinator, start_worker):
    start_worker()
    response = _upload(coordinator)
    assert response.status_code == 302
    draft = _wait(ImportDraft.objects.get().pk)
    assert draft.status == ImportDraft.Status.READY, draft.error
    page = coordinator.get(response["Location"])
    assert page.context["measure_count"] > 20
    assert not PolicyDocument.objects.exists()


def test_a_parse_past_its_limit_on_the_worker_ends_with_a_message(coordinator, start_worker):
    start_worker(POLICY_PARSE_SECONDS="0")
    _upload(coordinator)
    draft = _wait(ImportDraft.objects.get().pk)
    assert draft.status == ImportDraft.Status.FAILED and "时限" in draft.error
    assert not PolicyDocument.objects.exists()
