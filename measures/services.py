"""Importing a policy document, in two phases: a preview that writes nothing, then the import.

The tracker turns imported measures into tasks (tracker.services.document_import_with_tasks);
this module stops at documents, measures, targets and the agency names they mention."""

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Jurisdiction
from agencies.normalize import place_stem
from agencies.resolve import AgencyIndex, Match, Resolution

from .isolation import LimitExceeded, run_limited
from .models import ImportDraft, Measure, MeasureAgency, MeasureTarget, PolicyDocument
from .parsing import ParsedDocument, ParsedMeasure, ParseError, parse_document
from .parsing.metadata import find_switches
from .readers import MB, ReadError, format_for, read_bytes, read_document


class DocumentImportError(ValueError):
    """A document that cannot be imported: one line saying which file and why."""


def parse_error_reason(exc: ParseError) -> str:
    """The reason to show for a ParseError. The parser is Django-free and words its errors in
    English; the ones it is known to raise get a translated sentence, anything else its own text."""
    message = str(exc)
    if message == "empty document":
        return _("文件没有内容")
    if message == "no responsibility clause found":
        return _("未找到责任分工条款(如“责任单位:…”“牵头单位:…”),无法识别措施")
    return message


@dataclass
class ImportPreview:
    source_name: str
    source_hash: str
    text: str
    parsed: ParsedDocument
    jurisdiction: Jurisdiction
    resolutions: dict[str, Resolution]
    coordinator: Agency | None
    existing: PolicyDocument | None
    warnings: list[str] = field(default_factory=list)
    corrections: list[dict] = field(default_factory=list)

    @property
    def unknown_names(self) -> list[str]:
        return [name for name, r in self.resolutions.items() if not r.resolved]


def mention_match(measure: ParsedMeasure, name: str, resolution: Resolution) -> str:
    """A name whose dropped prefix the parser restored counts as a prefix match, not an exact one."""
    if name in measure.restored and resolution.match in (Match.EXACT, Match.ALIAS):
        return Match.PREFIX
    return resolution.match


def content_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def jurisdiction_detect(*, text: str, issuer: str | None) -> Jurisdiction | None:
    """The jurisdiction whose place name the issuer holds, else the one the text names most."""
    jurisdictions = list(Jurisdiction.objects.all())
    if issuer:
        for j in jurisdictions:
            if place_stem(j.name) in issuer:
                return j
    counts = {j: text.count(place_stem(j.name)) for j in jurisdictions}
    best = max(counts, key=counts.get, default=None)
    return best if best is not None and counts[best] > 0 else None


def _coordinator_choose(
    parsed: ParsedDocument, index: AgencyIndex, resolutions: dict[str, Resolution]
) -> Agency | None:
    """The coordinator the document names; for a leading group, its office does the day-to-day work."""
    for name in parsed.coordinator:
        resolution = resolutions.get(name) or index.resolve(name)
        if not resolution.resolved:
            continue
        agency = Agency.objects.get(pk=resolution.agency_id)
        if agency.name.endswith("领导小组"):
            office = index.resolve(agency.name + "办公室")
            if office.resolved and office.match in (Match.EXACT, Match.ALIAS):
                return Agency.objects.get(pk=office.agency_id)
        return agency
    return None


def _read_and_parse(source: bytes | Path, name: str, max_bytes: int) -> tuple[str, ParsedDocument]:
    if isinstance(source, Path):
        read = read_document(source, max_bytes=max_bytes, name=name)
    else:
        read = read_bytes(source, name=name, max_bytes=max_bytes)
    return read.text, parse_document(read.text, name)


def document_parse(*, source: bytes | Path, name: str) -> tuple[str, ParsedDocument]:
    """Read and parse a file in a child process under the time and memory limits of the settings;
    every failure is a DocumentImportError naming the file and the reason (or the limit)."""
    try:
        return run_limited(
            _read_and_parse,
            source,
            name,
            settings.POLICY_MAX_BYTES,
            seconds=settings.POLICY_PARSE_SECONDS,
            memory_bytes=settings.POLICY_PARSE_MEMORY_MB * 1024 * 1024,
        )
    except ReadError as exc:
        raise DocumentImportError(str(exc)) from exc
    except ParseError as exc:
        raise DocumentImportError(f"{name}: {parse_error_reason(exc)}") from exc
    except LimitExceeded as exc:
        if exc.kind == "time":
            reason = _("解析超过 %(n)d 秒的时限,已停止") % {"n": settings.POLICY_PARSE_SECONDS}
        elif exc.kind == "memory":
            reason = _("解析所需内存超过 %(n)d MB 的上限,已停止") % {"n": settings.POLICY_PARSE_MEMORY_MB}
        else:
            reason = _("解析进程意外退出")
        raise DocumentImportError(f"{name}: {reason}") from exc


