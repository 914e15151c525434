"""Online payment through the sandbox provider: order, signed callback, receipt; refused callbacks;
16 concurrent identical callbacks have one effect; stale orders closed by asking the provider;
the daily bill reconciled against the ledger."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection, transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.audit.models import AuditEvent
from dangjian.core import signing
from dangjian.fees import online, services
from dangjian.fees.models import (
    FeeMonth,
    Notification,
    OrderStatus,
    Payment,
    PaymentOrder,
    SandboxTransaction,
)
from dangjian.fees.providers import CallbackRefused, sandbox_key
from tests.conftest import login

NOW = services.current_index()


def _order(user, months=None):
    services.ledger_generate(month=NOW)
    return online.order_create(user=user, months=months or [NOW])


def _callback(order, **over):
    t = SandboxTransaction.objects.get(out_trade_no=order.out_trade_no)
    t.status, t.transaction_id = "paid", "SBXTEST" + order.out_trade_no[-6:]
    t.save()
    data = {
        "id": "N" + t.transaction_id,
        "out_trade_no": order.out_trade_no,
        "transaction_id": t.transaction_id,
        "amount": order.amount_fen,
        "trade_state": "SUCCESS",
    } | over
    body = json.dumps(data).encode()
    return signing.signed_headers("sandbox", sandbox_key(), body), body


@pytest.mark.django_db
def test_member_pays_through_the_portal_and_downloads_the_receipt(client, tree, users):
    services.ledger_generate(month=NOW)
    member_user = users["member"]
    login(client, member_user)
    page = client.get(reverse("fees:my")).content.decode()
    assert "每月应交" in page
    assert "立即交纳" in page
    resp = client.post(reverse("fees:my_pay"), {"months": [str(NOW)]})
    order = PaymentOrder.objects.get()
    assert resp["Location"] == reverse("fees:sandbox_pay", args=[order.out_trade_no])
    assert "确认支付" in client.get(resp["Location"]).content.decode()
    resp = client.post(reverse("fees:sandbox_pay", args=[order.out_trade_no]))
    assert resp["Location"] == reverse("fees:my_order", args=[order.out_trade_no])
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    row = FeeMonth.objects.get(member=member_user.member, month_index=NOW)
    assert row.paid_fen == row.due_fen
    assert row.channel == "online"
    result = client.get(resp["Location"]).content.decode()
    assert "交纳成功" in result
    p = Payment.objects.get()
    pdf = client.get(reverse("fees:receipt", args=[p.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # the branch worker sees it in the grid
    login(client, users["branch_worker"])
    grid = client.get(reverse("fees:grid", args=[tree.branch_a1.pk])).content.decode()
    assert "fee-cell paid" in grid


@pytest.mark.django_db
def test_refused_callbacks_change_nothing(tree, users):
    order, _url = _order(users["member"])
    headers, body = _callback(order)
    bad = [
        ({**headers, "X-Dangjian-Signature": "0" * 64}, body, "签名无效"),
        (
            signing.signed_headers("sandbox", sandbox_key(), body, now=time.time() - 301),
            body,
            "签名无效或时间戳已过期",
        ),
        (
            headers,
            body.replace(str(order.amount_fen).encode(), str(order.amount_fen - 1).encode()),
            "签名无效",
        ),  # tampered
        (signing.signed_headers("sandbox", "wrong-key", body), body, "签名无效"),
    ]
    for h, b, text in bad:
        with pytest.raises(CallbackRefused, match=text):
            online.payment_callback(provider_name="sandbox", headers=h, body=b)
    # a correctly signed callback whose amount differs from the order's is refused too
    h2, b2 = _callback(order, amount=order.amount_fen + 100)
    with pytest.raises(CallbackRefused, match="金额不符"):
        online.payment_callback(provider_name="sandbox", headers=h2, body=b2)
    assert not Payment.objects.exists()
    assert not FeeMonth.objects.filter(paid_fen__isnull=False).exists()
    assert not Notification.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED
    assert AuditEvent.objects.filter(action="fees.callback_refused").count() == 5


@pytest.mark.django_db
def test_callback_endpoint_answers_the_provider(client, tree, users):
    order, _url = _order(users["member"])
    headers, body = _callback(order)
    http_headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    first = client.post(
        reverse("fees:callback", args=["sandbox"]),
        body,
        content_type="application/json",
        **http_headers,
    )
    again = client.post(
        reverse("fees:callback", args=["sandbox"]),
        body,
        content_type="application/json",
        **http_headers,
    )
    assert first.json() == {"code": "SUCCESS", "message": "applied"}
    assert again.json() == {"code": "SUCCESS", "message": "duplicate"}
    bad = client.post(
        reverse("fees:callback", args=["sandbox"]), body, content_type="application/json"
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "FAIL"
    assert Payment.objects.count() == 1


def test_sixteen_concurrent_identical_callbacks_have_one_effect(transactional_db, tree, users):
    if connection.vendor == "sqlite":
        pytest.skip("row locks and concurrent writers: PostgreSQL (SQLite serialises writers)")
    order, _url = _order(users["member"])
    headers, body = _callback(order)
    outcomes, errors = [], []
    barrier = threading.Barrier(16)

    def hit() -> None:
        try:
            barrier.wait()
            outcomes.append(
                online.payment_callback(provider_name="sandbox", headers=headers, body=body).status
            )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=hit) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(outcomes).count("applied") == 1
    assert Payment.objects.count() == 1
    assert (
        FeeMonth.objects.get(member=users["member"].member, month_index=NOW).paid_fen
        == order.amount_fen
    )


@pytest.mark.django_db
def test_stale_orders_are_closed_or_applied_by_asking_the_provider(tree, users):
    order, _url = _order(users["member"])
    PaymentOrder.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - timedelta(minutes=30)
    )
    assert online.order_close_stale() == {"applied": 0, "closed": 1}
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert SandboxTransaction.objects.get(out_trade_no=order.out_trade_no).status == "closed"
    # paid at the provider but the callback never arrived: the query applies it
    FeeMonth.objects.all().delete()
    order2, _url = _order(users["member"])
    with transaction.atomic():
        online.provider_get("sandbox").pay(order2.out_trade_no)
    PaymentOrder.objects.filter(pk=order2.pk).update(
        created_at=timezone.now() - timedelta(minutes=30)
    )
    assert online.order_close_stale() == {"applied": 1, "closed": 0}
    assert Payment.objects.filter(order=order2).count() == 1


@pytest.mark.django_db
def test_daily_bill_reconciliation_lists_differences(tree, users):
    order, _url = _order(users["member"])
    online.payment_callback(
        provider_name="sandbox", headers=_callback(order)[0], body=_callback(order)[1]
    )
    today = timezone.localdate()
    SandboxTransaction.objects.filter(out_trade_no=order.out_trade_no).update(
        paid_at=timezone.now()
    )
    assert online.bill_reconcile(today) == []
    # the provider took money for an order the ledger does not know
    SandboxTransaction.objects.create(
        out_trade_no="DJGHOST",
        amount_fen=500,
        description="x",
        status="paid",
        transaction_id="SBXGHOST",
        paid_at=timezone.now(),
    )
    diffs = online.bill_reconcile(today)
    assert [(d.out_trade_no, d.kind) for d in diffs] == [("DJGHOST", "missing_in_ledger")]


@pytest.mark.django_db
def test_money_for_months_paid_meanwhile_is_refunded_once(
    tree, users, django_capture_on_commit_callbacks
):
    order, _url = _order(users["member"])
    m = users["member"].member
    services.payment_offline(
        actor=users["branch_worker"],
        member=m,
        months=[NOW],
        amount_fen=order.amount_fen,
        channel="cash",
        paid_on=timezone.localdate(),
    )
    headers, body = _callback(order)
    with django_capture_on_commit_callbacks(execute=True) as refunds:
        assert (
            online.payment_callback(provider_name="sandbox", headers=headers, body=body).status
            == "refunded"
        )
    assert len(refunds) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert SandboxTransaction.objects.get(out_trade_no=order.out_trade_no).status == "refunded"
    h2, b2 = _callback(order, id="N-another-notification")
    with django_capture_on_commit_callbacks(execute=True) as again:
        assert (
            online.payment_callback(provider_name="sandbox", headers=h2, body=b2).status
            == "refunded"
        )
    assert again == []  # no second refund
    assert Payment.objects.filter(member=m).count() == 1  # the branch's cash payment only
