"""The WeChat Pay API v3 provider against a local simulator speaking the same protocol."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from dangjian.fees import online, services
from dangjian.fees.models import FeeMonth, OrderStatus, Payment, PaymentOrder
from dangjian.fees.providers import CallbackRefused
from dangjian.fees.wechatpay import WeChatPayError, parse_tradebill
from tests.conftest import login
from tests.fees.wechatpay_simulator import Simulator

pytestmark = pytest.mark.django_db
NOW = services.current_index()


@pytest.fixture
def sim(tmp_path: Any, settings: Any) -> Any:
    s = Simulator()
    settings.PAYMENT = {**settings.PAYMENT, "provider": "wechat", "wechat": s.config(tmp_path)}
    yield s
    s.server.shutdown()


def _order(user: Any) -> PaymentOrder:
    services.ledger_generate(month=NOW)
    order, url = online.order_create(user=user, months=[NOW])
    assert url.startswith("weixin://wxpay/bizpayurl?pr=")
    return order


def test_native_order_is_signed_and_paid_by_an_encrypted_callback(sim, client, tree, users):
    login(client, users["member"])
    services.ledger_generate(month=NOW)
    resp = client.post(reverse("fees:my_pay"), {"months": [str(NOW)]})
    order = PaymentOrder.objects.get()
    assert resp["Location"] == reverse("fees:my_order", args=[order.out_trade_no])
    page = client.get(resp["Location"]).content.decode()
    assert "请用微信扫码支付" in page
    assert "<svg" in page
    assert sim.rejected == 0
    assert ("POST", "/v3/pay/transactions/native") in sim.requests
    headers, body = sim.pay(order.out_trade_no)
    http_headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    answer = client.post(
        reverse("fees:callback", args=["wechat"]),
        body,
        content_type="application/json",
        **http_headers,
    )
    assert answer.json() == {"code": "SUCCESS", "message": "applied"}
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.transaction_id.startswith("4200")
    assert (
        FeeMonth.objects.get(member=users["member"].member, month_index=NOW).paid_fen
        == order.amount_fen
    )
    again = client.post(
        reverse("fees:callback", args=["wechat"]),
        body,
        content_type="application/json",
        **http_headers,
    )
    assert again.json()["message"] == "duplicate"
    assert Payment.objects.count() == 1
    assert (
        "交纳成功"
        in client.get(reverse("fees:my_order", args=[order.out_trade_no])).content.decode()
    )


def test_bad_callbacks_are_refused(sim, tree, users):
    order = _order(users["member"])
    headers, body = sim.pay(order.out_trade_no)
    stale_headers = sim.platform_headers(body, ts=int(time.time()) - 301)
    forged_headers = sim.platform_headers(body, key=Simulator().platform_key)
    envelope = json.loads(body)
    envelope["resource"]["ciphertext"] = envelope["resource"]["ciphertext"][:-4] + "AAAA"
    tampered = json.dumps(envelope).encode()
    cases = [
        (stale_headers, body, "超过5分钟"),
        (forged_headers, body, "平台签名验证失败"),
        (sim.platform_headers(body, serial="OTHER"), body, "序列号不符"),
        (
            {**headers, "Wechatpay-Signature": headers["Wechatpay-Signature"][::-1]},
            body,
            "平台签名验证失败",
        ),
        (sim.platform_headers(tampered), tampered, "无法解密"),
    ]
    for h, b, text in cases:
        with pytest.raises(CallbackRefused, match=text):
            online.payment_callback(provider_name="wechat", headers=h, body=b)
    # correctly signed and encrypted, but the amount is not the order's
    h2, b2 = sim.callback(order.out_trade_no, amount=order.amount_fen + 1)
    with pytest.raises(CallbackRefused, match="金额不符"):
        online.payment_callback(provider_name="wechat", headers=h2, body=b2)
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED


def test_a_response_not_signed_by_the_platform_is_not_trusted(sim, tree, users, settings):
    other = Simulator()  # a server with another platform key pretending to be WeChat Pay
    settings.PAYMENT = {
        **settings.PAYMENT,
        "wechat": {
            **settings.PAYMENT["wechat"],
            "base_url": other.url,
            "private_key": settings.PAYMENT["wechat"]["private_key"],
        },
    }
    other.merchant_key = sim.merchant_key
    services.ledger_generate(month=NOW)
    with pytest.raises(CallbackRefused, match="平台签名验证失败"):
        online.order_create(user=users["member"], months=[NOW])
    assert not PaymentOrder.objects.exists()
    other.server.shutdown()


def test_unanswered_orders_are_queried_and_closed_and_refunds_sent(sim, tree, users):
    order = _order(users["member"])
    PaymentOrder.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - timedelta(minutes=20)
    )
    assert online.order_close_stale() == {"applied": 0, "closed": 1}
    assert sim.orders[order.out_trade_no]["state"] == "CLOSED"
    FeeMonth.objects.all().delete()
    order2 = _order(users["member"])
    sim.pay(order2.out_trade_no)  # paid, but the callback is lost
    PaymentOrder.objects.filter(pk=order2.pk).update(
        created_at=timezone.now() - timedelta(minutes=20)
    )
    assert online.order_close_stale() == {"applied": 1, "closed": 0}
    order2.refresh_from_db()
    assert order2.status == OrderStatus.PAID
    online.provider_get("wechat").refund(order2.out_trade_no, order2.amount_fen, "测试退款")
    assert sim.orders[order2.out_trade_no]["state"] == "REFUND"


def test_trade_bill_is_parsed_and_reconciled(sim, tree, users):
    order = _order(users["member"])
    headers, body = sim.pay(order.out_trade_no)
    online.payment_callback(provider_name="wechat", headers=headers, body=body)
    today = timezone.localdate()
    assert online.bill_reconcile(today, "wechat") == []
    rows = parse_tradebill(sim.tradebill())
    assert [(r.out_trade_no, r.amount_fen, r.status) for r in rows] == [
        (order.out_trade_no, order.amount_fen, "paid")
    ]
    with pytest.raises(WeChatPayError):
        parse_tradebill("not,a,bill\n`1,2,3\n")


def test_requests_with_a_wrong_merchant_key_are_rejected_by_the_simulator(
    sim, tree, users, tmp_path
):
    from cryptography.hazmat.primitives.asymmetric import rsa

    from tests.fees.wechatpay_simulator import _pem_private

    bad = tmp_path / "bad.pem"
    bad.write_text(_pem_private(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    services.ledger_generate(month=NOW)
    with override_settings(
        PAYMENT={**sim_settings(), "wechat": {**sim_settings()["wechat"], "private_key": str(bad)}}
    ):
        with pytest.raises(WeChatPayError, match="401"):
            online.order_create(user=users["member"], months=[NOW])
    assert sim.rejected == 1


def sim_settings() -> dict[str, Any]:
    from django.conf import settings

    return dict(settings.PAYMENT)


def test_simulated_callbacks_are_refused_when_real_payment_is_configured(sim, tree, users):
    import json as _json

    from dangjian.core import signing
    from dangjian.fees.providers import sandbox_key

    body = _json.dumps(
        {
            "id": "N1",
            "out_trade_no": "DJX",
            "transaction_id": "T",
            "amount": 1,
            "trade_state": "SUCCESS",
        }
    ).encode()
    with pytest.raises(CallbackRefused, match="模拟支付未启用"):
        online.payment_callback(
            provider_name="sandbox",
            headers=signing.signed_headers("sandbox", sandbox_key(), body),
            body=body,
        )
