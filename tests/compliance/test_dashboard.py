from datetime import date

import pytest
from django.urls import reverse

from dangjian.compliance.models import Finding, ScanRun
from dangjian.compliance.services import scan_run
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_dashboard_drills_down_and_stays_in_scope(client, tree, users):
    scan_run(as_of=date(2026, 1, 15))
    login(client, users["supervisor"])
    page = client.get(reverse("compliance:dashboard")).content.decode()
    assert "中共示范市委员会" in page
    assert "中共甲区委员会" in page
    assert "红" in page
    branch = client.get(
        reverse("compliance:dashboard"), {"org": tree.branch_a2.pk, "category": "setup"}
    )
    assert branch.status_code == 200
    rules = {f.rule_id for f in branch.context["page"].object_list}
    assert "ORG-06" in rules  # A2 has no secretary
    login(client, users["sibling_staff"])
    assert (
        client.get(reverse("compliance:dashboard"), {"org": tree.branch_a2.pk}).status_code == 404
    )
    own = client.get(reverse("compliance:dashboard")).context["page"].paginator.count
    assert (
        own
        == Finding.objects.filter(
            closed_on__isnull=True, organization__path__startswith=tree.district_b.path
        ).count()
    )


@pytest.mark.parametrize("extra", [0, 10])
def test_dashboard_query_count_is_flat(client, tree, users, django_assert_num_queries, extra):
    from dangjian.orgs.services import org_create

    for i in range(extra):
        org_create(
            actor=None,
            parent=tree.district_a,
            code=f"N{i}",
            name=f"新支部{i}",
            kind="branch",
            category="organ",
            established_on=date(2020, 1, 1),
        )
    scan_run(as_of=date(2026, 1, 15))
    login(client, users["committee_staff"])
    url = reverse("compliance:dashboard")
    client.get(url)
    # session with its user, grants and unread reminders, device, scope root, ancestors, status,
    # children, trend, overdue tasks, page (a page view writes no session); the total comes from
    # the stored roll-up
    with django_assert_num_queries(9):
        resp = client.get(url)
    assert len(resp.context["page"].object_list) == min(20, resp.context["page"].paginator.count)


def test_staff_starts_a_scan_of_their_subtree_and_watches_it(
    client, tree, users, django_capture_on_commit_callbacks
):
    login(client, users["branch_worker"])
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("compliance:scan_start", args=[tree.branch_a1.pk]))
    run = ScanRun.objects.get()
    assert resp["Location"] == reverse("compliance:run", args=[run.pk])
    assert run.status == "done"
    assert run.progress == 100
    assert run.scope_id == tree.branch_a1.pk
    assert not Finding.objects.exclude(organization__path__startswith=tree.branch_a1.path).exists()
    page = client.get(reverse("compliance:run", args=[run.pk])).content.decode()
    assert "检查完成" in page
