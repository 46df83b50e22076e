"""API throttles whose rates come from settings.API_THROTTLE_RATES at each request.

DRF's AnonRateThrottle and UserRateThrottle copy DEFAULT_THROTTLE_RATES into a class attribute at
import, so neither an environment change after start-up nor a test's settings override would reach
them. A rate of None turns the scope off."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AnonThrottle(AnonRateThrottle):
    """Anonymous requests, counted per client address."""

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)


class UserThrottle(UserRateThrottle):
    """Signed-in requests (token or session), counted per user."""

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)
