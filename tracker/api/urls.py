from rest_framework.routers import DefaultRouter

from .imports import ImportViewSet
from .views import (
    AgencyViewSet,
    DashboardViewSet,
    DocumentViewSet,
    NoticeViewSet,
    RankingViewSet,
    RoundViewSet,
    SavedFilterViewSet,
    TaskViewSet,
)

router = DefaultRouter()
router.register("tasks", TaskViewSet, basename="task")
router.register("documents", DocumentViewSet, basename="document")
router.register("rounds", RoundViewSet, basename="round")
router.register("agencies", AgencyViewSet, basename="agency")
router.register("notices", NoticeViewSet, basename="notice")
router.register("ranking", RankingViewSet, basename="ranking")
router.register("imports", ImportViewSet, basename="import")
router.register("dashboard", DashboardViewSet, basename="dashboard")
router.register("filters", SavedFilterViewSet, basename="saved-filter")

urlpatterns = router.urls
