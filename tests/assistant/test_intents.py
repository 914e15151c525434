"""Questions about one's own record (issue 17, item 4): recognised from the intent table, answered
from the platform's data scoped like the pages; another member's data is never answered."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dangjian.assistant import intents
from dangjian.assistant.answer import ask
from dangjian.fees import services as fee_services
from dangjian.fees.models import FeeMonth, current_index
from dangjian.fees.selectors import payable_months
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("我这个月党费交了吗", "fee_month"),
        ("本月我的党费缴了没有", "fee_month"),
        ("我还欠几个月党费", "fee_arrears"),
        ("我今年学习了多少学时", "study_hours"),
        ("我的组织关系转到哪一步了", "transfer_step"),
        ("下次支部会议什么时候开", "next_meeting"),
        ("我什么时候可以转正", "conversion"),
        ("我的入党申请到哪一步了", "application"),
        ("本支部还有几人没交党费", "branch_unpaid"),
        ("党费怎么算", None),
        ("预备党员什么时候可以转正", None),  # a general question, not one's own record
        ("党员2这个月党费交了吗", None),  # someone else's record
    ],
)
def test_the_intent_table(question, intent):
    hit = intents.match(question)
    assert (hit.id if hit else None) == intent


def _ledger(tree) -> None:
    now = current_index()
    fee_services.ledger_generate(month=now)
    fee_services.ledger_generate(month=now - 1)


def test_a_member_asks_about_their_own_fees(tree):
    _ledger(tree)
    me = tree.members["A1-2"]
    user = make_user("m2", member=me)
    a = ask(user, "我这个月党费交了吗")
    assert a.kind == "record"
    assert a.citations[0].document == "本人记录"
    assert "还没交" in a.answer
    row = FeeMonth.objects.get(member=me, month_index=current_index())
    assert f"{row.due_fen / 100:.2f}" in a.answer
    owed = ask(user, "我还欠几个月党费")
    months = [p for p in payable_months(me, current_index()) if p.owed]
    assert f"欠交{len(months)}个月" in owed.answer
    assert owed.link.endswith("/fees/me/pay/")


def test_another_members_record_is_never_answered(tree):
    _ledger(tree)
    user = make_user("m2", member=tree.members["A1-2"])
    other = tree.members["A1-3"]
    a = ask(user, f"{other.name}这个月党费交了吗")
    assert a.kind != "record"
    due = FeeMonth.objects.get(member=other, month_index=current_index()).due_fen
    assert f"{due / 100:.2f}" not in (a.answer or "")


def test_staff_ask_about_their_scope(tree, users):
    _ledger(tree)
    worker = users["branch_worker"]  # branch A1: 4 members
    a = ask(worker, "本支部还有几人没交党费")
    assert a.kind == "record"
    assert "还有4人未交党费" in a.answer
    member_user = make_user("m3", member=tree.members["A1-3"])
    assert "工作人员账号" in ask(member_user, "本支部还有几人没交党费").answer


def test_study_hours_and_conversion(tree):
    user = make_user("m2", member=tree.members["A1-2"])
    hours = ask(user, "我今年学习了多少学时")
    assert f"您{timezone.localdate().year}年已学习0.0学时" in hours.answer
    assert "不少于32学时" in hours.answer
    assert "正式党员" in ask(user, "我什么时候可以转正").answer
