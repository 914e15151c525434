"""The three admins' console: accounts (system admin), role grants (security admin)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dangjian.accounts import selectors as account_selectors
from dangjian.accounts import services
from dangjian.accounts.constants import Role
from dangjian.accounts.models import User
from dangjian.core import uploads
from dangjian.core.errors import DomainError
from dangjian.members import selectors as member_selectors
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.views import picker_answer
from dangjian.web import site
from dangjian.web.access import AuthedRequest, admin_required
from dangjian.web.paging import paginate

from .. import services as portal_services
from ..documents import slips_pdf
from ..forms import GrantForm, UserCreateForm


@admin_required(Role.SYSTEM_ADMIN)
@require_http_methods(["GET", "POST"])
def user_list_view(request: AuthedRequest) -> HttpResponse:
    """System admin: accounts, with creation, password reset and deactivation."""
    form = UserCreateForm(request.POST or None if request.POST.get("op") == "create" else None)
    pending: User | None = None  # an account waiting for its activation slip
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "create" and form.is_valid():
                member = None
                if form.cleaned_data["member_no"]:
                    member = member_selectors.member_by_no(form.cleaned_data["member_no"])
                    if member is None:
                        raise DomainError("not_found", "党员编号不存在", field="member_no")
                pending, _ = services.user_create(
                    actor=request.user,
                    username=form.cleaned_data["username"],
                    display_name=form.cleaned_data["display_name"],
                    member=member,
                )
                form = UserCreateForm()
            elif op == "slip":
                target = account_selectors.user_get(request.POST.get("user_id"))
                slip = portal_services.user_slip_issue(actor=request.user, user=target)
                data = slips_pdf(
                    [slip],
                    site.absolute(reverse("portal:activate_slip"), request),
                    who=str(request.user),
                )
                return uploads.document(
                    data, "application/pdf", f"账号激活单-{target.username}.pdf"
                )
            elif op in {"reset", "deactivate", "activate"}:
                target = account_selectors.user_get(request.POST.get("user_id"))
                if op == "reset":
                    pending = services.user_reset_password(actor=request.user, user=target)
                else:
                    services.user_set_active(
                        actor=request.user, user=target, is_active=op == "activate"
                    )
                    messages.success(request, "已更新账号状态。")
        except DomainError as exc:
            if op == "create" and exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                messages.error(request, exc.message)
    q = request.GET.get("q", "").strip()
    page = paginate(request, account_selectors.users_search(q))
    return render(
        request, "portal/user_list.html", {"page": page, "form": form, "pending": pending, "q": q}
    )


@admin_required(Role.SECURITY_ADMIN)
@require_http_methods(["GET", "POST"])
def grant_list_view(request: AuthedRequest) -> HttpResponse:
    """Security admin: role grants (who may do what, on which subtree)."""
    form = GrantForm(request.POST or None if request.POST.get("op") == "grant" else None)
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "grant" and form.is_valid():
                user = account_selectors.user_by_username(form.cleaned_data["username"])
                if user is None:
                    raise DomainError("not_found", "用户名不存在", field="username")
                org = None
                if form.cleaned_data["org_code"]:
                    org = org_selectors.org_by_code_unscoped(form.cleaned_data["org_code"])
                    if org is None:
                        raise DomainError("not_found", "组织代码不存在", field="org_code")
                services.grant_create(
                    actor=request.user,
                    user=user,
                    role=form.cleaned_data["role"],
                    organization=org,
                    can_unmask=form.cleaned_data["can_unmask"],
                )
                messages.success(request, "已授权。")
                return redirect("portal:grants")
            if op == "slip2":
                target = account_selectors.user_get(request.POST.get("user_id"))
                slip = portal_services.user_slip_second_issue(actor=request.user, user=target)
                data = slips_pdf(
                    [slip],
                    site.absolute(reverse("portal:activate_slip"), request),
                    who=str(request.user),
                )
                return uploads.document(
                    data, "application/pdf", f"账号激活单第二联-{target.username}.pdf"
                )
            if op == "revoke":
                grant = account_selectors.grant_get(request.POST.get("grant_id"))
                services.grant_revoke(actor=request.user, grant=grant)
                messages.success(request, "已撤销授权。")
                return redirect("portal:grants")
        except DomainError as exc:
            if op == "grant" and exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            elif op == "grant" and exc.field == "organization":
                form.add_error("org_code", exc.message)
            else:
                messages.error(request, exc.message)
    page = paginate(request, account_selectors.grants_in_force())
    awaiting = list(account_selectors.staff_awaiting_activation()[:50])
    return render(
        request, "portal/grant_list.html", {"page": page, "form": form, "awaiting": awaiting}
    )


@admin_required(Role.SECURITY_ADMIN)
@require_http_methods(["GET"])
def grant_org_lookup_view(request: AuthedRequest) -> JsonResponse:
    """The security admin grants on any organization of the deployment: its picker (names and
    codes only)."""
    return picker_answer(request, request.user, "view", unscoped=True)


@admin_required(Role.SECURITY_ADMIN)
@require_http_methods(["GET"])
def grant_user_lookup_view(request: AuthedRequest) -> JsonResponse:
    """The security admin's account picker: user name or name."""
    if "value" in request.GET:
        names = [v for v in request.GET["value"].split(",") if v][:50]
        users = account_selectors.users_by_username(names)
    else:
        users = account_selectors.users_search(request.GET.get("q", "").strip()[:50])[:20]
    return JsonResponse(
        {
            "results": [
                {
                    "value": u.username,
                    "label": f"{u.display_name or u.username}（{u.username}）",
                    "hint": "" if u.is_active else "已停用",
                }
                for u in users
            ]
        }
    )


@admin_required(Role.SYSTEM_ADMIN)
@require_http_methods(["GET"])
def account_member_lookup_view(request: AuthedRequest) -> JsonResponse:
    """The system admin links an account to its member: the member picker over the deployment
    (name, number and organization only)."""
    if "value" in request.GET:
        rows = member_selectors.members_brief(numbers=request.GET["value"].split(",")[:50])
    else:
        rows = member_selectors.members_brief(q=request.GET.get("q", "").strip()[:30])
    return JsonResponse(
        {
            "results": [
                {
                    "value": r["member_no"],
                    "label": f"{r['name']}（{r['member_no']}）",
                    "hint": r["organization__name"],
                }
                for r in rows
            ]
        }
    )
