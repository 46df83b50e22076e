"""Import through the API, the same steps as the pages: upload (parsed by a worker) → preview
(measures, agency matches, unknown names, warnings) → map names → confirm. A draft is its
uploader's: anyone else gets 404."""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from agencies.models import Agency, Jurisdiction
from measures.models import ImportDraft
from measures.parsing.metadata import find_switches
from measures.services import DocumentImportError, import_draft_create, import_draft_preview, mention_match
from tracker import services
from tracker.imports import import_draft_confirm
from tracker.selectors import directory_jurisdictions, replaceable_drafts


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    jurisdiction = serializers.PrimaryKeyRelatedField(queryset=Jurisdiction.objects.all(), required=False)


class NameSerializer(serializers.Serializer):
    name = serializers.CharField()
    match = serializers.CharField()
    agency = serializers.IntegerField(allow_null=True)
    agency_name = serializers.CharField(allow_null=True)


class PreviewMeasureSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    ref = serializers.CharField()
    title = serializers.CharField()
    lead = NameSerializer(many=True)
    support = NameSerializer(many=True)
    deadlines = serializers.ListField(child=serializers.CharField())
    doubts = serializers.ListField(child=serializers.CharField())


class PreviewSerializer(serializers.Serializer):
    jurisdiction = serializers.IntegerField()
    coordinator = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    draft = serializers.BooleanField()
    existing = serializers.IntegerField(allow_null=True)
    warnings = serializers.ListField(child=serializers.CharField())
    switches = serializers.DictField()
    unknown_names = serializers.ListField(child=serializers.CharField())
    measures = PreviewMeasureSerializer(many=True)


class DraftSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source_name = serializers.CharField()
    status = serializers.CharField()
    error = serializers.CharField()
    preview = PreviewSerializer(allow_null=True)


class MapSerializer(serializers.Serializer):
    name = serializers.CharField()
    agency = serializers.IntegerField(required=False, allow_null=True)
    new_name = serializers.CharField(required=False, allow_blank=True)


class MappedSerializer(serializers.Serializer):
    agency = serializers.IntegerField()
    agency_name = serializers.CharField()
    tasks_changed = serializers.IntegerField()


class ConfirmSerializer(serializers.Serializer):
    coordinator = serializers.IntegerField(required=False)
    confirm_draft = serializers.BooleanField(default=False)
    replaces = serializers.IntegerField(required=False, allow_null=True)


class ConfirmedSerializer(serializers.Serializer):
    document = serializers.IntegerField()
    created = serializers.BooleanField()
    carried = serializers.IntegerField(allow_null=True)
    added = serializers.IntegerField(allow_null=True)
    dropped = serializers.IntegerField(allow_null=True)


def _preview_data(draft: ImportDraft) -> dict | None:
    if draft.status != ImportDraft.Status.READY:
        return None
    preview = import_draft_preview(draft=draft)

    def names(measure, names):
        out = []
        for name in names:
            resolution = preview.resolutions[name]
            out.append(
                {
                    "name": name,
                    "match": mention_match(measure, name, resolution),
                    "agency": resolution.agency_id,
                    "agency_name": resolution.agency_name,
                }
            )
        return out

    return {
        "jurisdiction": preview.jurisdiction.pk,
        "coordinator": preview.coordinator.pk if preview.coordinator else None,
        "title": preview.parsed.title or "",
        "draft": bool(preview.parsed.draft),
        "existing": preview.existing.pk if preview.existing else None,
        "warnings": [str(w) for w in preview.warnings],
        "switches": find_switches(preview.text, preview.parsed.mechanisms),
        "unknown_names": preview.unknown_names,
        "measures": [
            {
                "order": order,
                "ref": m.ref,
                "title": m.title or "",
                "lead": names(m, m.lead),
                "support": names(m, m.support),
                "deadlines": list(m.deadlines),
                "doubts": list(m.doubts),
            }
            for order, m in enumerate(preview.parsed.measures)
        ],
    }


class ImportViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """POST /api/imports/ (multipart: file, jurisdiction) → 202 with the draft; GET it until its
    status is ready (or failed, with the reason); map unknown names; confirm."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]
    queryset = ImportDraft.objects.none()
    serializer_class = DraftSerializer

    def get_queryset(self):
        return ImportDraft.objects.filter(user=self.request.user).select_related("jurisdiction", "coordinator")

    def _draft(self, pk) -> ImportDraft:
        draft = get_object_or_404(self.get_queryset(), pk=pk)
        if draft.jurisdiction is not None and not self.request.user.has_perm(
            "tracker.edit_directory", draft.jurisdiction
        ):
            raise exceptions.NotFound
        return draft

    def _answer(self, draft: ImportDraft, code=status.HTTP_200_OK) -> Response:
        try:
            preview = _preview_data(draft)
        except DocumentImportError as exc:
            raise exceptions.ValidationError(str(exc)) from exc
        data = {"id": draft.pk, "source_name": draft.source_name, "status": draft.status, "error": draft.error}
        return Response(DraftSerializer({**data, "preview": preview}).data, status=code)

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={202: DraftSerializer})
    def create(self, request):
        if not directory_jurisdictions(request.user).exists():
            raise exceptions.PermissionDenied(_("只有督办员可以导入文件"))
        body = UploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload, place = body.validated_data["file"], body.validated_data.get("jurisdiction")
        if place is not None and not directory_jurisdictions(request.user).filter(pk=place.pk).exists():
            raise exceptions.ValidationError({"jurisdiction": _("您不是该行政区的督办员")})
        if upload.size > settings.POLICY_MAX_BYTES:
            limit = settings.POLICY_MAX_BYTES // (1024 * 1024)
            raise exceptions.ValidationError(
                {"file": _("%(name)s:文件超过 %(mb)d MB,未读取") % {"name": upload.name, "mb": limit}}
            )
        try:
            with transaction.atomic():
                draft = import_draft_create(user=request.user, data=upload.read(), name=upload.name, jurisdiction=place)
        except DocumentImportError as exc:
            raise exceptions.ValidationError({"file": str(exc)}) from exc
        draft.refresh_from_db()  # an eager Celery parses on commit
        return self._answer(draft, status.HTTP_202_ACCEPTED)

    def retrieve(self, request, pk=None):
        return self._answer(self._draft(pk))

    @extend_schema(request=MapSerializer, responses=MappedSerializer)
    @action(detail=True, methods=["post"])
    def map(self, request, pk=None):
        draft = self._draft(pk)
        body = MapSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if draft.jurisdiction is None:
            raise exceptions.ValidationError(_("尚未解析完成"))
        agency = None
        if body.validated_data.get("agency"):
            agency = Agency.objects.filter(pk=body.validated_data["agency"], jurisdiction=draft.jurisdiction).first()
            if agency is None:
                raise exceptions.ValidationError({"agency": _("请选择本行政区的单位")})
        try:
            mapped, changed = services.unknown_name_map(
                user=request.user,
                jurisdiction=draft.jurisdiction,
                name=body.validated_data["name"],
                agency=agency,
                new_name=body.validated_data.get("new_name", ""),
            )
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.messages) from exc
        return Response(
            MappedSerializer({"agency": mapped.pk, "agency_name": mapped.name, "tasks_changed": changed}).data
        )

    @extend_schema(request=ConfirmSerializer, responses={201: ConfirmedSerializer, 200: ConfirmedSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        draft = self._draft(pk)
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        place = draft.jurisdiction
        coordinator = draft.coordinator
        if values.get("coordinator"):
            coordinator = Agency.objects.filter(pk=values["coordinator"], jurisdiction=place).first()
            if coordinator is None:
                raise exceptions.ValidationError({"coordinator": _("请选择本行政区的单位")})
        replaces = None
        if values.get("replaces"):
            replaces = replaceable_drafts(request.user, place).filter(pk=values["replaces"]).first()
            if replaces is None:
                raise exceptions.ValidationError({"replaces": _("只能替换尚未被替换的草案")})
        if coordinator is None:
            try:
                coordinator = import_draft_preview(draft=draft).coordinator
            except DocumentImportError as exc:
                raise exceptions.ValidationError(str(exc)) from exc
        if coordinator is None:
            raise exceptions.ValidationError({"coordinator": _("文件未指明统筹督办单位,请指定")})
        try:
            confirmed = import_draft_confirm(
                draft=draft,
                user=request.user,
                coordinator=coordinator,
                confirm_draft=values["confirm_draft"],
                replaces=replaces,
            )
        except DocumentImportError as exc:
            raise exceptions.ValidationError(str(exc)) from exc
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.messages) from exc
        replacement = confirmed.replacement
        data = {
            "document": confirmed.document.pk,
            "created": confirmed.created,
            "carried": len(replacement.carried) if replacement else None,
            "added": len(replacement.added) if replacement else None,
            "dropped": len(replacement.dropped) if replacement else None,
        }
        code = status.HTTP_201_CREATED if confirmed.created else status.HTTP_200_OK
        return Response(ConfirmedSerializer(data).data, status=code)
