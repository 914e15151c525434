"""组织关系转接 pages: the letters of an organization's subtree (going out, coming in, letters from
outside), a letter with what the viewer may do next, the three-part PDF and the signed file; the
member's own page on the phone; batch transfers with a preview; mobile and lost-contact members;
the security admin's keys for the exchange between deployments."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Max, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
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
from dangjian.orgs.models import Organization
from dangjian.orgs.views import scope_home
from dangjian.web.access import admin_required, member_required, staff_required
from dangjian.web.forms import BootstrapMixin, DateInput, add_domain_error, split_numbers, submit
from dangjian.web.paging import PAGE_SIZES, paginate

from . import exchange, services
from .models import (
    ExchangeKey,
    IncomingLetter,
    IncomingStatus,
    LostContact,
    LostStatus,
    MobileDirection,
    MobileMember,
    Stage,
    Transfer,
    TransferStatus,
    TrustedKey,
)

TABS = [
    ("out", "转出"),
    ("in", "转入"),
    ("incoming", "外来介绍信"),
    ("mobile", "流动党员"),
    ("lost", "失联党员"),
]
SORTS = {
    "issued": "issued_on",
    "started": "started_on",
    "member": "member__member_no",
    "status": "status",
}


def _branches(user: Any) -> Any:
    return policy.visible_to(user, "change").filter(kind="branch", is_active=True).order_by("path")


home_view = scope_home("transfers:list")


@staff_required("view")
def list_view(request: HttpRequest, pk: int) -> HttpResponse:
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
        "can_committee": policy.can(request.user, "change", services.committee_of(org) or org),
    }
    qs: Any
    if tab in ("out", "in"):
        side = "from_org" if tab == "out" else "to_org"
        qs = Transfer.objects.filter(**{f"{side}__path__startswith": org.path}).select_related(
            "member", "from_org", "to_org"
        )
        if status in TransferStatus.values:
            qs = qs.filter(status=status)
        if q:
            qs = qs.filter(Q(member__name__startswith=q) | Q(member__member_no=q) | Q(letter_no=q))
        sort = request.GET.get("sort", "-issued")
        field = SORTS.get(sort.lstrip("-"), "issued_on")
        qs = qs.order_by(("-" if sort.startswith("-") else "") + field, "-id")
        ctx.update(page=paginate(request, qs), statuses=TransferStatus.choices, sort=sort)
    elif tab == "incoming":
        qs = IncomingLetter.objects.filter(to_org__path__startswith=org.path).select_related(
            "to_org"
        )
        if status in IncomingStatus.values:
            qs = qs.filter(status=status)
        elif status == "open":
            qs = qs.filter(status=IncomingStatus.PENDING)
        ctx.update(
            page=paginate(request, qs.order_by("-issued_on", "-id")),
            statuses=IncomingStatus.choices,
        )
    elif tab == "mobile":
        direction = request.GET.get("direction", "out")
        qs = (
            MobileMember.objects.filter(
                organization__path__startswith=org.path, direction=direction
            )
            .select_related("organization", "member")
            .annotate(last_report=Max("reports__on"))
        )
        if status == "open":
            qs = qs.filter(ended_on__isnull=True)
        ctx.update(
            page=paginate(request, qs.order_by("-since", "-id")),
            direction=direction,
            directions=MobileDirection.choices,
        )
    else:
        qs = LostContact.objects.filter(organization__path__startswith=org.path).select_related(
            "member", "organization"
        )
        if status == "open":
            qs = qs.filter(status__in=[LostStatus.OPEN, LostStatus.SUSPENDED])
        ctx.update(page=paginate(request, qs.order_by("since", "id")))
    return render(request, "transfers/list.html", ctx)


def _transfer(request: HttpRequest, pk: int) -> Transfer:
    t = Transfer.objects.select_related("member", "from_org", "to_org").filter(pk=pk).first()
    if t is None or not (
        policy.can(request.user, "view", t.from_org)
        or (t.to_org and policy.can(request.user, "view", t.to_org))
    ):
        raise Http404("未找到该转接，或不在您的管理范围内")
    return t


def _abilities(user: Any, t: Transfer) -> dict[str, bool]:
    """What the viewer may do next (the services decide; this only hides buttons that would be refused)."""
    if t.status != TransferStatus.OPEN:
        return {}
    sending = policy.can(user, "change", services.committee_of(t.from_org))
    receiving = t.to_org is not None and policy.can(user, "change", services.committee_of(t.to_org))
    end = services.expires_on(t)
    expired = end is not None and timezone.localdate() > end
    return {
        "issue": sending and t.stage == Stage.STARTED,
        "agree": receiving and t.stage == Stage.ISSUED and not expired,
        "accept": t.to_org is not None
        and policy.can(user, "change", t.to_org)
        and t.stage == Stage.RECEIVING_APPROVED
        and not expired,
        "receipt": t.to_org is None and sending and t.stage == Stage.ISSUED and not expired,
        "reject": sending
        or receiving
        or (t.to_org is not None and policy.can(user, "change", t.to_org)),
        "cancel": policy.can(user, "change", t.from_org),
        "expire": sending and expired,
        "sign": t.to_org is None and sending and t.stage == Stage.ISSUED and not t.token,
    }


@staff_required("view")
def detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    t = _transfer(request, pk)
    can = _abilities(request.user, t)
    return render(
        request,
        "transfers/detail.html",
        {
            "t": t,
            "org": t.from_org,
            "ancestors": org_selectors.org_ancestors(t.from_org, request.user),
            "can": can,
            "can_any": any(can.values()),
            "expires_on": services.expires_on(t),
            "today": timezone.localdate(),
            "has_key": ExchangeKey.objects.filter(active=True).exists(),
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
def act_view(request: HttpRequest, pk: int) -> HttpResponse:
    t = _transfer(request, pk)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, "未知操作")
        return redirect("transfers:detail", t.pk)
    try:
        action[1](request, t)
    except DomainError as exc:
        messages.error(request, exc.message)
    except ValueError:
        messages.error(request, "请填写有效的日期和天数")
    else:
        messages.success(request, action[0])
    return redirect("transfers:detail", t.pk)


def _export(request: HttpRequest, t: Transfer, fmt: str) -> None:
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="transfers.export",
            obj=t,
            organization=t.from_org,
            data={"format": fmt, "letter_no": t.letter_no, "member": t.member.member_no},
        )


@staff_required("view")
def pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    from .documents import letter_pdf

    t = _transfer(request, pk)
    if not t.issued_on:
        raise Http404("介绍信尚未开具")
    data = letter_pdf(t)
    _export(request, t, "pdf")
    return uploads.document(
        data, "application/pdf", f"组织关系介绍信-{t.letter_no}-{t.member.name}.pdf"
    )


@staff_required("view")
def token_view(request: HttpRequest, pk: int) -> HttpResponse:
    t = _transfer(request, pk)
    if not t.token:
        raise Http404("该介绍信没有电子签名")
    _export(request, t, "signed")
    return uploads.document(
        t.token.encode(), "text/plain; charset=utf-8", f"电子介绍信-{t.letter_no}.dgl"
    )


class BranchField(forms.CharField):
    """A receiving branch anywhere in the deployment, typed by its full name or organization code (a
    city has thousands: no drop-down). Several branches with the same name ask for the code; no match
    suggests names that contain what was typed."""

    def clean(self, value: Any) -> Any:
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        branches = Organization.objects.filter(kind="branch", is_active=True)
        found = list(branches.filter(Q(code=text) | Q(name=text)).order_by("path")[:6])
        if len(found) == 1:
            return found[0]
        if found:
            raise forms.ValidationError(
                "有多个同名党支部，请填写组织代码："
                + "、".join(f"{o.name}（{o.code}）" for o in found[:5])
            )
        near = list(
            branches.filter(name__contains=text).order_by("path").values_list("name", "code")[:5]
        )
        hint = (
            "。您是否要找：" + "、".join(f"{n}（{c}）" for n, c in near)
            if near
            else "；转往本系统以外的，请填写下一项"
        )
        raise forms.ValidationError(f"本系统中没有名为“{text}”的党支部{hint}")


class StartForm(BootstrapMixin, forms.Form):
    to_org = BranchField(
        label="转入党支部（本系统内）",
        max_length=100,
        required=False,
        help_text="填写党支部全称或组织代码；转往本系统以外的，请留空并填写下一项",
    )
    to_name = forms.CharField(label="本系统以外的接收党组织", max_length=100, required=False)
    reason = forms.CharField(
        label="转接原因", max_length=200, help_text="如：工作调动、升学、毕业、迁居"
    )


def _start_form(data: Any = None) -> StartForm:
    return StartForm(data)


@staff_required("change")
@require_http_methods(["GET", "POST"])
def start_view(request: HttpRequest, member_pk: int) -> HttpResponse:
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


@member_required
@require_http_methods(["GET", "POST"])
def my_view(request: HttpRequest) -> HttpResponse:
    """The member's own transfers on the phone: where the current one stands, and the form to start one."""
    member = member_selectors.own_member(request.user)
    mine = list(
        Transfer.objects.filter(member=member)
        .select_related("from_org", "to_org")
        .order_by("-id")[:10]
    )
    current = next((t for t in mine if t.status == TransferStatus.OPEN), None)
    form = _start_form(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "cancel" and current is not None:
        try:
            services.transfer_close(
                actor=request.user, transfer=current, how="cancel", reason="本人撤销"
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已撤销转接申请。")
        return redirect("transfers:my")

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
            "expires_on": services.expires_on(current) if current else None,
        },
    )


