import pytest
from django.test import Client

from tests.tracker.conftest import World, world  # noqa: F401 - the shared fixture, reused here


@pytest.fixture
def client_for(world):  # noqa: F811
    """A signed-in test client for one of the world's users, by attribute name."""

    def make(who: str) -> Client:
        client = Client()
        client.force_login(getattr(world, who))
        return client

    return make


__all__ = ["World"]
