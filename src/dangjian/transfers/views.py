"""组织关系转接 pages: the letters of an organization's subtree (going out, coming in, letters from
outside), a letter with what the viewer may do next, the three-part PDF and the signed file; the
member's own page on the phone; batch transfers with a preview; mobile and lost-contact members;
the security admin's keys for the exchange between deployments."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.accounts.constants import Role
from dangjian.audit.services import audit_record
from dangjian.core import uploads
from dangjian.core.errors import DomainError
from dangjian.members import selectors as member_selectors
from dangjian.members.models import Member
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.views import picker_answer, scope_home
from dangjian.web.access import (
    AuthedRequest,
    admin_required,
    member_required,
    signed_in,
    staff_required,
)
from dangjian.web.forms import add_domain_error, perform, split_numbers, submit
from dangjian.web.paging import PAGE_SIZES, paginate

from . import exchange, selectors, services
from .documents import letter_pdf
from .forms import BatchForm, IncomingForm, LostForm, MobileForm, StartForm
from .models import (
    IncomingLetter,
    IncomingStatus,
    LostContact,
    MobileDirection,
    MobileMember,
    Transfer,
    TransferStatus,
)

TABS = [
    ("out", "转出"),
    ("in", "转入"),
    ("incoming", "外来介绍信"),
    ("mobile", "流动党员"),
    ("lost", "失联党员"),
]
home_view = scope_home("transfers:list")


@staff_required("view")
def list_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk)
    tab = request.GET.get("tab", "out")
    if tab not in dict(TABS):
        tab = "out"
    status = request.GET.get("status", "open")
    q = (request.GET.get("q") or "").strip()
    ctx: dict[str, Any] = {
        "org": org,
        "ancestors": org_selectors.org_ancestors(org, request.user),
        "tab": tab,
        "tabs": TABS,
        "status": status,
        "q": q,
        "page_sizes": PAGE_SIZES,
        "today": timezone.localdate(),
        "can_change": policy.can(request.user, "change", org),
        "can_committee": policy.can(request.user, "change", selectors.committee_of(org) or org),
    }
    if tab in ("out", "in"):
        sort = request.GET.get("sort", "-issued")
        qs = selectors.transfers_of(org, side=tab, status=status, q=q, sort=sort)
        ctx.update(page=paginate(request, qs), statuses=TransferStatus.choices, sort=sort)
    elif tab == "incoming":
        ctx.update(
            page=paginate(request, selectors.incoming_of(org, status=status)),
            statuses=IncomingStatus.choices,
        )
    elif tab == "mobile":
        direction = request.GET.get("direction", "out")
        ctx.update(
            page=paginate(request, selectors.mobile_of(org, direction=direction, status=status)),
            direction=direction,
            directions=MobileDirection.choices,
        )
    else:
        ctx.update(page=paginate(request, selectors.lost_of(org, status=status)))
    return render(request, "transfers/list.html", ctx)


@staff_required("view")
def detail_view(request: AuthedRequest, pk: int) -> HttpResponse:
    t = selectors.transfer_get(request.user, pk)
    can = selectors.abilities(request.user, t)
    return render(
        request,
        "transfers/detail.html",
        {
            "t": t,
            "org": t.from_org,
            "ancestors": org_selectors.org_ancestors(t.from_org, request.user),
            "can": can,
            "can_any": any(can.values()),
            "expires_on": selectors.expires_on(t),
            "today": timezone.localdate(),
            "has_key": selectors.has_signing_key(),
            "may_print": selectors.may_print_letter(request.user, t),
            "max_days": services.MAX_VALID_DAYS,
        },
    )


def _date_or_today(raw: str) -> date:
    return date.fromisoformat(raw) if raw else timezone.localdate()


ACTIONS = {
    "issue": (
        "已开具介绍信。",
        lambda r, t: services.transfer_issue(
            actor=r.user,
            transfer=t,
            valid_days=int(r.POST.get("valid_days") or 0),
            on=_date_or_today(r.POST.get("on", "")),
        ),
    ),
    "agree": (
        "已同意转入，请转入支部接收。",
        lambda r, t: services.transfer_agree(actor=r.user, transfer=t),
    ),
    "accept": (
        "已接收，该党员已列入本支部名册。",
        lambda r, t: services.transfer_accept(
            actor=r.user, transfer=t, on=_date_or_today(r.POST.get("on", ""))
        ),
    ),
    "receipt": (
        "已登记回执，该党员的组织关系已转出。",
        lambda r, t: services.transfer_accept(
            actor=r.user, transfer=t, on=_date_or_today(r.POST.get("on", ""))
        ),
    ),
    "reject": (
        "已退回。",
        lambda r, t: services.transfer_close(
            actor=r.user, transfer=t, how="reject", reason=r.POST.get("reason", "")
        ),
    ),
    "cancel": (
        "已撤销。",
        lambda r, t: services.transfer_close(
            actor=r.user, transfer=t, how="cancel", reason=r.POST.get("reason", "")
        ),
    ),
    "expire": (
        "已标记为过期。",
        lambda r, t: services.transfer_close(
            actor=r.user, transfer=t, how="expire", reason=r.POST.get("reason", "")
        ),
    ),
    "sign": ("已生成电子介绍信。", lambda r, t: services.transfer_sign(actor=r.user, transfer=t)),
}


@staff_required("change")
@require_POST
def act_view(request: AuthedRequest, pk: int) -> HttpResponse:
    t = selectors.transfer_get(request.user, pk)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, "未知操作")
        return redirect("transfers:detail", t.pk)
    return perform(
        request,
        lambda: action[1](request, t),
        success=action[0],
        to="transfers:detail",
        args=(t.pk,),
        invalid="请填写有效的日期和天数",
    )


def _export(request: AuthedRequest, t: Transfer, fmt: str, data: bytes) -> None:
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="transfers.export",
            obj=t,
            organization=t.from_org,
            data={
                "format": fmt,
                "letter_no": t.letter_no,
                "member": t.member.member_no,
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        )


def _may_print(request: AuthedRequest, t: Transfer) -> None:
    if not selectors.may_print_letter(request.user, t):
        with transaction.atomic():
            audit_record(
                actor=request.user,
                action="accounts.access_denied",
                result="denied",
                obj=t,
                organization=t.from_org,
                data={"path": request.path[:200], "reason": "letter_needs_unmask"},
            )
        raise PermissionDenied("介绍信载有完整身份证号，需有“可查看完整敏感信息”权限的人员开具")


@staff_required("view")
def pdf_view(request: AuthedRequest, pk: int) -> HttpResponse:

    t = selectors.transfer_get(request.user, pk)
    if not t.issued_on:
        raise Http404("介绍信尚未开具")
    _may_print(request, t)
    data = letter_pdf(t, who=str(request.user))
    _export(request, t, "pdf", data)
    return uploads.document(
        data, "application/pdf", f"组织关系介绍信-{t.letter_no}-{t.member.name}.pdf"
    )


@staff_required("view")
def token_view(request: AuthedRequest, pk: int) -> HttpResponse:
    t = selectors.transfer_get(request.user, pk)
    if not t.token:
        raise Http404("该介绍信没有电子签名")
    _may_print(request, t)
    _export(request, t, "signed", t.token.encode())
    return uploads.document(
        t.token.encode(), "text/plain; charset=utf-8", f"电子介绍信-{t.letter_no}.dgl"
    )


def _start_form(data: Any = None) -> StartForm:
    return StartForm(data)


@staff_required("change")
@require_http_methods(["GET", "POST"])
def start_view(request: AuthedRequest, member_pk: int) -> HttpResponse:
    m = member_selectors.member_get(request.user, member_pk, "change")
    form = _start_form(request.POST or None)

    def done(t: Transfer) -> HttpResponse:
        messages.success(request, "已提交转接申请，待转出党委审批并开具介绍信。")
        return redirect("transfers:detail", t.pk)

    return submit(
        request,
        form,
        lambda d: services.transfer_start(
            actor=request.user,
            member=m,
            to_org=d["to_org"],
            to_name=d["to_name"],
            reason=d["reason"],
        ),
        done=done,
    ) or render(
        request,
        "transfers/start.html",
        {
            "m": m,
            "form": form,
            "org": m.organization,
            "ancestors": org_selectors.org_ancestors(m.organization, request.user),
        },
    )


@signed_in
@require_http_methods(["GET"])
def branches_view(request: AuthedRequest) -> JsonResponse:
    """The receiving-branch picker: a transfer may go to any branch of the deployment (names and
    codes only), for staff and for members starting their own."""
    return picker_answer(request, request.user, "view", unscoped=True)


@member_required
@require_http_methods(["GET", "POST"])
def my_view(request: AuthedRequest) -> HttpResponse:
    """The member's own transfers on the phone: where the current one stands, and the form to start
    one."""
    member = member_selectors.own_member(request.user)
    mine = selectors.member_transfers(member)
    current = next((t for t in mine if t.status == TransferStatus.OPEN), None)
    form = _start_form(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "cancel" and current is not None:
        return perform(
            request,
            lambda: services.transfer_close(
                actor=request.user, transfer=current, how="cancel", reason="本人撤销"
            ),
            success="已撤销转接申请。",
            to="transfers:my",
        )

    def done(t: Transfer) -> HttpResponse:
        messages.success(request, "已提交申请。党委审批并开具介绍信后，您会收到消息。")
        return redirect("transfers:my")

    resp = None
    if request.POST.get("action") != "cancel":
        resp = submit(
            request,
            form,
            lambda d: services.transfer_start(
                actor=request.user,
                member=member,
                to_org=d["to_org"],
                to_name=d["to_name"],
                reason=d["reason"],
            ),
            done=done,
        )
    steps = []
    if current is not None:
        steps = [("提交申请", current.started_on), ("转出党委审批、开具介绍信", current.issued_on)]
        if current.to_org_id:
            steps += [("转入党委同意", current.receiving_approved_on), ("转入支部接收", None)]
        else:
            steps += [("到接收党组织报到、回执寄回", None)]
    return resp or render(
        request,
        "transfers/my.html",
        {
            "member": member,
            "mine": mine,
            "current": current,
            "form": form,
            "steps": steps,
            "expires_on": selectors.expires_on(current) if current else None,
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def batch_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """Paste the members, preview who can go and why not, then one approval issues every letter."""
    org = org_selectors.org_get(request.user, pk, "change")
    form = BatchForm(request.POST or None)
    form.fields["member_nos"].widget.url = f"{reverse('members:lookup')}?org={org.pk}"  # type: ignore[attr-defined]
    rows: list[tuple[Member, str]] = []
    missing: list[str] = []
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        nos = split_numbers(d["member_nos"])
        found = member_selectors.members_by_number(request.user, org, nos)
        missing = [n for n in nos if n not in found]
        members = [found[n] for n in nos if n in found]
        if missing:
            form.add_error("member_nos", f"以下编号不在{org.name}：{'、'.join(missing[:20])}")
        elif request.POST.get("confirm") == "1":
            try:
                made = services.transfer_batch(
                    actor=request.user,
                    members=members,
                    to_org=d["to_org"],
                    to_name=d["to_name"],
                    reason=d["reason"],
                    valid_days=d["valid_days"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request, f"已为{len(made)}名党员开具介绍信（批次 {made[0].batch}）。"
                )
                return redirect(f"{_url('transfers:list', org.pk)}?tab=out&status=open")
        rows = services.transfer_batch_preview(
            actor=request.user, members=members, to_org=d["to_org"], to_name=d["to_name"]
        )
    return render(
        request,
        "transfers/batch.html",
        {
            "org": org,
            "form": form,
            "rows": rows,
            "ok": bool(rows) and all(not w for _, w in rows),
            "ancestors": org_selectors.org_ancestors(org, request.user),
        },
    )


def _signed_text(request: AuthedRequest) -> str:
    """A signed letter or receipt: the uploaded file (read no further than a token can be long) or
    the
    QR code's text pasted in."""
    upload = request.FILES.get("file")
    return (
        upload.read(exchange.MAX_TOKEN + 1).decode("utf-8", "replace")
        if upload
        else request.POST.get("token", "")
    )


