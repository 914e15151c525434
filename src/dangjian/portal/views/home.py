"""工作台 and 我的. Home: staff see their scope at a glance; members go to 我的; admins to their
own pages.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render

from dangjian.accounts import policy
from dangjian.accounts.constants import Role
from dangjian.members import selectors as member_selectors
from dangjian.orgs import selectors as org_selectors
from dangjian.web.access import AuthedRequest, member_required, signed_in


@signed_in
def home_view(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if policy.is_staff(user):
        roots = list(org_selectors.org_roots(user))
        cards = []
        for root in roots[:5]:
            counts, subs = org_selectors.org_summary(root)
            cards.append({"org": root, "counts": counts, "subs": subs})
        return render(request, "portal/home.html", {"cards": cards})
    for role, target in (
        (Role.SYSTEM_ADMIN, "portal:users"),
        (Role.SECURITY_ADMIN, "portal:grants"),
        (Role.AUDIT_ADMIN, "portal:audit"),
    ):
        if policy.has_admin_role(user, role):
            return redirect(target)
    if policy.is_member_account(user):
        return redirect("portal:me")
    return render(request, "portal/no_role.html")


@member_required
def me_view(request: AuthedRequest) -> HttpResponse:
    """我的: the member's own record (only their own), phone-first."""
    member = member_selectors.own_member(request.user)
    posts = org_selectors.org_posts_held(member)
    return render(request, "portal/me.html", {"m": member, "posts": posts})
