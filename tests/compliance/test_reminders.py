from datetime import date

import pytest
from django.urls import reverse

from dangjian.compliance.services import scan_run
from dangjian.notify.models import Notice, Reminder
from dangjian.orgs.models import Post
from dangjian.orgs.services import post_assign
from tests.conftest import login, make_user

pytestmark = pytest.mark.django_db


def test_reminders_go_to_those_who_must_act_once_and_stop_on_close(client, tree, users):
    secretary_user = make_user(
        "sec_a1", member=tree.members["A1-1"]
    )  # A1's secretary has an account
    upper = users["committee_staff"]  # committee staff of district A: the level above A2
    scan_run(as_of=date(2026, 1, 15))
    a2_org06 = Reminder.objects.filter(
        finding__rule_id="ORG-06", finding__organization=tree.branch_a2
    )
    # A2 has no secretary (high): nobody on A2 holds a grant, so the district's staff are reminded
    # (level 1)
    assert set(a2_org06.values_list("user__username", "level")) == {(upper.username, 1)}
    # branch A1's own people: its worker and its secretary, for A1's own findings
    a1 = set(
        Reminder.objects.filter(organization=tree.branch_a1).values_list(
            "user__username", flat=True
        )
    )
    assert {"worker_a1", secretary_user.username} <= a1
    assert "staff_db" not in set(
        Reminder.objects.values_list("user__username", flat=True).filter(
            organization__path__startswith=tree.district_a.path
        )
    )
    # a re-scan does not duplicate
    count = Reminder.objects.count()
    scan_run(as_of=date(2026, 1, 16))
    assert Reminder.objects.count() == count
    # the inbox shows it once, with the unread badge; the sibling never sees it
    login(client, upper)
    inbox = client.get(reverse("notify:inbox"))
    # the badge counts the reminders and the unread notices (here: the notice of upper's grant)
    assert inbox.context["unread_reminders"] == (
        Reminder.objects.filter(user=upper).count()
        + Notice.objects.filter(user=upper, read_at__isnull=True).count()
    )
    assert inbox.content.decode().count("甲二党支部") >= 1
    login(client, users["sibling_staff"])
    assert "甲二党支部" not in client.get(reverse("notify:inbox")).content.decode()
    # put it right: a secretary for A2; the next scan closes the finding and its reminders
    post_assign(
        actor=None, organization=tree.branch_a2, member=tree.members["A2-5"], post="secretary"
    )
    scan_run(as_of=date(2026, 2, 1))
    assert set(a2_org06.values_list("closed_on", flat=True)) == {date(2026, 2, 1)}
    assert Post.objects.filter(organization=tree.branch_a2, post="secretary").exists()


def test_marking_read_is_only_for_ones_own_reminders(client, tree, users):
    scan_run(as_of=date(2026, 1, 15))
    reminder = Reminder.objects.filter(user=users["committee_staff"]).first()
    login(client, users["sibling_staff"])
    assert client.post(reverse("notify:read", args=[reminder.pk])).status_code == 404
    login(client, users["committee_staff"])
    assert client.post(reverse("notify:read", args=[reminder.pk])).status_code == 302
    reminder.refresh_from_db()
    assert reminder.read_at is not None
    from dangjian.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="notify.read", object_id=str(reminder.pk)).count() == 1


def test_member_sees_reminders_in_the_phone_shell(client, tree, users):
    scan_run(as_of=date(2026, 1, 15))
    login(client, users["member"], verify=False)
    resp = client.get(reverse("notify:inbox"))
    assert resp.status_code == 200
    assert "tabbar" in resp.content.decode()
