"""Party-fee pages: the branch's month grid and offline payments; the member's 我的党费 with online
payment through the configured provider; receipts; the provider callback endpoint."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.core.errors import DomainError
from dangjian.members import selectors as member_selectors
from dangjian.members.constants import FEE_STATUSES
from dangjian.members.models import Member
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.views import scope_home
from dangjian.web.access import member_required, signed_in, staff_required
from dangjian.web.forms import add_domain_error

from . import bands, online, providers, services
from .forms import OfflinePaymentForm
from .models import FeeMonth, FeeRollup, Payment, PaymentOrder, month_index, month_label
from .receipt import receipt_pdf
from .wechatpay import WeChatPayError


def _status(row: FeeMonth | None, idx: int, now: int) -> str:
    if row is None:
        return "none"
    if (
        row.paid_fen is not None
        and row.paid_fen >= row.due_fen
        and (row.paid_fen > 0 or row.due_fen == 0)
    ):
        return "paid"
    if row.paid_fen:
        return "partial"
    return "unpaid" if idx < now else "open"


# 党费收缴 from the menu: a branch's grid, a committee's summary
home_view = scope_home(lambda org: "fees:grid" if org.kind == "branch" else "fees:summary")


@staff_required("view")
def grid_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Members × months of a year for one branch, colour per status (two queries)."""
    org = org_selectors.org_get(request.user, pk)
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    year = min(max(year, 2000), today.year + 1)
    first = month_index(year, 1)
    now = services.current_index()
    members = list(
        Member.objects.filter(organization=org, status__in=FEE_STATUSES)
        .order_by("member_no")
        .only(
            "pk",
            "member_no",
            "name",
            "status",
            "fee_category",
            "fee_base_fen",
            "joined_on",
            "organization_id",
        )
    )
    rows: dict[tuple[int, int], FeeMonth] = {
        (r.member_id, r.month_index): r
        for r in FeeMonth.objects.filter(
            organization=org, month_index__gte=first, month_index__lt=first + 12
        )
    }
    grid = []
    totals = {"due": 0, "paid": 0, "unpaid_members": 0}
    for m in members:
        cells = []
        owing = False
        for i in range(12):
            idx = first + i
            r = rows.get((m.pk, idx))
            st = _status(r, idx, now)
            owing = owing or st in ("unpaid", "partial")
            if r is not None:
                totals["due"] += r.due_fen if idx <= now else 0
                totals["paid"] += r.paid_fen or 0
            cells.append({"idx": idx, "label": month_label(idx)[5:], "status": st, "row": r})
        totals["unpaid_members"] += owing
        grid.append(
            {"m": m, "cells": cells, "monthly": bands.quote(m.fee_category, m.fee_base_fen)}
        )
    return render(
        request,
        "fees/grid.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "year": year,
            "grid": grid,
            "months": [month_label(first + i)[5:] for i in range(12)],
            "now": now,
            "totals": totals,
            "rate": round(100 * totals["paid"] / totals["due"], 1) if totals["due"] else None,
            "can_change": policy.can(request.user, "change", org),
            "collection_day": getattr(getattr(org, "fee_collection_day", None), "day", None),
            "annual_done": org.fee_annual_assessments.filter(year=today.year).first()
            if org.kind == "branch"
            else None,
        },
    )


def _month_choices(member: Member, now: int) -> list[tuple[str, str]]:
    joined = month_index(member.joined_on.year, member.joined_on.month)
    paid = set(
        FeeMonth.objects.filter(
            member=member,
            month_index__gte=now - services.MAX_BACK,
            paid_fen__isnull=False,
            paid_fen__gt=0,
        ).values_list("month_index", flat=True)
    )
    return [
        (str(i), month_label(i))
        for i in range(max(now - services.MAX_BACK, joined), now + services.MAX_AHEAD + 1)
        if i not in paid
    ]