class BatchForm(BootstrapMixin, forms.Form):
    member_nos = forms.CharField(
        label="党员编号",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="每行一个，或用逗号、空格分隔；可从花名册导出后粘贴",
    )
    to_org = BranchField(
        label="转入党支部（本系统内）",
        max_length=100,
        required=False,
        help_text="党支部全称或组织代码",
    )
    to_name = forms.CharField(label="本系统以外的接收党组织", max_length=100, required=False)
    reason = forms.CharField(
        label="转接原因", max_length=200, help_text="如：2026届毕业生、机构调整"
    )
    valid_days = forms.IntegerField(
        label="介绍信有效期（天）",
        min_value=1,
        max_value=services.MAX_VALID_DAYS,
        initial=services.DEFAULT_VALID_DAYS,
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def batch_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Paste the members, preview who can go and why not, then one approval issues every letter."""
    org = org_selectors.org_get(request.user, pk, "change")
    form = BatchForm(request.POST or None)
    rows: list[tuple[Member, str]] = []
    missing: list[str] = []
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        nos = split_numbers(d["member_nos"])
        found = {
            m.member_no: m
            for m in member_selectors.member_queryset(request.user, "change")
            .filter(member_no__in=nos, organization__path__startswith=org.path)
            .select_related("organization")
        }
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


def _signed_text(request: HttpRequest) -> str:
    """A signed letter or receipt: the uploaded file (read no further than a token can be long) or the
    QR code's text pasted in."""
    upload = request.FILES.get("file")
    return (
        upload.read(exchange.MAX_TOKEN + 1).decode("utf-8", "replace")
        if upload
        else request.POST.get("token", "")
    )


def _url(name: str, *args: Any) -> str:
    from django.urls import reverse

    return reverse(name, args=args)


class IncomingForm(BootstrapMixin, forms.Form):
    letter_no = forms.CharField(label="介绍信编号", max_length=40)
    from_name = forms.CharField(label="转出党组织", max_length=100)
    to_org = forms.ModelChoiceField(label="转入党支部", queryset=Organization.objects.none())
    member_no = forms.CharField(
        label="党员编号", max_length=32, help_text="原党组织的编号；没有的，按本系统规则编号"
    )
    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", choices=[("男", "男"), ("女", "女")])
    birth_date = forms.DateField(label="出生日期", widget=DateInput())
    id_number = forms.CharField(label="身份证号", max_length=18)
    member_status = forms.ChoiceField(
        label="党员类别", choices=[("full", "正式党员"), ("probationary", "预备党员")]
    )
    joined_on = forms.DateField(label="入党日期", widget=DateInput())
    full_on = forms.DateField(label="转正日期", widget=DateInput(), required=False)
    issued_on = forms.DateField(label="介绍信开具日期", widget=DateInput())
    valid_days = forms.IntegerField(
        label="有效期（天）", min_value=1, max_value=services.MAX_VALID_DAYS
    )
    fee_paid_through = forms.CharField(
        label="党费交至（年-月）",
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "2026-10"}),
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def incoming_new_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A letter from outside: import the signed file (or the QR code's text), or register the paper letter."""
    org = org_selectors.org_get(request.user, pk, "change")
    branches = _branches(request.user).filter(path__startswith=org.path)
    form = IncomingForm(request.POST if request.POST.get("mode") == "paper" else None)
    form.fields["to_org"].queryset = branches  # type: ignore[attr-defined]
    error = ""
    if request.method == "POST" and request.POST.get("mode") == "signed":
        token = _signed_text(request)
        to = branches.filter(pk=request.POST.get("to_org") or 0).first()
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


def _incoming(request: HttpRequest, pk: int) -> IncomingLetter:
    lt = IncomingLetter.objects.select_related("to_org", "member").filter(pk=pk).first()
    if lt is None or not policy.can(request.user, "view", lt.to_org):
        raise Http404("未找到该介绍信，或不在您的管理范围内")
    return lt


@staff_required("view")
@require_http_methods(["GET", "POST"])
def incoming_view(request: HttpRequest, pk: int) -> HttpResponse:
    lt = _incoming(request, pk)
    if request.method == "POST":
        if not policy.can(request.user, "change", lt.to_org):
            raise Http404
        try:
            if request.POST.get("action") == "accept":
                services.incoming_accept(actor=request.user, letter=lt)
                messages.success(request, f"已接收{lt.name}，已列入{lt.to_org.name}名册。")
            else:
                services.incoming_reject(
                    actor=request.user, letter=lt, reason=request.POST.get("reason", "")
                )
                messages.success(request, "已退回。")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("transfers:incoming", lt.pk)
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
def receipt_download_view(request: HttpRequest, pk: int) -> HttpResponse:
    lt = _incoming(request, pk)
    if not lt.receipt_token:
        raise Http404("该介绍信没有电子回执")
    return uploads.document(
        lt.receipt_token.encode(), "text/plain; charset=utf-8", f"电子回执-{lt.letter_no}.dgr"
    )


@staff_required("change")
@require_POST
def receipt_upload_view(request: HttpRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    token = _signed_text(request)
    try:
        t = services.receipt_import(actor=request.user, token=token)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{_url('transfers:list', org.pk)}?tab=out")
    messages.success(request, f"回执核验通过：{t.member.name}的组织关系已转往{t.to_name}。")
    return redirect("transfers:detail", t.pk)


class MemberNoField(forms.CharField):
    """A member of the form's organization subtree (in the user's scope), by member number."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.scope: Any = Member.objects.none()
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> Any:
        no = (super().clean(value) or "").strip()
        if not no:
            return None
        m = self.scope.filter(member_no=no).select_related("organization").first()
        if m is None:
            raise forms.ValidationError(f"本组织没有党员编号为“{no}”的在册党员")
        return m


class MobileForm(BootstrapMixin, forms.Form):
    direction = forms.ChoiceField(label="类型", choices=MobileDirection.choices)
    member = MemberNoField(label="外出党员的党员编号（本组织）", max_length=32, required=False)
    name = forms.CharField(label="外来党员姓名", max_length=50, required=False)
    home_org = forms.CharField(label="外来党员组织关系所在党组织", max_length=100, required=False)
    organization = forms.ModelChoiceField(
        label="管理的党支部（外来党员）", queryset=Organization.objects.none(), required=False
    )
    place = forms.CharField(label="流向（外来党员现居）地点", max_length=100)
    reason = forms.CharField(label="原因", max_length=100, help_text="务工、经商、求学、随迁等")
    fixed_place = forms.BooleanField(
        label="在相对固定处所（满6个月应转接组织关系）", required=False
    )
    since = forms.DateField(label="外出（流入）日期", widget=DateInput())
    contact = forms.CharField(label="联系方式", max_length=50, required=False)
    card_no = forms.CharField(label="流动党员活动证编号", max_length=30, required=False)


@staff_required("change")
@require_http_methods(["GET", "POST"])
def mobile_new_view(request: HttpRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    form = MobileForm(
        request.POST or None, initial={"direction": request.GET.get("direction", "out")}
    )
    form.fields["member"].scope = member_selectors.member_queryset(request.user, "change").filter(  # type: ignore[attr-defined]
        organization__path__startswith=org.path, status__in=["full", "probationary"]
    )
    form.fields["organization"].queryset = _branches(request.user).filter(path__startswith=org.path)  # type: ignore[attr-defined]

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
def mobile_view(request: HttpRequest, pk: int) -> HttpResponse:
    mm = MobileMember.objects.select_related("organization", "member").filter(pk=pk).first()
    if mm is None or not policy.can(request.user, "view", mm.organization):
        raise Http404("未找到该流动党员")
    if request.method == "POST":
        try:
            on = date.fromisoformat(request.POST.get("on", ""))
            if request.POST.get("action") == "end":
                services.mobile_end(actor=request.user, mobile=mm, on=on)
                messages.success(request, "已结束流动党员登记。")
            else:
                services.mobile_report(
                    actor=request.user, mobile=mm, on=on, content=request.POST.get("content", "")
                )
                messages.success(request, "已登记汇报。")
        except DomainError as exc:
            messages.error(request, exc.message)
        except ValueError:
            messages.error(request, "请填写日期")
        return redirect("transfers:mobile", mm.pk)
    return render(
        request,
        "transfers/mobile.html",
        {
            "mm": mm,
            "org": mm.organization,
            "reports": list(mm.reports.all()),
            "can_change": policy.can(request.user, "change", mm.organization),
            "ancestors": org_selectors.org_ancestors(mm.organization, request.user),
            "today": timezone.localdate(),
        },
    )


class LostForm(BootstrapMixin, forms.Form):
    member = MemberNoField(label="党员编号", max_length=32)
    since = forms.DateField(label="失去联系日期", widget=DateInput())
    efforts = forms.CharField(
        label="查找情况",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="电话、走访、联系家属和单位等",
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def lost_new_view(request: HttpRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    form = LostForm(request.POST or None)
    form.fields["member"].scope = member_selectors.member_queryset(request.user, "change").filter(  # type: ignore[attr-defined]
        organization__path__startswith=org.path, status__in=["full", "probationary"]
    )

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
def lost_view(request: HttpRequest, pk: int) -> HttpResponse:
    lc = LostContact.objects.select_related("organization", "member").filter(pk=pk).first()
    if lc is None or not policy.can(request.user, "view", lc.organization):
        raise Http404("未找到该记录")
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        try:
            services.lost_decide(
                actor=request.user,
                lost=lc,
                decision=decision,
                on=date.fromisoformat(request.POST.get("on", "")),
                reason=request.POST.get("reason", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        except ValueError:
            messages.error(request, "请填写决定日期")
        else:
            messages.success(request, "已登记。")
        return redirect("transfers:lost", lc.pk)
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
def keys_view(request: HttpRequest) -> HttpResponse:
    """The security admin: this deployment's signing key (generate, rotate), the keys of other
    deployments it trusts (register their published key file, revoke)."""
    if request.method == "POST":
        action = request.POST.get("action")
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
            elif action == "revoke":
                key = TrustedKey.objects.filter(pk=request.POST.get("key") or 0).first()
                if key is None:
                    raise Http404
                services.key_revoke(actor=request.user, key=key)
                messages.success(request, f"已停用 {key.deployment} 的公钥 {key.key_id}。")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("transfers:keys")
    return render(
        request,
        "transfers/keys.html",
        {
            "own": list(ExchangeKey.objects.order_by("-active", "-created_at")),
            "trusted": list(TrustedKey.objects.order_by("deployment", "-created_at")),
        },
    )


def published_keys_view(request: HttpRequest) -> JsonResponse:
    """The public keys other deployments register (public by nature; no personal data)."""
    resp = JsonResponse(exchange.published(), json_dumps_params={"ensure_ascii": False})
    resp["Content-Disposition"] = 'attachment; filename="dangjian-keys.json"'
    return resp
