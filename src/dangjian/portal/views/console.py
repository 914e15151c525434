"""The three admins' console: accounts (system admin), role grants (security admin)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dangjian.accounts import services
from dangjian.accounts.constants import Role
from dangjian.accounts.models import RoleGrant, User
from dangjian.core.errors import DomainError
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.web.access import admin_required

from ..forms import GrantForm, UserCreateForm


@admin_required(Role.SYSTEM_ADMIN)
@require_http_methods(["GET", "POST"])
def user_list_view(request: HttpRequest) -> HttpResponse:
    """System admin: accounts, with creation, password reset and deactivation."""
    form = UserCreateForm(request.POST or None if request.POST.get("op") == "create" else None)
    issued: dict[str, str] | None = None
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "create" and form.is_valid():
                member = None
                if form.cleaned_data["member_no"]:
                    member = Member.objects.filter(member_no=form.cleaned_data["member_no"]).first()
                    if member is None:
                        raise DomainError("not_found", "党员编号不存在", field="member_no")
                user, pw = services.user_create(
                    actor=request.user,
                    username=form.cleaned_data["username"],
                    display_name=form.cleaned_data["display_name"],
                    member=member,
                )
                issued = {"username": user.username, "password": pw}
                form = UserCreateForm()
            elif op in {"reset", "deactivate", "activate"}:
                target = User.objects.get(pk=int(request.POST.get("user_id", "0")))
                if op == "reset":
                    issued = {
                        "username": target.username,
                        "password": services.user_reset_password(actor=request.user, user=target),
                    }
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
        except (User.DoesNotExist, ValueError):
            messages.error(request, "账号不存在")
    q = request.GET.get("q", "").strip()
    users = User.objects.order_by("username")
    if q:
        users = users.filter(username__icontains=q) | users.filter(display_name__icontains=q)
    page = Paginator(users.prefetch_related("grants"), 20).get_page(request.GET.get("page"))
    return render(
        request, "portal/user_list.html", {"page": page, "form": form, "issued": issued, "q": q}
    )


@admin_required(Role.SECURITY_ADMIN)
@require_http_methods(["GET", "POST"])
def grant_list_view(request: HttpRequest) -> HttpResponse:
    """Security admin: role grants (who may do what, on which subtree)."""
    form = GrantForm(request.POST or None if request.POST.get("op") == "grant" else None)
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "grant" and form.is_valid():
                user = User.objects.filter(username=form.cleaned_data["username"]).first()
                if user is None:
                    raise DomainError("not_found", "用户名不存在", field="username")
                org = None
                if form.cleaned_data["org_code"]:
                    org = Organization.objects.filter(code=form.cleaned_data["org_code"]).first()
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
            if op == "revoke":
                grant = RoleGrant.objects.get(pk=int(request.POST.get("grant_id", "0")))
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
        except (RoleGrant.DoesNotExist, ValueError):
            messages.error(request, "授权记录不存在")
    grants = (
        RoleGrant.objects.filter(revoked_at__isnull=True)
        .select_related("user", "organization")
        .order_by("user__username", "role")
    )
    page = Paginator(grants, 20).get_page(request.GET.get("page"))
    return render(request, "portal/grant_list.html", {"page": page, "form": form})
