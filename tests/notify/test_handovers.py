"""Every act that hands work to someone else tells them at once (ui.md: "Every act that hands work
to
someone else sends them a notice at once and puts an item in their 待办").

`audit.actions.HANDOVERS` lists the hand-over acts; each has a scenario here that performs it
through its service and names who must be told. The test fails on a hand-over without a scenario,
and on one whose act tells nobody (or tells the wrong people).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from dangjian.accounts import services as account_services
from dangjian.accounts.constants import Role
from dangjian.audit.actions import HANDOVERS
from dangjian.audit.models import AuditEvent
from dangjian.meetings import services as meeting_services
from dangjian.meetings.models import Leave
from dangjian.members import services as member_services
from dangjian.notify.models import Notice
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Election
from dangjian.recruitment import services as recruitment_services
from dangjian.supervision import services as supervision_services
from dangjian.transfers import services as transfer_services
from tests.conftest import make_id, make_user

pytestmark = pytest.mark.django_db

Scenario = Callable[[Any, dict[str, Any], Callable[[Callable[[], Any]], Any]], set[str]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(action: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        SCENARIOS[action] = fn
        return fn

    return register


def _task(tree: Any, users: dict[str, Any]) -> Any:
    return supervision_services.task_create(
        actor=users["committee_staff"],
        issuer_org=tree.district_a,
        title="整改会议记录",
        body="补齐记录",
        deadline=timezone.localdate() + timedelta(days=7),
        organizations=[tree.branch_a1],
    )


@scenario("supervision.task_create")
def _task_create(tree, users, act):
    act(lambda: _task(tree, users))
    return {"worker_a1"}


@scenario("supervision.reply")
def _reply(tree, users, act):
    a = _task(tree, users).assignments.get()
    act(
        lambda: supervision_services.assignment_reply(
            actor=users["branch_worker"], assignment=a, reply="已补齐"
        )
    )
    return {"staff_da"}


def _replied(tree, users):
    a = _task(tree, users).assignments.get()
    return supervision_services.assignment_reply(
        actor=users["branch_worker"], assignment=a, reply="已补齐"
    )


@scenario("supervision.accept")
def _accept(tree, users, act):
    a = _replied(tree, users)
    act(
        lambda: supervision_services.assignment_decide(
            actor=users["committee_staff"], assignment=a, accept=True
        )
    )
    return {"worker_a1"}


@scenario("supervision.return")
def _return(tree, users, act):
    a = _replied(tree, users)
    act(
        lambda: supervision_services.assignment_decide(
            actor=users["committee_staff"], assignment=a, accept=False, reason="记录不全"
        )
    )
    return {"worker_a1"}


def _start(tree, users):
    return transfer_services.transfer_start(
        actor=users["branch_worker"],
        member=tree.members["A1-2"],
        to_org=tree.branch_a2,
        reason="工作调动",
    )


@scenario("transfers.start")
def _transfer_start(tree, users, act):
    act(lambda: _start(tree, users))
    return {"staff_da"}  # the sending committee approves


def _issued(tree, users):
    return transfer_services.transfer_issue(
        actor=users["committee_staff"], transfer=_start(tree, users), valid_days=30
    )


@scenario("transfers.issue")
def _transfer_issue(tree, users, act):
    t = _start(tree, users)
    act(
        lambda: transfer_services.transfer_issue(
            actor=users["committee_staff"], transfer=t, valid_days=30
        )
    )
    return {"member1", "staff_da"}  # the member; the receiving committee


@scenario("transfers.agree")
def _transfer_agree(tree, users, act):
    make_user("worker_a2", Role.BRANCH_WORKER, tree.branch_a2)
    t = _issued(tree, users)
    act(lambda: transfer_services.transfer_agree(actor=users["committee_staff"], transfer=t))
    return {"worker_a2"}  # the receiving branch accepts


@scenario("transfers.accept")
def _transfer_accept(tree, users, act):
    worker_a2 = make_user("worker_a2", Role.BRANCH_WORKER, tree.branch_a2)
    t = transfer_services.transfer_agree(
        actor=users["committee_staff"], transfer=_issued(tree, users)
    )
    act(lambda: transfer_services.transfer_accept(actor=worker_a2, transfer=t))
    return {"member1"}


@scenario("transfers.reject")
def _transfer_reject(tree, users, act):
    t = _start(tree, users)
    act(
        lambda: transfer_services.transfer_close(
            actor=users["committee_staff"], transfer=t, how="reject", reason="材料不全"
        )
    )
    return {"member1"}


@scenario("transfers.batch")
def _transfer_batch(tree, users, act):
    act(
        lambda: transfer_services.transfer_batch(
            actor=users["committee_staff"],
            members=[tree.members["A1-2"]],
            to_org=tree.branch_a2,
            reason="机构调整",
        )
    )
    return {"member1", "staff_da"}


@scenario("recruitment.step")
def _recruitment_step(tree, users, act):
    c = recruitment_services.candidate_apply(
        actor=users["branch_worker"],
        organization=tree.branch_a1,
        person=recruitment_services.Person(
            "R0001", "申请人", "男", date(1998, 3, 1), make_id(501, date(1998, 3, 1), True)
        ),
        applied_on=date(2023, 1, 5),
    )

    def step(no: int, on: date, **kw: Any) -> Any:
        return recruitment_services.candidate_step(
            actor=users["branch_worker"], candidate=c, step=no, on=on, **kw
        )

    step(2, date(2023, 1, 20))
    step(3, date(2023, 4, 1))
    step(4, date(2023, 4, 5))
    step(5, date(2023, 4, 6), members=[tree.members["A1-1"]])
    step(6, date(2023, 10, 6), opinion="表现良好")
    act(lambda: step(7, date(2024, 4, 1)))  # a development object: the committee files it next
    return {"staff_da"}


def _meeting(tree, users, *, publish: bool):
    m = meeting_services.meeting_plan(
        actor=users["branch_worker"],
        organization=tree.branch_a1,
        kind="theme_day",
        planned_on=timezone.localdate() + timedelta(days=3),
        topic="主题党日",
    )
    if publish:
        meeting_services.meeting_publish(actor=users["branch_worker"], meeting=m)
    return m


@scenario("meetings.publish")
def _publish(tree, users, act):
    m = _meeting(tree, users, publish=False)
    act(lambda: meeting_services.meeting_publish(actor=users["branch_worker"], meeting=m))
    return {"member1"}


@scenario("meetings.leave_request")
def _leave_request(tree, users, act):
    m = _meeting(tree, users, publish=True)
    act(lambda: meeting_services.leave_request(user=users["member"], meeting=m, reason="出差"))
    return {"worker_a1"}


@scenario("meetings.leave_decide")
def _leave_decide(tree, users, act):
    m = _meeting(tree, users, publish=True)
    lv = meeting_services.leave_request(user=users["member"], meeting=m, reason="出差")
    act(
        lambda: meeting_services.leave_decide(
            actor=users["branch_worker"], leave=Leave.objects.get(pk=lv.pk), approve=True
        )
    )
    return {"member1"}


@scenario("accounts.grant_create")
def _grant(tree, users, act):
    new = make_user("newcomer")
    act(
        lambda: account_services.grant_create(
            actor=users["security_admin"],
            user=new,
            role=Role.BRANCH_WORKER,
            organization=tree.branch_a2,
        )
    )
    return {"newcomer"}


@scenario("orgs.election_request")
def _election_request(tree, users, act):
    act(
        lambda: org_services.election_request(
            actor=users["branch_worker"],
            organization=tree.branch_a1,
            requested_on=timezone.localdate(),
        )
    )
    return {"staff_da"}


@scenario("orgs.election_report")
def _election_report(tree, users, act):
    held = timezone.localdate() - timedelta(days=3)
    e = Election.objects.create(organization=tree.branch_a1, requested_on=held, held_on=held)
    act(
        lambda: org_services.election_report(
            actor=users["branch_worker"], election=e, reported_on=timezone.localdate()
        )
    )
    return {"staff_da"}


def _correction(users):
    return member_services.correction_request(
        actor=users["member"], field="phone", value="13912340000", reason="换了手机号"
    )


@scenario("members.correction_request")
def _correction_request(tree, users, act):
    act(lambda: _correction(users))
    return {"worker_a1"}


@scenario("members.correction_decide")
def _correction_decide(tree, users, act):
    c = _correction(users)
    act(
        lambda: member_services.correction_decide(
            actor=users["branch_worker"], correction=c, approve=True
        )
    )
    return {"member1"}


def _opinion(users, **kw):
    from dangjian.assistant import services as assistant_services

    return assistant_services.opinion_submit(
        actor=users["member"], topic="life", text_="建议主题党日安排在周末。", **kw
    )


@scenario("assistant.opinion_submit")
def _opinion_submit(tree, users, act):
    act(lambda: _opinion(users))
    return {"worker_a1"}


@scenario("assistant.opinion_reply")
def _opinion_reply(tree, users, act):
    from dangjian.assistant import services as assistant_services

    op = _opinion(users)
    act(
        lambda: assistant_services.opinion_reply(
            actor=users["branch_worker"], opinion=op, text_="已采纳，下月起安排在周六。"
        )
    )
    return {"member1"}


@scenario("assistant.opinion_forward")
def _opinion_forward(tree, users, act):
    from dangjian.assistant import services as assistant_services

    op = _opinion(users)
    act(lambda: assistant_services.opinion_forward(actor=users["branch_worker"], opinion=op))
    return {"member1", "staff_da"}


def test_every_hand_over_has_a_scenario() -> None:
    assert sorted(HANDOVERS) == sorted(SCENARIOS)


@pytest.mark.parametrize("action", sorted(HANDOVERS))
def test_a_hand_over_tells_those_now_responsible(
    action, tree, users, django_capture_on_commit_callbacks
):
    acted: dict[str, Any] = {}

    def act(call: Callable[[], Any]) -> Any:
        acted["before"] = Notice.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with django_capture_on_commit_callbacks(execute=True):
            acted["result"] = call()
        return acted["result"]

    expected = SCENARIOS[action](tree, users, act)
    assert AuditEvent.objects.filter(action=action).exists()
    told = set(
        Notice.objects.filter(id__gt=acted["before"]).values_list("user__username", flat=True)
    )
    assert told == expected


# --- 近邻党建 ------------------------------------------------------------------------------


def _hood_member(tree):
    from dangjian.community import services as community
    from tests.community.conftest import make_hood

    h = make_hood(tree)
    user = make_user("w001", member=h.workers[0])
    community.residence_set(actor=user, member=h.workers[0], place=h.place)
    return h, user


def _reported(tree):
    from dangjian.community import services as community

    h, user = _hood_member(tree)
    report = community.report_submit(actor=user, member=h.workers[0], community=h.community)
    return h, user, report


@scenario("community.report_submit")
def _community_report(tree, users, act):
    from dangjian.community import services as community

    h, user = _hood_member(tree)
    act(lambda: community.report_submit(actor=user, member=h.workers[0], community=h.community))
    return {"cm_worker"}


@scenario("community.unit_register")
def _community_unit(tree, users, act):
    from dangjian.community import services as community
    from tests.community.conftest import make_hood

    h = make_hood(tree)
    act(
        lambda: community.unit_register(
            actor=users["committee_staff"],
            unit=h.office,
            community=h.community,
            contact_name="王主任",
            resources="法律咨询、义诊",
        )
    )
    return {"cm_worker"}


@scenario("community.report_confirm")
def _community_report_confirm(tree, users, act):
    from dangjian.community import services as community

    h, _user, report = _reported(tree)
    act(lambda: community.report_confirm(actor=h.staff, report=report))
    return {"w001"}


@scenario("community.need_claim")
def _community_claim(tree, users, act):
    from dangjian.community import services as community

    h, user, _ = _reported(tree)
    need = community.need_publish(
        actor=h.staff, community=h.community, kind="wish", title="帮独居老人换灯泡"
    )
    act(lambda: community.need_claim(actor=user, member=h.workers[0], need=need))
    return {"cm_worker"}


def _pending_post(tree):
    from dangjian.community import services as community

    h, user, _ = _reported(tree)
    need = community.need_publish(
        actor=h.staff, community=h.community, kind="post", title="3号楼楼栋长助理"
    )
    return h, community.need_claim(actor=user, member=h.workers[0], need=need)


@scenario("community.need_approve")
def _community_approve(tree, users, act):
    from dangjian.community import services as community

    h, need = _pending_post(tree)
    act(lambda: community.need_approve(actor=h.staff, need=need, approve=True))
    return {"w001"}


@scenario("community.need_decline")
def _community_decline(tree, users, act):
    from dangjian.community import services as community

    h, need = _pending_post(tree)
    act(
        lambda: community.need_approve(
            actor=h.staff, need=need, approve=False, reason="该岗位需住本楼栋"
        )
    )
    return {"w001"}


@scenario("community.appraise")
def _community_appraise(tree, users, act):
    from django.utils import timezone

    from dangjian.accounts.constants import Role
    from dangjian.community import services as community

    h, _user, _ = _reported(tree)
    make_user("of_worker", Role.BRANCH_WORKER, h.office)  # the member's own branch
    act(
        lambda: community.appraisal_save(
            actor=h.staff,
            community=h.community,
            year=timezone.localdate().year,
            member=h.workers[0],
            grade="excellent",
            comment="常年做楼道志愿服务",
        )
    )
    return {"of_worker"}


@scenario("community.service_confirm")
def _community_service(tree, users, act):
    from django.utils import timezone

    from dangjian.community import services as community

    h, _user, _ = _reported(tree)
    act(
        lambda: community.service_confirm(
            actor=h.staff,
            community=h.community,
            member=h.workers[0],
            done_on=timezone.localdate(),
            hours=2,
            what="楼道清理",
        )
    )
    return {"w001"}


def _issue(tree):
    from dangjian.community import services as community

    h, user = _hood_member(tree)
    issue = community.issue_raise(
        actor=user, community=h.community, title="装卸货车位被占", text="美食街装卸货车位长期被占用"
    )
    return h, user, issue


@scenario("community.issue_raise")
def _community_issue(tree, users, act):
    from dangjian.community import services as community

    h, user = _hood_member(tree)
    act(
        lambda: community.issue_raise(
            actor=user, community=h.community, title="路灯不亮", text="三号楼前路灯坏了一周"
        )
    )
    return {"cm_worker"}


@scenario("community.issue_meeting")
def _community_meeting(tree, users, act):
    from django.utils import timezone

    from dangjian.community import services as community

    h, _user, issue = _issue(tree)
    act(
        lambda: community.issue_meeting(
            actor=h.staff,
            issue=issue,
            held_on=timezone.localdate(),
            parties="社区党委、商户代表、物业",
            decision="划定装卸时段，先锋队每日巡查劝导",
        )
    )
    return {"w001"}


@scenario("community.issue_close")
def _community_close(tree, users, act):
    from django.utils import timezone

    from dangjian.community import services as community

    h, _user, issue = _issue(tree)
    community.issue_meeting(
        actor=h.staff,
        issue=issue,
        held_on=timezone.localdate(),
        parties="社区党委、商户代表",
        decision="划定装卸时段",
    )
    act(lambda: community.issue_close(actor=h.staff, issue=issue, result="车位已恢复通行"))
    return {"w001"}


@scenario("community.issue_reopen")
def _community_reopen(tree, users, act):
    from django.utils import timezone

    from dangjian.community import services as community

    h, user, issue = _issue(tree)
    community.issue_meeting(
        actor=h.staff,
        issue=issue,
        held_on=timezone.localdate(),
        parties="社区党委、商户代表",
        decision="划定装卸时段",
    )
    community.issue_close(actor=h.staff, issue=issue, result="车位已恢复通行")
    act(
        lambda: community.issue_confirm(
            actor=user, issue=issue, solved=False, note="晚上仍有车辆占用"
        )
    )
    return {"cm_worker"}


# --- 组团帮扶 ------------------------------------------------------------------------------------


def _village(tree, key=True):
    from datetime import date

    from dangjian.orgs.services import org_create
    from dangjian.villages import services as villages

    org = org_create(
        actor=None, parent=tree.district_a, code="VO1", name="中共莲花村委员会",
        kind="committee", category="village", established_on=date(2000, 1, 1),
    )  # fmt: skip
    return villages.village_save(
        actor=None, code="V1", name="莲花村", town="莲花镇", district="甲区", organization=org,
        key=key,
    )  # fmt: skip


@scenario("villages.pairing_set")
def _village_pairing(tree, users, act):
    from datetime import date

    from dangjian.villages import services as villages

    v = _village(tree)
    r = villages.round_save(
        actor=None, organization=tree.city, name="一轮", starts_on=date(2025, 1, 1),
        ends_on=date(2027, 12, 31),
    )  # fmt: skip
    act(lambda: villages.pairing_set(actor=None, round=r, village=v, unit=tree.branch_a1))
    return {"worker_a1"}


@scenario("villages.resident_post")
def _village_resident(tree, users, act):
    from datetime import date

    from dangjian.villages import services as villages

    v = _village(tree)
    act(
        lambda: villages.resident_post(
            actor=users["committee_staff"],
            village=v,
            member=tree.members["A1-2"],
            role="first_secretary",
            unit=tree.branch_a1,
            arrived_on=date(2026, 1, 1),
        )  # fmt: skip
    )
    return {"member1"}


@scenario("villages.plot_adopt")
def _village_adopt(tree, users, act):
    from dangjian.villages import services as villages

    plot = villages.plot_save(
        actor=None, village=_village(tree), code="P1", area_mu="3.5", crop="水稻"
    )
    act(
        lambda: villages.plot_adopt(
            actor=users["branch_worker"], plot=plot, unit=tree.branch_a1, season="2026"
        )
    )
    return {"staff_da"}


# --- 非公党建 ------------------------------------------------------------------------------------


def _enterprise(tree):
    from dangjian.enterprises import services as enterprises

    return enterprises.enterprise_save(
        actor=None,
        data=enterprises.EnterpriseData(
            credit_code="91350100M000100Y43", name="鹭翔科技有限公司", committee=tree.district_a
        ),
    )


@scenario("enterprises.assignment_start")
def _enterprise_assign(tree, users, act):
    from datetime import date

    from dangjian.enterprises import services as enterprises

    ins = enterprises.instructor_save(
        actor=None, name="指导员", kind="full", organization=tree.district_a,
        member=tree.members["A1-2"],
    )  # fmt: skip
    e = _enterprise(tree)
    act(
        lambda: enterprises.assignment_start(
            actor=users["committee_staff"], instructor=ins, enterprise=e, since=date(2026, 1, 1)
        )
    )
    return {"member1"}


@scenario("enterprises.visit_log")
def _enterprise_visit(tree, users, act):
    from datetime import date

    from dangjian.enterprises import services as enterprises

    ins = enterprises.instructor_save(
        actor=None, name="指导员", kind="full", organization=tree.district_a
    )
    e = _enterprise(tree)
    enterprises.assignment_start(actor=None, instructor=ins, enterprise=e, since=date(2026, 1, 1))
    act(
        lambda: enterprises.visit_log(
            actor=users["committee_staff"],
            instructor=ins,
            enterprise=e,
            visited_on=date(2026, 1, 5),
            met="张总",
            topics=["relations"],
            cases=[
                enterprises.CaseData(
                    name=tree.members["A1-3"].name,
                    finding="elsewhere",
                    member=tree.members["A1-3"],
                )
            ],
        )  # fmt: skip
    )
    return {"worker_a1"}


@scenario("enterprises.position_cultivate")
def _enterprise_cultivate(tree, users, act):
    from dangjian.enterprises import services as enterprises

    e = enterprises.enterprise_save(
        actor=None,
        data=enterprises.EnterpriseData(
            credit_code="91350100M000100Y43",
            name="鹭翔科技有限公司",
            committee=tree.district_a,
            own_organization=tree.branch_a1,
        ),
    )
    p = enterprises.position_save(
        actor=None, enterprise=e, kind="dept", title="研发部经理", holder="王工"
    )
    act(lambda: enterprises.position_cultivate(actor=users["committee_staff"], position=p))
    return {"worker_a1"}


@scenario("enterprises.joint_event_record")
def _enterprise_joint(tree, users, act):
    from datetime import timedelta

    from dangjian.accounts import services as accounts
    from dangjian.enterprises import services as enterprises
    from tests.conftest import make_user

    secretary = make_user("sec_a1", "branch_worker", tree.branch_a1)
    accounts.grant_create(
        actor=None, user=secretary, role="supervisor", organization=tree.district_a
    )
    act(
        lambda: enterprises.joint_event_record(
            actor=secretary,
            organizer=tree.branch_a1,
            kind="activity",
            title="联合主题党日",
            held_on=timezone.localdate() - timedelta(days=1),
            participants=[tree.branch_a2],
            counts_as="theme_day",
        )  # fmt: skip
    )
    return {"staff_da"}


# --- 城市党建学院 ----------------------------------------------------------------------------


def _aclass(tree, users, **over):
    from dangjian.academy import services as academy
    from dangjian.academy.models import ClassKind

    data = academy.ClassData(
        kind=ClassKind.objects.get(code="secretary"),
        organizer=tree.district_a,
        title="党员培训班",
        starts_on=over.pop("starts_on", timezone.localdate() + timedelta(days=10)),
        ends_on=over.pop("ends_on", timezone.localdate() + timedelta(days=12)),
        **over,
    )
    k = academy.class_create(actor=users["committee_staff"], data=data)
    academy.session_add(
        actor=users["committee_staff"],
        klass=k,
        on=k.starts_on,
        starts_at=timezone.datetime(2000, 1, 1, 9).time(),
        ends_at=timezone.datetime(2000, 1, 1, 12).time(),
        topic="党章",
    )
    return k


def _anominated(tree, users, **over):
    from dangjian.academy import services as academy

    k = _aclass(tree, users, **over)
    (e,) = academy.enrolment_nominate(
        actor=users["branch_worker"],
        klass=k,
        nominated_by=tree.branch_a1,
        members=[tree.members["A1-2"]],
    )
    return k, e


def _apublished(tree, users, **over):
    from dangjian.academy import services as academy

    k, e = _anominated(tree, users, **over)
    academy.enrolment_decide(actor=users["committee_staff"], enrolments=[e], accept=True)
    academy.roster_publish(actor=users["committee_staff"], klass=k)
    return k, e


@scenario("academy.class_create")
def _academy_class(tree, users, act):
    act(lambda: _aclass(tree, users))
    return {"worker_a1"}  # the branches under the organizer (its own staff are not told)


@scenario("academy.nominate")
def _academy_nominate(tree, users, act):
    from dangjian.academy import services as academy

    k = _aclass(tree, users)
    act(
        lambda: academy.enrolment_nominate(
            actor=users["branch_worker"],
            klass=k,
            nominated_by=tree.branch_a1,
            members=[tree.members["A1-2"]],
        )
    )
    return {"staff_da"}


@scenario("academy.decide")
def _academy_decide(tree, users, act):
    from dangjian.academy import services as academy

    _k, e = _anominated(tree, users)
    act(
        lambda: academy.enrolment_decide(
            actor=users["committee_staff"], enrolments=[e], accept=False
        )
    )
    return {"member1", "worker_a1"}


@scenario("academy.publish")
def _academy_publish(tree, users, act):
    from dangjian.academy import services as academy

    k, e = _anominated(tree, users)
    academy.enrolment_decide(actor=users["committee_staff"], enrolments=[e], accept=True)
    act(lambda: academy.roster_publish(actor=users["committee_staff"], klass=k))
    return {"member1", "worker_a1"}


@scenario("academy.leave_request")
def _academy_leave(tree, users, act):
    from dangjian.academy import services as academy

    k, _e = _apublished(tree, users)
    s = k.sessions.get()
    act(lambda: academy.leave_request(user=users["member"], session=s, reason="出差"))
    return {"staff_da"}


@scenario("academy.leave_decide")
def _academy_leave_decide(tree, users, act):
    from dangjian.academy import services as academy

    k, _e = _apublished(tree, users)
    lv = academy.leave_request(user=users["member"], session=k.sessions.get(), reason="出差")
    act(lambda: academy.leave_decide(actor=users["committee_staff"], leave=lv, approve=True))
    return {"member1"}


@scenario("academy.assess")
def _academy_assess(tree, users, act):
    from freezegun import freeze_time

    from dangjian.academy import services as academy

    today = timezone.localdate()
    with freeze_time(today - timedelta(days=30)):
        k, _e = _apublished(
            tree,
            users,
            starts_on=today - timedelta(days=10),
            ends_on=today - timedelta(days=8),
            min_attendance=None,
            pass_score=None,
        )
    act(lambda: academy.class_assess(actor=users["committee_staff"], klass=k))
    return {"member1", "worker_a1"}
