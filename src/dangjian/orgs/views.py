"""Organization pages: tree browser, organization page and the forms for every tree change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.core.dates import add_months
from dangjian.core.errors import DomainError
from dangjian.members import selectors as member_selectors
from dangjian.web import hooks
from dangjian.web.access import AuthedRequest, staff_required
from dangjian.web.forms import add_domain_error, perform, submit

from . import selectors, services
from .constants import OrgKind
from .forms import (
    OrgCreateForm,
    OrgDissolveForm,
    OrgMergeForm,
    OrgMoveForm,
    OrgUpdateForm,
    PostForm,
    TermForm,
)
from .models import Organization


def scope_home(target: str | Callable[[Organization], str]) -> Callable[..., HttpResponseBase]:
    """A module's entry from the menu: its page for the user's own organization (the root of their
    first grant). `target` is the page's URL name, or a function of the organization giving it."""

    @staff_required("view")
    def home_view(request: AuthedRequest) -> HttpResponse:
        root = selectors.org_roots(request.user).first()
        if root is None:
            raise Http404
        return redirect(target(root) if callable(target) else target, root.pk)

    return home_view


@staff_required("view")
def tree_view(request: AuthedRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    results = list(selectors.org_search(request.user, q)) if q else None
    roots = list(selectors.org_roots(request.user))
    return render(request, "orgs/tree.html", {"roots": roots, "q": q, "results": results})


@staff_required("view")
def lookup_view(request: AuthedRequest) -> JsonResponse:
    """Organization picker (web.widgets): search as you type, the labels of chosen codes, one level
    of the tree — within the user's scope for the given action."""
    action = request.GET.get("action", "view")
    if action not in {"view", "change", "manage", "supervise"}:
        action = "view"
    return picker_answer(request, request.user, action)


def picker_answer(request: Any, user: Any, action: str, *, unscoped: bool = False) -> JsonResponse:
    """The JSON every organization picker gets (see web.widgets): `?q=`, `?value=`, `?parent=`;
    `kinds=` narrows what can be chosen."""
    kinds = [k for k in request.GET.get("kinds", "").split(",") if k in OrgKind.values] or None
    within = None
    if request.GET.get("under"):
        # a subtree inside the scope (outside it: nothing)
        top = policy.visible_to(user, action).filter(code=request.GET["under"][:32]).first()
        if top is None:
            return JsonResponse({"results": []})
        below = request.GET.get("below", "")
        within = selectors.Within(top.path, top.depth, int(below) if below.isdecimal() else None)
    kw: dict[str, Any] = {"kinds": kinds, "unscoped": unscoped, "within": within}
    if "value" in request.GET:
        values = [v for v in request.GET["value"].split(",") if v][:200]
        rows = selectors.org_lookup_values(user, action, values, **kw)
    elif "parent" in request.GET:
        rows = selectors.org_tree_level(user, action, request.GET["parent"][:32], **kw)
    else:
        rows = selectors.org_lookup(user, action, request.GET.get("q", "")[:50], **kw)
    return JsonResponse(
        {
            "results": [
                {
                    "value": r["code"],
                    "label": r["name"],
                    "hint": " · ".join(x for x in (r["parent"], r["code"]) if x),
                    "children": r["numchild"] > 0,
                    "selectable": r["selectable"],
                }
                for r in rows
            ]
        }
    )


@staff_required("view")
def children_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """htmx partial: the children of one node (lazy expansion)."""
    parent = selectors.org_get(request.user, pk)
    children = selectors.org_children_with_counts(request.user, parent)
    return render(request, "orgs/partials/children.html", {"children": children})


@staff_required("view")
def detail_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk)
    counts, sub_counts = selectors.org_summary(org)
    terms = list(selectors.org_terms(org)[:10])
    term = terms[0] if terms else None
    term_end = add_months(term.elected_on, 12 * term.term_years) if term else None
    roster = selectors.roster_preview(org)
    ctx = {
        "org": org,
        "ancestors": selectors.org_ancestors(org, request.user),
        "counts": counts,
        "direct": selectors.org_direct_member_counts(org),
        "accounts": member_selectors.account_counts(org),
        "sub_counts": sub_counts,
        "term": term,
        "term_end": term_end,
        "term_expired": bool(term_end and term_end <= timezone.localdate()),
        "terms": terms,
        "posts": selectors.org_current_posts(org),
        "children": selectors.org_children_with_counts(request.user, org),
        "roster": roster,
        "history": selectors.org_history(org)[:20],
        "facts": [f for fn in hooks.get_hooks("org_facts") for f in fn(org, request.user)],
        "can_change": policy.can(request.user, "change", org),
        "can_manage": policy.can(request.user, "manage", org),
        "today": timezone.localdate(),
    }
    return render(request, "orgs/detail.html", ctx)


def _form_page(
    request: AuthedRequest,
    org: Organization | None,
    form,
    title: str,
    submit: str,
    danger: bool = False,
    confirm: str = "",
) -> HttpResponse:  # type: ignore[no-untyped-def]
    return render(
        request,
        "orgs/form.html",
        {
            "org": org,
            "form": form,
            "title": title,
            "submit": submit,
            "danger": danger,
            "confirm": confirm,
            "ancestors": selectors.org_ancestors(org, request.user) if org else [],
        },
    )


def _done(request: AuthedRequest, message: str, pk: int) -> HttpResponse:
    messages.success(request, message)
    return redirect("orgs:detail", pk)


