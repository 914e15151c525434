"""The audit admin's pages: search the trail, check the chain. Nobody else sees them."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render

from dangjian.accounts.constants import Role
from dangjian.audit import actions, selectors
from dangjian.audit.services import audit_record, audit_verify
from dangjian.web.access import AuthedRequest, admin_required
from dangjian.web.paging import paginate


@admin_required(Role.AUDIT_ADMIN)
def list_view(request: AuthedRequest) -> HttpResponse:
    g = request.GET
    filters: dict = {
        "action": g.get("action", ""),
        "actor": g.get("actor", "").strip(),
        "q": g.get("q", "").strip(),
        "result": g.get("result", ""),
        "date_from": selectors.parse_date(g.get("date_from", "")),
        "date_to": selectors.parse_date(g.get("date_to", "")),
    }
    qs = selectors.audit_search(**filters).select_related("organization")
    page = paginate(request, qs, default=50 if "page_size" not in g else 20)
    with transaction.atomic():
        # Queries made by the audit admin are themselves audited (security.md 1.3).
        audit_record(
            actor=request.user,
            action="audit.view",
            data={k: str(v) for k, v in filters.items() if v},
        )
    verify = None
    if g.get("verify") == "1":
        verify = audit_verify()
        with transaction.atomic():
            audit_record(
                actor=request.user,
                action="audit.verify",
                result="success" if verify.ok else "failure",
                data={"checked": verify.checked, "broken_id": verify.broken_id},
            )
    return render(
        request,
        "portal/audit.html",
        {
            "page": page,
            "filters": g,
            "actions": sorted(actions.ACTIONS.items()),
            "labels": actions.ACTIONS,
            "verify": verify,
        },
    )
