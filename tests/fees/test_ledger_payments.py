"""The ledger (set-based monthly generation) and the branch's offline payments with their limits."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.audit.models import AuditEvent
from dangjian.core.errors import DomainError, NotVisible
from dangjian.fees import services
from dangjian.fees.models import FeeMonth, Payment, month_index
from dangjian.members.services import member_create
from tests.conftest import member_data

pytestmark = pytest.mark.django_db
JUNE = month_index(2026, 6)
NOW = services.current_index()  # payments are checked against the real current month
PAID_ON = date(2026, 6, 10)


def test_ledger_is_generated_once_for_everyone_on_the_roll(tree):
    late = member_create(
        actor=None,
        organization=tree.branch_a2,
        member_no="M0099",
        data=member_data(99, joined_on=date(2026, 7, 1), status="probationary", full_on=None),
    )
    # members get their rows when they are added (see test_one_truth.py); the monthly run is seen
    # here on an empty ledger
    FeeMonth.objects.all().delete()
    with CaptureQueriesContext(connection) as q:
        created = services.ledger_generate(month=JUNE)
    assert created == 10  # the fixture's ten members; the one admitted in July pays from July
    assert (
        len([x for x in q.captured_queries if x["sql"].startswith("INSERT INTO fees_feemonth")])
        == 1
    )
    assert (
        len([x for x in q.captured_queries if x["sql"].startswith("INSERT INTO fees_feerollup")])
        == 1
    )
    from dangjian.fees.models import FeeRollup

    assert sum(FeeRollup.objects.filter(month_index=JUNE).values_list("members", flat=True)) == 10
    assert not FeeMonth.objects.filter(member=late, month_index=JUNE).exists()
    assert services.ledger_generate(month=JUNE) == 0
    assert services.ledger_generate(month=JUNE + 1) == 11
    m = tree.members["A1-1"]
    row = FeeMonth.objects.get(member=m, month_index=JUNE)
    from dangjian.fees.bands import quote

    assert row.due_fen == quote(m.fee_category, m.fee_base_fen).monthly_fen
    assert row.paid_fen is None
    assert row.organization_id == m.organization_id


def test_offline_payment_marks_the_months_and_issues_a_receipt(tree, users):
    services.ledger_generate(month=NOW)
    m = tree.members["A1-2"]
    due = FeeMonth.objects.get(member=m, month_index=NOW).due_fen
    worker = users["branch_worker"]
    p = services.payment_offline(
        actor=worker,
        member=m,
        months=[NOW],
        amount_fen=due,
        channel="cash",
        paid_on=date(2026, 6, 10),
    )
    row = FeeMonth.objects.get(member=m, month_index=NOW)
    assert (row.paid_fen, row.channel, row.payment_id) == (due, "cash", p.pk)
    assert p.receipt_no.startswith("DF20260610")
    assert p.collector == worker
    assert AuditEvent.objects.filter(action="fees.pay", object_id=str(p.pk)).count() == 1
    with pytest.raises(DomainError, match="已足额缴纳"):
        services.payment_offline(
            actor=worker,
            member=m,
            months=[NOW],
            amount_fen=due,
            channel="cash",
            paid_on=date(2026, 6, 10),
        )


def test_bad_payments_are_refused_and_change_nothing(tree, users):
    services.ledger_generate(month=NOW)
    m = tree.members["A1-2"]
    worker = users["branch_worker"]
    due = FeeMonth.objects.get(member=m, month_index=NOW).due_fen
    cases = [
        ({"months": [NOW], "amount_fen": due + 1}, "amount", "金额应为"),
        ({"months": [NOW], "amount_fen": due, "channel": "online"}, "channel", "现金或银行转账"),
        (
            {"months": list(range(NOW - 7, NOW)), "amount_fen": 7 * due},
            "months",
            "一次补交不超过6个月",
        ),
        (
            {"months": list(range(NOW + 1, NOW + 8)), "amount_fen": 7 * due},
            "months",
            "预交不超过6个月",
        ),
        (
            {"months": [NOW], "amount_fen": due, "paid_by": tree.members["A1-3"]},
            "consent",
            "代缴须记录支部同意",
        ),
        ({"months": [], "amount_fen": due}, "months", "请选择"),
    ]
    for over, field, text in cases:
        kw = {"actor": worker, "member": m, "channel": "cash", "paid_on": date(2026, 6, 10)} | over
        with pytest.raises(DomainError) as exc:
            services.payment_offline(**kw)
        assert exc.value.field == field, over
        assert text in exc.value.message
    assert not Payment.objects.exists()
    assert not FeeMonth.objects.filter(paid_fen__isnull=False).exists()
    with pytest.raises(NotVisible):
        services.payment_offline(
            actor=users["sibling_staff"],
            member=m,
            months=[NOW],
            amount_fen=due,
            channel="cash",
            paid_on=date(2026, 6, 10),
        )


def test_back_and_prepayment_within_six_months_and_for_another_member(tree, users):
    services.ledger_generate(month=NOW)
    m = tree.members["A1-2"]
    monthly = services.expected_due(m, NOW)
    months = list(range(NOW - 6, NOW)) + [NOW] + list(range(NOW + 1, NOW + 7))
    p = services.payment_offline(
        actor=users["branch_worker"],
        member=m,
        months=months,
        amount_fen=13 * monthly,
        channel="transfer",
        paid_on=date(2026, 6, 10),
        paid_by=tree.members["A1-3"],
        consent="支委会2026年6月8日同意由其配偶代缴",
    )
    assert FeeMonth.objects.filter(member=m, paid_fen=monthly).count() == 13
    assert p.paid_by == tree.members["A1-3"]
    assert len(p.months) == 13


def test_reduction_needs_the_higher_committee(tree, users):
    m = tree.members["A1-2"]
    base = {
        "actor": users["committee_staff"],
        "member": m,
        "year": 2026,
        "effective_month": JUNE,
        "category": "employed",
        "base_fen": 600000,
        "reason": "长期患病，生活困难",
    }
    with pytest.raises(DomainError) as exc:
        services.assessment_create(kind="reduction", monthly_fen=1000, **base)
    assert exc.value.field == "approval_ref"
    with pytest.raises(DomainError) as exc:
        services.assessment_create(
            kind="reduction",
            monthly_fen=1000,
            approved_by=tree.branch_a1,
            approved_on=date(2026, 6, 1),
            approval_ref="x",
            **base,
        )
    assert exc.value.field == "approved_by"
    services.ledger_generate(month=JUNE)
    a = services.assessment_create(
        kind="reduction",
        monthly_fen=1000,
        approved_by=tree.district_a,
        approved_on=date(2026, 6, 1),
        approval_ref="甲组〔2026〕3号",
        **base,
    )
    assert a.monthly_fen == 1000
    assert FeeMonth.objects.get(member=m, month_index=JUNE).due_fen == 1000
    assert services.expected_due(m, JUNE) == 1000
    with pytest.raises(DomainError) as exc:
        services.assessment_create(kind="change", **{**base, "reason": ""})
    assert exc.value.field == "reason"


def test_committee_summary_rolls_up_the_paid_rate(client, tree, users, django_assert_num_queries):
    from django.urls import reverse

    from dangjian.fees.models import month_label
    from tests.conftest import login

    last = NOW - 1
    services.ledger_generate(month=last)
    m = tree.members["A1-2"]
    due = FeeMonth.objects.get(member=m, month_index=last).due_fen
    services.payment_offline(
        actor=users["branch_worker"],
        member=m,
        months=[last],
        amount_fen=due,
        channel="cash",
        paid_on=date.today(),  # noqa: DTZ011
    )
    login(client, users["committee_staff"])
    url = reverse("fees:summary", args=[tree.district_a.pk]) + f"?month={month_label(last)}"
    client.get(url)
    # the session with its user, grants and bell is one statement; a page view writes no session
    with django_assert_num_queries(9):
        page = client.get(url).content.decode()
    assert "甲一党支部" in page
    assert "甲二党支部" in page
    assert "1/4" in page
    a1_due = sum(
        FeeMonth.objects.filter(organization=tree.branch_a1, month_index=last).values_list(
            "due_fen", flat=True
        )
    )
    assert f"{round(100 * due / a1_due, 1)}%" in page


def test_remittance_at_the_configured_percentage_and_the_yearly_publication(
    client, tree, users, settings
):
    from decimal import Decimal

    from dangjian.compliance.models import Finding
    from dangjian.compliance.services import scan_run
    from dangjian.fees.models import Publication, Remittance

    settings.PAYMENT = {**settings.PAYMENT, "remit_percent": {"branch": "100", "committee": "20"}}
    last = NOW - 1
    services.ledger_generate(month=last)
    m = tree.members["A1-2"]
    due = FeeMonth.objects.get(member=m, month_index=last).due_fen
    services.payment_offline(
        actor=users["branch_worker"],
        member=m,
        months=[last],
        amount_fen=due,
        channel="cash",
        paid_on=date.today(),  # noqa: DTZ011
    )
    y = last // 12
    r = services.remittance_record(
        actor=users["branch_worker"],
        organization=tree.branch_a1,
        year=y,
        quarter=None,
        remitted_on=date.today(),  # noqa: DTZ011
    )
    assert (r.collected_fen, r.percent, r.amount_fen, r.to_organization) == (
        due,
        Decimal("100"),
        due,
        tree.district_a,
    )
    with pytest.raises(DomainError, match="已登记"):
        services.remittance_record(
            actor=users["branch_worker"],
            organization=tree.branch_a1,
            year=y,
            quarter=None,
            remitted_on=date.today(),  # noqa: DTZ011
        )
    r2 = services.remittance_record(
        actor=users["committee_staff"],
        organization=tree.district_a,
        year=y,
        quarter=None,
        remitted_on=date.today(),  # noqa: DTZ011
    )
    assert r2.amount_fen == round(due * 0.2)
    # FEE-12: a branch that collected last year and has not published it
    as_of = date(y + 1, 2, 1)
    scan_run(as_of=as_of)
    assert Finding.objects.filter(
        rule_id="FEE-12", organization=tree.branch_a1, period=str(y), closed_on__isnull=True
    ).exists()
    with pytest.raises(DomainError) as exc:
        services.publication_record(
            actor=users["branch_worker"],
            organization=tree.branch_a1,
            year=y,
            published_on=date.today(),  # noqa: DTZ011
            method="",
        )
    assert exc.value.field == "method"
    p = services.publication_record(
        actor=users["branch_worker"],
        organization=tree.branch_a1,
        year=y,
        published_on=date.today(),  # noqa: DTZ011
        method="党员大会通报",
    )
    assert (p.collected_fen, p.remitted_fen) == (due, due)
    assert Publication.objects.count() == 1
    assert Remittance.objects.count() == 2
    scan_run(as_of=as_of + timedelta(days=1))
    assert not Finding.objects.filter(
        rule_id="FEE-12", organization=tree.branch_a1, closed_on__isnull=True
    ).exists()


def test_fee08_unapproved_relief_and_fee11_late_start(tree, users):
    from dangjian.compliance.models import Finding
    from dangjian.compliance.services import scan_run
    from dangjian.fees.models import Assessment

    m = tree.members["A1-3"]
    Assessment.objects.create(
        member=m,
        kind="exemption",
        year=NOW // 12,
        effective_index=NOW - 2,
        category="employed",
        base_fen=500000,
        monthly_fen=0,
        band="x",
        reason="困难（旧系统迁入，无批准记录）",
    )
    newcomer = member_create(
        actor=None,
        organization=tree.branch_a2,
        member_no="M0077",
        data=member_data(
            77,
            joined_on=date.today().replace(day=1) - timedelta(days=62),  # noqa: DTZ011
            status="probationary",
            full_on=None,
        ),
    )
    joined_idx = month_index(newcomer.joined_on.year, newcomer.joined_on.month)
    # a ledger that starts a month late (kept by the old system): the platform opens it from the
    # month of admission, so the first month's row is taken away here
    FeeMonth.objects.filter(member=newcomer, month_index=joined_idx).delete()
    scan_run(as_of=date.today())  # noqa: DTZ011
    f8 = Finding.objects.get(rule_id="FEE-08", closed_on__isnull=True)
    assert f8.member == m
    assert f8.severity == "high"
    f11 = Finding.objects.get(rule_id="FEE-11", closed_on__isnull=True)
    assert f11.member == newcomer
    assert "党费台账却从" in f11.message


def test_web_import_of_payments_is_strict_and_all_or_nothing(client, tree, users):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from dangjian.fees.models import month_label
    from tests.conftest import login

    last = NOW - 1
    services.ledger_generate(month=last)
    mth = month_label(last)
    a1, b1 = tree.members["A1-2"], tree.members["B1-8"]
    due = FeeMonth.objects.get(member=a1, month_index=last).due_fen
    y = f"{due // 100}.{due % 100:02d}"
    login(client, users["branch_worker"])
    bad = (
        "member_no,month,due,paid,paid_on\n"
        f"{a1.member_no},{mth},{y},{y},{date.today().isoformat()}\n"  # noqa: DTZ011
        f"{b1.member_no},{mth},{y},{y},{date.today().isoformat()}\n"  # noqa: DTZ011 - another district
        f"{tree.members['A1-3'].member_no},{mth},{y},1.00,{date.today().isoformat()}\n"  # noqa: DTZ011
    )
    resp = client.post(
        reverse("interchange:upload", args=["fees"]),
        {"file": SimpleUploadedFile("fees.csv", bad.encode())},
    )
    page = resp.content.decode()
    assert "不在您的管理范围内" in page
    assert "与应缴" in page
    assert not FeeMonth.objects.filter(paid_fen__isnull=False).exists()
    good = (
        "member_no,month,due,paid,paid_on\n"
        f"{a1.member_no},{mth},{y},{y},{date.today().isoformat()}\n"  # noqa: DTZ011
    )
    resp = client.post(
        reverse("interchange:upload", args=["fees"]),
        {"file": SimpleUploadedFile("fees.csv", good.encode())},
    )
    assert resp.status_code == 302
    assert FeeMonth.objects.get(member=a1, month_index=last).paid_fen == due
    again = client.post(
        reverse("interchange:upload", args=["fees"]),
        {"file": SimpleUploadedFile("fees.csv", good.encode())},
    )
    assert "已足额缴纳" in again.content.decode()


def test_fee01_reminds_members_before_the_collection_day(client, tree, users):
    from django.urls import reverse

    from dangjian.compliance.models import Finding
    from dangjian.compliance.services import scan_run
    from dangjian.notify.models import Reminder
    from tests.conftest import login

    services.ledger_generate(month=NOW)
    login(client, users["branch_worker"])
    bad = client.post(reverse("fees:collection_day", args=[tree.branch_a1.pk]), {"day": "31"})
    assert bad.status_code == 302
    client.post(reverse("fees:collection_day", args=[tree.branch_a1.pk]), {"day": "20"})
    y, m = divmod(NOW, 12)
    scan_run(as_of=date(y, m + 1, 16))
    assert not Finding.objects.filter(rule_id="FEE-01").exists()
    scan_run(as_of=date(y, m + 1, 17))
    found = Finding.objects.filter(rule_id="FEE-01", closed_on__isnull=True)
    assert found.count() == 4  # A1's four members
    f = found.get(member=tree.members["A1-2"])
    assert f.severity == "info"
    assert "每月20日收缴党费" in f.message
    assert Reminder.objects.filter(
        finding=f, user=users["member"]
    ).exists()  # the member is reminded
    due = FeeMonth.objects.get(member=tree.members["A1-2"], month_index=NOW).due_fen
    services.payment_offline(
        actor=users["branch_worker"],
        member=tree.members["A1-2"],
        months=[NOW],
        amount_fen=due,
        channel="cash",
        paid_on=date.today(),  # noqa: DTZ011
    )
    scan_run(as_of=date(y, m + 1, 18))
    f.refresh_from_db()
    assert f.closed_on == date(y, m + 1, 18)


def test_fee07_annual_assessment_by_the_end_of_march(client, tree, users):
    from django.urls import reverse

    from dangjian.compliance.models import Finding
    from dangjian.compliance.services import scan_run
    from dangjian.fees.models import AnnualAssessment
    from tests.conftest import login

    year = date.today().year  # noqa: DTZ011
    scan_run(as_of=date(year, 3, 31))
    assert not Finding.objects.filter(rule_id="FEE-07").exists()  # still within the first quarter
    scan_run(as_of=date(year, 4, 1))
    assert set(
        Finding.objects.filter(rule_id="FEE-07", closed_on__isnull=True).values_list(
            "organization__code", flat=True
        )
    ) == {"A1", "A2", "B1"}
    login(client, users["branch_worker"])
    client.post(reverse("fees:annual", args=[tree.branch_a1.pk]))
    assert AnnualAssessment.objects.get(organization=tree.branch_a1, year=year).members == 4
    again = client.post(reverse("fees:annual", args=[tree.branch_a1.pk]), follow=True)
    assert "已完成核定" in again.content.decode()
    scan_run(as_of=date(year, 4, 2))
    assert set(
        Finding.objects.filter(rule_id="FEE-07", closed_on__isnull=True).values_list(
            "organization__code", flat=True
        )
    ) == {"A2", "B1"}


def test_the_offline_form_shows_each_month_with_its_amount_as_a_checkbox(client, tree, users):
    import re

    from django.urls import reverse

    from tests.conftest import login

    m = tree.members["A1-2"]
    due = FeeMonth.objects.get(member=m, month_index=NOW).due_fen
    FeeMonth.objects.filter(member=m, month_index=NOW - 1).update(paid_fen=due)
    login(client, users["branch_worker"])
    body = client.get(reverse("fees:pay_offline", args=[m.pk]) + f"?month={NOW}").content.decode()
    boxes = re.findall(r'<input type="checkbox" class="form-check-input" name="months"[^>]*>', body)
    # six months back (the last one paid is not offered), this month, six ahead
    assert len(boxes) == 12
    assert all(f'data-due="{due}"' in b for b in boxes)
    assert sum("checked" in b for b in boxes) == 1  # the month asked for
    assert f'value="{NOW}"' in next(b for b in boxes if "checked" in b)
    assert "form-control" not in "".join(boxes)
    assert f"（应交{Decimal(due) / 100:.2f}元）" in body
    assert f"（欠交{Decimal(due) / 100:.2f}元）" in body
