"""消息: the signed-in person's reminders, open first; opening one marks it read."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dangjian.compliance.engine import REGISTRY, SEVERITY_LABELS
from dangjian.web.access import signed_in
from dangjian.web.paging import paginate

from . import services


@signed_in
def inbox_view(request: HttpRequest) -> HttpResponse:
    page = paginate(request, services.inbox(request.user))
    from dangjian.accounts import policy

    base = "web/member_base.html" if policy.is_member_account(request.user) and not policy.is_staff(request.user) else "web/base.html"
    return render(request, "notify/inbox.html", {"page": page, "rules": REGISTRY, "severities": SEVERITY_LABELS,
                                                 "base_template": base})


@signed_in
@require_POST
def read_view(request: HttpRequest, pk: int) -> HttpResponse:
    services.reminder_mark_read(user=request.user, reminder_id=pk)
    return redirect("notify:inbox")
