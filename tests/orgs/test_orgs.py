from datetime import date

import pytest
from django.urls import reverse

from dangjian.audit.models import AuditEvent
from dangjian.core.errors import DomainError, NotVisible
from dangjian.members.models import Member, MemberEvent
from dangjian.orgs import services
from dangjian.orgs.models import Organization, OrgChange, Post
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_create_under_parent_with_history_and_audit(tree, users):
    staff = users["committee_staff"]
    org = services.org_create(
        actor=staff,
        parent=tree.district_a,
        code="A3",
        name="甲三党支部",
        kind="branch",
        category="school",
        established_on=date(2026, 1, 1),
    )
    assert Organization.objects.get_parent(org).pk == tree.district_a.pk
    assert OrgChange.objects.filter(organization=org, kind="created").count() == 1
    assert AuditEvent.objects.filter(action="orgs.create", object_id=str(org.pk)).count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"code": "A1"}, "code", "已被使用"),
        ({"code": ""}, "code", "不能为空"),
        ({"code": "X" * 33}, "code", "32"),
        ({"kind": "group"}, "parent", "不能设在"),
        ({"kind": "bogus"}, "kind", "无效"),
        ({"category": "bogus"}, "category", "无效"),
        ({"established_on": date(2099, 1, 1)}, "established_on", "晚于今天"),
    ],
)
def test_create_refuses_bad_input(tree, kwargs, field, text):
    args = {
        "code": "NEW",
        "name": "新支部",
        "kind": "branch",
        "category": "organ",
        "established_on": date(2020, 1, 1),
        **kwargs,
    }
    count = Organization.objects.count()
    with pytest.raises(DomainError) as exc:
        services.org_create(actor=None, parent=tree.district_a, **args)
    assert exc.value.field == field
    assert text in exc.value.message
    assert Organization.objects.count() == count


def test_branch_worker_cannot_restructure(tree, users):
    with pytest.raises(NotVisible):
        services.org_create(
            actor=users["branch_worker"],
            parent=tree.branch_a1,
            code="G2",
            name="二组",
            kind="group",
            category="community",
            established_on=date(2020, 1, 1),
        )


def test_rename_keeps_history(tree, users):
    services.org_update(
        actor=users["committee_staff"],
        organization=tree.branch_a2,
        name="甲二联合党支部",
        category="private",
    )
    change = OrgChange.objects.get(organization=tree.branch_a2, kind="renamed")
    assert change.data["name"] == ["甲二党支部", "甲二联合党支部"]


def test_move_carries_the_subtree(tree, users):
    staff = users["supervisor"]  # supervisor cannot manage
    with pytest.raises(NotVisible):
        services.org_move(actor=staff, organization=tree.branch_a1, new_parent=tree.district_b)
    root_staff_user = users["committee_staff"]
    # staff of district A cannot move a branch into district B (outside their reach)
    with pytest.raises(NotVisible):
        services.org_move(
            actor=root_staff_user, organization=tree.branch_a1, new_parent=tree.district_b
        )
    services.org_move(actor=None, organization=tree.branch_a1, new_parent=tree.district_b)
    a1 = Organization.objects.get(code="A1")
    group = Organization.objects.get(code="A1G1")
    assert Organization.objects.get_parent(a1).code == "DB"
    assert group.path.startswith(a1.path)
    assert OrgChange.objects.get(organization=a1, kind="moved").data == {"from": "DA", "to": "DB"}


def test_move_into_own_subtree_is_a_cycle(tree):
    with pytest.raises(DomainError, match="下级"):
        services.org_move(actor=None, organization=tree.district_a, new_parent=tree.branch_a1)


def test_dissolve_needs_an_empty_organization(tree, users):
    staff = users["committee_staff"]
    with pytest.raises(DomainError, match="仍有党员"):
        services.org_dissolve(
            actor=staff, organization=tree.branch_a2, on=date(2026, 5, 1), reason="单位撤销"
        )
    org = services.org_dissolve(
        actor=staff, organization=tree.group_a1, on=date(2026, 5, 1), reason="调整党小组"
    )
    assert not org.is_active
    assert org.dissolved_on == date(2026, 5, 1)
    assert Organization.objects.filter(pk=org.pk).exists()  # history kept, never deleted


def test_merge_moves_members_and_keeps_history(tree, users):
    staff = users["committee_staff"]
    moved = list(Member.objects.filter(organization=tree.branch_a2).values_list("pk", flat=True))
    services.org_merge(
        actor=staff,
        source=tree.branch_a2,
        target=tree.branch_a1,
        on=date(2026, 6, 1),
        reason="两支部合并",
    )
    assert (
        Member.objects.filter(pk__in=moved, organization=tree.branch_a1).count() == len(moved) == 3
    )
    assert MemberEvent.objects.filter(member_id__in=moved, kind="moved").count() == 3
    src = Organization.objects.get(code="A2")
    assert not src.is_active
    assert src.merged_into_id == tree.branch_a1.pk


