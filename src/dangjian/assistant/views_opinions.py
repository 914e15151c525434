"""意见建议 pages: the member's (phone) list, new opinion, its timeline and rating; the receivers'
list, the opinion with its reply / close / forward, and the committee's figures."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dangjian.core import uploads
from dangjian.core.errors import DomainError, NotVisible
from dangjian.members import selectors as member_selectors
from dangjian.web.access import AuthedRequest, member_required, signed_in, staff_required
from dangjian.web.forms import perform
from dangjian.web.paging import paginate

from . import selectors, services
from .forms import OpinionForm, RateForm, ReplyForm
from .models import OpinionPhoto, OpinionStatus, OpinionTopic


@member_required
def my_opinions_view(request: AuthedRequest) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    return render(
        request,
        "assistant/my_opinions.html",
        {"opinions": list(selectors.own_opinions(member)[:50])},
    )


@member_required
@require_http_methods(["GET", "POST"])
def opinion_new_view(request: AuthedRequest) -> HttpResponse:
    form = OpinionForm(
        request.POST or None,
        request.FILES or None,
        initial={"text": request.GET.get("text", "")[:2000]},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            op = services.opinion_submit(
                actor=request.user,
                topic=d["topic"],
                text_=d["text"],
                anonymous=d["anonymous"],
                about_branch=d["about_branch"],
                photos=request.FILES.getlist("photos"),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已送{op.organization.name}办理，答复后会通知您。")
            return redirect("assistant:my_opinion", op.pk)
    return render(request, "assistant/opinion_new.html", {"form": form})


@member_required
@require_http_methods(["GET", "POST"])
def my_opinion_view(request: AuthedRequest, pk: int) -> HttpResponse:
    member = member_selectors.own_member(request.user)
    try:
        op = selectors.own_opinion_get(member, pk)
    except NotVisible as exc:
        raise Http404(str(exc)) from exc
    form = RateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return perform(
            request,
            lambda: services.opinion_rate(
                actor=request.user,
                opinion=op,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            ),
            success="谢谢您的评价。",
            to="assistant:my_opinion",
            args=(op.pk,),
        )
    return render(
        request,
        "assistant/my_opinion.html",
        {"op": op, "steps": selectors.opinion_steps(op), "form": form, "mine": True},
    )


@staff_required("view")
def opinions_view(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    topic = request.GET.get("topic", "")
    page = paginate(request, selectors.opinions_for(request.user, status=status, topic=topic))
    return render(
        request,
        "assistant/opinions.html",
        {
            "page": page,
            "status": status,
            "topic": topic,
            "statuses": OpinionStatus.choices,
            "topics": OpinionTopic.choices,
            "stats": selectors.opinion_stats(request.user),
        },
    )


@staff_required("view")
@require_http_methods(["GET", "POST"])
def opinion_view(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        op = selectors.opinion_get(request.user, pk)
    except NotVisible as exc:
        raise Http404(str(exc)) from exc
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        which = request.POST.get("op")
        if which == "forward":
            return perform(
                request,
                lambda: services.opinion_forward(
                    actor=request.user, opinion=op, note=request.POST.get("note", "")
                ),
                success="已转上级党组织办理，党员会收到通知。",
                to="assistant:opinions",
            )
        if form.is_valid():
            close = which == "close"
            return perform(
                request,
                lambda: services.opinion_reply(
                    actor=request.user, opinion=op, text_=form.cleaned_data["reply"], close=close
                ),
                success="已办结，党员会收到通知。" if close else "已答复，党员会收到通知。",
                to="assistant:opinion",
                args=(op.pk,),
            )
    return render(
        request,
        "assistant/opinion.html",
        {"op": op, "steps": selectors.opinion_steps(op), "form": form, "mine": False},
    )


@signed_in
def opinion_photo_view(request: AuthedRequest, pk: int, photo: int) -> Any:
    """A photo of an opinion: for its author, and for the receivers in scope."""
    try:
        if getattr(request.user, "member_id", None):
            op = selectors.own_opinion_get(request.user.member, pk)
        else:
            op = selectors.opinion_get(request.user, pk)
    except NotVisible as exc:
        raise Http404(str(exc)) from exc
    f = OpinionPhoto.objects.filter(opinion=op, pk=photo).first()
    if f is None:
        raise Http404
    return uploads.download(f)
