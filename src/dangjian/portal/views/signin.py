"""Sign-in: password, then TOTP (or a backup code) for staff and admins; password change;
sign-out."""

from __future__ import annotations

import io
from typing import cast

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token

from dangjian.accounts import policy, services
from dangjian.accounts.models import User
from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError
from dangjian.web.access import AuthedRequest

from ..forms import LoginForm, OTPForm, PasswordChangeForm


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect("portal:home")
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        login(request, user)
        if policy.requires_two_factor(user):
            return redirect("portal:otp")
        return (
            redirect(request.GET.get("next") or "portal:home")
            if _safe_next(request)
            else redirect("portal:home")
        )
    return render(request, "portal/login.html", {"form": form})


def _safe_next(request: HttpRequest) -> bool:
    nxt = request.GET.get("next")
    return bool(nxt) and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})


@login_required
@require_http_methods(["GET", "POST"])
def otp_view(request: AuthedRequest) -> HttpResponse:
    """Second step for staff and admins: a TOTP code or a single-use backup code."""
    user = request.user
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect("portal:home")
    if not _has_enrolled(user):
        return redirect("portal:otp_setup")
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
            return redirect("portal:home")
        with transaction.atomic():
            audit_record(
                actor=user,
                action="accounts.otp_failed",
                obj=user,  # type: ignore[arg-type]
                result="failure",
            )
        form.add_error("token", "动态口令或备用码不正确")
    return render(request, "portal/otp.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup_view(request: AuthedRequest) -> HttpResponse:
    """Bind an authenticator app: scan the QR code (rendered locally as SVG), type one code."""
    user = request.user
    if not user.is_verified() and _has_enrolled(user):  # type: ignore[attr-defined]
        # Binding a new authenticator needs the second factor once one has been enrolled:
        # otherwise a stolen password alone could enrol the thief's phone.
        messages.info(
            request, "已绑定过动态口令：请先用动态口令或备用码验证；都已丢失请联系系统管理员重置。"
        )
        return redirect("portal:otp")
    if not _has_enrolled(user) and user.activated_at is None:  # type: ignore[union-attr]
        # The first authenticator is bound only by the person who activated the account with
        # their own slip or SMS code, never with a password someone else set or saw.
        messages.error(
            request,
            "此账号尚未由本人开通，不能绑定动态口令。请向系统管理员索取密封的激活单，"
            "用姓名和激活码开通后再登录。",
        )
        logout(request)
        return redirect("portal:activate_slip")
    device = services.otp_totp_pending(user)  # type: ignore[arg-type]
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.otp_totp_confirm(
                user=cast(User, user), device=device, token=form.cleaned_data["token"].strip()
            )
        except DomainError as exc:
            form.add_error("token", exc.message)
        else:
            otp_login(request, device)
            messages.success(request, "动态口令已绑定。")
            return redirect("portal:home")
    img = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    return render(
        request,
        "portal/otp_setup.html",
        {"form": form, "qr_svg": buf.getvalue().decode(), "device": device},
    )


@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request: AuthedRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.password_change(
                user=cast(User, request.user),
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改。")
            return redirect("portal:home")
    return render(
        request,
        "portal/password_change.html",
        {"form": form, "forced": cast(User, request.user).must_change_password},
    )


def _has_enrolled(user) -> bool:  # type: ignore[no-untyped-def]
    """Whether the user ever enrolled a second factor (an authenticator, or backup codes)."""
    return user.totpdevice_set.filter(confirmed=True).exists() or user.staticdevice_set.exists()


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    response = redirect("portal:login")
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response
