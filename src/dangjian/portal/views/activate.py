"""开通账号: a member sets their own password with a code sent to the phone on their record (or the
code on the slip their branch printed) — nobody hands a password around. The first page answers
the same for every name and number (see `portal.services`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dangjian.web.forms import add_domain_error

from .. import services
from ..forms import ActivationCodeForm, ActivationForm, SlipForm

SESSION_KEY = "activation_ticket"


@require_http_methods(["GET", "POST"])
def activate_view(request: HttpRequest) -> HttpResponse:
    form = ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        ident = d["identifier"].strip()
        by_phone = ident.isdecimal() and len(ident) == 11
        started = services.activation_start(
            name=d["name"],
            member_no="" if by_phone else ident,
            phone=ident if by_phone else "",
        )
        request.session[SESSION_KEY] = started.ticket
        return redirect("portal:activate_code")
    return render(
        request,
        "portal/activate.html",
        {"form": form, "sms": services.sms_available()},
    )


@require_http_methods(["GET", "POST"])
def activate_code_view(request: HttpRequest) -> HttpResponse:
    ticket = request.session.get(SESSION_KEY)
    if not ticket:
        return redirect("portal:activate")
    form = ActivationCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.activation_finish(
                ticket=ticket, code=d["code"], password=d["password"], password2=d["password2"]
            )
        except services.DomainError as exc:
            add_domain_error(form, exc)
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(request, "账号已开通，请用党员编号和新密码登录。")
            return redirect("portal:login")
    return render(request, "portal/activate_code.html", {"form": form})


@require_http_methods(["GET", "POST"])
def activate_slip_view(request: HttpRequest) -> HttpResponse:
    form = SlipForm(
        request.POST or None,
        initial={"code": request.GET.get("c", ""), "code2": request.GET.get("c2", "")},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.slip_finish(
                name=d["name"],
                code=d["code"],
                code2=d.get("code2", ""),
                password=d["password"],
                password2=d["password2"],
            )
        except services.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "账号已开通，请用党员编号和新密码登录。")
            return redirect("portal:login")
    return render(request, "portal/activate_slip.html", {"form": form})
