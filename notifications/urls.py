from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_read, name="mark-read"),
    path("<int:pk>/", views.open_notification, name="open"),
    path("settings/", views.preferences, name="settings"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("ics/<str:token>.ics", views.calendar, name="ics"),
    path("settings/ics-reset/", views.ics_reset, name="ics-reset"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook-delete"),
]
