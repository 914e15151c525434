"""Online payment: orders, provider callbacks (idempotent under concurrency), closing unanswered
orders by asking the provider, and the daily bill reconciled against the ledger."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError, NotVisible

from .models import Channel, Notification, OrderStatus, Payment, PaymentOrder, month_label
from .providers import CallbackRefused, Provider, SandboxProvider
from .services import payment_plan, record_payment
from .wechatpay import WeChatPayProvider

# The providers this deployment can take payments through; settings.PAYMENT["provider"] names the
# one members pay with.
PROVIDERS: dict[str, Provider] = {"sandbox": SandboxProvider(), "wechat": WeChatPayProvider()}


def provider_get(name: str) -> Provider:
    if name not in PROVIDERS:
        raise CallbackRefused(f"未知的支付渠道“{name}”")
    return PROVIDERS[name]


def provider_live(name: str) -> bool:
    """Whether a provider's callback endpoint is open: only the deployment's own provider, and
    only once it is configured (an unconfigured or unused provider's endpoint answers 404)."""
    provider = PROVIDERS.get(name)
    return (
        provider is not None
        and name == str(settings.PAYMENT.get("provider", "sandbox"))
        and provider.is_configured()
    )


def provider_default() -> Provider:
    return provider_get(str(settings.PAYMENT.get("provider", "sandbox")))


@transaction.atomic(durable=True)
def order_create(*, user: Any, months: list[int]) -> tuple[PaymentOrder, str]:
    """A member starts paying months of their own fees online; returns the order and where to
    pay."""
    member = getattr(user, "member", None)
    if member is None:
        raise NotVisible()
    plan = payment_plan(member, months)
    if plan.due_fen <= 0:
        raise DomainError("nothing_due", "所选月份没有应缴金额", field="months")
    provider = provider_default()
    out_trade_no = f"DJ{timezone.localdate():%Y%m%d}{secrets.token_hex(8).upper()}"
    order = PaymentOrder.objects.create(
        out_trade_no=out_trade_no,
        provider=provider.name,
        member=member,
        month_indexes=plan.months,
        amount_fen=plan.due_fen,
    )
    url = provider.create_order(
        out_trade_no, plan.due_fen, f"党费 {'、'.join(month_label(m) for m in plan.months)}"
    )
    order.pay_url = url[:300]
    order.save(update_fields=["pay_url"])
    audit_record(
        actor=user,
        action="fees.order_create",
        obj=order,
        organization=member.organization,
        data={
            "months": [month_label(m) for m in plan.months],
            "amount": plan.due_fen,
            "provider": provider.name,
        },
    )
    return order, url


@dataclass(frozen=True)
class CallbackOutcome:
    status: str  # "applied" | "duplicate" | "already_paid" | "refunded" | "not_success"
    order: PaymentOrder | None = None


def _apply_paid(order: PaymentOrder, transaction_id: str, amount_fen: int) -> str:
    """Inside a transaction holding the order's row lock: apply a confirmed payment once."""
    if order.status == OrderStatus.PAID:
        return "already_paid"
    if order.status == OrderStatus.REFUNDED:
        return (
            "refunded"  # already handled (and refunded) once; a later notification changes nothing
        )
    if amount_fen != order.amount_fen:
        raise CallbackRefused(f"金额不符：订单{order.amount_fen}分，回调{amount_fen}分")
    member = order.member
    try:
        with transaction.atomic():
            record_payment(
                member=member,
                months=list(order.month_indexes),
                amount_fen=amount_fen,
                channel=Channel.ONLINE,
                paid_on=timezone.localdate(),
                actor=None,
                order=order,
            )
    except DomainError as exc:
        # the money arrived but the months can no longer take it (paid meanwhile at the branch):
        # refund
        order.status, order.paid_at, order.transaction_id = (
            OrderStatus.REFUNDED,
            timezone.now(),
            transaction_id,
        )
        order.save(update_fields=["status", "paid_at", "transaction_id"])
        provider, reason = provider_get(order.provider), exc.message
        transaction.on_commit(lambda: provider.refund(order.out_trade_no, amount_fen, reason))
        audit_record(
            actor=None,
            action="fees.order_close",
            obj=order,
            organization=member.organization,
            data={"refund": True, "reason": reason},
        )
        return "refunded"
    order.status, order.paid_at, order.transaction_id = (
        OrderStatus.PAID,
        timezone.now(),
        transaction_id,
    )
    order.save(update_fields=["status", "paid_at", "transaction_id"])
    return "applied"


def payment_callback(*, provider_name: str, headers: Any, body: bytes) -> CallbackOutcome:
    """Verify and apply a provider's notification. Replays and concurrent duplicates have one
    effect:
    the notification id is recorded under a unique constraint and the order row is locked."""
    try:
        provider = provider_get(provider_name)
        if provider_name == "sandbox" and provider_default().name != "sandbox":
            # a deployment taking real payments does not accept simulated ones
            raise CallbackRefused("模拟支付未启用")
        data = provider.parse_callback(headers, body)
        with transaction.atomic(durable=True):
            try:
                with transaction.atomic():
                    Notification.objects.create(
                        provider=provider_name,
                        notification_id=data.notification_id,
                        out_trade_no=data.out_trade_no,
                    )
            except IntegrityError:
                return CallbackOutcome("duplicate")
            order = (
                PaymentOrder.objects.select_for_update()
                .select_related("member", "member__organization")
                .filter(out_trade_no=data.out_trade_no, provider=provider_name)
                .first()
            )
            if order is None:
                raise CallbackRefused(f"订单{data.out_trade_no}不存在")
            if not data.success:
                return CallbackOutcome("not_success", order)
            return CallbackOutcome(_apply_paid(order, data.transaction_id, data.amount_fen), order)
    except CallbackRefused as exc:
        with transaction.atomic():
            audit_record(
                actor=None,
                action="fees.callback_refused",
                object_type="fees.callback",
                object_repr=provider_name,
                result="failure",
                data={"reason": str(exc)},
            )
        raise


def order_close_stale(now: Any = None) -> dict[str, int]:
    """Orders unanswered past the timeout: ask the provider; apply what was paid, close the rest."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT["order_timeout_minutes"])
    counts = {"applied": 0, "closed": 0}
    for pk in PaymentOrder.objects.filter(
        status=OrderStatus.CREATED, created_at__lt=cutoff
    ).values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            order = (
                PaymentOrder.objects.select_for_update()
                .select_related("member")
                .filter(pk=pk, status=OrderStatus.CREATED)
                .first()
            )
            if order is None:
                continue
            provider = provider_get(order.provider)
            result = provider.query_order(order.out_trade_no)
            if result.status == "paid":
                if _apply_paid(order, result.transaction_id, result.amount_fen) == "applied":
                    counts["applied"] += 1
                continue
            provider.close_order(order.out_trade_no)
            order.status, order.closed_at = OrderStatus.CLOSED, now
            order.save(update_fields=["status", "closed_at"])
            audit_record(
                actor=None,
                action="fees.order_close",
                obj=order,
                organization=order.member.organization,
                data={"reason": "超时未支付"},
            )
            counts["closed"] += 1
    return counts


@dataclass(frozen=True)
class Difference:
    out_trade_no: str
    kind: str  # "missing_in_ledger" | "missing_at_provider" | "amount"
    detail: str


def bill_reconcile(day: date, provider_name: str | None = None) -> list[Difference]:
    """The provider's bill for a day against the online payments recorded that day."""
    provider = provider_get(provider_name) if provider_name else provider_default()
    bill = {r.out_trade_no: r for r in provider.bill(day) if r.status == "paid"}
    ours = {
        p.order.out_trade_no: p
        for p in Payment.objects.filter(
            channel=Channel.ONLINE, order__provider=provider.name, order__paid_at__date=day
        ).select_related("order")
        if p.order is not None
    }
    diffs = []
    for no, row in sorted(bill.items()):
        if no not in ours:
            diffs.append(
                Difference(
                    no, "missing_in_ledger", f"渠道已收款{row.amount_fen / 100:.2f}元，台账无记录"
                )
            )
        elif ours[no].amount_fen != row.amount_fen:
            diffs.append(
                Difference(
                    no,
                    "amount",
                    f"渠道{row.amount_fen / 100:.2f}元，台账{ours[no].amount_fen / 100:.2f}元",
                )
            )
    for no, p in sorted(ours.items()):
        if no not in bill:
            diffs.append(
                Difference(
                    no, "missing_at_provider", f"台账记录{p.amount_fen / 100:.2f}元，渠道账单无此笔"
                )
            )
    return diffs
