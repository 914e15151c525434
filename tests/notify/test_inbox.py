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
    # the sizes' read (the session's statement carries the bell's count for other pages)
    assert (
        len([s for s in reads if 'FROM "notify_reminder"' in s and "accounts_session" not in s])
        == 1
    )


def test_the_bell_is_read_with_the_session(client, tree, users):
    """On every other page the bell's count comes in the session's statement: the same count as
    the bell's own read, as of the request, for a staff user and a member; on a cache hit of the
    cached session engine (no session read), the bell reads it itself."""
    from dangjian.accounts.sessions import read_with_session

    scan_run(as_of=date(2026, 1, 15))
    staff = users["committee_staff"]
    login(client, staff)
    client.get(reverse("compliance:dashboard"))
    for step in range(3):
        unread = selectors.unread_count(staff)
        with CaptureQueriesContext(connection) as q:
            resp = client.get(reverse("compliance:dashboard"))
        assert resp.context["unread_reminders"] == unread
        reads = [s["sql"] for s in q.captured_queries]
        assert len([s for s in reads if 'FROM "notify_reminder"' in s]) == 1, step
        assert "accounts_session" in reads[0]
        first = Reminder.objects.filter(user=staff, read_at__isnull=True).order_by("pk")[:1]
        Reminder.objects.filter(pk__in=list(first.values_list("pk", flat=True))).update(
            read_at=timezone.now()
        )
        Notice.objects.filter(user=staff).update(read_at=timezone.now())
    assert selectors.unread_count(staff) < unread
    member = users["member"]
    Notice.objects.create(user=member, title="测试通知", body="内容", url="/me/", key="t")
    client.logout()
    login(client, member, verify=False)
    resp = client.get(reverse("portal:me"))
    assert resp.context["unread_reminders"] == selectors.unread_count(member) > 0
    with pytest.raises(RuntimeError):
        read_with_session("late", lambda: None)


def test_the_bell_on_a_session_from_the_cache(client, tree, users, settings):
    settings.SESSION_ENGINE = "dangjian.accounts.sessions.cached_db"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "b"}
    }
    member = users["member"]
    Notice.objects.create(user=member, title="测试通知", body="内容", url="/me/", key="t")
    login(client, member, verify=False)
    client.get(reverse("portal:me"))
    with CaptureQueriesContext(connection) as q:
        resp = client.get(reverse("portal:me"))  # the session from the cache
    assert resp.context["unread_reminders"] == selectors.unread_count(member) == 1
    assert not [s for s in q.captured_queries if "accounts_session" in s["sql"]]
    assert [s for s in q.captured_queries if 'FROM "notify_notice"' in s["sql"]]
