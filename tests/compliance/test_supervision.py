from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.audit.models import AuditEvent
from dangjian.compliance.models import Finding
from dangjian.compliance.services import scan_run
from dangjian.core.errors import DomainError, NotVisible
from dangjian.supervision import selectors, services
from dangjian.supervision.models import Assignment, Task
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_task_life_cycle_through_the_web(client, tree, users):
    scan_run(as_of=date(2026, 1, 15))
    finding = Finding.objects.filter(organization=tree.branch_a1, closed_on__isnull=True).first()
    staff, worker = users["committee_staff"], users["branch_worker"]
    login(client, staff)
    form = client.get(reverse("supervision:create"), {"finding": finding.pk})
    assert form.status_code == 200
    deadline = (timezone.localdate() + timedelta(days=10)).isoformat()
    resp = client.post(
        reverse("supervision:create") + f"?finding={finding.pk}",
        {
            "title": "整改",
            "body": "请整改",
            "deadline": deadline,
            "organizations": [tree.branch_a1.code],
        },
    )
    task = Task.objects.get()
    assert resp["Location"] == reverse("supervision:detail", args=[task.pk])
    assert task.finding_id == finding.pk
    assert task.issuer_org_id == tree.district_a.pk
    a = Assignment.objects.get()
    # the branch worker sees and answers it
    login(client, worker)
    assert "整改" in client.get(reverse("supervision:list")).content.decode()
    client.post(
        reverse("supervision:act", args=[task.pk, a.pk]),
        {"op": "reply", "reply": "已召开支委会研究整改"},
    )
    a.refresh_from_db()
    assert a.status == "replied"
    # a worker cannot accept their own reply
    client.post(reverse("supervision:act", args=[task.pk, a.pk]), {"op": "accept"})
    a.refresh_from_db()
    assert a.status == "replied"
    # the issuer sends it back, the worker answers again, the issuer accepts
    login(client, staff)
    client.post(
        reverse("supervision:act", args=[task.pk, a.pk]), {"op": "return", "reason": "请附会议记录"}
    )
    a.refresh_from_db()
    assert (a.status, a.decision_reason) == ("returned", "请附会议记录")
    login(client, worker)
    client.post(
        reverse("supervision:act", args=[task.pk, a.pk]), {"op": "reply", "reply": "已补充会议记录"}
    )
    login(client, staff)
    client.post(reverse("supervision:act", args=[task.pk, a.pk]), {"op": "accept"})
    a.refresh_from_db()
    assert a.status == "accepted"
    assert list(
        AuditEvent.objects.filter(action__startswith="supervision.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "supervision.task_create",
        "supervision.reply",
        "supervision.return",
        "supervision.reply",
        "supervision.accept",
    ]


def test_tasks_are_scoped(client, tree, users):
    staff = users["committee_staff"]
    deadline = timezone.localdate() + timedelta(days=5)
    with pytest.raises(DomainError, match="不是本组织的下级组织"):
        services.task_create(
            actor=staff,
            issuer_org=tree.district_a,
            title="x",
            body="y",
            deadline=deadline,
            organizations=[tree.branch_b1],
        )
    with pytest.raises(NotVisible):
        services.task_create(
            actor=users["branch_worker"],
            issuer_org=tree.branch_a1,
            title="x",
            body="y",
            deadline=deadline,
            organizations=[tree.group_a1],
        )
    with pytest.raises(DomainError, match="不能早于今天"):
        services.task_create(
            actor=staff,
            issuer_org=tree.district_a,
            title="x",
            body="y",
            deadline=date(2020, 1, 1),
            organizations=[tree.branch_a1],
        )
    task = services.task_create(
        actor=staff,
        issuer_org=tree.district_a,
        title="x",
        body="y",
        deadline=deadline,
        organizations=[tree.branch_a1],
    )
    login(client, users["sibling_staff"])
    assert client.get(reverse("supervision:detail", args=[task.pk])).status_code == 404


def test_overdue_count(tree, users):
    task = services.task_create(
        actor=users["committee_staff"],
        issuer_org=tree.district_a,
        title="x",
        body="y",
        deadline=timezone.localdate(),
        organizations=[tree.branch_a1, tree.branch_a2],
    )
    assert task.assignments.count() == 2
    assert selectors.overdue_count(tree.district_a, timezone.localdate()) == 0
    assert selectors.overdue_count(tree.district_a, timezone.localdate() + timedelta(days=1)) == 2


def test_dashboard_counts_overdue_tasks(client, tree, users):
    from datetime import timedelta

    from django.utils import timezone

    from dangjian.supervision.models import Assignment, Task

    task = Task.objects.create(
        title="逾期",
        body="x",
        deadline=timezone.localdate() - timedelta(days=1),
        issuer=users["committee_staff"],
        issuer_org=tree.district_a,
    )
    Assignment.objects.create(task=task, organization=tree.branch_a1)
    login(client, users["committee_staff"])
    resp = client.get(reverse("compliance:dashboard"))
    cards = {c.label: c for c in resp.context["cards"]}
    assert cards["逾期督办"].value == 1
    assert cards["逾期督办"].alert


def test_attachments_on_task_and_reply_are_validated_scoped_and_downloaded(
    client, tree, users, settings
):
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.supervision.models import Attachment

    staff, worker = users["committee_staff"], users["branch_worker"]
    deadline = timezone.localdate() + timedelta(days=10)
    # a bad file refuses the whole task: no task, no assignment, no file left behind
    with pytest.raises(DomainError) as exc:
        services.task_create(
            actor=staff,
            issuer_org=tree.district_a,
            title="检查",
            body="自查",
            deadline=deadline,
            organizations=[tree.branch_a1, tree.branch_a2],
            files=[
                SimpleUploadedFile("要求.txt", "按期自查".encode()),
                SimpleUploadedFile("表.pdf", b"MZ\x90\x00"),
            ],
        )
    assert exc.value.field == "files"
    assert not Task.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
    task = services.task_create(
        actor=staff,
        issuer_org=tree.district_a,
        title="检查",
        body="自查",
        deadline=deadline,
        organizations=[tree.branch_a1, tree.branch_a2],
        files=[SimpleUploadedFile("要求.txt", "按期自查".encode())],
    )
    a1 = task.assignments.get(organization=tree.branch_a1)
    a2 = task.assignments.get(organization=tree.branch_a2)
    # the reply through the web, with a file
    login(client, worker)
    client.post(
        reverse("supervision:act", args=[task.pk, a1.pk]),
        {
            "op": "reply",
            "reply": "已自查",
            "files": [SimpleUploadedFile("自查报告.txt", "无问题".encode())],
        },
    )
    a1.refresh_from_db()
    assert a1.status == "replied"
    reply_file = Attachment.objects.get(assignment=a1)
    task_file = Attachment.objects.get(assignment__isnull=True)
    resp = client.get(reverse("supervision:attachment", args=[task.pk, reply_file.pk]))
    assert resp.status_code == 200
    assert resp["Content-Disposition"].startswith("attachment")
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert b"".join(resp.streaming_content).decode() == "无问题"
    # a forged reply file is refused with the reason; the assignment stays open
    services_reply = services.assignment_reply
    with pytest.raises(DomainError):
        services_reply(
            actor=staff, assignment=a2, reply="x", files=[SimpleUploadedFile("图.png", b"<html>")]
        )
    a2.refresh_from_db()
    assert a2.status == "pending"
    # A2's side (the district staff can change A2) sees the task's file but not A1's reply file
    other = users["sibling_staff"]
    login(client, other)
    assert (
        client.get(reverse("supervision:attachment", args=[task.pk, task_file.pk])).status_code
        == 404
    )
    from tests.conftest import make_user

    a2_worker = make_user("worker_a2", "branch_worker", tree.branch_a2)
    login(client, a2_worker)
    assert (
        client.get(reverse("supervision:attachment", args=[task.pk, task_file.pk])).status_code
        == 200
    )
    assert (
        client.get(reverse("supervision:attachment", args=[task.pk, reply_file.pk])).status_code
        == 404
    )
    # the page lists the files
    login(client, staff)
    page = client.get(reverse("supervision:detail", args=[task.pk])).content.decode()
    assert "要求.txt" in page
    assert "自查报告.txt" in page


def test_task_form_shows_a_refused_file_inline(client, tree, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, users["committee_staff"])
    deadline = (timezone.localdate() + timedelta(days=10)).isoformat()
    resp = client.post(
        reverse("supervision:create") + f"?org={tree.district_a.pk}",
        {
            "title": "检查",
            "body": "自查",
            "deadline": deadline,
            "organizations": [tree.branch_a1.code],
            "attachments": [SimpleUploadedFile("通知.pdf", b"\x89PNG\r\n\x1a\n0000")],
        },
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "“通知.pdf”不是有效的图片" in body
    assert not Task.objects.exists()


def test_an_overdue_task_is_a_finding_that_escalates_and_clears_on_reply(tree, users):
    from dangjian.notify.models import Reminder

    staff, worker = users["committee_staff"], users["branch_worker"]
    from tests.conftest import make_user

    city_staff = make_user("staff_city2", "committee_staff", tree.city)
    today = timezone.localdate()
    task = services.task_create(
        actor=staff,
        issuer_org=tree.district_a,
        title="整改台账",
        body="报送",
        deadline=today,
        organizations=[tree.branch_a1],
    )
    a = task.assignments.get()
    scan_run(as_of=today)
    assert not Finding.objects.filter(rule_id="SUP-01").exists()  # due today: not yet overdue
    later = today + timedelta(days=3)
    scan_run(as_of=later)
    f = Finding.objects.get(rule_id="SUP-01", closed_on__isnull=True)
    assert f.organization_id == tree.branch_a1.pk
    assert f.severity == "high"
    assert "已逾期3天" in f.message
    told = set(Reminder.objects.filter(finding=f).values_list("user__username", "level"))
    assert ("worker_a1", 0) in told
    assert ("staff_da", 1) in told
    assert (city_staff.username, 2) not in told
    services.assignment_reply(actor=worker, assignment=a, reply="已报送")
    scan_run(as_of=later + timedelta(days=1))
    f.refresh_from_db()
    assert f.closed_on == later + timedelta(days=1)
