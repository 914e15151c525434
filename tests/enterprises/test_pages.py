"""非公党建's pages (issue 20): the two coverages, the register with its filters, an enterprise's
page, the instructors and a monthly report — each in a fixed number of queries whatever the number
of enterprises; forms that register, assign and log; the instructor's phone page; exports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.enterprises import services
from dangjian.enterprises.models import Assignment, Enterprise, FollowUp, InstructorVisit
from dangjian.members.models import Member
from dangjian.orgs.models import Unit
from tests.conftest import login
from tests.enterprises.test_register import Zone, codes, ent

pytestmark = pytest.mark.django_db


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200, url
    return len(ctx.captured_queries)


def _more(z: Zone, start: int, n: int, ins: Any) -> list[Enterprise]:
    out = []
    members = list(z.tree.members.values())
    for i in range(start, start + n):
        e = ent(z, i, joint=z.joint if i % 3 == 1 else None)
        Member.objects.filter(pk=members[i % len(members)].pk).update(employer=e.unit)
        if i % 3 == 2:
            services.assignment_start(
                actor=None, instructor=ins, enterprise=e, since=date(2026, 1, 1)
            )
            services.visit_log(
                actor=None, instructor=ins, enterprise=e, visited_on=date(2026, 2, 1),
                met="张总", topics=["life"], followups=[("跟进", date(2026, 2, 20))],
            )  # fmt: skip
        out.append(e)
    return out


def test_pages_read_in_a_fixed_number_of_queries(client: Any, zone: Zone, users: Any) -> None:
    zone.codes = codes(40)
    ins = services.instructor_save(actor=None, name="陈指导", kind="full", organization=zone.zone)
    first = _more(zone, 0, 3, ins)
    login(client, users["committee_staff"])
    z = zone.zone.pk
    urls = {
        "coverage": reverse("enterprises:coverage", args=[z]),
        "list": reverse("enterprises:list", args=[z]),
        "instructors": reverse("enterprises:instructors", args=[z]),
        "instructor": reverse("enterprises:instructor", args=[ins.pk]) + "?month=2026-02",
        "enterprise": reverse("enterprises:enterprise", args=[first[2].pk]),
    }
    client.get(urls["coverage"])  # the session's first page reads the grants and the packs once
    small = {k: _queries(client, u) for k, u in urls.items()}
    _more(zone, 3, 9, ins)
    client.get(urls["coverage"])  # after writes the first page may refresh the 待办 count
    large = {k: _queries(client, u) for k, u in urls.items()}
    assert large == small
    assert small == {
        # the session with its user, grants and the bell is one statement
        "coverage": 9,
        "list": 7,
        "instructors": 8,
        "instructor": 10,
        "enterprise": 15,
    }


def test_staff_register_an_enterprise_assign_an_instructor_and_see_it_covered(
    client: Any, zone: Zone, users: Any
) -> None:
    login(client, users["committee_staff"])
    url = reverse("enterprises:enterprise_new", args=[zone.zone.pk])
    data = {
        "name": "厦门鹭岛软件有限公司",
        "credit_code": zone.codes[5][:17] + ("0" if zone.codes[5][17] != "0" else "1"),
        "kind": "enterprise",
        "committee": zone.zone.code,
        "park": zone.park.pk,
        "industry": "软件",
        "employees": "120",
        "legal_rep": "王某",
        "legal_rep_phone": "13900001111",
    }
    bad = client.post(url, data)
    assert bad.status_code == 400
    assert f"第18位应为“{zone.codes[5][17]}”" in bad.content.decode()
    assert not Unit.objects.filter(name="厦门鹭岛软件有限公司").exists()
    data["credit_code"] = zone.codes[5]
    resp = client.post(url, data)
    e = Enterprise.objects.get(unit__credit_code=zone.codes[5])
    assert resp.status_code == 302
    assert resp["Location"] == reverse("enterprises:enterprise", args=[e.pk])
    page = client.get(resp["Location"]).content.decode()
    assert "139****1111" in page
    assert "13900001111" not in page
    # members employed there, then an instructor: work coverage
    m = zone.tree.members["A1-1"]
    resp = client.post(
        reverse("enterprises:enterprise", args=[e.pk]),
        {"form": "employees", "members": m.member_no},
    )
    assert resp.status_code == 302
    assert Member.objects.get(pk=m.pk).employer_id == e.pk
    listing = client.get(reverse("enterprises:list", args=[zone.zone.pk]) + "?cover=none")
    assert "厦门鹭岛软件有限公司" in listing.content.decode()
    ins = services.instructor_save(actor=None, name="陈指导", kind="full", organization=zone.zone)
    resp = client.post(
        reverse("enterprises:enterprise", args=[e.pk]),
        {"form": "assign", "instructor": ins.ref, "since": timezone.localdate().isoformat()},
    )
    assert resp.status_code == 302
    assert Assignment.objects.filter(enterprise=e, instructor=ins, until__isnull=True).exists()
    listing = client.get(reverse("enterprises:list", args=[zone.zone.pk]) + "?cover=instructor")
    assert "厦门鹭岛软件有限公司" in listing.content.decode()
    cover = client.get(reverse("enterprises:coverage", args=[zone.zone.pk])).content.decode()
    assert 'data-testid="work-rate">100.0%' in cover
    # the picker finds the instructor; another district's staff see nothing of it
    found = client.get(reverse("enterprises:instructor_lookup") + "?q=陈").json()["results"]
    assert [r["value"] for r in found] == [ins.ref]
    login(client, users["sibling_staff"])
    assert client.get(reverse("enterprises:enterprise", args=[e.pk])).status_code == 404
    assert client.get(reverse("enterprises:instructor", args=[ins.pk])).status_code == 404
    assert client.get(reverse("enterprises:instructor_lookup") + "?q=陈").json()["results"] == []


def test_the_instructor_logs_a_visit_with_a_follow_up_on_the_phone(
    client: Any, zone: Zone, users: Any
) -> None:
    e = ent(zone, 0)
    member = zone.tree.members["A1-2"]  # users["member"]
    ins = services.instructor_save(
        actor=None, name=member.name, kind="part", organization=zone.zone, member=member
    )
    today = timezone.localdate()
    services.assignment_start(
        actor=None, instructor=ins, enterprise=e, since=today - timedelta(days=30)
    )
    login(client, users["member"], verify=False)
    page = client.get(reverse("enterprises:my")).content.decode()
    assert e.unit.name in page
    assert "本季度未走访" in page
    me = client.get(reverse("portal:me")).content.decode()
    assert reverse("enterprises:my") in me
    post = {
        "form": "visit",
        "enterprise": str(e.pk),
        "visited_on": (today + timedelta(days=1)).isoformat(),
        "met": "企业负责人张某",
        "topics": ["setup", "recruit"],
        "followup": "指导提交成立党支部请示",
        "followup_due": (today + timedelta(days=14)).isoformat(),
    }
    bad = client.post(reverse("enterprises:my"), post)
    assert bad.status_code == 400
    assert "走访日期不能晚于今天" in bad.content.decode()
    post["visited_on"] = today.isoformat()
    resp = client.post(reverse("enterprises:my"), post)
    assert resp.status_code == 302
    visit = InstructorVisit.objects.get(enterprise=e)
    assert visit.topics == ["setup", "recruit"]
    f = FollowUp.objects.get(visit=visit)
    assert f.due_on == today + timedelta(days=14)
    page = client.get(reverse("enterprises:my")).content.decode()
    assert "本季度已走访" in page
    assert "指导提交成立党支部请示" in page
    resp = client.post(
        reverse("enterprises:my"), {"form": "done", "followup": str(f.pk), "result": "已提交"}
    )
    assert resp.status_code == 302
    f.refresh_from_db()
    assert f.done_on == today
    # another member is not an instructor: an empty state, and cannot post a visit
    login(client, users["branch_worker"], verify=True)
    assert client.get(reverse("enterprises:my")).status_code in (403, 404, 302)
