"""REST API of the in-app list: a user lists and marks read only their own notifications."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from notifications import emails, preferences, selectors
from notifications.models import Notification, Preference


class NotificationSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()
    is_read = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "task", "round", "period", "status", "created_at", "read_at", "is_read", "url"]
        read_only_fields = fields

    def get_title(self, obj: Notification) -> str:
        return emails.headline(obj)

    def get_is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None

    def get_url(self, obj: Notification) -> str | None:
        return emails.task_url(obj.task_id) if obj.task_id else None


class PreferenceSerializer(serializers.ModelSerializer):
    ics_url = serializers.SerializerMethodField(help_text="The user's calendar feed of their agency's deadlines")

    class Meta:
        model = Preference
        fields = ["digest_enabled", "digest_weekday", "language", "email_reminders", "ics_url"]

    def get_ics_url(self, obj: Preference) -> str | None:
        if not obj.user.agency_id:
            return None
        return emails.absolute(reverse("notifications:ics", args=[emails.ics_token(obj.user_id, obj.ics_version)]))


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), required=False, allow_empty=True)


class InboxPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    pagination_class = InboxPagination
    filterset_fields = ["kind"]
    queryset = Notification.objects.none()  # for the schema generator; requests use get_queryset()

    def get_queryset(self):
        # Scoped to the caller: someone else's notification is a 404, never a 403.
        if not self.request.user.is_authenticated:
            return Notification.objects.none()
        return selectors.inbox(self.request.user)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        preferences.notification_mark_read(user=request.user, ids=[notification.pk])
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=MarkReadSerializer, responses={200: MarkReadSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        body = MarkReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        count = preferences.notification_mark_read(user=request.user, ids=body.validated_data.get("ids"))
        return Response({"marked": count})

    def _preference(self, user) -> Preference:
        return Preference.objects.filter(user=user).first() or Preference.defaults(user)

    @extend_schema(methods=["GET"], responses=PreferenceSerializer)
    @extend_schema(methods=["PUT", "PATCH"], request=PreferenceSerializer, responses=PreferenceSerializer)
    @action(detail=False, methods=["get", "put", "patch"])
    def preferences(self, request):
        """The caller's notification settings (digest day, language, email on/off) and calendar link."""
        preference = self._preference(request.user)
        if request.method == "GET":
            return Response(PreferenceSerializer(preference).data)
        body = PreferenceSerializer(preference, data=request.data, partial=request.method == "PATCH")
        body.is_valid(raise_exception=True)
        updated = preferences.preference_update(user=request.user, **body.validated_data)
        return Response(PreferenceSerializer(updated).data)

    @extend_schema(request=None, responses=PreferenceSerializer)
    @action(detail=False, methods=["post"], url_path="preferences/ics-reset")
    def ics_reset(self, request):
        """A new calendar link; the old one answers 404 from now on."""
        return Response(PreferenceSerializer(preferences.ics_link_reset(user=request.user)).data)