def document_preview_parsed(
    *,
    text: str,
    parsed: ParsedDocument,
    source_name: str,
    jurisdiction: Jurisdiction | None = None,
    coordinator: Agency | None = None,
) -> ImportPreview:
    """A parse resolved against the directory as it is now; writes nothing."""
    jurisdiction = jurisdiction or jurisdiction_detect(text=text, issuer=parsed.issuer)
    if jurisdiction is None:
        reason = _("无法判断文件所属行政区,请指定行政区")
        raise DocumentImportError(f"{source_name}: {reason}")
    index = AgencyIndex(jurisdiction)
    names = [n for m in parsed.measures for n in (*m.lead, *m.support)]
    resolutions = index.resolve_many(names)
    for name in parsed.coordinator:
        resolutions.setdefault(name, index.resolve(name))
    digest = content_hash(text)
    preview = ImportPreview(
        source_name=source_name,
        source_hash=digest,
        text=text,
        parsed=parsed,
        jurisdiction=jurisdiction,
        resolutions=resolutions,
        coordinator=coordinator or _coordinator_choose(parsed, index, resolutions),
        existing=PolicyDocument.objects.filter(source_hash=digest).first(),
    )
    if preview.coordinator is None:
        preview.warnings.append(_("文件未指明统筹督办单位,导入时须指定"))
    resolved = {r.agency_id for r in resolutions.values() if r.resolved}
    for name in Agency.objects.filter(pk__in=resolved, kind=Agency.Kind.GROUP, members__isnull=True).values_list(
        "name", flat=True
    ):
        preview.warnings.append(
            _("集合名称“%(n)s”还没有成员单位,其任务不会到达任何单位;请先在单位名录中添加成员") % {"n": name}
        )
    return preview


def document_preview_file(
    *, path: Path, jurisdiction: Jurisdiction | None = None, coordinator: Agency | None = None
) -> ImportPreview:
    text, parsed = document_parse(source=path, name=path.name)
    return document_preview_parsed(
        text=text, parsed=parsed, source_name=path.name, jurisdiction=jurisdiction, coordinator=coordinator
    )


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@transaction.atomic
def document_create(*, preview: ImportPreview, imported_by=None) -> PolicyDocument:
    """Write the document, its measures, targets and agency mentions. The caller checks `existing`."""
    parsed = preview.parsed
    if preview.coordinator is None:
        reason = _("文件未指明统筹督办单位,请指定")
        raise DocumentImportError(f"{preview.source_name}: {reason}")
    document = PolicyDocument.objects.create(
        title=parsed.title or "",
        issuer=parsed.issuer or "",
        doc_number=parsed.doc_number or "",
        issued=_date(parsed.issued),
        effective=_date(parsed.effective),
        horizon=parsed.horizon,
        is_draft=parsed.draft,
        jurisdiction=preview.jurisdiction,
        coordinator=preview.coordinator,
        coordinator_names=parsed.coordinator,
        corrections=preview.corrections,
        round_every=(parsed.cadence or {}).get("every", ""),
        round_due_day=(parsed.cadence or {}).get("day"),
        mechanisms=parsed.mechanisms,
        **find_switches(preview.text, parsed.mechanisms),
        source_name=preview.source_name,
        source_hash=preview.source_hash,
        raw_text=preview.text,
        imported_by=imported_by,
    )
    measures = Measure.objects.bulk_create(
        Measure(
            document=document,
            ref=m.ref,
            title=m.title[:300],
            text=m.text,
            order=i,
            deadlines=m.deadlines,
            others=m.others,
            lead_inferred=m.lead_inferred,
            confidence=m.confidence,
            doubts=m.doubts,
        )
        for i, m in enumerate(parsed.measures)
    )
    targets, mentions = [], []
    for measure, pm in zip(measures, parsed.measures, strict=True):
        targets += [
            MeasureTarget(measure=measure, text=t.text[:300], value=Decimal(str(t.value)), unit=t.unit, by=t.by or "")
            for t in pm.targets
        ]
        for role, names in ((MeasureAgency.Role.LEAD, pm.lead), (MeasureAgency.Role.SUPPORT, pm.support)):
            for position, name in enumerate(names):
                r = preview.resolutions[name]
                mentions.append(
                    MeasureAgency(
                        measure=measure,
                        name=name,
                        role=role,
                        position=position,
                        agency_id=r.agency_id,
                        match=mention_match(pm, name, r),
                        score=r.score,
                    )
                )
    MeasureTarget.objects.bulk_create(targets)
    MeasureAgency.objects.bulk_create(mentions)
    return document


