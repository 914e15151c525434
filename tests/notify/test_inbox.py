"""消息 counts a person's reminders and notices in one statement compiled once: its pages hold the
right number of reminders, its notices show when there are some, and a person with nothing makes
no read of either table beyond that count."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.compliance.services import scan_run
from dangjian.notify import selectors
from dangjian.notify.models import Notice, Reminder
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_sizes_pages_and_notices(client, tree, users):
    scan_run(as_of=date(2026, 1, 15))
    staff = users["committee_staff"]
    reminders = Reminder.objects.filter(user=staff).count()
    notices = Notice.objects.filter(user=staff).count()
    assert reminders > 0
    assert notices > 0
    unread = selectors.unread_count(staff)
    assert unread > 0
    assert selectors.inbox_sizes(staff) == (reminders, notices, unread)
    Reminder.objects.filter(pk=Reminder.objects.filter(user=staff).order_by("pk")[0].pk).update(
        read_at=timezone.now()
    )
    Notice.objects.filter(pk=Notice.objects.filter(user=staff).order_by("pk")[0].pk).update(
        read_at=timezone.now()
    )
    assert selectors.unread_count(staff) == unread - 2
    assert selectors.inbox_sizes(staff) == (reminders, notices, unread - 2)
    login(client, staff)
    resp = client.get(reverse("notify:inbox"), {"page_size": 20})
    page = resp.context["page"]
    assert resp.context["unread_reminders"] == unread - 2  # the bell, from the same read
    assert page.paginator.count == reminders
    assert len(page.object_list) == min(reminders, 20)
    assert len(resp.context["notices"]) == min(notices, 20)
    last = page.paginator.num_pages
    resp = client.get(reverse("notify:inbox"), {"page_size": 20, "page": last})
    assert len(resp.context["page"].object_list) == reminders - 20 * (last - 1)
    if last > 1:
        assert resp.context["notices"] == []  # notices head the first page only


def test_nothing_to_show_reads_nothing_more(client, tree, users):
    member = users["member"]
    Notice.objects.filter(user=member).delete()
    assert selectors.inbox_sizes(member) == (0, 0, 0)
    login(client, member, verify=False)
    client.get(reverse("notify:inbox"))
    with CaptureQueriesContext(connection) as q:
        resp = client.get(reverse("notify:inbox"))
    assert resp.status_code == 200
    assert "没有需要处理的提醒" in resp.content.decode()
    reads = [s["sql"] for s in q.captured_queries]
    assert not [
        s for s in reads if s.startswith(('SELECT "notify_reminder"', 'SELECT "notify_notice"'))
    ]
    # nor the paginator's COUNT(*): the compiled count gave it; nor the bell's own count
    assert not [s for s in reads if "COUNT(*)" in s and 'FROM "notify_reminder"' in s]
    assert len([s for s in reads if 'FROM "notify_reminder"' in s]) == 1