@staff_required("change")
@require_http_methods(["GET", "POST"])
def pay_offline_view(request: HttpRequest, member_id: int) -> HttpResponse:
    member = member_selectors.member_get(request.user, member_id, "change")
    now = services.current_index()
    form = OfflinePaymentForm(
        request.POST or None,
        initial={
            "paid_on": timezone.localdate(),
            "channel": "cash",
            "months": [request.GET.get("month", str(now))],
        },
    )
    form.fields["months"].choices = _month_choices(member, now)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            paid_by = None
            if d["paid_by"].strip():
                paid_by = Member.objects.filter(member_no=d["paid_by"].strip()).first()
                if paid_by is None:
                    raise DomainError("not_found", "代缴人党员编号不存在", field="paid_by")
            payment = services.payment_offline(
                actor=request.user,
                member=member,
                months=[int(x) for x in d["months"]],
                amount_fen=bands.parse_yuan(d["amount"], "amount", "金额"),
                channel=d["channel"],
                paid_on=d["paid_on"],
                paid_by=paid_by,
                consent=d["consent"],
                voluntary_fen=bands.parse_yuan(d["voluntary"], "voluntary", "自愿多交")
                if d["voluntary"].strip()
                else 0,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"已登记{member.name}交纳党费{bands.yuan(payment.amount_fen)}元，收据号{payment.receipt_no}。",
            )
            return redirect(f"/fees/org/{member.organization_id}/")
    return render(
        request,
        "fees/pay_offline.html",
        {
            "form": form,
            "m": member,
            "org": member.organization,
            "monthly": services.expected_due(member),
            "quote": bands.quote(member.fee_category, member.fee_base_fen),
            "ancestors": org_selectors.org_ancestors(member.organization, request.user),
        },
    )