# Drafts older than this are removed when their user uploads again; a preview is meant to be
# confirmed the same day.
DRAFT_MAX_AGE = datetime.timedelta(days=1)


@transaction.atomic
def import_draft_create(*, user, data: bytes, name: str, jurisdiction: Jurisdiction | None = None) -> ImportDraft:
    """Keep an upload for parsing outside the request (measures.tasks.import_draft_parse, queued
    once this transaction commits). Only what costs nothing is checked here: the type and the size."""
    try:
        format_for(name)
    except ReadError as exc:
        raise DocumentImportError(str(exc)) from exc
    if len(data) > settings.POLICY_MAX_BYTES:
        reason = _("文件过大(%(size).1f MB,上限 %(limit)s MB)") % {
            "size": len(data) / MB,
            "limit": f"{settings.POLICY_MAX_BYTES / MB:.3g}",
        }
        raise DocumentImportError(f"{name}: {reason}")
    ImportDraft.objects.filter(user=user, created_at__lt=timezone.now() - DRAFT_MAX_AGE).delete()
    draft = ImportDraft.objects.create(user=user, source_name=name[:255], upload=data, jurisdiction=jurisdiction)
    from .tasks import import_draft_enqueue  # the task module imports this one

    transaction.on_commit(lambda: import_draft_enqueue(draft.pk))
    return draft


def import_draft_parse_run(*, draft_id: int) -> ImportDraft | None:
    """Parse a waiting draft and keep the result, or the reason it failed. Safe to run twice (a
    redelivered task finds the draft parsed and does nothing); None when there is nothing to do."""
    draft = ImportDraft.objects.filter(pk=draft_id, status=ImportDraft.Status.PARSING).first()
    if draft is None or draft.upload is None:
        return None
    try:
        text, parsed = document_parse(source=bytes(draft.upload), name=draft.source_name)
        if not parsed.measures:
            reason = _("未找到任何措施")
            raise DocumentImportError(f"{draft.source_name}: {reason}")
        preview = document_preview_parsed(
            text=text, parsed=parsed, source_name=draft.source_name, jurisdiction=draft.jurisdiction
        )
    except DocumentImportError as exc:
        return import_draft_fail(draft_id=draft_id, reason=str(exc))
    ImportDraft.objects.filter(pk=draft_id, status=ImportDraft.Status.PARSING).update(
        status=ImportDraft.Status.READY,
        upload=None,
        text=text,
        parsed=parsed.to_record(),
        jurisdiction=preview.jurisdiction,
        coordinator=preview.coordinator,
    )
    return ImportDraft.objects.filter(pk=draft_id).first()


def import_draft_fail(*, draft_id: int, reason: str) -> ImportDraft | None:
    ImportDraft.objects.filter(pk=draft_id, status=ImportDraft.Status.PARSING).update(
        status=ImportDraft.Status.FAILED, upload=None, error=reason
    )
    return ImportDraft.objects.filter(pk=draft_id).first()


def import_draft_preview(*, draft: ImportDraft) -> ImportPreview:
    """A parsed draft, with the coordinator's corrections, previewed against the directory as it is now."""
    if draft.status != ImportDraft.Status.READY:
        reason = draft.error or _("尚未解析完成")
        raise DocumentImportError(f"{draft.source_name}: {reason}")
    preview = document_preview_parsed(
        text=draft.text,
        parsed=ParsedDocument.from_record(draft.parsed),
        source_name=draft.source_name,
        jurisdiction=draft.jurisdiction,
        coordinator=draft.coordinator,
    )
    preview.corrections = list(draft.corrections)
    return preview


