"""Drafts (征求意见稿, 送审稿): imported only after an explicit confirmation, their tasks marked as a
draft, then replaced by the final text — matching tasks carried over with their history, revised
ones brought in line, dropped ones cancelled, new ones created."""

import pytest
from django.urls import reverse

from measures.models import ImportDraft, PolicyDocument
from tests.pages.test_page_import import coordinator, upload  # noqa: F401 - shared fixtures
from tracker import drafts
from tracker.models import ProgressReport, Task, TaskEvent

pytestmark = pytest.mark.django_db

DRAFT = """济南市人民政府办公厅关于加快园区建设的实施方案(征求意见稿)

一、加快园区道路建设,2027年底前完成园区主干道路网改造提升。(牵头单位:市交通运输局)
二、完善园区供水设施,建设二级加压泵站三座,保障企业用水需求。(牵头单位:市水务局;配合单位:市住房城乡建设局)
三、推进园区绿化美化工程,新增绿地面积二十万平方米。(牵头单位:市园林和林业绿化局)
"""

FINAL = """济南市人民政府办公厅关于加快园区建设的实施方案

一、加快园区道路建设,2027年底前完成园区主干道路网改造提升。(牵头单位:市交通运输局)
二、完善园区供水设施,建设二级加压泵站四座,保障企业用水需求。(牵头单位:市住房城乡建设局;配合单位:市水务局)
三、建设园区智慧管理平台,实现园区企业服务事项一网通办。(牵头单位:市大数据局)
"""


def _upload(upload, tmp_path, name, text):  # noqa: F811
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    upload(path=path)
    return ImportDraft.objects.order_by("-pk").first()


def _coordinator_id(coordinator):  # noqa: F811
    return coordinator.get(reverse("pages:home")).wsgi_request.user.agency_id


def test_a_draft_imports_only_when_confirmed_and_is_marked(coordinator, upload, tmp_path):  # noqa: F811
    draft = _upload(upload, tmp_path, "draft.txt", DRAFT)
    preview = coordinator.get(reverse("pages:import-preview", args=[draft.pk])).content.decode()
    assert "确认按草案导入" in preview
    confirm = reverse("pages:import-confirm", args=[draft.pk])
    refused = coordinator.post(confirm, {"coordinator": _coordinator_id(coordinator)})
    assert refused.status_code == 400 and "须确认按草案导入" in refused.content.decode()
    assert not PolicyDocument.objects.exists()
    done = coordinator.post(confirm, {"coordinator": _coordinator_id(coordinator), "confirm_draft": "on"})
    document = PolicyDocument.objects.get()
    assert done.status_code == 302 and document.is_draft and document.tasks.count() == 3
    task = document.tasks.first()
    assert "草案" in coordinator.get(reverse("pages:task", args=[task.pk])).content.decode()
    assert coordinator.get(f"/api/tasks/{task.pk}/").json()["draft"] is True


def test_the_final_text_replaces_the_draft_carrying_tasks_and_history(coordinator, upload, tmp_path):  # noqa: F811
    first = _upload(upload, tmp_path, "draft.txt", DRAFT)
    coordinator.post(
        reverse("pages:import-confirm", args=[first.pk]),
        {"coordinator": _coordinator_id(coordinator), "confirm_draft": "on"},
    )
    draft_doc = PolicyDocument.objects.get()
    roads, water, green = draft_doc.tasks.order_by("measure__order")
    ProgressReport.objects.create(task=roads, agency=roads.assignments.get().agency, kind="report", text="已开工")

    final = _upload(upload, tmp_path, "final.txt", FINAL)
    preview = coordinator.get(reverse("pages:import-preview", args=[final.pk]))
    assert draft_doc in preview.context["coordinator_form"].fields["replaces"].queryset
    done = coordinator.post(
        reverse("pages:import-confirm", args=[final.pk]),
        {"coordinator": _coordinator_id(coordinator), "replaces": draft_doc.pk},
    )
    final_doc = PolicyDocument.objects.exclude(pk=draft_doc.pk).get()
    assert done.status_code == 302 and done["Location"] == reverse("pages:document", args=[final_doc.pk])
    draft_doc.refresh_from_db()
    assert draft_doc.replaced_by == final_doc

    roads.refresh_from_db()
    water.refresh_from_db()
    green.refresh_from_db()
    # The same rows: their reports and history came along.
    assert roads.document == final_doc and roads.reports.count() == 1
    assert water.document == final_doc and "四座" in water.measure.text
    assert dict(water.assignments.values_list("agency__name", "role")) == {
        "市住房城乡建设局": "lead",
        "市水务局": "support",
    }
    assert TaskEvent.objects.filter(task=water, kind=TaskEvent.Kind.ASSIGNMENT).exists()
    assert green.status == Task.Status.CANCELLED and green.document == draft_doc
    new = final_doc.tasks.exclude(pk__in=[roads.pk, water.pk]).get()
    assert new.assignments.get().agency.name == "市大数据局"
    assert final_doc.tasks.count() == 3 and not final_doc.is_draft
    page = coordinator.get(reverse("pages:document", args=[draft_doc.pk])).content.decode()
    assert "本草案已由终稿替换" in page


def test_matching_prefers_text_then_number():
    from types import SimpleNamespace as M

    old = [M(pk=1, ref="一", order=1, text="加快道路建设"), M(pk=2, ref="二", order=2, text="完善供水设施建设泵站")]
    new = [M(pk=3, ref="一", order=1, text="完善供水设施建设泵站四座"), M(pk=4, ref="二", order=2, text="全新的事项")]
    assert [(o.pk, n.pk) for o, n in drafts.measures_match(old, new)] == [(2, 3)]
