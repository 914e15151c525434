"""Sign-in (password, then TOTP for staff), password change, and the admins' account pages."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token

from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError
from dangjian.web.access import admin_required

from . import policy, services
from .constants import Role
from .forms import GrantForm, LoginForm, OTPForm, PasswordChangeForm, UserCreateForm
from .models import RoleGrant, User


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect("web:home")
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        login(request, user)
        if policy.requires_two_factor(user):
            return redirect("accounts:otp")
        return (
            redirect(request.GET.get("next") or "web:home")
            if _safe_next(request)
            else redirect("web:home")
        )
    return render(request, "accounts/login.html", {"form": form})


def _safe_next(request: HttpRequest) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.GET.get("next")
    return bool(nxt) and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})


@login_required
@require_http_methods(["GET", "POST"])
def otp_view(request: HttpRequest) -> HttpResponse:
    """Second step for staff and admins: a TOTP code or a single-use backup code."""
    user = request.user
    if user.is_verified():  # type: ignore[union-attr]
        return redirect("web:home")
    if not _has_enrolled(user):
        return redirect("accounts:otp_setup")
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"].strip().replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            with transaction.atomic():
                audit_record(
                    actor=user,
                    action="accounts.otp_verified",
                    obj=user,  # type: ignore[arg-type]
                    data={"device": device.__class__.__name__},
                )
            return redirect("web:home")
        with transaction.atomic():
            audit_record(
                actor=user,
                action="accounts.otp_failed",
                obj=user,  # type: ignore[arg-type]
                result="failure",
            )
        form.add_error("token", "动态口令或备用码不正确")
    return render(request, "accounts/otp.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup_view(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app: scan the QR code (rendered locally as SVG), type one code."""
    user = request.user
    if not user.is_verified() and _has_enrolled(user):  # type: ignore[union-attr]
        # Binding a new authenticator needs the second factor once one has been enrolled:
        # otherwise a stolen password alone could enrol the thief's phone.
        messages.info(
            request, "已绑定过动态口令：请先用动态口令或备用码验证；都已丢失请联系系统管理员重置。"
        )
        return redirect("accounts:otp")
    device = services.otp_totp_pending(user)  # type: ignore[arg-type]
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.otp_totp_confirm(
                user=user, device=device, token=form.cleaned_data["token"].strip()
            )  # type: ignore[arg-type]
        except DomainError as exc:
            form.add_error("token", exc.message)
        else:
            otp_login(request, device)
            messages.success(request, "动态口令已绑定。")
            return redirect("web:home")
    img = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    return render(
        request,
        "accounts/otp_setup.html",
        {"form": form, "qr_svg": buf.getvalue().decode(), "device": device},
    )


@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.password_change(
                user=request.user,
                old_password=form.cleaned_data["old_password"],  # type: ignore[arg-type]
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改。")
            return redirect("web:home")
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "forced": request.user.must_change_password},
    )  # type: ignore[union-attr]


def _has_enrolled(user) -> bool:  # type: ignore[no-untyped-def]
    """Whether the user ever enrolled a second factor (an authenticator, or backup codes)."""
    return user.totpdevice_set.filter(confirmed=True).exists() or user.staticdevice_set.exists()


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    response = redirect("accounts:login")
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@admin_required(Role.SYSTEM_ADMIN)
@require_http_methods(["GET", "POST"])
def user_list_view(request: HttpRequest) -> HttpResponse:
    """System admin: accounts, with creation, password reset and deactivation."""
    from dangjian.members.models import Member

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
        request, "accounts/user_list.html", {"page": page, "form": form, "issued": issued, "q": q}
    )


@admin_required(Role.SECURITY_ADMIN)
@require_http_methods(["GET", "POST"])
def grant_list_view(request: HttpRequest) -> HttpResponse:
    """Security admin: role grants (who may do what, on which subtree)."""
    from dangjian.orgs.models import Organization

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
                return redirect("accounts:grants")
            if op == "revoke":
                grant = RoleGrant.objects.get(pk=int(request.POST.get("grant_id", "0")))
                services.grant_revoke(actor=request.user, grant=grant)
                messages.success(request, "已撤销授权。")
                return redirect("accounts:grants")
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
    return render(request, "accounts/grant_list.html", {"page": page, "form": form})
