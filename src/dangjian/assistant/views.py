"""The assistant's pages: ask (a member on the phone, staff in the frame — the same service as
`dangjian ask`), read a cited article, and the staff's knowledge-base list with its upload."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dangjian.accounts import policy
from dangjian.core.errors import DomainError, NotVisible
from dangjian.web.access import AuthedRequest, signed_in, staff_required
from dangjian.web.paging import paginate

from . import endpoints, selectors, services
from .answer import ask
from .extract import MAX_BYTES
from .forms import AskForm, DocumentForm, FaqForm
from .models import DocKind

CITY_ONLY = "只有市级党委可以载入全平台适用的文档；请选择您管理的党委"
EXAMPLES = [
    "我这个月党费交了吗",
    "在职党员党费按什么比例交",
    "预备期多长",
    "组织关系介绍信有效期多久",
    "党员一年要学习多少学时",
]


@signed_in
@require_http_methods(["GET", "POST"])
def ask_view(request: AuthedRequest) -> HttpResponse:
    data = request.POST or ({"question": request.GET["q"]} if request.GET.get("q") else None)
    form = AskForm(data)
    result = None
    if data is not None and form.is_valid():
        try:
            result = ask(request.user, form.cleaned_data["question"])
        except DomainError as exc:
            form.add_error("question", exc.message)
    member = bool(getattr(request.user, "member_id", None))
    template = "assistant/ask_member.html" if member else "assistant/ask.html"
    return render(
        request,
        template,
        {
            "form": form,
            "result": result,
            "examples": EXAMPLES,
            "voice_in": endpoints.asr_configured(),
            "voice_out": endpoints.tts_available(),
            "speak_url": endpoints.speak_url(result.answer)
            if result is not None and result.answer and endpoints.tts_available()
            else "",
        },
    )


@signed_in
@require_http_methods(["GET"])
def piece_view(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        piece, around = selectors.piece_get(request.user, pk)
    except NotVisible as exc:
        raise Http404(str(exc)) from exc
    member = bool(getattr(request.user, "member_id", None))
    template = "assistant/piece_member.html" if member else "assistant/piece.html"
    media = piece.document.resource if piece.document.kind == DocKind.MEDIA else None
    return render(
        request,
        template,
        {
            "piece": piece,
            "around": around,
            "doc": piece.document,
            "voice_out": endpoints.tts_available(),
            "speak_url": endpoints.speak_url(piece.text) if endpoints.tts_available() else "",
            "media": media,
            "for_member": member,
            "media_url": media
            and reverse("learning:media" if member else "learning:staff_media", args=[media.pk]),
            "media_page": media
            and (
                reverse("learning:study", args=[media.pk])
                if member
                else reverse("learning:transcript", args=[media.pk])
            ),
        },
    )


@staff_required("view")
@require_http_methods(["GET", "POST"])
def documents_view(request: AuthedRequest) -> HttpResponse:
    orgs = policy.visible_to(request.user, "change").filter(kind="committee")
    is_faq = request.POST.get("form") == "faq"
    form = DocumentForm(None if is_faq else request.POST or None, request.FILES or None, orgs=orgs)
    faq = FaqForm(request.POST if is_faq else None, orgs=orgs)
    if is_faq and faq.is_valid():
        d = faq.cleaned_data
        try:
            doc = services.faq_save(
                actor=request.user,
                question=d["question"],
                answer=d["answer"],
                source=d["source"],
                organization=d["organization"],
            )
        except NotVisible:
            faq.add_error("organization", CITY_ONLY)
        except DomainError as exc:
            faq.add_error(exc.field if exc.field in faq.fields else None, exc.message)
        else:
            messages.success(request, f"已保存常见问题“{doc.title}”（{doc.version}）。")
            return redirect("assistant:documents")
    if request.method == "POST" and not is_faq and form.is_valid():
        d = form.cleaned_data
        upload: Any = d["file"]
        try:
            doc = services.document_load(
                actor=request.user,
                name=upload.name,
                data=upload.read(MAX_BYTES + 1),  # extract refuses what is over the cap
                meta=services.Meta(
                    title=d["title"],
                    issuer=d["issuer"],
                    issued_on=d["issued_on"],
                    version=d["version"],
                ),
                organization=d["organization"],
            )
        except NotVisible:
            form.add_error("organization", CITY_ONLY)
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(
                request, f"已载入《{doc.title}》，共{doc.pieces.count()}段，可以提问了。"
            )
            return redirect("assistant:documents")
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "").strip()
    all_versions = request.GET.get("versions") == "all"
    page = paginate(
        request, selectors.documents_for(request.user, kind=kind, q=q, all_versions=all_versions)
    )
    return render(
        request,
        "assistant/documents.html",
        {
            "page": page,
            "form": form,
            "faq": faq,
            "kinds": DocKind.choices,
            "kind": kind,
            "q": q,
            "all_versions": all_versions,
        },
    )


AUDIO_TYPES = {"audio/webm", "audio/ogg", "audio/wav", "audio/x-wav", "audio/mpeg", "audio/mp4"}
AUDIO_MAX = 2 * 1024 * 1024  # about a minute of compressed speech


@signed_in
@require_http_methods(["POST"])
def transcribe_view(request: AuthedRequest) -> JsonResponse:
    """Hold-to-talk: the recorded question to the speech-recognition server; the transcript comes
    back to the page to be corrected before it is asked."""
    if not endpoints.asr_configured():
        raise Http404("未配置语音识别")
    audio = request.FILES.get("audio")
    kind = (getattr(audio, "content_type", "") or "").split(";")[0].strip()
    if audio is None or kind not in AUDIO_TYPES:
        return JsonResponse({"error": "录音格式不支持，请重试或改用文字输入"}, status=400)
    if (audio.size or 0) > AUDIO_MAX:
        return JsonResponse({"error": "录音太长（最长60秒），请分段说"}, status=400)
    try:
        text_ = endpoints.transcribe(audio.read(), "question.webm", kind)
    except endpoints.EndpointError:
        return JsonResponse({"error": "语音识别暂时不可用，请改用文字输入"}, status=503)
    if not text_:
        return JsonResponse({"error": "没有听清，请靠近手机再说一遍"}, status=400)
    return JsonResponse({"text": text_[:500]})


@signed_in
@require_http_methods(["GET"])
def speak_view(request: AuthedRequest) -> HttpResponse:
    """An answer or article read aloud (the speech server, else espeak-ng), cached per text."""
    if not endpoints.tts_available():
        raise Http404("未配置语音朗读")
    try:  # only texts a page of the platform showed (see endpoints.speak_url)
        text_ = signing.loads(request.GET.get("s", ""), salt=endpoints.SPEAK_SALT).strip()
    except signing.BadSignature as exc:
        raise Http404("朗读链接无效") from exc
    if not text_:
        raise Http404
    digest = hashlib.sha256(text_.encode()).hexdigest()
    cached = Path(settings.VAR_DIR) / "tts-cache" / f"{digest}.wav"
    if not cached.exists():
        try:
            audio, _kind = endpoints.speak(text_)
        except endpoints.EndpointError as exc:
            raise Http404("朗读暂时不可用") from exc
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(audio)
        tmp.replace(cached)
    resp = HttpResponse(cached.read_bytes(), content_type="audio/wav")
    resp["Cache-Control"] = "private, max-age=86400"
    return resp
