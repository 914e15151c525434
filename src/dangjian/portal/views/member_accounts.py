"""党员账号: a branch's (or committee's) members and their sign-in accounts — create the missing
ones
in one go, print activation slips for those who have not opened theirs."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.core import uploads
from dangjian.members import selectors as member_selectors
from dangjian.members import services as member_services
from dangjian.orgs import selectors as org_selectors
from dangjian.web import site
from dangjian.web.access import AuthedRequest, staff_required
from dangjian.web.forms import perform
from dangjian.web.paging import PAGE_SIZES, paginate

from .. import services
from ..documents import slips_pdf

SLIPS_AT_ONCE = 400


@staff_required("view")
@require_http_methods(["GET"])
def member_accounts_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk)
    state = request.GET.get("state", "")
    q = (request.GET.get("q") or "").strip()
    return render(
        request,
        "portal/member_accounts.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "counts": member_selectors.account_counts(org),
            "states": member_selectors.ACCOUNT_STATES,
            "state": state,
            "q": q,
            "page": paginate(request, member_selectors.accounts_of(org, state=state, q=q)),
            "page_sizes": PAGE_SIZES,
            "can_change": policy.can(request.user, "change", org),
            "slips_at_once": SLIPS_AT_ONCE,
        },
    )


@staff_required("change")
@require_POST
def member_accounts_open_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    return perform(
        request,
        lambda: member_services.member_accounts_open(actor=request.user, organization=org),
        success=lambda n: (
            f"已为{n}名党员创建账号。请提醒党员用手机验证码开通，或打印激活单发给本人。"
            if n
            else "所有在册党员都已有账号。"
        ),
        to="portal:member_accounts",
        args=(org.pk,),
    )


@staff_required("change")
@require_POST
def member_slips_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """Activation slips (PDF) for the chosen members, or for every member of the subtree whose
    account waits for activation (at most SLIPS_AT_ONCE at a time)."""
    org = org_selectors.org_get(request.user, pk, "change")
    chosen = [int(x) for x in request.POST.getlist("member") if x.isdecimal()]
    members = member_selectors.accounts_of(org, state="pending")
    if chosen:
        members = members.filter(pk__in=chosen)
    slips = services.slips_issue(actor=request.user, members=list(members[:SLIPS_AT_ONCE]))
    data = slips_pdf(
        slips, site.absolute(reverse("portal:activate_slip"), request), who=str(request.user)
    )
    return uploads.document(data, "application/pdf", f"账号激活单-{org.name}.pdf")
