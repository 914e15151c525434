"""The transfer workflow: inside the deployment and out of it, the refusals, racing approvals with
one effect, and a state machine keeping every member with exactly one organization of record."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from dangjian.core.errors import DomainError, NotVisible
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.transfers import services
from dangjian.transfers.models import Transfer
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_inside_the_deployment_member_moves_only_when_received(tree, users):
    m = tree.members["A1-2"]
    t = services.transfer_start(
        actor=users["member"], member=m, to_org=tree.branch_b1, reason="工作调动"
    )
    with pytest.raises(
        NotVisible
    ):  # the sending committee issues the letter, not the receiving one
        services.transfer_issue(actor=users["sibling_staff"], transfer=t)
    services.transfer_issue(actor=users["committee_staff"], transfer=t, valid_days=90)
    t.refresh_from_db()
    assert t.letter_no.startswith("ZJ")
    assert (
        Member.objects.get(pk=m.pk).organization_id == tree.branch_a1.pk
    )  # still responsible: the sender
    with pytest.raises(DomainError, match="转入党委同意后"):
        services.transfer_accept(actor=users["sibling_staff"], transfer=t)
    services.transfer_agree(actor=users["sibling_staff"], transfer=t)
    services.transfer_accept(actor=users["sibling_staff"], transfer=t)
    m.refresh_from_db()
    assert m.organization_id == tree.branch_b1.pk
    a1, b1 = (
        Organization.objects.get(pk=tree.branch_a1.pk),
        Organization.objects.get(pk=tree.branch_b1.pk),
    )
    assert (a1.members_full, b1.members_full) == (3, 4)
    assert m.events.filter(kind="moved").count() == 1


def test_out_of_the_deployment_the_receipt_closes_it(tree, users):
    m = tree.members["A1-3"]
    t = services.transfer_start(actor=users["branch_worker"], member=m, to_name="厦门大学党委")
    services.transfer_issue(actor=users["committee_staff"], transfer=t)
    services.transfer_accept(actor=users["committee_staff"], transfer=t)
    m.refresh_from_db()
    assert (m.status, m.organization_id) == ("transferred_out", tree.branch_a1.pk)


def test_refusals(tree, users):
    m = tree.members["A1-2"]
    with pytest.raises(DomainError, match="相同"):
        services.transfer_start(actor=users["branch_worker"], member=m, to_org=tree.branch_a1)
    with pytest.raises(DomainError, match="不能转入党小组"):
        services.transfer_start(actor=users["branch_worker"], member=m, to_org=tree.group_a1)
    with pytest.raises(NotVisible):  # another member cannot start it for them
        services.transfer_start(
            actor=make_user("other", member=tree.members["A1-4"]), member=m, to_org=tree.branch_b1
        )
    t = services.transfer_start(actor=users["branch_worker"], member=m, to_org=tree.branch_a2)
    with pytest.raises(DomainError, match="正在办理"):
        services.transfer_start(actor=users["member"], member=m, to_org=tree.branch_b1)
    with pytest.raises(DomainError, match="1至180天"):
        services.transfer_issue(actor=users["committee_staff"], transfer=t, valid_days=200)
    services.transfer_issue(
        actor=users["committee_staff"],
        transfer=t,
        valid_days=10,
        on=timezone.localdate() - timedelta(days=20),
    )
    services.transfer_agree(actor=users["committee_staff"], transfer=t)
    with pytest.raises(DomainError, match="过期"):
        services.transfer_accept(actor=users["committee_staff"], transfer=t)
    with pytest.raises(DomainError, match="退回须说明理由"):
        services.transfer_close(actor=users["committee_staff"], transfer=t, how="reject", reason="")
    services.transfer_close(
        actor=users["committee_staff"], transfer=t, how="expire", reason="逾期未报到"
    )
    m.refresh_from_db()
    assert m.organization_id == tree.branch_a1.pk
    assert Transfer.objects.get(pk=t.pk).status == "expired"
    services.transfer_start(
        actor=users["member"], member=m, to_org=tree.branch_b1
    )  # may start again


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="needs PostgreSQL's row locks across threads"
)
def test_two_racing_acceptances_have_one_effect(transactional_db, tree, users):
    m = tree.members["A1-2"]
    t = services.transfer_start(actor=users["branch_worker"], member=m, to_org=tree.branch_a2)
    services.transfer_issue(actor=users["committee_staff"], transfer=t)
    services.transfer_agree(actor=users["committee_staff"], transfer=t)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def accept() -> None:
        barrier.wait()
        try:
            services.transfer_accept(actor=users["committee_staff"], transfer=t)
            outcomes.append("ok")
        except DomainError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 7
    a1, a2 = (
        Organization.objects.get(pk=tree.branch_a1.pk),
        Organization.objects.get(pk=tree.branch_a2.pk),
    )
    assert (a1.members_full, a2.members_full) == (3, 4)
    assert Member.objects.get(pk=m.pk).events.filter(kind="moved").count() == 1


class TransferMachine(RuleBasedStateMachine):
    """Random sequences of start / issue / agree / accept / reject / cancel / expire over a few
    members and branches; after every step each member has one organization of record, at most one
    open transfer, and the branch counters match the roll."""

    runs = 0

    def __init__(self) -> None:
        super().__init__()
        from dangjian.accounts.constants import Role
        from dangjian.members.services import member_create
        from dangjian.orgs.services import org_create
        from tests.conftest import member_data

        TransferMachine.runs += 1
        n = (
            TransferMachine.runs
        )  # each example builds its own small tree inside the test's transaction
        root = org_create(
            actor=None,
            parent=None,
            code=f"SM{n}C",
            name="委员会",
            kind="committee",
            category="organ",
            established_on=date(2000, 1, 1),
        )
        self.branches = [
            org_create(
                actor=None,
                parent=root,
                code=f"SM{n}B{i}",
                name=f"支部{i}",
                kind="branch",
                category="organ",
                established_on=date(2000, 1, 1),
            )
            for i in range(3)
        ]
        self.members = [
            member_create(
                actor=None,
                organization=self.branches[i % 3],
                member_no=f"SM{n}M{i}",
                data=member_data(
                    100 * n + i, birth_date=date(1960, 1, 1) + timedelta(days=10 * n + i)
                ),
            )
            for i in range(4)
        ]
        self.actor = make_user(f"sm_staff{n}", Role.COMMITTEE_STAFF, root)
        self.transfers: list[int] = []

    def _try(self, fn, **kw):  # type: ignore[no-untyped-def]
        try:
            t = fn(actor=self.actor, **kw)
        except DomainError:
            return None
        return t

    @rule(i=st.integers(0, 3), j=st.integers(0, 3))
    def start(self, i: int, j: int) -> None:
        m = Member.objects.get(pk=self.members[i].pk)
        to = self.branches[j % 3] if j < 3 else None
        t = self._try(
            services.transfer_start, member=m, to_org=to, to_name="" if to else "外地党委"
        )
        if t is not None:
            self.transfers.append(t.pk)

    def _pick(self, k: int):  # type: ignore[no-untyped-def]
        return (
            Transfer.objects.get(pk=self.transfers[k % len(self.transfers)])
            if self.transfers
            else None
        )

    @rule(
        k=st.integers(0, 20),
        op=st.sampled_from(["issue", "agree", "accept", "reject", "cancel", "expire"]),
    )
    def act(self, k: int, op: str) -> None:
        t = self._pick(k)
        if t is None:
            return
        if op == "issue":
            self._try(services.transfer_issue, transfer=t)
        elif op == "agree":
            self._try(services.transfer_agree, transfer=t)
        elif op == "accept":
            self._try(services.transfer_accept, transfer=t)
        else:
            self._try(services.transfer_close, transfer=t, how=op, reason="理由")

    @invariant()
    def one_organization_and_one_open_transfer(self) -> None:
        for m in Member.objects.filter(pk__in=[x.pk for x in self.members]):
            assert m.organization_id is not None
            assert Transfer.objects.filter(member=m, status="open").count() <= 1
            accepted = (
                Transfer.objects.filter(member=m, status="accepted", to_org__isnull=False)
                .order_by("-id")
                .first()
            )
            if accepted is not None and m.status != "transferred_out":
                assert m.organization_id == accepted.to_org_id
        for b in Organization.objects.filter(pk__in=[x.pk for x in self.branches]):
            assert b.members_full == Member.objects.filter(organization=b, status="full").count()


TransferMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.usefixtures("db")
def test_state_machine_keeps_one_organization_of_record():
    TransferMachine.TestCase().runTest()