def _url(name: str, *args: Any) -> str:
    return reverse(name, args=args)


@staff_required("change")
@require_http_methods(["GET", "POST"])
def incoming_new_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A letter from outside: import the signed file (or the QR code's text), or register the paper
    letter."""
    org = org_selectors.org_get(request.user, pk, "change")
    branches = selectors.change_branches(request.user, org)
    form = IncomingForm(request.POST if request.POST.get("mode") == "paper" else None)
    form.fields["to_org"].queryset = branches  # type: ignore[attr-defined]
    error = ""
    if request.method == "POST" and request.POST.get("mode") == "signed":
        token = _signed_text(request)
        to = selectors.change_branch_get(request.user, org, request.POST.get("to_org"))
        try:
            lt = services.incoming_import(actor=request.user, token=token, to_org=to)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, f"签名核验通过，已登记{lt.name}的介绍信。")
            return redirect("transfers:incoming", lt.pk)

    def done(lt: IncomingLetter) -> HttpResponse:
        messages.success(request, f"已登记{lt.name}的介绍信。")
        return redirect("transfers:incoming", lt.pk)

    return submit(
        request, form, lambda d: services.incoming_register(actor=request.user, **d), done=done
    ) or render(
        request,
        "transfers/incoming_new.html",
        {
            "org": org,
            "form": form,
            "branches": branches,
            "error": error,
            "ancestors": org_selectors.org_ancestors(org, request.user),
        },
        status=400 if error or form.errors else 200,
    )


@staff_required("view")
@require_http_methods(["GET", "POST"])
def incoming_view(request: AuthedRequest, pk: int) -> HttpResponse:
    lt = selectors.incoming_get(request.user, pk)
    if request.method == "POST":
        if not policy.can(request.user, "change", lt.to_org):
            raise Http404
        if request.POST.get("action") == "accept":
            return perform(
                request,
                lambda: services.incoming_accept(actor=request.user, letter=lt),
                success=f"已接收{lt.name}，已列入{lt.to_org.name}名册。",
                to="transfers:incoming",
                args=(lt.pk,),
            )
        return perform(
            request,
            lambda: services.incoming_reject(
                actor=request.user, letter=lt, reason=request.POST.get("reason", "")
            ),
            success="已退回。",
            to="transfers:incoming",
            args=(lt.pk,),
        )
    return render(
        request,
        "transfers/incoming.html",
        {
            "lt": lt,
            "org": lt.to_org,
            "can_change": policy.can(request.user, "change", lt.to_org),
            "ancestors": org_selectors.org_ancestors(lt.to_org, request.user),
        },
    )


@staff_required("view")
def receipt_download_view(request: AuthedRequest, pk: int) -> HttpResponse:
    lt = selectors.incoming_get(request.user, pk)
    if not lt.receipt_token:
        raise Http404("该介绍信没有电子回执")
    return uploads.document(
        lt.receipt_token.encode(), "text/plain; charset=utf-8", f"电子回执-{lt.letter_no}.dgr"
    )


@staff_required("change")
@require_POST
def receipt_upload_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    token = _signed_text(request)
    try:
        t = services.receipt_import(actor=request.user, token=token)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{_url('transfers:list', org.pk)}?tab=out")
    messages.success(request, f"回执核验通过：{t.member.name}的组织关系已转往{t.to_name}。")
    return redirect("transfers:detail", t.pk)


@staff_required("change")
@require_http_methods(["GET", "POST"])
def mobile_new_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    form = MobileForm(
        request.POST or None, initial={"direction": request.GET.get("direction", "out")}
    )
    form.fields["member"].scope = member_selectors.active_members_in(request.user, org)  # type: ignore[attr-defined]
    form.fields["organization"].queryset = selectors.change_branches(  # type: ignore[attr-defined]
        request.user, org
    )

    def done(mm: MobileMember) -> HttpResponse:
        messages.success(request, f"已登记流动党员{mm.name}。")
        return redirect("transfers:mobile", mm.pk)

    return submit(
        request, form, lambda d: services.mobile_register(actor=request.user, **d), done=done
    ) or render(
        request,
        "transfers/mobile_new.html",
        {"org": org, "form": form, "ancestors": org_selectors.org_ancestors(org, request.user)},
    )


@staff_required("view")
@require_http_methods(["GET", "POST"])
def mobile_view(request: AuthedRequest, pk: int) -> HttpResponse:
    mm = selectors.mobile_get(request.user, pk)
    if request.method == "POST":
        ending = request.POST.get("action") == "end"

        def act() -> Any:
            on = date.fromisoformat(request.POST.get("on", ""))
            if ending:
                return services.mobile_end(actor=request.user, mobile=mm, on=on)
            return services.mobile_report(
                actor=request.user, mobile=mm, on=on, content=request.POST.get("content", "")
            )

        return perform(
            request,
            act,
            success="已结束流动党员登记。" if ending else "已登记汇报。",
            to="transfers:mobile",
            args=(mm.pk,),
            invalid="请填写日期",
        )
    return render(
        request,
        "transfers/mobile.html",
        {
            "mm": mm,
            "org": mm.organization,
            "reports": selectors.mobile_reports(mm),
            "can_change": policy.can(request.user, "change", mm.organization),
            "ancestors": org_selectors.org_ancestors(mm.organization, request.user),
            "today": timezone.localdate(),
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def lost_new_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    form = LostForm(request.POST or None)
    form.fields["member"].scope = member_selectors.active_members_in(request.user, org)  # type: ignore[attr-defined]

    def done(lc: LostContact) -> HttpResponse:
        messages.success(
            request, "已登记。平台会在失联满6个月时提醒支部研究处理意见，不会自动处理。"
        )
        return redirect("transfers:lost", lc.pk)

    return submit(
        request, form, lambda d: services.lost_record(actor=request.user, **d), done=done
    ) or render(
        request,
        "transfers/lost_new.html",
        {"org": org, "form": form, "ancestors": org_selectors.org_ancestors(org, request.user)},
    )


@staff_required("view")
@require_http_methods(["GET", "POST"])
def lost_view(request: AuthedRequest, pk: int) -> HttpResponse:
    lc = selectors.lost_get(request.user, pk)
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        return perform(
            request,
            lambda: services.lost_decide(
                actor=request.user,
                lost=lc,
                decision=decision,
                on=date.fromisoformat(request.POST.get("on", "")),
                reason=request.POST.get("reason", ""),
            ),
            success="已登记。",
            to="transfers:lost",
            args=(lc.pk,),
            invalid="请填写决定日期",
        )
    return render(
        request,
        "transfers/lost.html",
        {
            "lc": lc,
            "org": lc.organization,
            "today": timezone.localdate(),
            "can_change": policy.can(request.user, "change", lc.organization),
            "ancestors": org_selectors.org_ancestors(lc.organization, request.user),
        },
    )


@admin_required(Role.SECURITY_ADMIN)
@require_http_methods(["GET", "POST"])
def keys_view(request: AuthedRequest) -> HttpResponse:
    """The security admin: this deployment's signing key (generate, rotate), the keys of other
    deployments it trusts (register their published key file, revoke)."""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            key = selectors.trusted_key_get(request.POST.get("key"))
            return perform(
                request,
                lambda: services.key_revoke(actor=request.user, key=key),
                success=f"已停用 {key.deployment} 的公钥 {key.key_id}。",
                to="transfers:keys",
            )
        try:
            if action == "generate":
                k = services.key_generate(
                    actor=request.user, deployment=request.POST.get("deployment", "")
                )
                messages.success(
                    request, f"已生成签名密钥 {k.key_id}。请把“公布的公钥”文件发给需要互认的部署。"
                )
            elif action == "trust":
                upload = request.FILES.get("file")
                text = (
                    upload.read(20000).decode("utf-8", "replace")
                    if upload
                    else request.POST.get("published", "")
                )
                keys = services.key_trust(actor=request.user, published=text)
                messages.success(request, f"已登记“{keys[0].deployment}”的公钥。")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("transfers:keys")
    return render(
        request,
        "transfers/keys.html",
        {
            "own": selectors.own_keys(),
            "trusted": selectors.trusted_keys(),
        },
    )


def published_keys_view(request: HttpRequest) -> JsonResponse:
    """The public keys other deployments register (public by nature; no personal data)."""
    resp = JsonResponse(exchange.published(), json_dumps_params={"ensure_ascii": False})
    resp["Content-Disposition"] = 'attachment; filename="dangjian-keys.json"'
    return resp