@staff_required("manage")
@require_http_methods(["GET", "POST"])
def create_view(request: AuthedRequest, pk: int) -> HttpResponse:
    parent = selectors.org_get(request.user, pk, "manage")
    form = OrgCreateForm(
        request.POST or None,
        initial={"category": parent.category, "established_on": timezone.localdate()},
    )
    return submit(
        request,
        form,
        lambda d: services.org_create(actor=request.user, parent=parent, **d),
        done=lambda org: _done(request, f"已成立“{org.name}”。", org.pk),
    ) or _form_page(request, parent, form, f"在“{parent.name}”下新建组织", "保存")


@staff_required("manage")
@require_http_methods(["GET", "POST"])
def edit_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "manage")
    form = OrgUpdateForm(
        request.POST or None, initial={"name": org.name, "kind": org.kind, "category": org.category}
    )
    return submit(
        request,
        form,
        lambda d: services.org_update(actor=request.user, organization=org, **d),
        done=lambda o: _done(request, "已保存。更名和类型调整已记入组织沿革。", o.pk),
    ) or _form_page(request, org, form, f"修改“{org.name}”", "保存")


@staff_required("manage")
@require_http_methods(["GET", "POST"])
def move_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "manage")
    form = OrgMoveForm(request.POST or None)

    def move(d: dict) -> Organization:
        target = selectors.org_by_code(request.user, d["parent_code"], "manage")
        return services.org_move(actor=request.user, organization=org, new_parent=target)

    return submit(
        request,
        form,
        move,
        field_map={"parent": "parent_code", "": "parent_code"},
        done=lambda o: _done(request, f"已将“{o.name}”及其下级组织调整到新的上级组织之下。", o.pk),
    ) or _form_page(request, org, form, f"调整“{org.name}”的隶属关系", "调整")


@staff_required("manage")
@require_http_methods(["GET", "POST"])
def dissolve_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "manage")
    form = OrgDissolveForm(request.POST or None, initial={"on": timezone.localdate()})
    return submit(
        request,
        form,
        lambda d: services.org_dissolve(actor=request.user, organization=org, **d),
        done=lambda o: _done(request, f"已撤销“{o.name}”，其历史记录保留。", o.pk),
    ) or _form_page(
        request,
        org,
        form,
        f"撤销“{org.name}”",
        "确认撤销",
        danger=True,
        confirm=f"撤销后“{org.name}”不再作为党组织运行，须先转出其党员和下级组织；"
        "此操作记入组织沿革，不能撤回。确定撤销？",
    )


@staff_required("manage")
@require_http_methods(["GET", "POST"])
def merge_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "manage")
    form = OrgMergeForm(request.POST or None, initial={"on": timezone.localdate()})

    def merge(d: dict) -> Organization:
        target = selectors.org_by_code(request.user, d["target_code"], "manage")
        return services.org_merge(
            actor=request.user, source=org, target=target, on=d["on"], reason=d["reason"]
        )

    return submit(
        request,
        form,
        merge,
        field_map={"target": "target_code", "": "target_code"},
        done=lambda t: _done(
            request, f"已将“{org.name}”并入“{t.name}”，党员和下级组织已随之调整。", t.pk
        ),
    ) or _form_page(
        request,
        org,
        form,
        f"将“{org.name}”并入其他组织",
        "确认合并",
        danger=True,
        confirm=f"合并后“{org.name}”的党员和下级组织转入所选组织，本组织撤销；"
        "此操作记入组织沿革，不能撤回。确定合并？",
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def term_create_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "change")
    default_years = 5 if org.kind == "committee" or org.category in {"village", "community"} else 3
    form = TermForm(request.POST or None, initial={"term_years": default_years})
    return submit(
        request,
        form,
        lambda d: services.term_create(actor=request.user, organization=org, **d),
        done=lambda _t: _done(request, "已录入换届选举。", org.pk),
    ) or _form_page(request, org, form, f"录入“{org.name}”换届选举", "保存")


@staff_required("change")
@require_http_methods(["GET", "POST"])
def post_create_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "change")
    form = PostForm(request.POST or None)
    # members of this organization's line (a group's leader comes from its branch)
    scope = (selectors.org_parent(org) or org) if org.kind == "group" else org
    form.fields["member_no"].widget.url = f"{reverse('members:lookup')}?org={scope.pk}"  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            member = selectors.member_in_line(org, form.cleaned_data["member_no"])
            if member is None:
                raise DomainError(
                    "not_found", "本组织及下级组织中没有该党员编号", field="member_no"
                )
            services.post_assign(
                actor=request.user,
                organization=org,
                member=member,
                post=form.cleaned_data["post"],
                started_on=form.cleaned_data["started_on"],
            )
        except DomainError as exc:
            add_domain_error(form, exc, {"member": "member_no"})
        else:
            messages.success(request, "已任命。")
            return redirect("orgs:detail", org.pk)
    return _form_page(request, org, form, f"任命“{org.name}”班子成员", "任命")


@staff_required("change")
@require_POST
def post_end_view(request: AuthedRequest, pk: int, post_id: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "change")
    post = selectors.post_get(org, post_id)
    return perform(
        request,
        lambda: services.post_end(actor=request.user, post=post, ended_on=timezone.localdate()),
        success=f"已免去{post.member.name}的{post.get_post_display()}职务。",
        to="orgs:detail",
        args=(org.pk,),
    )
