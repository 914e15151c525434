"""Party-fee pages: the branch's month grid and offline payments; the member's 我的党费 with online
payment through the configured provider; receipts; the provider callback endpoint."""

from __future__ import annotations

import hashlib
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.audit.services import audit_record
from dangjian.compliance import selectors as compliance_selectors
from dangjian.core.errors import DomainError
from dangjian.members import selectors as member_selectors
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.views import scope_home
from dangjian.web.access import AuthedRequest, member_required, signed_in, staff_required
from dangjian.web.forms import add_domain_error, perform, submit

from . import bands, online, providers, selectors, services
from .forms import OfflinePaymentForm, PublicationForm, RemittanceForm
from .interchange import parse_month
from .models import current_index, month_index, month_label
from .receipt import receipt_pdf
from .wechatpay import WeChatPayError

# 党费收缴 from the menu: a branch's grid, a committee's summary
home_view = scope_home(lambda org: "fees:grid" if org.kind == "branch" else "fees:summary")


@staff_required("view")
def grid_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """Members × months of a year for one branch, colour per status (two queries)."""
    org = org_selectors.org_get(request.user, pk)
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    year = min(max(year, 2000), today.year + 1)
    first = month_index(year, 1)
    now = current_index()
    grid = selectors.branch_grid(org, year)
    totals = {"due": grid.due, "paid": grid.paid, "unpaid_members": grid.unpaid_members}
    return render(
        request,
        "fees/grid.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "year": year,
            "grid": grid.rows,
            "months": [month_label(first + i)[5:] for i in range(12)],
            "now": now,
            "totals": totals,
            "rate": selectors.paid_rate(totals["paid"], totals["due"]),
            "can_change": policy.can(request.user, "change", org),
            "collection_day": getattr(getattr(org, "fee_collection_day", None), "day", None),
            "annual_done": selectors.annual_assessment_of(org, today.year)
            if org.kind == "branch"
            else None,
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def pay_offline_view(request: AuthedRequest, member_id: int) -> HttpResponse:
    member = member_selectors.member_get(request.user, member_id, "change")
    now = current_index()
    form = OfflinePaymentForm(
        request.POST or None,
        initial={
            "paid_on": timezone.localdate(),
            "channel": "cash",
            "months": [request.GET.get("month", str(now))],
        },
    )
    payable = selectors.payable_months(member, now)
    form.fields["months"].choices = [  # type: ignore[attr-defined]
        (str(p.index), f"{p.label}（{'欠交' if p.owed else '应交'}{bands.yuan(p.due_fen)}元）")
        for p in payable
    ]
    form.fields["paid_by"].widget.url = (  # type: ignore[attr-defined]
        f"{reverse('members:lookup')}?org={member.organization_id}"
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            paid_by = None
            if d["paid_by"].strip():
                paid_by = member_selectors.member_by_no(d["paid_by"])
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
            "monthly": selectors.expected_due(member),
            "quote": bands.quote(member.fee_category, member.fee_base_fen),
            "due_by_month": {str(p.index): p.due_fen for p in payable},
            "ancestors": org_selectors.org_ancestors(member.organization, request.user),
        },
    )


@signed_in
def receipt_view(request: AuthedRequest, payment_id: int) -> HttpResponse:
    """The receipt PDF: for the member who paid, and for staff who can see their organization."""
    p = selectors.payment_get(request.user, payment_id)
    data = receipt_pdf(p, who=str(request.user))
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="fees.receipt",
            obj=p,
            organization=p.organization,
            data={"receipt_no": p.receipt_no, "sha256": hashlib.sha256(data).hexdigest()},
        )
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="receipt-{p.receipt_no}.pdf"'
    return resp


# --- the member's own fees ---


@member_required
def my_fees_view(request: AuthedRequest) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    now = current_index()
    ledger = selectors.ledger_around(member, now)  # one read for the year's months and choices
    monthly = selectors.expected_due(member, now)
    months = selectors.member_months(member, timezone.localdate().year, ledger=ledger)
    return render(
        request,
        "fees/my.html",
        {
            "m": member,
            "quote": bands.quote(member.fee_category, member.fee_base_fen),
            "monthly": monthly,
            "months": months,
            "choices": selectors.payable_months(member, now, ledger=ledger, monthly=monthly),
            "now": now,
            "owing": [c for c in months if c["status"] in ("unpaid", "partial")],
            "payments": selectors.member_payments(member),
            "category": bands.CATEGORIES.get(member.fee_category, member.fee_category),
        },
    )


