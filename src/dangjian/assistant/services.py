"""Writes of the knowledge base: load a document (a new version supersedes the one in force), keep
the FAQ, index the rule pack's rules. Each one transaction with its audit event; the index follows
through its state token."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.models import User
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core import uploads
from dangjian.core.errors import DomainError, NotVisible
from dangjian.core.signals import handover
from dangjian.learning.models import Resource
from dangjian.notify.services import notice_send

from . import endpoints, index, split, text
from .extract import extract
from .models import (
    DocKind,
    Document,
    Opinion,
    OpinionPhoto,
    OpinionStatus,
    OpinionStep,
    OpinionTopic,
    Piece,
)

ROOT_PATH_LEN = 4  # a root organization's materialized path (treebeard's step)
logger = logging.getLogger(__name__)
TITLE_LINE = re.compile(r"^\s*(?:#\s*)?(.{4,80})$")


@dataclass
class Meta:
    title: str = ""
    issuer: str = ""
    issued_on: date | None = None
    version: str = ""
    kind: str = ""
    key: str = ""


def _may_load(actor: Actor, organization: Any) -> None:
    """A committee loads for its subtree; only staff of a root organization (the city) load for
    everyone."""
    if actor is None:
        return  # the command line, the demo
    if organization is None:
        if not any(len(p) <= ROOT_PATH_LEN for p in policy.roots(actor, "change")):
            raise NotVisible()
    elif not policy.can(actor, "change", organization):
        raise NotVisible()


def _front_matter(raw: str) -> tuple[Meta, str]:
    """Optional metadata lines at the top of a text document:
    标题：…, 发文机关：…, 日期：…, 版本：…"""
    meta = Meta()
    lines = raw.splitlines()
    keys = {"标题": "title", "发文机关": "issuer", "日期": "issued_on", "版本": "version"}
    used = 0
    for line in lines[:8]:
        m = re.match(r"^\s*(标题|发文机关|日期|版本)[:：]\s*(.+?)\s*$", line)
        if not m:
            if line.strip():
                break
            used += 1
            continue
        used += 1
        field = keys[m.group(1)]
        if field == "issued_on":
            try:
                meta.issued_on = date.fromisoformat(m.group(2))
            except ValueError as exc:
                raise DomainError("bad_date", f"日期“{m.group(2)}”应写作 2024-01-31") from exc
        else:
            setattr(meta, field, m.group(2))
    return meta, "\n".join(lines[used:])


def _title_of(name: str, body: str) -> str:
    for line in body.splitlines():
        if line.strip():
            m = TITLE_LINE.match(line.strip())
            return (m.group(1) if m else Path(name).stem)[:200]
    return Path(name).stem[:200]


def document_load(
    *, actor: Actor, name: str, data: bytes, meta: Meta | None = None, organization: Any = None
) -> Document:
    """Load one document: extract its text, split it, segment it, supersede the version in force
    with the same key in the same scope. DomainError with the reason when it cannot be loaded."""
    _may_load(actor, organization)
    raw = extract(name, data)
    front, body = _front_matter(raw)
    meta = meta or Meta()
    title = meta.title or front.title or _title_of(name, body)
    pieces = split.split(body)
    if not pieces:
        raise DomainError("empty", f"“{name}”没有可用的文字")
    kind = meta.kind or (
        DocKind.REGULATION if split.looks_like_regulation(body) else DocKind.EXPLANATION
    )
    key = (meta.key or title).strip()[:200]
    tokenized = [text.tokens(f"{p.heading} {p.article} {p.text}") for p in pieces]
    vectors = _vectors([f"{p.heading} {p.article} {p.text}"[:2000] for p in pieces])
    with transaction.atomic(durable=True):
        older = list(
            Document.objects.select_for_update().filter(
                key=key, organization=organization, in_force=True
            )
        )
        doc = Document.objects.create(
            key=key,
            title=title[:200],
            issuer=(meta.issuer or front.issuer)[:100],
            issued_on=meta.issued_on or front.issued_on,
            version=(meta.version or front.version)[:40],
            kind=kind,
            organization=organization,
            source_name=name[:200],
            sha256=hashlib.sha256(data).hexdigest(),
            text=body,
            created_by=actor if actor is not None else None,
        )
        Piece.objects.bulk_create(
            [
                Piece(
                    document=doc,
                    ordinal=i,
                    heading=p.heading[:200],
                    article=p.article[:40],
                    text=p.text,
                    tokens=" ".join(t),
                    vector=v,
                )
                for i, (p, t, v) in enumerate(zip(pieces, tokenized, vectors, strict=True))
            ],
            batch_size=500,
        )
        Document.objects.filter(pk__in=[d.pk for d in older]).update(
            in_force=False, superseded_by=doc
        )
        audit_record(
            actor=actor,
            action="assistant.document_load",
            obj=doc,
            organization=organization,
            data={
                "file": name[:200],
                "pieces": len(pieces),
                "superseded": [d.pk for d in older],
                "sha256": doc.sha256,
            },
        )
        index.bump()
    return doc


MEDIA_KINDS = ("video", "audio")


@transaction.atomic
def explanations_sync(resource_ids: list[int]) -> int:
    """Keep the 讲解 in step with the library (the learning app's `resources_changed`, inside its
    transaction): a published course's video or audio with a transcript is a document of kind
    讲解 for the publisher's subtree, split by paragraph and cited like any other; a changed
    transcript or title supersedes the version in force; an emptied transcript or a resource
    gone takes it out of force. Returns the documents changed."""
    keys = {pk: f"讲解:{pk}" for pk in resource_ids}
    in_force = {
        d.resource_id: d
        for d in Document.objects.select_for_update().filter(
            key__in=keys.values(), kind=DocKind.MEDIA, in_force=True
        )
    }
    changed = 0
    resources = Resource.objects.select_related("unit__course__publisher").filter(
        pk__in=resource_ids
    )
    for r in resources:  # the resources of one change: a course's handful
        course = r.unit.course
        old = in_force.pop(r.pk, None)
        wanted = r.kind in MEDIA_KINDS and bool(r.transcript) and course.published_on is not None
        if not wanted:
            if old is not None:
                Document.objects.filter(pk=old.pk).update(in_force=False)
                changed += 1
            continue
        if old is not None and (old.text, old.title) == (r.transcript, r.title):
            continue
        pieces = split.split(r.transcript)
        doc = Document.objects.create(
            key=keys[r.pk],
            title=r.title[:200],
            issuer=course.publisher.name[:100],
            issued_on=course.published_on,
            version=f"{timezone.localdate():%Y年%m月%d日}文字稿" if old is not None else "",
            kind=DocKind.MEDIA,
            organization=course.publisher,
            source_name=f"{course.title}·{r.get_kind_display()}"[:200],
            sha256=hashlib.sha256(r.transcript.encode()).hexdigest(),
            text=r.transcript,
            resource=r,
        )
        Piece.objects.bulk_create(
            [
                Piece(
                    document=doc,
                    ordinal=i,
                    heading=p.heading[:200],
                    article=p.article[:40],
                    text=p.text,
                    tokens=" ".join(text.tokens(f"{r.title} {p.heading} {p.article} {p.text}")),
                )
                for i, p in enumerate(pieces)
            ]
        )
        if old is not None:
            Document.objects.filter(pk=old.pk).update(in_force=False, superseded_by=doc)
        changed += 1
    # resources no longer there (asked about, or deleted since: the link was cleared)
    changed += Document.objects.filter(
        Q(pk__in=[d.pk for d in in_force.values()]) | Q(resource__isnull=True),
        kind=DocKind.MEDIA,
        in_force=True,
    ).update(in_force=False)
    if changed:
        index.bump()
    return changed


def _vectors(texts: list[str], batch: int = 64) -> list[bytes | None]:
    """The pieces' embeddings from the configured server, float32 bytes; None each when there is
    no server or it fails (the piece is still found by BM25)."""
    if not endpoints.embed_configured():
        return [None] * len(texts)
    out: list[bytes | None] = []
    try:
        for i in range(0, len(texts), batch):
            rows = endpoints.embed(texts[i : i + batch])
            out += [np.asarray(r, dtype=np.float32).tobytes() for r in rows]
    except endpoints.EndpointError as exc:
        logger.warning("embeddings server unavailable, pieces kept without vectors: %s", exc)
        return [None] * len(texts)
    return out


def rules_index(*, actor: Actor, rules: list[dict[str, str]]) -> Document:
    """The rule pack's rules as one document, a piece per rule (its id as the article): what the
    rule expects, what to do, and its citation. Replaces the previous version."""
    lines = [
        f"{r['id']} {r['title']}。{r['expects']} 怎么办：{r['action']} 依据：{r['citation']}"
        for r in rules
    ]
    with transaction.atomic(durable=True):
        Document.objects.filter(kind=DocKind.RULE, in_force=True).update(in_force=False)
        doc = Document.objects.create(
            key="监测规则",
            title="监测预警规则说明",
            issuer="本平台",
            kind=DocKind.RULE,
            text="\n".join(lines),
            source_name="rule pack",
        )
        Piece.objects.bulk_create(
            [
                Piece(
                    document=doc,
                    ordinal=i,
                    heading=r["title"][:200],
                    article=r["id"][:40],
                    text=line,
                    tokens=" ".join(text.tokens(line)),
                )
                for i, (r, line) in enumerate(zip(rules, lines, strict=True))
            ],
            batch_size=500,
        )
        audit_record(
            actor=actor,
            action="assistant.rules_index",
            obj=doc,
            data={"pieces": len(rules)},
        )
        index.bump()
    return doc


def registry_rules() -> list[dict[str, str]]:
    """The monitoring rules as the engine registers them (their Chinese names, what each
    expects, what to do, the citation)."""
    from dangjian.compliance.engine import REGISTRY  # noqa: PLC0415 - filled when apps are ready

    return [
        {
            "id": r.id,
            "title": r.title,
            "expects": r.expects,
            "action": r.action,
            "citation": str(r.citation),
        }
        for _, r in sorted(REGISTRY.items())
    ]


# --- 意见建议 ---------------------------------------------------------------------------------


def _parent(org: Any) -> Any:
    return type(org).objects.get_parent(org) if org.depth > 1 else None


def _receiver(member: Any, about_branch: bool) -> Any:
    """The member's branch (a group's branch), or the organization above it for an opinion about
    the branch itself."""
    org = member.organization
    if org.kind == "group":
        org = _parent(org) or org
    if about_branch:
        org = _parent(org) or org
    return org


def _tell_receivers(op: Opinion, title: str, body: str) -> None:
    handover.send(
        sender=Opinion,
        organization=op.organization,
        title=title,
        body=body,
        url=reverse("assistant:opinion", args=[op.pk]),
        key=f"opinion:{op.pk}:{op.status}:{op.organization_id}",
    )


def _tell_member(op: Opinion, title: str, body: str) -> None:
    users = User.objects.filter(member_id=op.member_id, is_active=True)
    notice_send(
        users=users,
        organization=op.organization,
        title=title,
        body=body,
        url=reverse("assistant:my_opinion", args=[op.pk]),
        key=f"opinion-member:{op.pk}:{op.status}:{op.steps.count()}",
    )


@transaction.atomic(durable=True)
def opinion_submit(
    *,
    actor: Any,
    topic: str,
    text_: str,
    anonymous: bool = False,
    about_branch: bool = False,
    photos: list[Any] | None = None,
) -> Opinion:
    """A member's opinion to their branch (or the organization above, about the branch). The
    receivers are told at once; the audit records the author even when anonymous."""
    member = getattr(actor, "member", None)
    if member is None:
        raise DomainError("not_member", "只有党员账号可以提意见建议")
    text_ = (text_ or "").strip()
    if len(text_) < 5:
        raise DomainError("too_short", "请把意见建议写清楚（至少5个字）", field="text")
    if len(text_) > 2000:
        raise DomainError("too_long", "意见建议不能超过2000字", field="text")
    if topic not in OpinionTopic.values:
        raise DomainError("invalid", "请选择类别", field="topic")
    stored = uploads.store(uploads.clean_photos(photos or []), field="photos", folder="opinions")
    try:
        op = Opinion.objects.create(
            member=member,
            organization=_receiver(member, about_branch),
            topic=topic,
            text=text_,
            anonymous=anonymous,
            about_branch=about_branch,
            since=timezone.now(),
        )
        OpinionStep.objects.create(
            opinion=op, kind=OpinionStep.Kind.SUBMITTED, organization=op.organization, by=actor
        )
        uploads.records(OpinionPhoto, stored, actor, opinion=op)
        _tell_receivers(
            op,
            f"新的意见建议：{op.get_topic_display()}",
            f"{op.author_for(False)}：{op.text[:60]}",
        )
    except Exception:
        uploads.discard(stored)  # the transaction rolls back: no file without its record
        raise
    audit_record(
        actor=actor,
        action="assistant.opinion_submit",
        obj=op,
        organization=op.organization,
        data={"topic": topic, "anonymous": anonymous, "about_branch": about_branch},
    )
    return op


def _handled(actor: Any, opinion: Opinion) -> Opinion:
    op = Opinion.objects.select_for_update().select_related("organization").get(pk=opinion.pk)
    if not policy.can(actor, "change", op.organization):
        raise NotVisible()
    return op


@transaction.atomic(durable=True)
def opinion_reply(*, actor: Any, opinion: Opinion, text_: str, close: bool = False) -> Opinion:
    """The receiver answers (and, with `close`, records it as done with the action taken); the
    member is told and may rate the reply."""
    op = _handled(actor, opinion)
    text_ = (text_ or "").strip()
    if len(text_) < 2:
        raise DomainError("required", "请填写答复内容", field="reply")
    if op.status == OpinionStatus.CLOSED:
        raise DomainError("closed", "该意见已办结")
    now = timezone.now()
    op.status = OpinionStatus.CLOSED if close else OpinionStatus.REPLIED
    op.replied_at = op.replied_at or now
    op.save(update_fields=["status", "replied_at"])
    kind = OpinionStep.Kind.CLOSED if close else OpinionStep.Kind.REPLIED
    OpinionStep.objects.create(
        opinion=op, kind=kind, organization=op.organization, text=text_, by=actor
    )
    _tell_member(op, f"您的意见建议已{'办结' if close else '答复'}", text_[:80])
    audit_record(
        actor=actor,
        action="assistant.opinion_reply",
        obj=op,
        organization=op.organization,
        data={"close": close},
    )
    return op


@transaction.atomic(durable=True)
def opinion_forward(*, actor: Any, opinion: Opinion, note: str = "") -> Opinion:
    """Pass the opinion to the organization above (beyond the branch's power); its staff are told,
    the member sees the step."""
    op = _handled(actor, opinion)
    if op.status == OpinionStatus.CLOSED:
        raise DomainError("closed", "该意见已办结")
    parent = _parent(op.organization)
    if parent is None:
        raise DomainError("top", "已是最上级党组织，无法再上报")
    OpinionStep.objects.create(
        opinion=op,
        kind=OpinionStep.Kind.FORWARDED,
        organization=op.organization,
        text=(note or "").strip()[:500],
        by=actor,
    )
    op.organization = parent
    op.status = OpinionStatus.OPEN
    op.since = timezone.now()  # the new receiver's reply time runs from now
    op.save(update_fields=["organization", "status", "since"])
    _tell_receivers(
        op,
        f"下级转来的意见建议：{op.get_topic_display()}",
        f"{op.author_for(False)}：{op.text[:60]}",
    )
    _tell_member(op, "您的意见建议已转上级党组织办理", f"转至{parent.name}")
    audit_record(
        actor=actor,
        action="assistant.opinion_forward",
        obj=op,
        organization=parent,
        data={"to": parent.code},
    )
    return op


@transaction.atomic(durable=True)
def opinion_rate(*, actor: Any, opinion: Opinion, rating: int, comment: str = "") -> Opinion:
    """The member rates the reply (1–5), once it has one."""
    op = Opinion.objects.select_for_update().get(pk=opinion.pk)
    if getattr(actor, "member_id", None) != op.member_id:
        raise NotVisible()
    if op.status == OpinionStatus.OPEN:
        raise DomainError("not_replied", "党组织答复后才能评价")
    if op.rating is not None:
        raise DomainError("rated", "已评价过")
    if rating not in range(1, 6):
        raise DomainError("invalid", "请选择1到5星", field="rating")
    op.rating = rating
    op.rating_comment = (comment or "").strip()[:200]
    op.save(update_fields=["rating", "rating_comment"])
    OpinionStep.objects.create(
        opinion=op,
        kind=OpinionStep.Kind.RATED,
        organization=op.organization,
        text=f"{rating}星" + (f"：{op.rating_comment}" if op.rating_comment else ""),
        by=actor,
    )
    audit_record(actor=actor, action="assistant.opinion_rate", obj=op, data={"rating": rating})
    return op


@transaction.atomic(durable=True)
def faq_save(
    *, actor: Actor, question: str, answer: str, source: str = "", organization: Any = None
) -> Document:
    """A question and answer that staff keep (常见问题): one piece, indexed like a document; saving
    the same question again supersedes the earlier answer (both kept)."""
    _may_load(actor, organization)
    question, answer, source = question.strip(), answer.strip(), source.strip()
    if len(question) < 4:
        raise DomainError("required", "请填写问题（至少4个字）", field="question")
    if len(answer) < 4:
        raise DomainError("required", "请填写答案（至少4个字）", field="answer")
    key = f"FAQ:{question}"[:200]
    older = list(
        Document.objects.select_for_update().filter(
            key=key, organization=organization, in_force=True
        )
    )
    body = answer + (f"（依据：{source}）" if source else "")
    doc = Document.objects.create(
        key=key,
        title=question[:200],
        issuer=source[:100],
        kind=DocKind.FAQ,
        organization=organization,
        text=body,
        version=f"第{Document.objects.filter(key=key, organization=organization).count() + 1}版",
        created_by=actor,
    )
    Piece.objects.create(
        document=doc,
        ordinal=0,
        heading=question[:200],
        text=body,
        tokens=" ".join(text.tokens(f"{question} {body}")),
    )
    Document.objects.filter(pk__in=[d.pk for d in older]).update(in_force=False, superseded_by=doc)
    audit_record(
        actor=actor,
        action="assistant.faq_save",
        obj=doc,
        organization=organization,
        data={"superseded": [d.pk for d in older]},
    )
    index.bump()
    return doc
