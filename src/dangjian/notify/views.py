"""消息: the signed-in person's reminders, open first; opening one marks it read."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.compliance.engine import REGISTRY, SEVERITY_LABELS
from dangjian.web.access import AuthedRequest, admin_required, signed_in
from dangjian.web.forms import submit
from dangjian.web.paging import paginate

from . import selectors, services
from .channels import configured
from .forms import ContactForm
from .models import Channel, DeliveryStatus
from .outbound import contact_update


@signed_in
def inbox_view(request: AuthedRequest) -> HttpResponse:
    reminders, held, unread = selectors.inbox_sizes(request.user)
    request._notify_unread = unread  # type: ignore[attr-defined]  # the bell (context_processors)
    page = paginate(request, selectors.inbox(request.user), count=reminders)
    notices = list(selectors.notices(request.user)[:20]) if page.number == 1 and held else []
    return render(
        request,
        "notify/inbox.html",
        {
            "page": page,
            "rules": REGISTRY,
            "severities": SEVERITY_LABELS,
            "notices": notices,
            "base_template": _base(request),
        },
    )


@signed_in
@require_POST
def notice_open_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """Open a notice: mark it read and go where it points (inside the platform only)."""
    notice = services.notice_mark_read(user=request.user, notice_id=pk)
    return redirect(
        notice.url
        if notice.url.startswith("/") and not notice.url.startswith("//")
        else "notify:inbox"
    )


@signed_in
@require_POST
def read_view(request: AuthedRequest, pk: int) -> HttpResponse:
    services.reminder_mark_read(user=request.user, reminder_id=pk)
    return redirect("notify:inbox")


def _base(request: AuthedRequest) -> str:
    member_only = policy.is_member_account(request.user) and not policy.is_staff(request.user)
    return "web/member_base.html" if member_only else "web/base.html"


@signed_in
@require_http_methods(["GET", "POST"])
def settings_view(request: AuthedRequest) -> HttpResponse:
    """提醒方式: where this person wants reminders besides the inbox."""
    contact = selectors.contact_of(request.user)
    initial = (
        {
            "email": contact.email,
            "phone": contact.phone_masked,
            "email_on": contact.email_on,
            "sms_on": contact.sms_on,
            "wechat_on": contact.wechat_on,
        }
        if contact
        else {}
    )
    form = ContactForm(request.POST or None, initial=initial)
    live = configured()
    for name in ("email", "sms", "wechat"):
        if not live[name]:
            form.fields[f"{name}_on"].help_text = "本平台尚未开通该渠道，开启后将在开通时生效"
    # WeChat is bound by signing in with WeChat (an OpenID is never typed): until then, no switch
    openid = contact.wechat_openid if contact else ""
    if not openid:
        del form.fields["wechat_on"]

    def saved(_contact: Any) -> HttpResponse:
        messages.success(request, "已保存提醒方式。")
        return redirect("notify:settings")

    done = submit(
        request,
        form,
        lambda d: contact_update(
            user=request.user,
            wechat_openid=openid,
            **{"wechat_on": False, **d},
        ),
        done=saved,
    )
    return done or render(
        request,
        "notify/settings.html",
        {
            "form": form,
            "base_template": _base(request),
            "quiet": django_settings.NOTIFY["quiet_hours"],
            "digest_hour": django_settings.NOTIFY["digest_hour"],
            "wechat_bound": bool(openid),
        },
    )


@admin_required("system_admin")
def deliveries_view(request: AuthedRequest) -> HttpResponse:
    """外发记录: every outbound message and its attempts (system administrator)."""
    status, channel = request.GET.get("status", ""), request.GET.get("channel", "")
    qs = selectors.deliveries(status=status, channel=channel)
    return render(
        request,
        "notify/deliveries.html",
        {
            "page": paginate(request, qs),
            "status": status,
            "channel": channel,
            "statuses": DeliveryStatus.choices,
            "channels": Channel.choices,
        },
    )