@member_required
@require_POST
def my_pay_view(request: AuthedRequest) -> HttpResponse:
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
def my_order_view(request: AuthedRequest, out_trade_no: str) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    order = selectors.own_order(member, out_trade_no)
    payment = selectors.order_payment(order)
    qr_svg = ""
    if order.status == "created" and order.pay_url and not order.pay_url.startswith("/"):
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
def sandbox_pay_view(request: AuthedRequest, out_trade_no: str) -> HttpResponse:
    """The sandbox provider's cashier: shows the amount; confirming books it at the sandbox, which
    then sends its signed callback to the platform."""
    member = member_selectors.own_member(request.user)
    order = selectors.own_order(member, out_trade_no, provider="sandbox")
    if request.method == "POST" and order.status == "created":
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
    provider stops retrying once it is applied (or recognised as a duplicate). Only the
    deployment's own, configured provider has an endpoint; any other answers 404."""
    if not online.provider_live(provider_name):
        raise Http404("未启用的支付渠道")
    try:
        outcome = online.payment_callback(
            provider_name=provider_name, headers=request.headers, body=request.body
        )
    except providers.CallbackRefused as exc:
        return JsonResponse({"code": "FAIL", "message": str(exc)}, status=400)
    return JsonResponse({"code": "SUCCESS", "message": outcome.status})


@staff_required("view")
def summary_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A committee's collection: paid rate of a month per sub-organization (one grouped query over
    the subtree's ledger rows), the 12-month trend, and who is in arrears (open FEE findings)."""
    org = org_selectors.org_get(request.user, pk)
    now = current_index()
    month = parse_month(request.GET.get("month", "")) or now - 1
    figures = selectors.collection(request.user, org, month)
    arrears = compliance_selectors.open_findings_of(
        org, ["FEE-02", "FEE-03", "FEE-04"], order=("-severity", "opened_on"), limit=50
    )
    return render(
        request,
        "fees/summary.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            **figures,
            "month": month_label(month),
            "prev": month_label(month - 1),
            "next": month_label(month + 1) if month + 1 < now else None,
            "arrears": arrears,
        },
    )


@staff_required("view")
def accounts_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """上缴与公布: the organization's remittances upward and its yearly publications."""
    org = org_selectors.org_get(request.user, pk)
    year = timezone.localdate().year
    return render(
        request,
        "fees/accounts.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "remittances": selectors.remittances_of(org),
            "publications": selectors.publications_of(org),
            "percent": selectors.remit_percent(org),
            "collected_this_year": selectors.collected(org, year),
            "year": year,
            "can_change": policy.can(request.user, "change", org),
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def remit_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    today = timezone.localdate()
    form = RemittanceForm(request.POST or None, initial={"year": today.year, "remitted_on": today})

    def done(r: Any) -> HttpResponse:
        messages.success(
            request,
            f"已登记上缴{bands.yuan(r.amount_fen)}元（收缴{bands.yuan(r.collected_fen)}元 × "
            f"{r.percent}%）。",
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
            "title": f"登记“{org.name}”党费上缴（按{selectors.remit_percent(org)}%）",
            "submit": "登记",
            "back": "fees:accounts",
            "ancestors": org_selectors.org_ancestors(org, request.user),
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def publish_view(request: AuthedRequest, pk: int) -> HttpResponse:
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
def collection_day_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    return perform(
        request,
        lambda: services.collection_day_set(
            actor=request.user, organization=org, day=int(request.POST.get("day", "0"))
        ),
        success="已设置收缴日，党员会在收缴日前3天收到提醒。",
        to="fees:grid",
        args=(org.pk,),
        invalid="收缴日应为每月1日至28日",
    )


@staff_required("change")
@require_POST
def annual_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    year = timezone.localdate().year
    return perform(
        request,
        lambda: services.annual_assessment_confirm(
            actor=request.user, organization=org, year=year, done_on=timezone.localdate()
        ),
        success=f"已登记完成{year}年度党费核定。",
        to="fees:grid",
        args=(org.pk,),
    )