def test_one_secretary_at_a_time(tree):
    with pytest.raises(DomainError, match="已有书记"):
        services.post_assign(
            actor=None, organization=tree.branch_a1, member=tree.members["A1-2"], post="secretary"
        )
    services.post_end(
        actor=None,
        post=Post.objects.get(organization=tree.branch_a1, post="secretary"),
        ended_on=date(2026, 1, 1),
    )
    services.post_assign(
        actor=None, organization=tree.branch_a1, member=tree.members["A1-2"], post="secretary"
    )
    assert Post.objects.filter(organization=tree.branch_a1, post="secretary").count() == 2


def test_group_leader_from_the_parent_branch(tree):
    p = services.post_assign(
        actor=None, organization=tree.group_a1, member=tree.members["A1-3"], post="group_leader"
    )
    assert p.pk
    with pytest.raises(DomainError, match="不属于|应是本组织"):
        services.post_assign(
            actor=None, organization=tree.branch_a1, member=tree.members["B1-8"], post="propaganda"
        )


def test_term_rules(tree):
    with pytest.raises(DomainError, match="1到10"):
        services.term_create(
            actor=None, organization=tree.branch_a2, elected_on=date(2024, 1, 1), term_years=0
        )
    with pytest.raises(DomainError, match="早于组织成立"):
        services.term_create(
            actor=None, organization=tree.branch_a2, elected_on=date(1999, 1, 1), term_years=3
        )


def test_tree_page_lazy_children_and_search(client, tree, users):
    login(client, users["supervisor"])
    page = client.get(reverse("orgs:tree")).content.decode()
    assert "中共示范市委员会" in page
    assert "甲一党支部" not in page  # not expanded yet
    kids = client.get(reverse("orgs:children", args=[tree.district_a.pk])).content.decode()
    assert "甲一党支部" in kids
    assert "甲二党支部" in kids
    found = client.get(reverse("orgs:tree"), {"q": "乙一"}).content.decode()
    assert "乙一党支部" in found


def test_org_page_shows_term_end_and_committee(client, tree, users):
    login(client, users["branch_worker"])
    body = client.get(reverse("orgs:detail", args=[tree.branch_a1.pk])).content.decode()
    assert "2027年3月1日" in body  # elected 2024-03-01 for 3 years
    assert "书记" in body
    assert "党员1" in body


def test_org_forms_through_the_web(client, tree, users):
    login(client, users["committee_staff"])
    resp = client.post(
        reverse("orgs:create", args=[tree.district_a.pk]),
        {
            "code": "A9",
            "name": "甲九党支部",
            "kind": "branch",
            "category": "organ",
            "established_on": "2026-02-01",
        },
    )
    assert resp.status_code == 302
    resp = client.post(
        reverse("orgs:move", args=[Organization.objects.get(code="A9").pk]), {"parent_code": "DB"}
    )
    assert resp.status_code == 200
    assert "不存在或不在您的管理范围内" in resp.content.decode()


def test_pickers_search_within_scope(client, tree, users):
    login(client, users["committee_staff"])
    codes = [
        r["value"]
        for r in client.get(reverse("orgs:lookup"), {"q": "党支部", "action": "manage"}).json()[
            "results"
        ]
    ]
    assert codes == ["A1", "A2"]  # not B1: outside district A
    members = client.get(reverse("members:lookup"), {"org": tree.branch_a1.pk, "q": "党员"}).json()[
        "results"
    ]
    assert [m["value"] for m in members] == ["M0001", "M0002", "M0003", "M0004"]
    assert "3502" not in str(members)


def test_member_counters_follow_every_change(tree, users):
    from dangjian.members import services as member_services
    from dangjian.orgs.counters import counters_recount
    from tests.conftest import member_data

    def snapshot():
        return list(
            Organization.objects.order_by("pk").values_list(
                "members_full", "members_probationary", "members_suspended"
            )
        )

    member_services.member_create(
        actor=None,
        organization=tree.branch_a2,
        member_no="CNT1",
        data=member_data(900, status="probationary", full_on=None, joined_on=date(2026, 1, 5)),
    )
    member_services.member_change_status(
        actor=None,
        member=tree.members["A1-2"],
        to_status="suspended",
        on=date(2026, 2, 1),
        reason="失联",
    )
    member_services.member_move(
        actor=None,
        member=tree.members["A1-3"],
        organization=tree.branch_a2,
        on=date(2026, 2, 1),
        reason="调整",
    )
    member_services.member_change_status(
        actor=None,
        member=tree.members["B1-9"],
        to_status="deceased",
        on=date(2026, 3, 1),
        reason="病故",
    )
    services.org_merge(
        actor=None, source=tree.branch_a2, target=tree.branch_a1, on=date(2026, 4, 1), reason="合并"
    )
    incremental = snapshot()
    counters_recount()
    assert snapshot() == incremental
    a1 = Organization.objects.get(code="A1")
    # A1: 4 full − 1 suspended − 1 moved out, then A2 merged in (3 + the moved one full,
    # 1 probationary)
    assert (a1.members_full, a1.members_probationary, a1.members_suspended) == (6, 1, 1)