MAX_NAME = 128
_NAME_SPLIT_RE = re.compile(r"[、,,;;\n]+")


def correction_names(raw: str) -> list[str]:
    """Agency names as a coordinator types them: separated by 、 , ; or lines."""
    return [n.strip() for n in _NAME_SPLIT_RE.split(raw or "") if n.strip()]


@transaction.atomic
def import_draft_correct(
    *, draft: ImportDraft, user, order: int, ref: str, title: str, lead: list[str], support: list[str]
) -> ImportDraft:
    """Correct one measure of a parsed draft before it is imported: its ref, title, lead and
    support. What changed is recorded (kept with the document at confirm, exportable as gold); the
    measure is then the coordinator's reading, so it is no longer inferred or doubtful."""
    locked = ImportDraft.objects.select_for_update().get(pk=draft.pk)
    if locked.status != ImportDraft.Status.READY or locked.user_id != user.pk:
        raise DocumentImportError(_("该文件尚未解析完成,无法更正"))
    measures = locked.parsed["measures"]
    if not 0 <= order < len(measures):
        raise DocumentImportError(_("没有这项措施"))
    ref, title = ref.strip(), title.strip()
    lead = list(dict.fromkeys(lead))
    support = [n for n in dict.fromkeys(support) if n not in lead]
    if not ref or len(ref) > 32:
        raise DocumentImportError(_("编号不能为空,且不超过 32 个字符"))
    if any(i != order and m["ref"] == ref for i, m in enumerate(measures)):
        raise DocumentImportError(_("编号“%(ref)s”已被其他措施使用") % {"ref": ref})
    if any(len(n) > MAX_NAME for n in lead + support):
        raise DocumentImportError(_("单位名称不超过 %(n)d 个字符") % {"n": MAX_NAME})
    measure = measures[order]
    after = {"ref": ref, "title": title[:300], "lead": lead, "support": support}
    changed = {k: [measure[k], v] for k, v in after.items() if measure[k] != v}
    if not changed:
        return locked
    locked.corrections = [
        *locked.corrections,
        {
            "ref": measure["ref"],
            "order": order,
            "changes": changed,
            "by": user.get_username(),
            "at": timezone.now().isoformat(timespec="seconds"),
        },
    ]
    measure.update(after)
    # The coordinator's reading: nothing inferred, no prefix restored, nothing left in doubt.
    measure.update(lead_inferred=False, restored=[], doubts=[], confidence=1.0)
    locked.save(update_fields=["parsed", "corrections"])
    return locked


def draft_gold(*, draft: ImportDraft) -> dict:
    """The draft as the extraction contract's JSON (corrections included): gold for the corpus."""
    return ParsedDocument.from_record(draft.parsed).to_dict()


def document_gold(*, document: PolicyDocument) -> dict:
    """An imported document as the extraction contract's JSON, as it stands after the coordinator's
    corrections: gold for the corpus. Fixed queries whatever its size."""
    measures = document.measures.order_by("order").prefetch_related("targets", "agencies")
    out = []
    for m in measures:
        mentions = sorted(m.agencies.all(), key=lambda a: (a.role, a.position))
        out.append(
            {
                "ref": m.ref,
                "title": m.title,
                "lead": [a.name for a in mentions if a.role == MeasureAgency.Role.LEAD],
                "support": [a.name for a in mentions if a.role == MeasureAgency.Role.SUPPORT],
                "others": m.others,
                "lead_inferred": m.lead_inferred,
                "deadlines": list(m.deadlines),
                "targets": [
                    {"text": t.text, "value": float(t.value), "unit": t.unit, "by": t.by or None}
                    for t in m.targets.all()
                ],
            }
        )
    return {
        "source": document.source_name,
        "title": document.title or None,
        "issuer": document.issuer or None,
        "doc_number": document.doc_number or None,
        "issued": document.issued.isoformat() if document.issued else None,
        "effective": document.effective.isoformat() if document.effective else None,
        "horizon": document.horizon,
        "draft": document.is_draft,
        "coordinator": list(document.coordinator_names),
        "mechanisms": list(document.mechanisms),
        "measures": out,
    }