@signed_in
def receipt_view(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The receipt PDF: for the member who paid, and for staff who can see their organization."""
    p = (
        Payment.objects.select_related("member", "organization", "order", "paid_by")
        .filter(pk=payment_id)
        .first()
    )
    if p is None:
        raise Http404
    own = getattr(getattr(request.user, "member", None), "pk", None) == p.member_id
    if not own and not policy.can(request.user, "view", p.organization):
        raise Http404
    resp = HttpResponse(receipt_pdf(p), content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="receipt-{p.receipt_no}.pdf"'
    return resp


# --- the member's own fees ---


@member_required
def my_fees_view(request: HttpRequest) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    now = services.current_index()
    year = timezone.localdate().year
    rows = {
        r.month_index: r
        for r in FeeMonth.objects.filter(
            member=member, month_index__gte=now - 12, month_index__lte=now + services.MAX_AHEAD
        )
    }
    months = [
        {
            "idx": i,
            "label": month_label(i),
            "status": _status(rows.get(i), i, now),
            "row": rows.get(i),
        }
        for i in range(month_index(year, 1), month_index(year, 12) + 1)
    ]
    return render(
        request,
        "fees/my.html",
        {
            "m": member,
            "quote": bands.quote(member.fee_category, member.fee_base_fen),
            "monthly": services.expected_due(member),
            "months": months,
            "choices": _month_choices(member, now),
            "now": now,
            "owing": [c for c in months if c["status"] in ("unpaid", "partial")],
            "payments": Payment.objects.filter(member=member).order_by("-paid_on", "-id")[:12],
            "category": bands.CATEGORIES.get(member.fee_category, member.fee_category),
        },
    )


@member_required
@require_POST
def my_pay_view(request: HttpRequest) -> HttpResponse:
    try:
        months = [int(x) for x in request.POST.getlist("months")]
        order, url = online.order_create(user=request.user, months=months)
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "请选择要缴纳的月份"))
        return redirect("fees:my")
    except (WeChatPayError, providers.CallbackRefused) as exc:
        messages.error(request, f"支付渠道暂时不可用，请稍后再试或到党支部线下交纳（{exc}）")
        return redirect("fees:my")
    if url.startswith("/"):
        return redirect(url)  # the provider's own page (the sandbox cashier)
    return redirect(
        "fees:my_order", order.out_trade_no
    )  # a code to scan (WeChat Native): shown as a QR code


@member_required
def my_order_view(request: HttpRequest, out_trade_no: str) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    order = PaymentOrder.objects.filter(out_trade_no=out_trade_no, member=member).first()
    if order is None:
        raise Http404
    payment = Payment.objects.filter(order=order).first()
    qr_svg = ""
    if order.status == "created" and order.pay_url and not order.pay_url.startswith("/"):
        import qrcode
        import qrcode.image.svg

        qr_svg = qrcode.make(
            order.pay_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8
        ).to_string(encoding="unicode")
    return render(
        request,
        "fees/my_order.html",
        {
            "order": order,
            "payment": payment,
            "qr_svg": qr_svg,
            "months": [month_label(i) for i in order.month_indexes],
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
def sandbox_pay_view(request: HttpRequest, out_trade_no: str) -> HttpResponse:
    """The sandbox provider's cashier: shows the amount; confirming books it at the sandbox, which
    then sends its signed callback to the platform."""
    member = member_selectors.own_member(request.user)
    order = PaymentOrder.objects.filter(
        out_trade_no=out_trade_no, member=member, provider="sandbox"
    ).first()
    if order is None:
        raise Http404
    if request.method == "POST" and order.status == "created":
        from django.db import transaction

        sandbox = online.provider_get("sandbox")
        with transaction.atomic():
            headers, body = sandbox.pay(out_trade_no)  # type: ignore[attr-defined]
        try:
            online.payment_callback(provider_name="sandbox", headers=headers, body=body)
        except providers.CallbackRefused as exc:
            messages.error(request, f"支付结果未能确认：{exc}")
        return redirect("fees:my_order", out_trade_no)
    return render(
        request,
        "fees/sandbox_pay.html",
        {"order": order, "months": [month_label(i) for i in order.month_indexes]},
    )


@csrf_exempt
@require_POST
def callback_view(request: HttpRequest, provider_name: str) -> JsonResponse:
    """Where a provider posts its notifications. Verified before anything is read; answered so the
    provider stops retrying once it is applied (or recognised as a duplicate)."""
    try:
        outcome = online.payment_callback(
            provider_name=provider_name, headers=request.headers, body=request.body
        )
    except providers.CallbackRefused as exc:
        return JsonResponse({"code": "FAIL", "message": str(exc)}, status=400)
    return JsonResponse({"code": "SUCCESS", "message": outcome.status})


@staff_required("view")
def summary_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A committee's collection: paid rate of a month per sub-organization (one grouped query over
    the subtree's ledger rows), the 12-month trend, and who is in arrears (open FEE findings)."""
    from django.db.models import Sum
    from django.db.models.functions import Coalesce, Substr

    from dangjian.compliance.models import Finding

    from .interchange import parse_month

    org = org_selectors.org_get(request.user, pk)
    now = services.current_index()
    month = parse_month(request.GET.get("month", "")) or now - 1
    children = list(
        org_selectors.org_children(request.user, org)
        .exclude(kind="group")
        .order_by("path")
        .values("pk", "name", "path", "kind")
    )
    width = len(org.path) + 4
    # the per-organization monthly roll-up (kept by the fee services), summed over the subtree
    base = FeeRollup.objects.filter(organization__path__startswith=org.path)
    totals = {
        "due": Sum("due_fen"),
        "paid": Coalesce(Sum("paid_fen"), 0),
        "rows": Coalesce(Sum("members"), 0),
        "paid_rows": Coalesce(Sum("paid_members"), 0),
    }
    per_child: dict[str, dict[str, Any]] = {
        r["prefix"]: dict(r)
        for r in base.filter(month_index=month)
        .annotate(prefix=Substr("organization__path", 1, width))
        .values("prefix")
        .annotate(**totals)
        .order_by()
    }
    rows = []
    for c in children:
        r: dict[str, Any] = per_child.get(c["path"], {})
        due, paid = r.get("due") or 0, r.get("paid") or 0
        rows.append(
            {
                **c,
                "due": due,
                "paid": paid,
                "members": r.get("rows", 0),
                "paid_members": r.get("paid_rows", 0),
                "rate": round(100 * paid / due, 1) if due else None,
            }
        )
    trend: list[dict[str, Any]] = [
        dict(t)
        for t in base.filter(month_index__gte=now - 12, month_index__lt=now)
        .values("month_index")
        .annotate(**totals)
        .order_by("month_index")
    ]
    for t in trend:
        t["label"] = month_label(t["month_index"])
        t["rate"] = round(100 * t["paid"] / t["due"], 1) if t["due"] else None
    own = base.filter(month_index=month).aggregate(**totals)
    arrears = (
        Finding.objects.filter(
            closed_on__isnull=True,
            rule_id__in=["FEE-02", "FEE-03", "FEE-04"],
            organization__path__startswith=org.path,
        )
        .select_related("member", "organization")
        .order_by("-severity", "opened_on")[:50]
    )
    return render(
        request,
        "fees/summary.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "rows": rows,
            "trend": trend,
            "month": month_label(month),
            "prev": month_label(month - 1),
            "next": month_label(month + 1) if month + 1 < now else None,
            "own": own,
            "own_rate": round(100 * (own["paid"] or 0) / own["due"], 1) if own["due"] else None,
            "arrears": arrears,
        },
    )


