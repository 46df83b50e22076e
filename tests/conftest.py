import os
from pathlib import Path

import pytest
from django.core.management import call_command

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))


def pytest_collection_modifyitems(config, items):
    """Tests marked `services` need real PostgreSQL, Redis and a Celery worker. A newcomer without
    them gets a skip; CI sets REQUIRE_SERVICES=1 and then their absence fails the run."""
    have = os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("CELERY_BROKER_URL")
    if have or os.environ.get("REQUIRE_SERVICES") == "1":
        return
    skip = pytest.mark.skip(reason="needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis)")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached pages (the dashboard) must not carry over from one test's data to the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def directory(db):
    call_command("load_directory", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def seeds() -> list[Path]:
    return SEEDS


@pytest.fixture
def eager_celery():
    """Run Celery tasks in the test's process, as the demo does. CI sets a broker (so the code
    under test would queue to Redis); the real-worker tests cover that path."""
    from tracker.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _api_unthrottled(settings):
    """The suite makes hundreds of API requests a minute from one address; the throttle itself is
    tested in tests/tracker/test_accounts.py with low rates."""
    settings.API_THROTTLE_RATES = {"anon": None, "user": None}