@staff_required("view")
def accounts_view(request: HttpRequest, pk: int) -> HttpResponse:
    """上缴与公布: the organization's remittances upward and its yearly publications."""
    from .models import Publication, Remittance

    org = org_selectors.org_get(request.user, pk)
    year = timezone.localdate().year
    return render(
        request,
        "fees/accounts.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "remittances": Remittance.objects.filter(organization=org)
            .select_related("to_organization")
            .order_by("-year", "-quarter")[:40],
            "publications": Publication.objects.filter(organization=org).order_by("-year")[:10],
            "percent": services.remit_percent(org),
            "collected_this_year": services.collected(org, year),
            "year": year,
            "can_change": policy.can(request.user, "change", org),
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def remit_view(request: HttpRequest, pk: int) -> HttpResponse:
    from dangjian.web.forms import submit

    from .forms import RemittanceForm

    org = org_selectors.org_get(request.user, pk, "change")
    today = timezone.localdate()
    form = RemittanceForm(request.POST or None, initial={"year": today.year, "remitted_on": today})

    def done(r: Any) -> HttpResponse:
        messages.success(
            request,
            f"已登记上缴{bands.yuan(r.amount_fen)}元（收缴{bands.yuan(r.collected_fen)}元 × {r.percent}%）。",
        )
        return redirect("fees:accounts", org.pk)

    return submit(
        request,
        form,
        lambda d: services.remittance_record(actor=request.user, organization=org, **d),
        done=done,
    ) or render(
        request,
        "orgs/form.html",
        {
            "org": org,
            "form": form,
            "title": f"登记“{org.name}”党费上缴（按{services.remit_percent(org)}%）",
            "submit": "登记",
            "back": "fees:accounts",
            "ancestors": org_selectors.org_ancestors(org, request.user),
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    from dangjian.web.forms import submit

    from .forms import PublicationForm

    org = org_selectors.org_get(request.user, pk, "change")
    today = timezone.localdate()
    form = PublicationForm(
        request.POST or None, initial={"year": today.year - 1, "published_on": today}
    )

    def done(p: Any) -> HttpResponse:
        messages.success(request, f"已登记{p.year}年度党费收缴使用情况公布。")
        return redirect("fees:accounts", org.pk)

    return submit(
        request,
        form,
        lambda d: services.publication_record(actor=request.user, organization=org, **d),
        done=done,
    ) or render(
        request,
        "orgs/form.html",
        {
            "org": org,
            "form": form,
            "title": "登记党费收缴、使用情况公布",
            "submit": "登记",
            "back": "fees:accounts",
            "ancestors": org_selectors.org_ancestors(org, request.user),
        },
    )


@staff_required("change")
@require_POST
def collection_day_view(request: HttpRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    try:
        services.collection_day_set(
            actor=request.user, organization=org, day=int(request.POST.get("day", "0"))
        )
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "收缴日应为每月1日至28日"))
    else:
        messages.success(request, "已设置收缴日，党员会在收缴日前3天收到提醒。")
    return redirect("fees:grid", org.pk)


@staff_required("change")
@require_POST
def annual_view(request: HttpRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    year = timezone.localdate().year
    try:
        services.annual_assessment_confirm(
            actor=request.user, organization=org, year=year, done_on=timezone.localdate()
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已登记完成{year}年度党费核定。")
    return redirect("fees:grid", org.pk)
